/**
 * Authentication and validation of Dataflow v1b3 WorkerMessages against the real Firestore
 * emulator, on both paths (POST /v1b3/projects/{p}/locations/{l}/WorkerMessages and
 * POST /v1b3/projects/{p}/WorkerMessages). Gaffer trusts a GCE issuer and a Kubernetes
 * (OIDC) issuer whose keys this test makes, as in checkInAuth.test.ts. A worker's bearer
 * token must be of the path's project and every message must name the token's worker
 * (labels.WORKER_ID); every refused request must leave no trace: no worker document
 * created, an existing worker's document (and its update time) unchanged, no sample added.
 *
 * The App's verifier uses the real clock, so tokens are signed around Date.now().
 */
import {strict as assert} from 'assert';
import {call, randomProject} from '../helpers/gaffer';
import {assertRefused as assertRefusal, type ErrorJson} from '../helpers/refusals';
import {badTokens, gceClaims, k8sClaims, nowSeconds, sign, type BadToken} from '../helpers/tokens';
import {describeDevelopmentMode, trustingGaffer} from '../helpers/workerAuth';
import {ALL_SAMPLE_KINDS as ALL_KINDS} from '../helpers/workerSamples';

type Json = Record<string, unknown>;
/** Every Kubernetes worker belongs to this project (the issuer's fixed projectId). */
const K8S_PROJECT = randomProject('k8s');
const LOCATION = 'us-central1';

/** The two WorkerMessages paths. */
type Route = 'locations' | 'global';
const ROUTES: Route[] = ['locations', 'global'];
function messagesPath(route: Route, project: string, location = LOCATION): string {
  return route === 'locations'
    ? `/v1b3/projects/${project}/locations/${location}/WorkerMessages`
    : `/v1b3/projects/${project}/WorkerMessages`;
}

/** A message from `worker` (labels.WORKER_ID) with one report part. */
function msg(worker: string, part: Json, time = new Date().toISOString()): Json {
  return {labels: {WORKER_ID: worker, JOB_ID: 'projects/p/operations/1'}, time, ...part};
}
const health = (worker: string, report: Json = {vmIsHealthy: true, reportInterval: '30s'}, time?: string) =>
  msg(worker, {workerHealthReport: report}, time);

/** A refusal (see refusals.ts) carries no workerMessageResponses. */
function assertRefused(
  res: {status: number; json: Json},
  httpStatus: number,
  status: string,
  reason: string,
  token?: string,
): ErrorJson {
  return assertRefusal(res, httpStatus, status, reason, token, ['workerMessageResponses']);
}

/** The fields a 400 names, from its BadRequest detail. */
function violatedFields(error: ErrorJson): string[] {
  const bad = error.details.find(d => d['@type'] === 'type.googleapis.com/google.rpc.BadRequest');
  assert.ok(bad, `no BadRequest in ${JSON.stringify(error)}`);
  return bad.fieldViolations!.map(v => v.field);
}

