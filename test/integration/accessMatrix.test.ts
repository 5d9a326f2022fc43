/**
 * The access matrix: every role × every RPC × its own project and another, over HTTP, on a
 * Gaffer that authenticates callers with ID tokens (a test OIDC issuer with groups) and
 * authorizes them with the projects' IAM policies (set through setIamPolicy by a first
 * admin from GAFFER_ADMINS). Each cell gets the answer a user would expect: the RPC's result
 * where the role holds its permission, 403 naming the permission where it does not, 401
 * without a valid token, and callers' tokens are not worker identities (401 on the worker
 * RPCs). Zero leaks: a refusal says nothing about what exists (the same bytes for an
 * existing and a missing operation, worker or dead letter) and changes nothing.
 */
import {strict as assert} from 'assert';
import {rmSync} from 'fs';
import express from 'express';
import {httpHandler} from '../../src/http/rpc';
import type {HttpRequest, HttpResponse} from '../../src/http/rpc';
import {RPCS} from '../../functions/rpcs';
import {expireLeases} from '../../functions/expireLeases';
import {dispatchOutbox} from '../../functions/dispatchOutbox';
import {recordQueueStats} from '../../functions/recordQueueStats';
import type {Permission} from '../../src/core/iam';
import {LocalServer} from '../../src/server';
import {call, helloRequest, randomProject, startGaffer} from '../helpers/gaffer';
import {TestCallers, TestIssuers, bearer, callerClaims, gceClaims, makeTestCallers, makeTestIssuers, sign} from '../helpers/tokens';

type Json = Record<string, unknown>;
type Role = 'anonymous' | 'forged token' | 'no role' | 'viewer' | 'runner (via group)' | 'project admin' | 'first admin (GAFFER_ADMINS)' | 'sweeper';

const ROLES: Role[] = ['anonymous', 'forged token', 'no role', 'viewer', 'runner (via group)', 'project admin', 'first admin (GAFFER_ADMINS)', 'sweeper'];
const SWEEPER = 'serviceAccount:sched@gaffer-test.iam.gserviceaccount.com';

/** What each role holds on its own project (bound in the project's policy, or inherited). */
const VIEWER: Permission[] = ['genomics.operations.get', 'genomics.operations.list', 'gaffer.workers.get', 'gaffer.workers.list'];
const RUNNER: Permission[] = [...VIEWER, 'genomics.operations.create', 'genomics.operations.cancel'];
const ADMIN: Permission[] = [...RUNNER, 'gaffer.projects.getIamPolicy', 'gaffer.projects.setIamPolicy', 'gaffer.deadLetters.list', 'gaffer.deadLetters.retry'];
const HOLDS: Record<Role, {own: Permission[]; other: Permission[]; everywhere: Permission[]}> = {
  anonymous: {own: [], other: [], everywhere: []},
  'forged token': {own: [], other: [], everywhere: []},
  'no role': {own: [], other: [], everywhere: []},
  viewer: {own: VIEWER, other: [], everywhere: []},
  'runner (via group)': {own: RUNNER, other: [], everywhere: []},
  'project admin': {own: ADMIN, other: [], everywhere: []},
  'first admin (GAFFER_ADMINS)': {own: ADMIN, other: ADMIN, everywhere: ADMIN},
  sweeper: {own: [], other: [], everywhere: ['gaffer.leases.expire', 'gaffer.outbox.dispatch', 'gaffer.queueStats.record']},
};

