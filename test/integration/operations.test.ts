/**
 * The operations API end to end over HTTP, against the real Firestore emulator:
 * run, get, list (filters, paging), cancel, wait, and error handling.
 */
import {strict as assert} from 'assert';
import {LocalServer} from '../../src/server';
import {call, helloRequest, randomProject, startGaffer} from '../helpers/gaffer';
import {applyTransition} from '../helpers/stores';
import {until} from '../helpers/until';

type Json = Record<string, unknown>;
type OperationJson = {name: string; done: boolean; metadata: Json & {events: Json[]; labels: Json}; error?: Json; response?: Json};

async function run(server: LocalServer, project: string, labels?: Record<string, string>): Promise<OperationJson> {
  const res = await call(server, 'POST', '/v2alpha1/pipelines:run', helloRequest(project, labels));
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json as unknown as OperationJson;
}

function idOf(name: string): string {
  return name.split('/').pop()!;
}

async function list(server: LocalServer, project: string, params: Record<string, string> = {}) {
  const query = new URLSearchParams(params).toString();
  return call(server, 'GET', `/v2alpha1/projects/${project}/operations${query ? `?${query}` : ''}`);
}

async function listAll(server: LocalServer, project: string, params: Record<string, string> = {}): Promise<string[]> {
  const names: string[] = [];
  let pageToken = '';
  for (let page = 0; page < 1000; page++) {
    const res = await list(server, project, {...params, ...(pageToken ? {pageToken} : {})});
    assert.equal(res.status, 200, JSON.stringify(res.json));
    names.push(...(res.json.operations as OperationJson[]).map(op => op.name));
    pageToken = (res.json.nextPageToken as string | undefined) ?? '';
    if (!pageToken) return names;
  }
  throw new Error('too many pages');
}

/** Marks an operation RUNNING as a worker's check-in would (the check-in RPC comes later). */
async function markRunning(server: LocalServer, project: string, id: string): Promise<void> {
  await applyTransition(server.app.stores, project, id, op => ({next: {...op, state: 'RUNNING', startTime: new Date()}, newEvents: []}));
}