describe('WorkerMessages authentication', function () {
  this.timeout(60_000);
  const auth = trustingGaffer('gaffer-worker-messages-auth-', K8S_PROJECT, {
    healthReportIntervalMs: 30_000,
    healthReportMinIntervalMs: 10_000,
    healthReportMaxIntervalMs: 120_000,
  });

  const send = (route: Route, project: string, body: Json, authorization?: string, location = LOCATION) =>
    call(auth.server, 'POST', messagesPath(route, project, location), body, authorization === undefined ? {} : {Authorization: authorization});
  const bearer = (token: string) => `Bearer ${token}`;
  const getWorker = (project: string, worker: string) => call(auth.server, 'GET', `/v2alpha1/projects/${project}/workers/${worker}`);

  /** Everything Gaffer keeps of one worker: its document (with its update time) and its samples of every kind. */
  async function footprint(project: string, worker: string): Promise<Json> {
    const read = await auth.server.app.stores.workers.read(project, worker);
    const samples: Json = {};
    for (const kind of ALL_KINDS) {
      samples[kind] = await auth.server.app.stores.samples.ofWorker({projectId: project, workerId: worker}, kind, 100);
    }
    return {doc: read.value, version: read.version, samples};
  }

  async function assertNoWorker(project: string, worker: string): Promise<void> {
    const got = await getWorker(project, worker);
    assert.equal(got.status, 404, `worker projects/${project}/workers/${worker} must not exist: ${JSON.stringify(got.json)}`);
    const left = await footprint(project, worker);
    assert.equal(left.doc, undefined);
    for (const kind of ALL_KINDS) assert.deepEqual((left.samples as Json)[kind], [], `no ${kind} sample for ${worker}`);
  }

  async function listedWorkers(project: string): Promise<string[]> {
    const res = await call(auth.server, 'GET', `/v2alpha1/projects/${project}/workers`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return (res.json.workers as Json[]).map(w => String(w.name).split('/').pop()!);
  }

  /** A worker that already reported once (with its own token), so a refusal can be shown to change nothing. */
  async function existingWorker(project: string, worker: string, token: string): Promise<Json> {
    const res = await send('locations', project, {location: LOCATION, workerMessages: [health(worker, {vmIsHealthy: true, msg: 'before'})]}, bearer(token));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const before = await footprint(project, worker);
    assert.ok(before.doc, 'the worker exists');
    assert.equal(((before.samples as Json).health as unknown[]).length, 1);
    return before;
  }

  describe('accepts a worker speaking for itself', () => {
    for (const route of ROUTES) {
      it(`${route} path: a GCE worker's own messages -> 200, answered in order and recorded`, async () => {
        const project = randomProject();
        const worker = `gce-vm-${route}`;
        const token = await sign(auth.gceKey, gceClaims(project, worker));
        const sentAt = Date.now();
        const healthTime = new Date(sentAt - 1000).toISOString();
        const res = await send(
          route,
          project,
          {
            ...(route === 'locations' ? {location: LOCATION} : {}),
            workerMessages: [
              health(worker, {vmIsHealthy: true, reportInterval: '5s', msg: `via ${route}`}, healthTime),
              msg(worker, {workerMetrics: {cpuTime: [{rate: 0.5, timestamp: healthTime, totalMs: '1000'}]}}),
              msg(worker, {workerMessageCode: {code: 'HARNESS_STARTED', parameters: {pid: 7}}}),
            ],
          },
          bearer(token),
        );
        assert.equal(res.status, 200, JSON.stringify(res.json));
        assert.deepEqual(res.json, {
          workerMessageResponses: [{workerHealthReportResponse: {reportInterval: '10s'}}, {workerMetricsResponse: {}}, {}],
        });

        const got = await getWorker(project, worker);
        assert.equal(got.status, 200, JSON.stringify(got.json));
        assert.equal(got.json.name, `projects/${project}/workers/${worker}`);
        assert.equal(got.json.healthy, true);
        assert.equal(got.json.holding, false);
        assert.deepEqual(got.json.health, {vmIsHealthy: true, reportInterval: '5s', msg: `via ${route}`});
        assert.equal(got.json.healthTime, healthTime);
        const last = Date.parse(got.json.lastMessageTime as string);
        assert.ok(Number.isFinite(last), `lastMessageTime ${String(got.json.lastMessageTime)}`);
        assert.ok(last >= sentAt - 1, `lastMessageTime ${String(got.json.lastMessageTime)} is of this request`);

        const ref = {projectId: project, workerId: worker};
        assert.equal((await auth.server.app.stores.samples.ofWorker(ref, 'health', 10)).length, 1);
        assert.equal((await auth.server.app.stores.samples.ofWorker(ref, 'metrics', 10)).length, 1);
        const codes = await auth.server.app.stores.samples.withCode(project, 'HARNESS_STARTED', 10);
        assert.deepEqual(codes.map(c => [c.workerId, c.data.parameters]), [[worker, {pid: 7}]]);
      });
    }

    it('the same token speaks on both paths: the later report replaces the health', async () => {
      const project = randomProject();
      const worker = 'vm-both';
      const token = await sign(auth.gceKey, gceClaims(project, worker));
      const first = await send('locations', project, {workerMessages: [health(worker, {vmIsHealthy: true, msg: 'one'})]}, bearer(token));
      assert.equal(first.status, 200, JSON.stringify(first.json));
      const firstWorker = (await getWorker(project, worker)).json;
      assert.deepEqual(firstWorker.health, {vmIsHealthy: true, msg: 'one'});

      const second = await send('global', project, {location: 'europe-west1', workerMessages: [health(worker, {vmIsHealthy: false, msg: 'two'})]}, bearer(token));
      assert.equal(second.status, 200, JSON.stringify(second.json));
      assert.deepEqual(second.json.workerMessageResponses, [{workerHealthReportResponse: {reportInterval: '30s'}}]);
      const secondWorker = (await getWorker(project, worker)).json;
      assert.deepEqual(secondWorker.health, {vmIsHealthy: false, msg: 'two'});
      assert.equal(secondWorker.healthy, false);
      assert.ok(Date.parse(secondWorker.lastMessageTime as string) >= Date.parse(firstWorker.lastMessageTime as string));
      assert.equal((await auth.server.app.stores.samples.ofWorker({projectId: project, workerId: worker}, 'health', 10)).length, 2);
      assert.deepEqual(await listedWorkers(project), [worker]);
    });

    it('a Kubernetes pod\'s token speaks for the pod in the issuer\'s project', async () => {
      const pod = `pod-${Math.random().toString(36).slice(2, 8)}`;
      const token = await sign(auth.k8sKey, k8sClaims(pod));
      const res = await send('global', K8S_PROJECT, {workerMessages: [msg(pod, {workerThreadScalingReport: {currentThreadCount: 3}}), health(pod)]}, bearer(token));
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json.workerMessageResponses, [
        {workerThreadScalingReportResponse: {recommendedThreadCount: 3}},
        {workerHealthReportResponse: {reportInterval: '30s'}},
      ]);
      const got = await getWorker(K8S_PROJECT, pod);
      assert.equal(got.status, 200, JSON.stringify(got.json));
      assert.deepEqual(got.json.health, {vmIsHealthy: true, reportInterval: '30s'});
    });

    it('an empty batch with a valid token -> 200 with no responses, nothing recorded', async () => {
      const project = randomProject();
      const token = await sign(auth.gceKey, gceClaims(project, 'vm-quiet'));
      const res = await send('locations', project, {workerMessages: []}, bearer(token));
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json, {workerMessageResponses: []});
      await assertNoWorker(project, 'vm-quiet');
    });
  });

  describe('refuses an unauthenticated sender (401) and records nothing', () => {
    for (const route of ROUTES) {
      it(`${route} path: no Authorization header -> 401 WORKER_TOKEN_MISSING`, async () => {
        const project = randomProject();
        const res = await send(route, project, {workerMessages: [health('w-anon')]});
        const error = assertRefused(res, 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_MISSING');
        assert.match(error.message, /Authorization: Bearer/);
        await assertNoWorker(project, 'w-anon');
      });
    }

    const tokens = badTokens(() => auth.issuers);
    const cases: BadToken[] = [
      tokens.expiredGce,
      tokens.expiredK8s,
      tokens.forgedGce,
      tokens.forgedK8s,
      tokens.wrongAudienceGce,
      tokens.wrongAudienceK8s,
      tokens.unknownIssuer,
      tokens.malformed,
    ];

    for (const bad of cases) {
      for (const route of ROUTES) {
        it(`${route} path: ${bad.title} -> 401 ${bad.reason}`, async () => {
          const project = bad.k8s ? K8S_PROJECT : randomProject();
          const worker = `bad-${route}-${Math.random().toString(36).slice(2, 8)}`;
          const token = await bad.make(project, worker);
          const res = await send(route, project, {workerMessages: [health(worker), msg(worker, {workerShutdownNotice: {reason: 'UNKNOWN'}})]}, bearer(token));
          assertRefused(res, 401, 'UNAUTHENTICATED', bad.reason, token);
          await assertNoWorker(project, worker);
        });
      }
    }

    it('a valid token sent as Basic credentials, not Bearer -> 401 WORKER_TOKEN_MALFORMED', async () => {
      const project = randomProject();
      const token = await sign(auth.gceKey, gceClaims(project, 'w-basic'));
      assertRefused(await send('locations', project, {workerMessages: [health('w-basic')]}, `Basic ${token}`), 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_MALFORMED', token);
      await assertNoWorker(project, 'w-basic');
    });

    it('a refused token leaves an existing worker unchanged', async () => {
      const project = randomProject();
      const good = await sign(auth.gceKey, gceClaims(project, 'vm-kept'));
      const before = await existingWorker(project, 'vm-kept', good);
      const expired = await sign(auth.gceKey, gceClaims(project, 'vm-kept', {iat: nowSeconds() - 7200, exp: nowSeconds() - 3600}));
      assertRefused(await send('global', project, {workerMessages: [health('vm-kept', {vmIsBroken: true})]}, bearer(expired)), 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_EXPIRED', expired);
      assert.deepEqual(await footprint(project, 'vm-kept'), before);
    });
  });

  describe('a worker speaks only for itself (403) and a refused batch records nothing', () => {
    for (const route of ROUTES) {
      it(`${route} path: worker A's token, a message labelled WORKER_ID B -> 403, B never created, A unchanged`, async () => {
        const project = randomProject();
        const tokenA = await sign(auth.gceKey, gceClaims(project, 'worker-a'));
        const before = await existingWorker(project, 'worker-a', tokenA);
        const res = await send(route, project, {workerMessages: [health('worker-b', {vmIsHealthy: false, msg: 'framed'})]}, bearer(tokenA));
        const error = assertRefused(res, 403, 'PERMISSION_DENIED', 'WORKER_IDENTITY_MISMATCH', tokenA);
        assert.match(error.message, /worker-a/);
        assert.match(error.message, /worker-b/);
        await assertNoWorker(project, 'worker-b');
        assert.deepEqual(await footprint(project, 'worker-a'), before);
        assert.deepEqual(await listedWorkers(project), ['worker-a']);
      });
    }

    const mixes: Array<{title: string; messages: (a: string, b: string) => Json[]}> = [
      {
        title: 'A\'s messages first, then one labelled B',
        messages: (a, b) => [
          health(a, {vmIsHealthy: true, msg: 'after'}),
          msg(a, {workerMetrics: {cpuTime: [{rate: 0.1, timestamp: new Date().toISOString(), totalMs: '10'}]}}),
          msg(b, {workerShutdownNotice: {reason: 'PREEMPTION'}}),
        ],
      },
      {
        title: 'one labelled B first, then A\'s',
        messages: (a, b) => [health(b, {vmIsBroken: true}), health(a, {vmIsHealthy: false, msg: 'after'}), msg(a, {workerMessageCode: {code: 'MIXED'}})],
      },
    ];
    for (const mix of mixes) {
      for (const route of ROUTES) {
        it(`${route} path: a batch mixing A and B (${mix.title}) is refused whole -> 403, nothing recorded for either`, async () => {
          const project = randomProject();
          const tokenA = await sign(auth.gceKey, gceClaims(project, 'worker-a'));
          const before = await existingWorker(project, 'worker-a', tokenA);
          const res = await send(route, project, {workerMessages: mix.messages('worker-a', 'worker-b')}, bearer(tokenA));
          const error = assertRefused(res, 403, 'PERMISSION_DENIED', 'WORKER_IDENTITY_MISMATCH', tokenA);
          assert.match(error.message, /worker-b/);
          await assertNoWorker(project, 'worker-b');
          assert.deepEqual(await footprint(project, 'worker-a'), before, 'A\'s document and samples are unchanged');
          assert.deepEqual((await getWorker(project, 'worker-a')).json.health, {vmIsHealthy: true, msg: 'before'});
          assert.deepEqual(await auth.server.app.stores.samples.withCode(project, 'MIXED', 10), []);
        });
      }
    }

    for (const route of ROUTES) {
      it(`${route} path: a token of project P on project Q's path -> 403, nothing recorded in either project`, async () => {
        const p = randomProject();
        const q = randomProject();
        const token = await sign(auth.gceKey, gceClaims(p, 'vm-1'));
        const res = await send(route, q, {workerMessages: [health('vm-1')]}, bearer(token));
        const error = assertRefused(res, 403, 'PERMISSION_DENIED', 'WORKER_IDENTITY_MISMATCH', token);
        assert.match(error.message, new RegExp(q));
        assert.equal(error.details[0]!.metadata?.tokenWorker, `projects/${p}/workers/vm-1`);
        await assertNoWorker(q, 'vm-1');
        await assertNoWorker(p, 'vm-1');
      });
    }

    it('a Kubernetes token on a project other than the issuer\'s -> 403', async () => {
      const q = randomProject();
      const token = await sign(auth.k8sKey, k8sClaims('pod-x'));
      assertRefused(await send('locations', q, {workerMessages: [health('pod-x')]}, bearer(token)), 403, 'PERMISSION_DENIED', 'WORKER_IDENTITY_MISMATCH', token);
      await assertNoWorker(q, 'pod-x');
      await assertNoWorker(K8S_PROJECT, 'pod-x');
    });

    it('a Kubernetes pod\'s token, a message labelled another pod -> 403', async () => {
      const a = `pod-a-${Math.random().toString(36).slice(2, 8)}`;
      const b = `pod-b-${Math.random().toString(36).slice(2, 8)}`;
      const token = await sign(auth.k8sKey, k8sClaims(a));
      assertRefused(await send('global', K8S_PROJECT, {workerMessages: [health(a), health(b)]}, bearer(token)), 403, 'PERMISSION_DENIED', 'WORKER_IDENTITY_MISMATCH', token);
      await assertNoWorker(K8S_PROJECT, a);
      await assertNoWorker(K8S_PROJECT, b);
    });
  });

  describe('refuses bad messages (400) from an authenticated worker and records nothing', () => {
    interface BadBody {
      title: string;
      route: Route;
      /** The body from worker `w` (whose token is sent). */
      body(w: string): Json;
      /** The path's location, for the locations path. */
      location?: string;
      reason: string;
      /** Fields the error must name (BadRequest fieldViolations). */
      fields: string[];
      message: RegExp;
    }
    const cases: BadBody[] = [
      {
        title: 'a message without labels',
        route: 'locations',
        body: w => ({workerMessages: [health(w), {time: new Date().toISOString(), workerHealthReport: {vmIsHealthy: true}}]}),
        reason: 'WORKER_ID_LABEL_MISSING',
        fields: ['workerMessages[1].labels.WORKER_ID'],
        message: /workerMessages\[1\]\.labels\.WORKER_ID/,
      },
      {
        title: 'a message whose labels have no WORKER_ID',
        route: 'global',
        body: w => ({workerMessages: [health(w), {labels: {JOB_ID: 'j', worker_id: w}, workerMetrics: {}}]}),
        reason: 'WORKER_ID_LABEL_MISSING',
        fields: ['workerMessages[1].labels.WORKER_ID'],
        message: /workerMessages\[1\]\.labels\.WORKER_ID/,
      },
      {
        title: 'a message with an empty WORKER_ID',
        route: 'global',
        body: () => ({workerMessages: [{labels: {WORKER_ID: ''}, workerHealthReport: {vmIsHealthy: true}}]}),
        reason: 'WORKER_ID_LABEL_MISSING',
        fields: ['workerMessages[0].labels.WORKER_ID'],
        message: /workerMessages\[0\]\.labels\.WORKER_ID/,
      },
      {
        title: 'a body location other than the path\'s',
        route: 'locations',
        location: 'us-central1',
        body: w => ({location: 'europe-west1', workerMessages: [health(w)]}),
        reason: 'INVALID_ARGUMENT',
        fields: ['location'],
        message: /location.*us-central1.*europe-west1/,
      },
      {
        title: 'an unknown field in a message',
        route: 'locations',
        body: w => ({workerMessages: [health(w), {...health(w), colour: 'red'}]}),
        reason: 'INVALID_REQUEST_BODY',
        fields: ['workerMessages[1].colour'],
        message: /Unknown name "colour".*Cannot find field/,
      },
      {
        title: 'an unknown field inside a health report',
        route: 'global',
        body: w => ({workerMessages: [health(w, {vmIsHealthy: true, mood: 'calm'})]}),
        reason: 'INVALID_REQUEST_BODY',
        fields: ['workerMessages[0].workerHealthReport.mood'],
        message: /Unknown name "mood"/,
      },
      {
        title: 'an unknown shutdown reason',
        route: 'global',
        body: w => ({workerMessages: [msg(w, {workerShutdownNotice: {reason: 'BORED'}})]}),
        reason: 'INVALID_REQUEST_BODY',
        fields: ['workerMessages[0].workerShutdownNotice.reason'],
        message: /PREEMPTION, UNKNOWN/,
      },
      {
        title: 'an empty message (labels only, no report field)',
        route: 'locations',
        body: w => ({workerMessages: [health(w), {labels: {WORKER_ID: w}}]}),
        reason: 'EMPTY_WORKER_MESSAGE',
        fields: ['workerMessages[1]'],
        message: /workerMessages\[1\].*report field/,
      },
      {
        title: 'an empty message alone (labels and time only)',
        route: 'global',
        body: w => ({workerMessages: [{labels: {WORKER_ID: w}, time: new Date().toISOString()}]}),
        reason: 'EMPTY_WORKER_MESSAGE',
        fields: ['workerMessages[0]'],
        message: /workerMessages\[0\]/,
      },
    ];

    for (const bad of cases) {
      it(`${bad.route} path: ${bad.title} -> 400 ${bad.reason}`, async () => {
        const project = randomProject();
        const worker = 'vm-400';
        const token = await sign(auth.gceKey, gceClaims(project, worker));
        const before = await existingWorker(project, worker, token);
        const res = await send(bad.route, project, bad.body(worker), bearer(token), bad.location);
        const error = assertRefused(res, 400, 'INVALID_ARGUMENT', bad.reason, token);
        assert.deepEqual(violatedFields(error), bad.fields);
        assert.match(error.message, bad.message);
        assert.deepEqual(await footprint(project, worker), before, 'the worker is unchanged');
        assert.deepEqual(await listedWorkers(project), [worker]);
      });
    }

    it('a message without WORKER_ID on a fresh project -> 400, no worker created at all', async () => {
      const project = randomProject();
      const token = await sign(auth.gceKey, gceClaims(project, 'vm-new'));
      const res = await send('locations', project, {workerMessages: [health('vm-new'), {labels: {JOB_ID: 'j'}, workerHealthReport: {vmIsHealthy: true}}]}, bearer(token));
      assertRefused(res, 400, 'INVALID_ARGUMENT', 'WORKER_ID_LABEL_MISSING', token);
      await assertNoWorker(project, 'vm-new');
      assert.deepEqual(await listedWorkers(project), []);
    });
  });

  describeDevelopmentMode(dev => {

    for (const route of ROUTES) {
      it(`${route} path: unauthenticated messages are accepted, their labels taken at their word`, async () => {
        const project = randomProject();
        const res = await call(dev(), 'POST', messagesPath(route, project), {
          workerMessages: [health('dev-a', {vmIsHealthy: true, msg: 'a'}), health('dev-b', {vmIsHealthy: false, msg: 'b'})],
        });
        assert.equal(res.status, 200, JSON.stringify(res.json));
        assert.deepEqual(res.json.workerMessageResponses, [
          {workerHealthReportResponse: {reportInterval: '60s'}},
          {workerHealthReportResponse: {reportInterval: '60s'}},
        ]);
        const a = await call(dev(), 'GET', `/v2alpha1/projects/${project}/workers/dev-a`);
        const b = await call(dev(), 'GET', `/v2alpha1/projects/${project}/workers/dev-b`);
        assert.equal(a.status, 200, JSON.stringify(a.json));
        assert.equal(b.status, 200, JSON.stringify(b.json));
        assert.deepEqual([a.json.health, a.json.healthy], [{vmIsHealthy: true, msg: 'a'}, true]);
        assert.deepEqual([b.json.health, b.json.healthy], [{vmIsHealthy: false, msg: 'b'}, false]);
        assert.ok(a.json.lastMessageTime);
      });
    }

    it('still refuses a bearer token it cannot verify: 401, nothing recorded', async () => {
      const project = randomProject();
      const token = await sign(auth.gceKey, gceClaims(project, 'dev-vm'));
      const res = await call(dev(), 'POST', messagesPath('locations', project), {workerMessages: [health('dev-vm')]}, {Authorization: bearer(token)});
      const error = assertRefused(res, 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_UNKNOWN_ISSUER', token);
      assert.match(error.message, /GAFFER_WORKER_ISSUERS/);
      const got = await call(dev(), 'GET', `/v2alpha1/projects/${project}/workers/dev-vm`);
      assert.equal(got.status, 404);
      assert.equal((await dev().app.stores.workers.read(project, 'dev-vm')).value, undefined);
    });

    it('still refuses a message without WORKER_ID: 400, nothing recorded', async () => {
      const project = randomProject();
      const res = await call(dev(), 'POST', messagesPath('global', project), {workerMessages: [health('dev-ok'), {workerHealthReport: {vmIsHealthy: true}}]});
      assertRefused(res, 400, 'INVALID_ARGUMENT', 'WORKER_ID_LABEL_MISSING');
      const got = await call(dev(), 'GET', `/v2alpha1/projects/${project}/workers/dev-ok`);
      assert.equal(got.status, 404);
    });
  });
});
