/**
 * Bad input is never a 500 and never ignored: a generated sweep of malformed requests over
 * every RPC (bad JSON, wrong types, huge values, deep nesting, bad names, bad query
 * parameters, bad percent-encoding, oversized headers, unknown methods, no Content-Type,
 * undecodable bodies), sent over raw sockets to every entry point: `npm start`'s server, the
 * functions framework's combined `gaffer` target, and each RPC's own target. Every answer is
 * a 4xx google.rpc.Status JSON body whose code is the HTTP status; nothing changes (no
 * document is written, the project's operations, workers and policy are as they were); and
 * the server keeps serving.
 *
 * Where the functions framework (or Node beneath it) answers before Gaffer runs, the case is
 * marked `framework`: there the answer is still a 4xx that changes nothing, but its body is
 * the framework's (docs/design.md, "The functions framework and request bodies").
 */
import {strict as assert} from 'assert';
import {gzipSync} from 'zlib';
import {dispatchOutbox} from '../../functions/dispatchOutbox';
import {expireLeases} from '../../functions/expireLeases';
import {RPCS} from '../../functions/rpcs';
import type {AnyRpc} from '../../src/http/rpc';
import type {LocalServer} from '../../src/server';
import {Served, serveTarget} from '../helpers/framework';
import {call, helloRequest, randomProject, startGaffer} from '../helpers/gaffer';
import {RawRequest, RawResponse, rawRequest} from '../helpers/rawHttp';

/** What a case expects of an entry point. */
interface Case {
  title: string;
  request: RawRequest;
  /** Answered by the functions framework (or Node) before Gaffer runs: a 4xx, body not Gaffer's. */
  framework?: boolean;
}

const T = 'type.googleapis.com/google.genomics.v2alpha1.';
const PROJECT = randomProject('sweep');
const STATUS_NAMES = new Set([
  'INVALID_ARGUMENT', 'FAILED_PRECONDITION', 'OUT_OF_RANGE', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'NOT_FOUND',
  'ALREADY_EXISTS', 'ABORTED', 'RESOURCE_EXHAUSTED', 'CANCELLED',
]);

/** Valid values for each path variable. */
const VALID: Record<string, string> = {
  project: PROJECT,
  projectId: PROJECT,
  operation: '1234567890',
  worker: 'sweep-worker',
  location: 'us-central1',
  deadLetter: 'abcdef0123456789',
  token: 'not.a.token',
};

/** Malformed values for each kind of path variable (percent-encoded as they travel). */
const COMMON_BAD = ['x'.repeat(300), '%00', 'a%2Fb', '..', '%20', 'a%20b', '%E2%9C%93'];
const BAD_SEGMENTS: Record<string, string[]> = {
  project: [...COMMON_BAD, 'UPPER-case-project', 'a', '-leading', 'trailing-'],
  projectId: [...COMMON_BAD, 'UPPER-case-project', 'a', '-leading'],
  operation: [...COMMON_BAD, 'a.b', 'x'.repeat(65)],
  worker: [...COMMON_BAD, '-leading', '.dot', 'x'.repeat(129)],
  location: [...COMMON_BAD, 'US-CENTRAL1', '-x'],
  deadLetter: [...COMMON_BAD, 'a.b'],
  token: [...COMMON_BAD, 'a.b.c'],
};

function fill(path: string, overrides: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => overrides[name] ?? VALID[name] ?? 'x');
}

function variables(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(m => m[1] ?? '');
}

