/**
 * Development mode trusts loopback peers only, by the socket's peer address and never a
 * header, in every entry point. The test gives its own loopback interface a non-loopback
 * address (198.18.0.0/15, the benchmarking range; removed afterwards; root only) and calls
 * from it: `npm start`'s server (bound to 127.0.0.1: reached from 198.18.x as its source),
 * the functions framework's `gaffer` target and every RPC's own target (which listen on
 * every interface: reached at 198.18.x). With no issuer configured every RPC, workers'
 * included, is 401 and changes nothing, whatever X-Forwarded-For says; the same requests
 * from 127.0.0.1 are served.
 */
import {strict as assert} from 'assert';
import {execFileSync} from 'child_process';
import {RPCS} from '../../functions/rpcs';
import {dispatchOutbox} from '../../functions/dispatchOutbox';
import {expireLeases} from '../../functions/expireLeases';
import type {AnyRpc} from '../../src/http/rpc';
import {LocalServer} from '../../src/server';
import {serveTarget} from '../helpers/framework';
import {call, helloRequest, randomProject, startGaffer} from '../helpers/gaffer';
import {RawRequest, rawRequest} from '../helpers/rawHttp';

const ADDRESS = '198.18.0.77';

function addAddress(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: cannot add an address to lo';
  try {
    execFileSync('ip', ['addr', 'add', `${ADDRESS}/32`, 'dev', 'lo'], {stdio: 'pipe'});
    return undefined;
  } catch (err) {
    return `ip addr add failed: ${(err as Error).message}`;
  }
}

function removeAddress(): void {
  execFileSync('ip', ['addr', 'del', `${ADDRESS}/32`, 'dev', 'lo'], {stdio: 'pipe'});
}

/** A request each RPC would serve from a loopback peer (a queued operation `op` of `project` exists). */
function requestFor(rpc: AnyRpc, project: string, op: string): RawRequest {
  const path = rpc.path
    .replace('{project}', project)
    .replace('{projectId}', project)
    .replace('{operation}', op)
    .replace('{worker}', 'remote-worker')
    .replace('{location}', 'us-central1')
    .replace('{deadLetter}', 'abcd')
    .replace('{token}', 'a.b.c');
  const bodies: Record<string, unknown> = {
    runPipeline: helloRequest(project, {from: 'remote'}),
    workerMessages: {workerMessages: [{labels: {WORKER_ID: 'remote-worker'}, workerShutdownNotice: {reason: 'PREEMPTION'}}]},
    locationsWorkerMessages: {workerMessages: [{labels: {WORKER_ID: 'remote-worker'}, workerShutdownNotice: {reason: 'PREEMPTION'}}]},
    waitOperation: {timeout: '0s'},
    setIamPolicy: {policy: {bindings: [{role: 'roles/genomics.admin', members: ['user:mallory@example.com']}]}},
    testIamPermissions: {permissions: ['genomics.operations.get']},
    checkIn: {result: {code: 0}},
  };
  const query = rpc.name === 'listWorkerSamples' ? '?kind=health' : '';
  const body = rpc.method === 'POST' ? JSON.stringify(bodies[rpc.name] ?? {}) : undefined;
  return {method: rpc.method, target: `${path}${query}`, ...(body ? {body, headers: {'Content-Type': 'application/json'}} : {})};
}

describe('development mode: loopback peers only, by socket address', function () {
  this.timeout(120_000);
  let missing: string | undefined;
  let server: LocalServer;
  const project = randomProject('remote');
  let op = '';

  before(async function () {
    missing = addAddress();
    if (missing) {
      console.log(`      skipping: ${missing}`);
      this.skip();
    }
    server = await startGaffer();
    const ran = await call(server, 'POST', '/v2alpha1/pipelines:run', helloRequest(project, {canary: 'yes'}));
    op = (ran.json as {name: string}).name.split('/').pop()!;
  });
  after(async () => {
    if (!missing) removeAddress();
    await server?.close();
  });

  /** The canary operation is still queued and untouched, and no remote worker exists. */
  async function assertUntouched(): Promise<void> {
    const got = await call(server, 'GET', `/v2alpha1/projects/${project}/operations/${op}`);
    assert.equal((got.json as {done: boolean}).done, false);
    assert.deepEqual((got.json as {metadata: {events: unknown[]}}).metadata.events, []);
    assert.equal((await server.app.stores.workers.read(project, 'remote-worker')).value, undefined);
    const listed = await call(server, 'GET', `/v2alpha1/projects/${project}/operations`);
    assert.equal((listed.json as {operations: unknown[]}).operations.length, 1, 'nothing was run');
    const policy = await call(server, 'POST', `/v2alpha1/projects/${project}:getIamPolicy`, {});
    assert.equal((policy.json as {bindings?: unknown}).bindings, undefined, 'no policy was set');
  }

  async function refusesEveryRpc(name: string, host: string, port: number, rpcs: readonly AnyRpc[]): Promise<number> {
    let n = 0;
    for (const rpc of rpcs) {
      const claims: Array<Record<string, string>> = [{}, {'X-Forwarded-For': '127.0.0.1', Forwarded: 'for=127.0.0.1', 'X-Real-IP': '127.0.0.1'}];
      for (const headers of claims) {
        const req = requestFor(rpc, project, op);
        const res = await rawRequest(host, port, {...req, headers: {...req.headers, ...headers}, localAddress: ADDRESS});
        n++;
        const what = `${name}: ${rpc.name} from ${ADDRESS}${Object.keys(headers).length ? ' claiming 127.0.0.1 in headers' : ''}`;
        assert.equal(res.status, 401, `${what}: ${res.text.slice(0, 300)}`);
        const error = res.json?.error as {status?: string; message?: string; details?: Array<{reason?: string}>} | undefined;
        assert.equal(error?.status, 'UNAUTHENTICATED', what);
        // Refused for where it came from (the token form names no worker: no issuer is trusted to say who it is).
        if (rpc.name !== 'checkInByToken') {
          assert.equal(error?.details?.[0]?.reason, 'DEVELOPMENT_MODE_LOOPBACK_ONLY', what);
          assert.ok(error?.message?.includes(ADDRESS), `${what}: ${error?.message}`);
        }
      }
    }
    await assertUntouched();
    return n;
  }

  it('npm start (bound to 127.0.0.1), reached from a non-loopback source address', async () => {
    const port = Number(new URL(server.url).port);
    const refused = await refusesEveryRpc('npm start', '127.0.0.1', port, RPCS);
    assert.equal(refused, RPCS.length * 2);
    // Control: from 127.0.0.1 the same server serves.
    const res = await rawRequest('127.0.0.1', port, {method: 'GET', target: `/v2alpha1/projects/${project}/operations/${op}`});
    assert.equal(res.status, 200);
  });

  it('the functions framework\'s gaffer target, listening on every interface', async () => {
    const gaffer = await serveTarget('gaffer');
    try {
      await refusesEveryRpc('gaffer target', ADDRESS, gaffer.port, RPCS);
      const res = await rawRequest('127.0.0.1', gaffer.port, {method: 'GET', target: `/v2alpha1/projects/${project}/operations/${op}`});
      assert.equal(res.status, 200, res.text);
    } finally {
      gaffer.stop();
    }
  });

  it('each RPC\'s own functions-framework target, and the sweeps\'', async () => {
    for (const rpc of [...RPCS, expireLeases, dispatchOutbox]) {
      const target = await serveTarget(rpc.name);
      try {
        await refusesEveryRpc(`${rpc.name} target`, ADDRESS, target.port, [rpc]);
      } finally {
        target.stop();
      }
    }
  });
});