/** The permission each RPC checks; undefined: authentication only; 'worker': worker identity. */
const PERMISSION: Record<string, Permission | undefined | 'worker'> = {
  runPipeline: 'genomics.operations.create',
  getOperation: 'genomics.operations.get',
  listOperations: 'genomics.operations.list',
  cancelOperation: 'genomics.operations.cancel',
  waitOperation: 'genomics.operations.get',
  checkIn: 'worker',
  checkInByToken: 'worker',
  workerMessages: 'worker',
  locationsWorkerMessages: 'worker',
  getWorker: 'gaffer.workers.get',
  listWorkers: 'gaffer.workers.list',
  listWorkerSamples: 'gaffer.workers.get',
  getIamPolicy: 'gaffer.projects.getIamPolicy',
  setIamPolicy: 'gaffer.projects.setIamPolicy',
  testIamPermissions: undefined,
  listDeadLetters: 'gaffer.deadLetters.list',
  retryDeadLetter: 'gaffer.deadLetters.retry',
  getQueueStats: 'genomics.operations.list',
  listLogs: 'genomics.operations.get',
  appendLogs: 'worker',
  runPipelineV2beta: 'genomics.operations.create',
  getOperationV2beta: 'genomics.operations.get',
  listOperationsV2beta: 'genomics.operations.list',
  cancelOperationV2beta: 'genomics.operations.cancel',
  waitOperationV2beta: 'genomics.operations.get',
  listLocations: 'genomics.operations.list',
  getLocation: 'genomics.operations.list',
  expireLeases: 'gaffer.leases.expire',
  dispatchOutbox: 'gaffer.outbox.dispatch',
  recordQueueStats: 'gaffer.queueStats.record',
};

/** The scheduled functions: their own targets, acting on every project. */
const SCHEDULED = [expireLeases, dispatchOutbox, recordQueueStats];