/** A body of the right shape for the RPC that is wrong in one targeted way. */
function wrongBodies(rpc: AnyRpc): Array<[string, unknown]> {
  const old = '0000-01-01T00:00:00Z';
  const leap = '9999-12-31T23:59:60Z';
  const started = (timestamp: string) => ({events: [{timestamp, data: {'@type': `${T}ContainerStartedEvent`, actionId: 1}}]});
  switch (rpc.bodySchema) {
    case 'runPipelineRequest':
      return [
        ['actions of the wrong type', {pipeline: {actions: 'echo', resources: {projectId: PROJECT}}}],
        ['a negative disk size', {...helloRequest(PROJECT), pipeline: {...(helloRequest(PROJECT).pipeline as object), resources: {projectId: PROJECT, virtualMachine: {machineType: 'n1', bootDiskSizeGb: -1}}}}],
        ['a timeout beyond any Duration', {...helloRequest(PROJECT), pipeline: {...(helloRequest(PROJECT).pipeline as object), timeout: '99999999999999999999s'}}],
        ['a label too long for an index entry (2000 characters)', helloRequest(PROJECT, {k: 'v'.repeat(2000)})],
        ['an empty label key', helloRequest(PROJECT, {'': 'v'})],
        ['a pubSubTopic that is not a topic name', {...helloRequest(PROJECT), pubSubTopic: 'my-topic'}],
        // JSON null is unset in a Genomics body (proto3 JSON), so it is no error: a wrong type is.
        ['labels of the wrong type', {...helloRequest(PROJECT), labels: ['k=v']}],
      ];
    case 'checkInRequest':
      return [
        ['an event timestamp with a leap second', started(leap)],
        ['an event timestamp in year 0', started(old)],
        ['an event timestamp after 9999', started('10000-01-01T00:00:00Z')],
        ['an unknown event type', {event: {'@type': `${T}MadeUpEvent`}}],
        ['a result code of 1e300', {result: {code: 1e300}}],
        ['a lease that is not OPERATION:EPOCH', {lease: 'nope'}],
        ['a workerStatus with a negative int64', {workerStatus: {freeRamBytes: '-5'}}],
      ];
    case 'sendWorkerMessagesRequest':
      return [
        ['a health report time with a leap second', {workerMessages: [{labels: {WORKER_ID: 'w'}, time: leap, workerHealthReport: {vmIsHealthy: true}}]}],
        ['a health report in year 0', {workerMessages: [{labels: {WORKER_ID: 'w'}, workerHealthReport: {reportInterval: '1s', vmStartupTime: old}}]}],
        ['a message without a worker', {workerMessages: [{workerHealthReport: {vmIsHealthy: true}}]}],
        ['101 messages', {workerMessages: Array.from({length: 101}, () => ({labels: {WORKER_ID: 'w'}, workerHealthReport: {}}))}],
        ['NaN as a rate', {workerMessages: [{labels: {WORKER_ID: 'w'}, workerMetrics: {cpuTime: [{rate: 'NaN'}]}}]}],
      ];
    case 'cancelOperationRequest':
      return [['another operation\'s name', {name: `projects/${PROJECT}/operations/999`}], ['a name of the wrong type', {name: 5}]];
    case 'waitOperationRequest':
      return [
        ['a timeout beyond any Duration', {timeout: '99999999999999999999s'}],
        ['a timeout in minutes', {timeout: '5m'}],
        ['a negative timeout', {timeout: '-1s'}],
      ];
    case 'getIamPolicyRequest':
      return [['an unknown policy version', {options: {requestedPolicyVersion: 2}}]];
    case 'setIamPolicyRequest':
      return [
        ['no policy', {}],
        ['an unknown role', {policy: {bindings: [{role: 'roles/owner', members: ['user:a@example.com']}]}}],
        ['a member without a kind', {policy: {bindings: [{role: 'roles/genomics.viewer', members: ['a@example.com']}]}}],
        ['allUsers', {policy: {bindings: [{role: 'roles/genomics.viewer', members: ['allUsers']}]}}],
        ['a conditional binding', {policy: {bindings: [{role: 'roles/genomics.viewer', members: ['user:a@example.com'], condition: {expression: 'true'}}]}}],
        ['policy version 3', {policy: {version: 3}}],
      ];
    case 'testIamPermissionsRequest':
      return [['a wildcard permission', {permissions: ['genomics.*']}], ['permissions of the wrong type', {permissions: 'genomics.operations.get'}]];
    default:
      return [['a body where none is taken', {colour: 'red'}]];
  }
}

const listing = (rpc: AnyRpc) => rpc.queryParams?.includes('pageSize') ?? false;