describe('operations API', function () {
  let server: LocalServer;
  before(async () => {
    server = await startGaffer();
  });
  after(async () => {
    await server.close();
  });

  describe('pipelines.run and operations.get', () => {
    it('returns a queued operation with v2alpha1 Metadata, and get returns the same', async () => {
      const project = randomProject();
      const op = await run(server, project, {team: 'genomics'});
      assert.match(op.name, new RegExp(`^projects/${project}/operations/\\d+$`));
      assert.equal(op.done, false);
      assert.equal(op.metadata['@type'], 'type.googleapis.com/google.genomics.v2alpha1.Metadata');
      assert.deepEqual(op.metadata.labels, {team: 'genomics'});
      assert.deepEqual(op.metadata.events, []);
      assert.ok(!Number.isNaN(Date.parse(op.metadata.createTime as string)));
      assert.equal(op.error, undefined);
      assert.equal(op.response, undefined);
      assert.deepEqual((op.metadata.pipeline as Json).actions, [{imageUri: 'alpine', commands: ['echo', 'hello']}]);

      const got = await call(server, 'GET', `/v2alpha1/${op.name}`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.json, op);
    });

    it('gives random, distinct ids', async () => {
      const project = randomProject();
      const ids = await Promise.all(Array.from({length: 20}, () => run(server, project).then(op => idOf(op.name))));
      assert.equal(new Set(ids).size, 20);
      const sorted = [...ids].sort();
      assert.notDeepEqual(ids, sorted, 'ids should not come out in creation order');
    });

    it('shows an operation only under its own project', async () => {
      const op = await run(server, randomProject());
      const other = randomProject();
      const res = await call(server, 'GET', `/v2alpha1/projects/${other}/operations/${idOf(op.name)}`);
      assert.equal(res.status, 404);
      assert.equal((res.json.error as Json).status, 'NOT_FOUND');
      const listed = await list(server, other);
      assert.deepEqual(listed.json.operations, []);
    });

    it('returns events newest first and keeps thousands of them', async () => {
      const project = randomProject();
      const op = await run(server, project);
      const id = idOf(op.name);
      const total = 1200;
      for (let start = 0; start < total; start += 400) {
        await applyTransition(server.app.stores, project, id, current => ({
          next: current,
          newEvents: Array.from({length: 400}, (_, i) => ({
            timestamp: new Date(Date.UTC(2026, 0, 1) + (start + i) * 1000),
            description: `event ${start + i}`,
            details: {'@type': 'type.googleapis.com/google.genomics.v2alpha1.DelayedEvent', cause: `step ${start + i}`},
          })),
        }));
      }
      const got = await call(server, 'GET', `/v2alpha1/${op.name}`);
      const events = (got.json as unknown as OperationJson).metadata.events;
      assert.equal(events.length, total);
      assert.equal(events[0]!.description, `event ${total - 1}`);
      assert.equal(events[total - 1]!.description, 'event 0');
      const listed = await list(server, project);
      const listedEvents = (listed.json.operations as OperationJson[])[0]!.metadata.events;
      assert.equal(listedEvents.length, 50, 'list carries only the newest events inline');
      assert.equal(listedEvents[0]!.description, `event ${total - 1}`);
    });
  });

  describe('bad input', () => {
    async function countIn(project: string): Promise<number> {
      return (await listAll(server, project)).length;
    }

    const cases: Array<[string, (project: string) => unknown, RegExp]> = [
      ['a missing pipeline', () => ({}), /pipeline is required/],
      ['an unknown field', p => ({...helloRequest(p), colour: 'red'}), /Unknown name "colour"/],
      ['an unknown field in an action', p => {
        const body = helloRequest(p) as {pipeline: {actions: Json[]}};
        body.pipeline.actions[0]!.image = 'x';
        return body;
      }, /Unknown name "image" at 'pipeline.actions\[0\]'/],
      ['a wrong type', p => {
        const body = helloRequest(p) as {pipeline: {actions: Json[]}};
        body.pipeline.actions[0]!.commands = 'echo';
        return body;
      }, /pipeline.actions\[0\].commands must be array/],
      ['a VM label key with capitals (Compute Engine\'s rules)', p => {
        const body = helloRequest(p) as {pipeline: {resources: Json}};
        body.pipeline.resources.virtualMachine = {machineType: 'n1-standard-1', labels: {Team: 'x'}};
        return body;
      }, /virtualMachine.labels/],
      ['a label too long for an index entry', p => helloRequest(p, {k: 'é'.repeat(1000)}), /labels\["k"\] must be a label whose key and value together take at most/],
      ['a bad timeout', p => {
        const body = helloRequest(p) as {pipeline: Json};
        body.pipeline.timeout = '10m';
        return body;
      }, /pipeline.timeout/],
      ['malformed JSON', () => '{"pipeline": ', /Invalid JSON payload/],
      ['a body that is not an object', () => '[1,2]', /must be object/],
    ];
    for (const [what, body, message] of cases) {
      it(`refuses ${what} with INVALID_ARGUMENT and stores nothing`, async () => {
        const project = randomProject();
        const res = await call(server, 'POST', '/v2alpha1/pipelines:run', body(project));
        assert.equal(res.status, 400, JSON.stringify(res.json));
        const error = res.json.error as {status: string; message: string; details: Json[]};
        assert.equal(error.status, 'INVALID_ARGUMENT');
        assert.match(error.message, message);
        assert.equal(error.details[0]!['@type'], 'type.googleapis.com/google.rpc.ErrorInfo');
        assert.equal(await countIn(project), 0);
      });
    }

    it('refuses a body over the size limit', async () => {
      const project = randomProject();
      const body = helloRequest(project) as {pipeline: {actions: Json[]}};
      body.pipeline.actions[0]!.commands = Array.from({length: 200}, () => 'x'.repeat(2000));
      const res = await call(server, 'POST', '/v2alpha1/pipelines:run', body);
      assert.equal(res.status, 400);
      assert.match((res.json.error as Json).message as string, /payload size exceeds the limit: 262144 bytes/);
      assert.equal(await countIn(project), 0);
    });

    it('answers unknown paths, wrong methods and malformed names with google.rpc errors', async () => {
      const unknown = await call(server, 'GET', '/v2alpha1/nothing/here');
      assert.equal(unknown.status, 404);
      assert.equal((unknown.json.error as Json).status, 'NOT_FOUND');
      const wrongMethod = await call(server, 'GET', '/v2alpha1/pipelines:run');
      assert.equal(wrongMethod.status, 404);
      assert.match((wrongMethod.json.error as Json).message as string, /use POST/);
      const badProject = await call(server, 'GET', '/v2alpha1/projects/Not_A_Project/operations/1');
      assert.equal(badProject.status, 400);
      assert.equal((badProject.json.error as Json).status, 'INVALID_ARGUMENT');
      const badId = await call(server, 'GET', `/v2alpha1/projects/${randomProject()}/operations/a.b`);
      assert.equal(badId.status, 400);
      const missing = await call(server, 'GET', `/v2alpha1/projects/${randomProject()}/operations/123`);
      assert.equal(missing.status, 404);
    });

    it('honours the fields parameter (partial response) and refuses a malformed one', async () => {
      const project = randomProject();
      const op = await run(server, project, {team: 'x'});
      const partial = await call(server, 'GET', `/v2alpha1/${op.name}?fields=name,metadata/labels`);
      assert.deepEqual(partial.json, {name: op.name, metadata: {labels: {team: 'x'}}});
      const page = await call(server, 'GET', `/v2alpha1/projects/${project}/operations?fields=operations(name,done)`);
      assert.deepEqual(page.json, {operations: [{name: op.name, done: false}]});
      const bad = await call(server, 'POST', `/v2alpha1/${op.name}:cancel?fields=done(`, {});
      assert.equal(bad.status, 400);
      assert.equal(((await call(server, 'GET', `/v2alpha1/${op.name}`)).json as unknown as OperationJson).done, false, 'a refused request changes nothing');
    });

    it('refuses unknown query parameters and honours $.xgafv', async () => {
      const project = randomProject();
      const unknown = await call(server, 'GET', `/v2alpha1/projects/${project}/operations?colour=red`);
      assert.equal(unknown.status, 400);
      assert.match((unknown.json.error as Json).message as string, /Unknown name "colour"/);
      const v2 = await call(server, 'GET', `/v2alpha1/projects/${project}/operations/1`);
      assert.equal((v2.json.error as Json).errors, undefined);
      const v1 = await call(server, 'GET', `/v2alpha1/projects/${project}/operations/1?$.xgafv=1`);
      assert.equal(v1.status, 404);
      assert.deepEqual((v1.json.error as Json).errors, [
        {message: (v1.json.error as Json).message, domain: 'global', reason: 'notFound'},
      ]);
      const bad = await call(server, 'GET', `/v2alpha1/projects/${project}/operations?$.xgafv=3`);
      assert.equal(bad.status, 400);
    });
  });

  describe('operations.list paging', () => {
    it('pages newest first through every operation exactly once', async () => {
      const project = randomProject();
      const created: string[] = [];
      for (let i = 0; i < 23; i++) created.push((await run(server, project)).name);
      const names = await listAll(server, project, {pageSize: '5'});
      assert.deepEqual(names, [...created].reverse());
    });

    it('defaults and caps pageSize at 256 and refuses a negative one', async () => {
      const project = randomProject();
      const negative = await list(server, project, {pageSize: '-1'});
      assert.equal(negative.status, 400);
      assert.match((negative.json.error as Json).message as string, /pageSize/);
      const notNumber = await list(server, project, {pageSize: 'ten'});
      assert.equal(notNumber.status, 400);
      await Promise.all(Array.from({length: 260}, () => run(server, project)));
      for (const pageSize of [undefined, '0', '1000']) {
        const res = await list(server, project, pageSize === undefined ? {} : {pageSize});
        assert.equal((res.json.operations as unknown[]).length, 256);
        assert.ok(res.json.nextPageToken);
      }
    });

    it('neither repeats nor skips while new operations are being created', async () => {
      const project = randomProject();
      const existing = new Set<string>();
      for (let i = 0; i < 30; i++) existing.add((await run(server, project)).name);
      const seen: string[] = [];
      let pageToken = '';
      do {
        const res = await list(server, project, {pageSize: '4', ...(pageToken ? {pageToken} : {})});
        seen.push(...(res.json.operations as OperationJson[]).map(op => op.name));
        pageToken = (res.json.nextPageToken as string | undefined) ?? '';
        await Promise.all([run(server, project), run(server, project)]);
      } while (pageToken);
      assert.equal(new Set(seen).size, seen.length, 'an operation was repeated');
      for (const name of existing) assert.ok(seen.includes(name), `${name} was skipped`);
    });

    it('refuses a forged token, a tampered one, and one from another filter', async () => {
      const project = randomProject();
      for (let i = 0; i < 3; i++) await run(server, project, {n: String(i % 2)});
      const first = await list(server, project, {pageSize: '1', filter: 'done = false'});
      const token = first.json.nextPageToken as string;
      assert.ok(token);
      assert.ok(!Buffer.from(token, 'base64url').toString('utf8').includes(project), 'token is readable');
      const forged = Buffer.from(JSON.stringify({t: 0, i: '1'})).toString('base64url');
      const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
      for (const [params, reason] of [
        [{pageToken: forged, filter: 'done = false'}, /not a token this service issued/],
        [{pageToken: tampered, filter: 'done = false'}, /not a token this service issued/],
        [{pageToken: token, filter: 'labels.n = "1"'}, /different filter/],
        [{pageToken: token}, /different filter/],
      ] as const) {
        const res = await list(server, project, {...params, pageSize: '1'});
        assert.equal(res.status, 400, JSON.stringify(res.json));
        assert.match((res.json.error as Json).message as string, reason);
      }
      const otherProject = await list(server, randomProject(), {pageToken: token, filter: 'done = false'});
      assert.equal(otherProject.status, 400);
      const next = await list(server, project, {pageSize: '1', filter: 'done = false', pageToken: token});
      assert.equal(next.status, 200);
    });

    it('reads about one page of documents, whatever the size of the project', async () => {
      const small = randomProject();
      const large = randomProject();
      await Promise.all(Array.from({length: 30}, () => run(server, small)));
      for (let i = 0; i < 6; i++) await Promise.all(Array.from({length: 100}, () => run(server, large)));
      const readsFor = async (project: string, filter?: string) => {
        const before = server.app.stores.stats().documentsRead;
        await list(server, project, {pageSize: '10', ...(filter ? {filter} : {})});
        const firstPage = server.app.stores.stats().documentsRead - before;
        return firstPage;
      };
      // The page token secret is read once per process; warm it up first.
      await list(server, small, {pageSize: '1'});
      for (const filter of [undefined, 'done = false', 'done = false AND labels.x:*']) {
        const smallReads = await readsFor(small, filter);
        const largeReads = await readsFor(large, filter);
        assert.ok(smallReads <= 11, `${filter}: ${smallReads} reads for a page of 10`);
        assert.ok(largeReads <= 11, `${filter}: ${largeReads} reads for a page of 10 in 600 operations`);
      }
    });
  });

  describe('operations.list filters', () => {
    let project: string;
    const ops: Record<string, OperationJson> = {};
    let middle: string;
    before(async () => {
      project = randomProject();
      ops.red = await run(server, project, {color: 'red', size: 'big'});
      ops.blue = await run(server, project, {color: 'blue'});
      await new Promise(r => setTimeout(r, 20));
      middle = new Date().toISOString();
      await new Promise(r => setTimeout(r, 20));
      ops.plain = await run(server, project);
      ops.running = await run(server, project, {color: 'red'});
      ops.cancelled = await run(server, project, {color: 'green'});
      await markRunning(server, project, idOf(ops.running.name));
      await call(server, 'POST', `/v2alpha1/${ops.cancelled.name}:cancel`, {});
    });

    async function names(filter: string): Promise<string[]> {
      const res = await list(server, project, {filter});
      assert.equal(res.status, 200, `${filter}: ${JSON.stringify(res.json)}`);
      return (res.json.operations as OperationJson[]).map(op => op.name).sort();
    }
    const expect = (...keys: string[]) => keys.map(k => ops[k]!.name).sort();

    const cases: Array<[string, string[]]> = [
      ['', ['red', 'blue', 'plain', 'running', 'cancelled']],
      ['done = true', ['cancelled']],
      ['done = false', ['red', 'blue', 'plain', 'running']],
      ['status = RUNNING', ['running']],
      ['status = QUEUED', ['red', 'blue', 'plain']],
      ['status = CANCELED', ['cancelled']],
      ['error = 1', ['cancelled']],
      ['error = CANCELLED', ['cancelled']],
      ['error != 1', []],
      ['error > 0', ['cancelled']],
      ['labels.color = red', ['red', 'running']],
      ['labels.color != red AND done = false', ['blue', 'plain']],
      ['labels."color" = blue', ['blue']],
      ['labels.color = *', ['red', 'blue', 'running', 'cancelled']],
      ['labels.size:*', ['red']],
      ['labels.color = red AND labels.size = big', ['red']],
      ['labels.color = red OR labels.color = blue', ['red', 'blue', 'running']],
      ['done = false AND labels.color = red OR labels.color = green', ['red', 'running']],
      ['(done = false AND labels.color = red) OR labels.color = green', ['red', 'running', 'cancelled']],
      ['NOT done = true', ['red', 'blue', 'plain', 'running']],
      ['-labels.color = red AND done = false', ['blue', 'plain']],
      ['events:FailedEvent', ['cancelled']],
      [`projectId = ${'x'}`, []],
      ['status = QUEUED AND labels.color:*', ['red', 'blue']],
      // No index serves these alone: read in createTime order, each document checked.
      ['NOT labels.color = red', ['blue', 'plain', 'cancelled']],
      ['labels.color != red', ['blue', 'plain', 'cancelled']],
      ['-events:FailedEvent', ['red', 'blue', 'plain', 'running']],
    ];
    for (const [filter, keys] of cases) {
      it(`filter ${JSON.stringify(filter)}`, async () => {
        assert.deepEqual(await names(filter), expect(...keys));
      });
    }

    it('filters on createTime as RFC 3339 and as seconds since the epoch', async () => {
      assert.deepEqual(await names(`createTime >= "${middle}"`), expect('plain', 'running', 'cancelled'));
      assert.deepEqual(await names(`createTime < ${middle}`), expect('red', 'blue'));
      const seconds = Math.floor(Date.parse(middle) / 1000) - 3600;
      assert.deepEqual(await names(`createTime >= ${seconds} AND createTime <= ${seconds + 7200}`), expect('red', 'blue', 'plain', 'running', 'cancelled'));
      assert.deepEqual(await names(`projectId = ${project} AND createTime >= ${middle} AND status = RUNNING`), expect('running'));
    });

    it('refuses filters it cannot serve, saying why', async () => {
      for (const [filter, message] of [
        ['colour = red', /colour/],
        ['done = maybe', /done/],
        ['labels.color = ', /./],
        ['events:NoSuchEvent', /NoSuchEvent/],
        ['(done = true', /\)/],
      ] as const) {
        const res = await list(server, project, {filter});
        assert.equal(res.status, 400, `${filter}: ${JSON.stringify(res.json)}`);
        assert.match((res.json.error as Json).message as string, message);
      }
    });
  });

  describe('operations.cancel', () => {
    it('ends a queued operation at once with CANCELLED and an event', async () => {
      const project = randomProject();
      const op = await run(server, project);
      const res = await call(server, 'POST', `/v2alpha1/${op.name}:cancel`, {});
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {});
      const got = (await call(server, 'GET', `/v2alpha1/${op.name}`)).json as unknown as OperationJson;
      assert.equal(got.done, true);
      assert.deepEqual(got.error, {code: 1, message: 'The operation was cancelled'});
      assert.equal(got.response, undefined);
      assert.ok(got.metadata.endTime);
      assert.equal(got.metadata.events.length, 1);
      assert.equal((got.metadata.events[0]!.details as Json)['@type'], 'type.googleapis.com/google.genomics.v2alpha1.FailedEvent');
      assert.equal((got.metadata.events[0]!.details as Json).code, 'CANCELLED');
    });

    it('refuses to cancel a done operation and changes nothing', async () => {
      const project = randomProject();
      const op = await run(server, project);
      await call(server, 'POST', `/v2alpha1/${op.name}:cancel`, {});
      const before = (await call(server, 'GET', `/v2alpha1/${op.name}`)).json;
      const again = await call(server, 'POST', `/v2alpha1/${op.name}:cancel`, {});
      assert.equal(again.status, 400);
      assert.equal((again.json.error as Json).status, 'FAILED_PRECONDITION');
      assert.match((again.json.error as Json).message as string, /already done/);
      assert.deepEqual((await call(server, 'GET', `/v2alpha1/${op.name}`)).json, before);
    });

    it('marks a running operation for cancellation without ending it', async () => {
      const project = randomProject();
      const op = await run(server, project);
      await markRunning(server, project, idOf(op.name));
      for (let i = 0; i < 2; i++) {
        const res = await call(server, 'POST', `/v2alpha1/${op.name}:cancel`, {});
        assert.equal(res.status, 200);
      }
      const got = (await call(server, 'GET', `/v2alpha1/${op.name}`)).json as unknown as OperationJson;
      assert.equal(got.done, false);
      const stored = await server.app.stores.operations.get(project, idOf(op.name));
      assert.equal(stored?.cancelRequested, true);
      assert.equal(stored?.state, 'RUNNING');
    });

    it('refuses a body that names another operation, and unknown operations', async () => {
      const project = randomProject();
      const op = await run(server, project);
      const mismatch = await call(server, 'POST', `/v2alpha1/${op.name}:cancel`, {name: `projects/${project}/operations/1`});
      assert.equal(mismatch.status, 400);
      const missing = await call(server, 'POST', `/v2alpha1/projects/${project}/operations/42:cancel`, {});
      assert.equal(missing.status, 404);
      assert.equal(((await call(server, 'GET', `/v2alpha1/${op.name}`)).json as unknown as OperationJson).done, false);
    });
  });

  describe('operations.wait', () => {
    it('returns the latest state at the timeout', async () => {
      const op = await run(server, randomProject());
      const started = Date.now();
      const res = await call(server, 'POST', `/v2alpha1/${op.name}:wait`, {timeout: '0.5s'});
      assert.equal(res.status, 200);
      assert.equal((res.json as unknown as OperationJson).done, false);
      assert.ok(Date.now() - started >= 450);
      assert.equal(server.app.stores.stats().activeListeners, 0);
    });

    it('returns as soon as the operation is done', async () => {
      const op = await run(server, randomProject());
      const waiting = call(server, 'POST', `/v2alpha1/${op.name}:wait`, {timeout: '60s'});
      await until('the wait to listen', () => server.app.stores.stats().activeListeners > 0);
      const started = Date.now();
      await call(server, 'POST', `/v2alpha1/${op.name}:cancel`, {});
      const res = await waiting;
      assert.equal((res.json as unknown as OperationJson).done, true);
      assert.ok(Date.now() - started < 10_000, 'wait did not return promptly');
    });

    it('leaves no listener behind after hundreds of waits', async function () {
      this.timeout(120_000);
      const project = randomProject();
      const ops = await Promise.all(Array.from({length: 100}, () => run(server, project)));
      // Three waits per operation: two share a listener with the first.
      const waits = ops.flatMap(op => [1, 2, 3].map(() => call(server, 'POST', `/v2alpha1/${op.name}:wait`, {timeout: '60s'})));
      // One listener per operation, however many wait on it.
      await until('every operation to have its listener', () => server.app.stores.stats().activeListeners === 100);
      // Half end by cancellation, half by client disconnect or timeout.
      await Promise.all(ops.slice(0, 50).map(op => call(server, 'POST', `/v2alpha1/${op.name}:cancel`, {})));
      const shortWaits = ops.slice(50).map(op => call(server, 'POST', `/v2alpha1/${op.name}:wait`, {timeout: '0.2s'}));
      const aborted = ops.slice(50, 60).map(op => {
        const controller = new AbortController();
        const pending = fetch(`${server.url}/v2alpha1/${op.name}:wait`, {method: 'POST', body: '{"timeout":"60s"}', signal: controller.signal}).catch(() => undefined);
        setTimeout(() => controller.abort(), 200);
        return pending;
      });
      await Promise.all([...shortWaits, ...aborted]);
      const cancelledWaits = await Promise.all(waits.slice(0, 150));
      for (const res of cancelledWaits) assert.equal((res.json as unknown as OperationJson).done, true);
      await Promise.all(ops.slice(50).map(op => call(server, 'POST', `/v2alpha1/${op.name}:cancel`, {})));
      await Promise.all(waits);
      await until('every listener to be closed', () => server.app.stores.stats().activeListeners === 0);
    });

    it('refuses a malformed timeout', async () => {
      const op = await run(server, randomProject());
      const res = await call(server, 'POST', `/v2alpha1/${op.name}:wait`, {timeout: '30'});
      assert.equal(res.status, 400);
      assert.match((res.json.error as Json).message as string, /timeout/);
    });
  });
});