/** Every RPC that takes a named resource, with a name that exists and one that does not. */
interface Request {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

describe('access matrix: every role × every RPC × own and other project', function () {
  this.timeout(180_000);
  let server: LocalServer;
  let callers: TestCallers;
  let workers: TestIssuers;
  const OWN = randomProject('own');
  const OTHER = randomProject('other');
  const tokens = new Map<Role, string | undefined>();
  /** Per project: an operation that exists (queued, kept), and a worker that exists. */
  const existing = new Map<string, {op: string; worker: string}>();
  let cells = 0;

  const asRoot = (method: 'GET' | 'POST', path: string, body?: unknown) => call(server, method, path, body, bearer(tokens.get('first admin (GAFFER_ADMINS)')!));

  before(async () => {
    callers = await makeTestCallers('gaffer-matrix-');
    workers = await makeTestIssuers('gaffer-matrix-workers-', OWN);
    server = await startGaffer({
      accessMode: 'iam',
      callerIssuers: callers.callerIssuers,
      workerIssuers: workers.workerIssuers,
      admins: ['user:root@example.com'],
      inheritedBindings: [{role: 'roles/gaffer.sweeper', members: [SWEEPER]}],
      policyCacheTtlMs: 0,
    });
    tokens.set('anonymous', undefined);
    tokens.set('forged token', await sign(callers.impostor, callerClaims('root@example.com')));
    tokens.set('no role', await callers.token('nobody@example.com'));
    tokens.set('viewer', await callers.token('viewer@example.com'));
    tokens.set('runner (via group)', await callers.token('carol@example.com', {groups: ['runners']}));
    tokens.set('project admin', await callers.token('padmin@example.com'));
    tokens.set('first admin (GAFFER_ADMINS)', await callers.token('root@example.com'));
    tokens.set('sweeper', await callers.googleToken('sched@gaffer-test.iam.gserviceaccount.com'));

    // The first admin grants roles on OWN; OTHER has its own people.
    const granted = await asRoot('POST', `/v2alpha1/projects/${OWN}:setIamPolicy`, {
      policy: {
        bindings: [
          {role: 'roles/genomics.viewer', members: ['user:viewer@example.com']},
          {role: 'roles/genomics.pipelinesRunner', members: ['group:runners']},
          {role: 'roles/genomics.admin', members: ['user:padmin@example.com']},
        ],
      },
    });
    assert.equal(granted.status, 200, JSON.stringify(granted.json));
    assert.equal((await asRoot('POST', `/v2alpha1/projects/${OTHER}:setIamPolicy`, {policy: {bindings: [{role: 'roles/genomics.admin', members: ['user:someone@else.example']}]}})).status, 200);
    for (const project of [OWN, OTHER]) {
      // A worker of the project takes one operation (so a worker exists), another stays queued.
      await asRoot('POST', '/v2alpha1/pipelines:run', helloRequest(project, {seed: 'taken'}));
      const token = await sign(workers.gceKey, gceClaims(project, 'matrix-vm'));
      const taken = await call(server, 'POST', `/v2alpha1/workers/${token}:checkIn`, {});
      assert.equal(taken.status, 200, JSON.stringify(taken.json));
      const kept = await asRoot('POST', '/v2alpha1/pipelines:run', helloRequest(project, {seed: 'kept'}));
      existing.set(project, {op: (kept.json as {name: string}).name.split('/').pop()!, worker: 'matrix-vm'});
    }
    // The first page token ever issued makes the shared page-token secret (one write): not a cell's doing.
    assert.ok((await asRoot('GET', `/v2alpha1/projects/${OWN}/operations/${existing.get(OWN)!.op}/logs`)).json.nextPageToken);
  });
  after(async () => {
    await server?.close();
    rmSync(callers.dir, {recursive: true, force: true});
    rmSync(workers.dir, {recursive: true, force: true});
    console.log(`      ${cells} cells checked (${ROLES.length} roles × ${Object.keys(PERMISSION).length} RPCs × own/other project × existing/missing resource)`);
  });

  /** A request for `rpc` on `project`, naming an existing resource, or a missing one. */
  function request(rpc: string, project: string, missing: boolean): Request {
    const {op, worker} = existing.get(project)!;
    const opName = `projects/${project}/operations/${missing ? '999999' : op}`;
    const workerName = missing ? 'no-such-worker' : worker;
    // helloRequest asks for us-central1: a v2alpha1 operation is filed there for v2beta.
    const v2betaOp = `projects/${project}/locations/us-central1/operations/${missing ? '999999' : op}`;
    switch (rpc) {
      case 'runPipeline':
        return {method: 'POST', path: '/v2alpha1/pipelines:run', body: helloRequest(project, {by: 'matrix'})};
      case 'getOperation':
        return {method: 'GET', path: `/v2alpha1/${opName}`};
      case 'listOperations':
        return {method: 'GET', path: `/v2alpha1/projects/${project}/operations`};
      case 'cancelOperation':
        return {method: 'POST', path: `/v2alpha1/${opName}:cancel`, body: {}};
      case 'waitOperation':
        return {method: 'POST', path: `/v2alpha1/${opName}:wait`, body: {timeout: '0s'}};
      case 'checkIn':
        return {method: 'POST', path: `/v2alpha1/projects/${project}/workers/${workerName}:checkIn`, body: {}};
      case 'checkInByToken':
        return {method: 'POST', path: '/v2alpha1/workers/CALLER_TOKEN:checkIn', body: {}};
      case 'workerMessages':
        return {method: 'POST', path: `/v1b3/projects/${project}/WorkerMessages`, body: {workerMessages: [{labels: {WORKER_ID: workerName}, workerHealthReport: {vmIsHealthy: false}}]}};
      case 'locationsWorkerMessages':
        return {method: 'POST', path: `/v1b3/projects/${project}/locations/us-central1/WorkerMessages`, body: {workerMessages: [{labels: {WORKER_ID: workerName}, workerShutdownNotice: {reason: 'PREEMPTION'}}]}};
      case 'getWorker':
        return {method: 'GET', path: `/v2alpha1/projects/${project}/workers/${workerName}`};
      case 'listWorkers':
        return {method: 'GET', path: `/v2alpha1/projects/${project}/workers`};
      case 'listWorkerSamples':
        return {method: 'GET', path: `/v2alpha1/projects/${project}/workers/${workerName}/samples?kind=health`};
      case 'getIamPolicy':
        return {method: 'POST', path: `/v2alpha1/projects/${project}:getIamPolicy`, body: {}};
      case 'setIamPolicy':
        return {method: 'POST', path: `/v2alpha1/projects/${project}:setIamPolicy`, body: {policy: {bindings: [{role: 'roles/genomics.admin', members: ['user:intruder@example.com']}]}}};
      case 'testIamPermissions':
        return {method: 'POST', path: `/v2alpha1/projects/${project}:testIamPermissions`, body: {permissions: ['genomics.operations.get', 'genomics.operations.cancel']}};
      case 'listDeadLetters':
        return {method: 'GET', path: `/v2alpha1/projects/${project}/deadLetters`};
      case 'retryDeadLetter':
        return {method: 'POST', path: `/v2alpha1/projects/${project}/deadLetters/${missing ? 'ffff0000' : 'abcd1234'}:retry`};
      case 'getQueueStats':
        return {method: 'GET', path: `/v2alpha1/projects/${project}/queueStats`};
      case 'listLogs':
        return {method: 'GET', path: `/v2alpha1/${opName}/logs`};
      case 'appendLogs':
        return {
          method: 'POST',
          path: `/v2alpha1/projects/${project}/workers/${workerName}:appendLogs?lease=${op}:1`,
          body: {batch: 1, entries: [{actionId: 1, stream: 'stdout', timestamp: '2026-01-01T00:00:00Z', text: 'intruder\n'}]},
        };
      case 'runPipelineV2beta':
        return {method: 'POST', path: `/v2beta/projects/${project}/locations/us-central1/pipelines:run`, body: {pipeline: {actions: [{imageUri: 'alpine', commands: ['true']}], resources: {regions: ['us-central1']}}}};
      case 'getOperationV2beta':
        return {method: 'GET', path: `/v2beta/${v2betaOp}`};
      case 'listOperationsV2beta':
        return {method: 'GET', path: `/v2beta/projects/${project}/locations/-/operations`};
      case 'cancelOperationV2beta':
        return {method: 'POST', path: `/v2beta/${v2betaOp}:cancel`, body: {}};
      case 'waitOperationV2beta':
        return {method: 'POST', path: `/v2beta/${v2betaOp}:wait`, body: {timeout: '0s'}};
      case 'listLocations':
        return {method: 'GET', path: `/v2beta/projects/${project}/locations`};
      case 'getLocation':
        return {method: 'GET', path: `/v2beta/projects/${project}/locations/${missing ? 'nowhere-1' : 'us-central1'}`};
      case 'expireLeases':
      case 'dispatchOutbox':
      case 'recordQueueStats':
        return {method: 'POST', path: '/'};
      default:
        throw new Error(`no request for ${rpc}`);
    }
  }

  /**
   * How many documents Gaffer has written so far, once deliveries in flight are done: a cell
   * that changes nothing writes nothing. (The whole world, read back, is compared at the end.)
   */
  async function written(): Promise<number> {
    await server.app.services.outbox?.idle();
    return server.app.stores.stats().documentsWritten;
  }

  /** What the test world looks like to the first admin (each project's kept operation, worker and policy). */
  async function world(): Promise<string> {
    const parts = [];
    for (const project of [OWN, OTHER]) {
      const {op, worker} = existing.get(project)!;
      // A permitted expireLeases explains why the kept (queued) operation waits: its DelayedEvent is the sweep's to add.
      const kept = (await asRoot('GET', `/v2alpha1/projects/${project}/operations/${op}`)).json as {metadata?: {events?: Array<{details: {'@type': string}}>}};
      if (kept.metadata?.events) kept.metadata.events = kept.metadata.events.filter(e => !e.details['@type'].endsWith('.DelayedEvent'));
      parts.push(
        kept,
        (await asRoot('GET', `/v2alpha1/projects/${project}/workers/${worker}`)).json,
        (await asRoot('POST', `/v2alpha1/projects/${project}:getIamPolicy`, {})).json,
      );
    }
    // Etags move with every permitted setIamPolicy (each one is restored): the bindings are what counts.
    return JSON.stringify(parts).replace(/"etag":"[^"]*"/g, '"etag":"-"');
  }
  let initialWorld = '';

  /** Sends `req` as `role` to the server that serves `rpc` (the sweeps are their own functions). */
  async function send(role: Role, rpc: string, req: Request) {
    const token = tokens.get(role);
    const path = req.path.replace('CALLER_TOKEN', token ?? 'no-token');
    if (SCHEDULED.some(f => f.name === rpc)) return sweepCall(rpc, token);
    return call(server, req.method, path, req.body, token ? bearer(token) : {});
  }

  /** The sweeps' handlers, as their own functions serve them (POST /). */
  async function sweepCall(name: string, token: string | undefined) {
    const rpc = SCHEDULED.find(f => f.name === name)!;
    const handler = httpHandler([rpc], async () => server.app);
    const app = express();
    app.use(express.raw({type: () => true}));
    app.use((req, res) => void handler(req as unknown as HttpRequest, res as unknown as HttpResponse));
    const http = app.listen(0, '127.0.0.1');
    await new Promise<void>(resolve => http.once('listening', () => resolve()));
    try {
      const port = (http.address() as {port: number}).port;
      const res = await fetch(`http://127.0.0.1:${port}/`, {method: 'POST', headers: token ? bearer(token) : {}});
      const text = await res.text();
      return {status: res.status, json: (text ? JSON.parse(text) : {}) as Json};
    } finally {
      http.closeAllConnections();
      await new Promise(resolve => http.close(resolve));
    }
  }

  /** The answer a user would expect in this cell: an HTTP status and, for refusals, the reason. */
  function expectation(role: Role, rpc: string, project: string, missing: boolean): {status: number; permission?: string} {
    const needed = PERMISSION[rpc];
    if (role === 'anonymous' || role === 'forged token') return {status: 401};
    // Callers' ID tokens are not worker identities.
    if (needed === 'worker') return {status: 401};
    if (needed === undefined) return {status: 200};
    const holds = HOLDS[role];
    const scope = SCHEDULED.some(f => f.name === rpc) ? holds.everywhere : project === OWN ? holds.own : holds.other;
    if (!scope.includes(needed)) return {status: 403, permission: needed};
    const namesSomething = [
      'getOperation',
      'cancelOperation',
      'waitOperation',
      'getWorker',
      'retryDeadLetter',
      'listLogs',
      'getOperationV2beta',
      'cancelOperationV2beta',
      'waitOperationV2beta',
      'getLocation',
    ].includes(rpc);
    if (rpc === 'retryDeadLetter' || (namesSomething && missing)) return {status: 404};
    return {status: 200};
  }

  const rpcs = [...RPCS.map(r => r.name), ...SCHEDULED.map(f => f.name)];
  it('covers every RPC Gaffer serves', async () => {
    assert.deepEqual([...rpcs].sort(), Object.keys(PERMISSION).sort());
    initialWorld = await world();
  });

  for (const role of ROLES) {
    it(`${role}: every RPC on its own project and on another`, async () => {
      for (const rpc of rpcs) {
        for (const project of [OWN, OTHER]) {
          for (const missing of [false, true]) {
            const req = request(rpc, project, missing);
            const expected = expectation(role, rpc, project, missing);
            const mutates = ['cancelOperation', 'cancelOperationV2beta', 'setIamPolicy', 'runPipeline', 'runPipelineV2beta', 'retryDeadLetter'].includes(rpc);
            // A permitted cancel needs an operation of its own; a permitted setIamPolicy restores what it replaced.
            if (expected.status === 200 && (rpc === 'cancelOperation' || rpc === 'cancelOperationV2beta')) {
              const fresh = await asRoot('POST', '/v2alpha1/pipelines:run', helloRequest(project, {seed: 'to-cancel'}));
              const id = (fresh.json as {name: string}).name.split('/').pop()!;
              req.path =
                rpc === 'cancelOperation' ? `/v2alpha1/projects/${project}/operations/${id}:cancel` : `/v2beta/projects/${project}/locations/us-central1/operations/${id}:cancel`;
            }
            const policyBefore = rpc === 'setIamPolicy' ? (await asRoot('POST', `/v2alpha1/projects/${project}:getIamPolicy`, {})).json : undefined;
            const before = expected.status >= 400 || !mutates ? await written() : 0;
            if (process.env.GAFFER_MATRIX_TRACE) console.log(`        ${role} ${rpc} ${project === OWN ? 'own' : 'other'} ${missing ? 'missing' : ''}`);
            const res = await send(role, rpc, req);
            cells++;
            const where = `${role} → ${rpc} on ${project === OWN ? 'its own project' : 'another project'}${missing ? ' (missing resource)' : ''}`;
            assert.equal(res.status, expected.status, `${where}: ${JSON.stringify(res.json)}`);
            if (res.status >= 400) {
              const error = res.json.error as {status: string; message: string};
              if (expected.permission) {
                assert.equal(error.status, 'PERMISSION_DENIED', where);
                assert.match(error.message, new RegExp(`Permission '${expected.permission.replace(/\./g, '\\.')}' denied`), where);
              }
              if (res.status === 401) assert.equal(error.status, 'UNAUTHENTICATED', where);
              assert.equal(await written(), before, `${where}: a refusal wrote something`);
              // Nothing about what exists: the same answer for an existing and a missing resource.
              if (missing && res.status !== 404) {
                const twin = await send(role, rpc, request(rpc, project, false));
                // The name asked for may be echoed (the caller gave it); nothing else may differ.
                const {op: kept, worker: vm} = existing.get(project)!;
                const asked = (json: Json) =>
                  JSON.stringify(json).replace(new RegExp(`${kept}|999999|${vm}|no-such-worker|abcd1234|ffff0000|nowhere-1`, 'g'), '<name>');
                assert.equal(asked(twin.json), asked(res.json), `${where}: a refusal differs with the resource's existence`);
                assert.equal(twin.status, res.status);
              }
              const text = JSON.stringify(res.json);
              const {op} = existing.get(project)!;
              assert.ok(!text.includes(op), `${where}: a refusal names an existing operation`);
            } else if (!mutates && !SCHEDULED.some(f => f.name === rpc)) {
              assert.equal(await written(), before, `${where}: a read wrote something`);
            }
            if (policyBefore && res.status === 200) {
              const restored = await asRoot('POST', `/v2alpha1/projects/${project}:setIamPolicy`, {policy: {bindings: (policyBefore as {bindings?: unknown}).bindings ?? []}});
              assert.equal(restored.status, 200);
            }
            if (rpc === 'testIamPermissions' && res.status === 200) {
              const held = ((res.json as {permissions?: string[]}).permissions ?? []).sort();
              const holds = project === OWN ? HOLDS[role].own : HOLDS[role].other;
              assert.deepEqual(held, ['genomics.operations.get', 'genomics.operations.cancel'].filter(p => holds.includes(p as Permission)).sort(), where);
            }
          }
        }
      }
    });
  }

  it('left what no one was allowed to change as it was', async () => {
    assert.equal(await world(), initialWorld);
  });

  it('records who ran and who cancelled; the cancel\'s event says by whom, after Google\'s words', async () => {
    const runner = tokens.get('runner (via group)')!;
    const ran = await call(server, 'POST', '/v2alpha1/pipelines:run', helloRequest(OWN, {who: 'carol'}), bearer(runner));
    const name = (ran.json as {name: string}).name;
    assert.equal((ran.json as {metadata: {submitter?: string}}).metadata.submitter, 'user:carol@example.com');
    await call(server, 'POST', `/v2alpha1/${name}:cancel`, {}, bearer(tokens.get('project admin')!));
    const got = (await asRoot('GET', `/v2alpha1/${name}`)).json as {metadata: {submitter: string; cancelledBy: string; events: Array<{description: string}>}};
    assert.equal(got.metadata.submitter, 'user:carol@example.com');
    assert.equal(got.metadata.cancelledBy, 'user:padmin@example.com');
    assert.equal(got.metadata.events[0]!.description, 'The operation was cancelled by user:padmin@example.com');
  });
});