/** Every malformed request for one RPC. */
function casesFor(rpc: AnyRpc): Case[] {
  const path = fill(rpc.path);
  const json = {'Content-Type': 'application/json'};
  const post = (title: string, body: string | Buffer, headers: Record<string, string> = json, framework = false): Case => ({
    title,
    request: {method: 'POST', target: path, headers, body},
    framework,
  });
  const cases: Case[] = [];
  for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    if (method !== rpc.method) cases.push({title: `the method ${method}`, request: {method, target: path, ...(method === 'GET' ? {} : {headers: json, body: '{}'})}});
  }
  const validBody = rpc.method === 'POST' ? {headers: json, body: rpc.bodySchema === 'runPipelineRequest' ? JSON.stringify(helloRequest(PROJECT)) : '{}'} : {};
  const withQuery = (title: string, query: string): Case => ({title, request: {method: rpc.method, target: `${path}?${query}`, ...validBody}});
  cases.push(
    withQuery('an unknown query parameter', 'colour=red'),
    withQuery('a repeated system parameter', '$.xgafv=1&$.xgafv=2'),
    withQuery('$.xgafv=7', '$.xgafv=7'),
    withQuery('alt=proto', 'alt=proto'),
    withQuery('prettyPrint=maybe', 'prettyPrint=maybe'),
    withQuery('a JSONP callback', 'callback=steal'),
    withQuery('fields nested 5000 levels deep', `fields=${'a('.repeat(5000)}b${')'.repeat(5000)}`),
    withQuery('fields nested 20 levels deep', `fields=${'a/'.repeat(20)}b`),
    withQuery('fields with an empty name', 'fields=name,,done'),
    withQuery('a parameter named __proto__', '__proto__=1'),
    {title: 'a 17 KB header', request: {method: rpc.method, target: path, ...validBody, headers: {...validBody.headers, 'X-Padding': 'p'.repeat(17 * 1024)}}},
    {title: 'a 70 KB header', request: {method: rpc.method, target: path, ...validBody, headers: {...validBody.headers, 'X-Padding': 'p'.repeat(70 * 1024)}}, framework: true},
  );
  for (const name of variables(rpc.path)) {
    for (const bad of BAD_SEGMENTS[name] ?? COMMON_BAD) {
      cases.push({title: `{${name}} = ${bad.slice(0, 20)}`, request: {method: rpc.method, target: fill(rpc.path, {[name]: bad}), ...validBody}});
    }
    cases.push({title: `{${name}} with bad percent-encoding`, request: {method: rpc.method, target: fill(rpc.path, {[name]: 'a%zzb'}), ...validBody}, framework: true});
  }
  if (listing(rpc)) {
    for (const query of [
      'pageSize=-1',
      'pageSize=abc',
      'pageSize=1e400',
      `pageToken=${'A'.repeat(64)}`,
      'pageToken=%zz',
      ...(rpc.queryParams?.includes('filter')
        ? [
            `filter=${encodeURIComponent('createTime > 253402300800')}`,
            `filter=${encodeURIComponent('createTime < "0000-01-01T00:00:00Z"')}`,
            `filter=${encodeURIComponent('createTime > "9999-12-31T23:59:60Z"')}`,
            `filter=${encodeURIComponent('('.repeat(200) + 'done = true' + ')'.repeat(200))}`,
            `filter=${encodeURIComponent('labels.')}`,
            `filter=${encodeURIComponent('"unterminated')}`,
            `filter=${'x'.repeat(3000)}`,
            'filter=%zz',
          ]
        : []),
    ]) {
      cases.push(withQuery(query.slice(0, 60), query));
    }
  }
  if (rpc.method === 'POST') {
    cases.push(
      post('malformed JSON, as application/json', '{"pipeline": ', json, true),
      post('malformed JSON, no Content-Type', '{"pipeline": ', {}),
      post('malformed JSON, as text/plain', '{"pipeline": ', {'Content-Type': 'text/plain'}),
      post('a JSON array', '[]'),
      // body-parser's strict JSON takes only objects and arrays: the framework refuses the rest.
      post('JSON null, as application/json', 'null', json, true),
      post('a JSON string, as application/json', '"hello"', json, true),
      post('a JSON number, as application/json', '42', json, true),
      post('JSON null, no Content-Type', 'null', {}),
      post('a JSON string, no Content-Type', '"hello"', {}),
      post('a JSON number, as text/plain', '42', {'Content-Type': 'text/plain'}),
      post('JSON true, as application/x-www-form-urlencoded', 'true', {'Content-Type': 'application/x-www-form-urlencoded'}),
      post('JSON nested 5000 levels deep', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`),
      post('JSON nested 5000 levels deep, no Content-Type', `${'['.repeat(5000)}${']'.repeat(5000)}`, {}),
      post('an unknown field', '{"colour": "red"}'),
      post('a body over the size limit', JSON.stringify({padding: 'x'.repeat(300 * 1024)})),
      post('bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), {}),
      post('an unsupported charset', '{}'.replace('{}', '{"colour": 1}'), {'Content-Type': 'application/json; charset=utf-16'}, true),
      post('an unsupported Content-Encoding', '{}', {'Content-Type': 'application/json', 'Content-Encoding': 'br'}, true),
      post('a broken gzip body', 'not gzip', {'Content-Type': 'application/json', 'Content-Encoding': 'gzip'}, true),
      post('a gzipped unknown field', gzipSync('{"colour": "red"}'), {'Content-Type': 'application/json', 'Content-Encoding': 'gzip'}),
    );
    for (const [title, body] of wrongBodies(rpc)) cases.push(post(title, JSON.stringify(body)));
  }
  return cases;
}

/** Requests no RPC serves, or no HTTP at all. */
const GLOBAL_CASES: Case[] = [
  {title: 'an unknown path', request: {method: 'GET', target: '/v2alpha1/nothing/here'}},
  {title: 'an unknown API version', request: {method: 'GET', target: `/v9/projects/${PROJECT}/operations`}},
  {title: '/favicon.ico', request: {method: 'GET', target: '/favicon.ico'}},
  {title: '/robots.txt', request: {method: 'GET', target: '/robots.txt'}},
  {title: 'a trailing slash', request: {method: 'GET', target: `/v2alpha1/projects/${PROJECT}/operations/`}},
  {title: 'a doubled slash', request: {method: 'GET', target: `/v2alpha1//projects/${PROJECT}/operations`}},
  {title: 'bad percent-encoding in an unknown path', request: {method: 'GET', target: '/v2alpha1/%zz'}, framework: true},
  {title: 'not HTTP at all', request: {method: 'GET', target: '/', raw: 'HELLO THERE\r\n\r\n'}, framework: true},
  {title: 'an unknown method token', request: {method: 'BREW', target: `/v2alpha1/projects/${PROJECT}/operations`}, framework: true},
];

function assertStatusBody(res: RawResponse, what: string): void {
  assert.ok(res.status >= 400 && res.status < 500, `${what}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${what}: not JSON: ${res.text.slice(0, 200)}`);
  const error = res.json?.error as {code?: unknown; status?: unknown; message?: unknown; details?: unknown} | undefined;
  assert.ok(error, `${what}: no google.rpc.Status: ${res.text.slice(0, 300)}`);
  assert.equal(error.code, res.status, what);
  assert.ok(typeof error.status === 'string' && STATUS_NAMES.has(error.status), `${what}: status ${String(error.status)}`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, what);
  assert.ok(
    Array.isArray(error.details) && error.details.some(d => (d as {'@type'?: string})['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo'),
    `${what}: no ErrorInfo`,
  );
}

interface Target {
  name: string;
  port: number;
  /** Whether the functions framework (not Gaffer's own server) fronts it. */
  framework: boolean;
  rpcs: readonly AnyRpc[];
}

/** What a caller can see of the project; nothing a malformed request does may change it. */
async function snapshot(server: LocalServer): Promise<string> {
  const parts = await Promise.all([
    call(server, 'GET', `/v2alpha1/projects/${PROJECT}/operations`),
    call(server, 'GET', `/v2alpha1/projects/${PROJECT}/workers`),
    call(server, 'POST', `/v2alpha1/projects/${PROJECT}:getIamPolicy`, {}),
    call(server, 'GET', `/v2alpha1/projects/${PROJECT}/deadLetters`),
  ]);
  for (const part of parts) assert.equal(part.status, 200, JSON.stringify(part.json));
  return JSON.stringify(parts.map(p => p.json));
}

describe('malformed input, on every entry point', function () {
  this.timeout(300_000);
  let server: LocalServer;
  let initial: string;
  const served: Served[] = [];
  let total = 0;
  const framework: string[] = [];

  before(async () => {
    server = await startGaffer();
    const ran = await call(server, 'POST', '/v2alpha1/pipelines:run', helloRequest(PROJECT, {canary: 'yes'}));
    assert.equal(ran.status, 200);
    // The first page token ever issued makes the shared page-token secret (one write): not a refusal's doing.
    const logs = await call(server, 'GET', `/v2alpha1/${(ran.json as {name: string}).name}/logs`);
    assert.ok(logs.json.nextPageToken);
    initial = await snapshot(server);
  });
  after(async () => {
    served.forEach(s => s.stop());
    await server?.close();
    console.log(`      ${total} malformed requests answered; framework-answered cases: ${[...new Set(framework)].join('; ')}`);
  });

  async function sweep(target: Target): Promise<number> {
    const cases = [...target.rpcs.flatMap(rpc => casesFor(rpc).map(c => ({...c, title: `${rpc.name}: ${c.title}`}))), ...GLOBAL_CASES];
    let n = 0;
    for (const c of cases) {
      const what = `${target.name}: ${c.title}`;
      const res = await rawRequest('127.0.0.1', target.port, c.request).catch((err: Error) => {
        throw new Error(`${what}: ${err.message}`);
      });
      n++;
      if (c.framework && target.framework) {
        // Answered before Gaffer runs: still a 4xx.
        assert.ok(res.status >= 400 && res.status < 500, `${what}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
        if (!res.json?.error) framework.push(c.title.replace(/^\w+: /, ''));
        else assertStatusBody(res, what);
      } else if (c.request.method === 'HEAD') {
        assert.ok(res.status >= 400 && res.status < 500, what);
      } else {
        assertStatusBody(res, what);
      }
      // The server keeps serving.
      if (n % 50 === 0) assert.equal((await rawRequest('127.0.0.1', target.port, {method: 'GET', target: '/v2alpha1/nothing'})).status, 404);
    }
    return n;
  }

  it('npm start: every RPC', async () => {
    const written = server.app.stores.stats().documentsWritten;
    const port = Number(new URL(server.url).port);
    total += await sweep({name: 'npm start', port, framework: false, rpcs: RPCS});
    assert.equal(server.app.stores.stats().documentsWritten, written, 'no document was written');
    assert.equal(await snapshot(server), initial);
  });

  it('the functions framework\'s gaffer target: every RPC', async () => {
    const gaffer = await serveTarget('gaffer');
    served.push(gaffer);
    total += await sweep({name: 'gaffer target', port: gaffer.port, framework: true, rpcs: RPCS});
    assert.equal(await snapshot(server), initial);
  });

  /** Each RPC on a functions-framework target of its own, as deployed. */
  async function sweepOwnTargets(rpcs: readonly AnyRpc[]): Promise<void> {
    for (const rpc of rpcs) {
      const target = await serveTarget(rpc.name);
      served.push(target);
      try {
        total += await sweep({name: `${rpc.name} target`, port: target.port, framework: true, rpcs: [rpc]});
      } finally {
        target.stop();
      }
    }
    assert.equal(await snapshot(server), initial);
  }

  it('each RPC\'s own functions-framework target', () => sweepOwnTargets(RPCS));

  it('the sweeps\' targets (expireLeases, dispatchOutbox)', () => sweepOwnTargets([expireLeases, dispatchOutbox]));
});
