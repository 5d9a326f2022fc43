/**
 * Worker authentication of workers.checkIn against the real Firestore emulator, in both
 * forms: the token form (POST /v2alpha1/workers/{token}:checkIn) and the named form
 * (POST /v2alpha1/projects/{p}/workers/{w}:checkIn with "Authorization: Bearer <token>").
 * Gaffer trusts a GCE issuer and a Kubernetes (OIDC) issuer whose keys this test makes;
 * every refused check-in must also leave no trace: the queued operation stays queued with
 * no events and the worker's document is never created.
 *
 * The App's verifier uses the real clock, so tokens are signed around Date.now().
 */
import {strict as assert} from 'assert';
import {call, helloRequest, randomProject} from '../helpers/gaffer';
import {assertRefused} from '../helpers/refusals';
import {badTokens, gceClaims, k8sClaims, sign, type BadToken} from '../helpers/tokens';
import {describeDevelopmentMode, trustingGaffer} from '../helpers/workerAuth';

type Json = Record<string, unknown>;
interface OperationJson {
  name: string;
  done: boolean;
  metadata: Json & {events: Array<{description: string; details: Json}>; startTime?: string};
  error?: {code: number; message: string};
  response?: Json;
}

const T = 'type.googleapis.com/google.genomics.v2alpha1.';
/** Every Kubernetes worker belongs to this project (the issuer's fixed projectId). */
const K8S_PROJECT = randomProject('k8s');

const tokenPath = (token: string) => `/v2alpha1/workers/${token}:checkIn`;
const namedPath = (project: string, worker: string) => `/v2alpha1/projects/${project}/workers/${worker}:checkIn`;

describe('workers.checkIn authentication', function () {
  this.timeout(60_000);
  const auth = trustingGaffer('gaffer-checkin-auth-', K8S_PROJECT, {checkInIntervalMs: 30_000});
  /** Operations a test queued in the shared K8S_PROJECT: cancelled after it, so later tests get only their own. */
  let k8sQueued: string[] = [];

  afterEach(async () => {
    for (const name of k8sQueued) {
      const op = await get(name);
      if (!op.done && op.metadata.events.length === 0) await call(auth.server, 'POST', `/v2alpha1/${name}:cancel`, {});
    }
    k8sQueued = [];
  });

  async function run(project: string): Promise<OperationJson> {
    const res = await call(auth.server, 'POST', '/v2alpha1/pipelines:run', helloRequest(project));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const op = res.json as unknown as OperationJson;
    if (project === K8S_PROJECT) k8sQueued.push(op.name);
    return op;
  }

  async function get(name: string): Promise<OperationJson> {
    const res = await call(auth.server, 'GET', `/v2alpha1/${name}`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json as unknown as OperationJson;
  }

  /** The operation is as it was queued: not done, never started, no events. */
  async function assertStillQueued(queued: OperationJson): Promise<void> {
    const now = await get(queued.name);
    assert.equal(now.done, false);
    assert.deepEqual(now.metadata.events, [], 'a refused check-in must record no event');
    assert.equal(now.metadata.startTime, undefined);
    assert.deepEqual(now, queued, 'a refused check-in must change nothing');
  }

  async function assertNoWorker(project: string, worker: string): Promise<void> {
    const read = await auth.server.app.stores.workers.read(project, worker);
    assert.equal(read.value, undefined, `worker projects/${project}/workers/${worker} must not exist`);
  }

  const byToken = (token: string, body: Json = {}) => call(auth.server, 'POST', tokenPath(token), body);
  const named = (project: string, worker: string, authorization: string | undefined, body: Json = {}) =>
    call(auth.server, 'POST', namedPath(project, worker), body, authorization === undefined ? {} : {Authorization: authorization});

  /** Both forms with one token: `form` decides where the token goes. */
  type Form = 'token' | 'named';
  const FORMS: Form[] = ['token', 'named'];
  const checkInWith = (form: Form, token: string, project: string, worker: string, body: Json = {}) =>
    form === 'token' ? byToken(token, body) : named(project, worker, `Bearer ${token}`, body);

  describe('accepts valid tokens', () => {
    for (const form of FORMS) {
      it(`${form} form: a GCE instance identity token gets an operation of its own project`, async () => {
        const project = randomProject();
        const other = randomProject();
        const elsewhere = await run(other); // queued in another project: never given to this worker
        const op = await run(project);
        const worker = `gce-vm-${form}`;
        const token = await sign(auth.gceKey, gceClaims(project, worker));
        const res = await checkInWith(form, token, project, worker, {workerStatus: {uptimeSeconds: '12'}});
        assert.equal(res.status, 200, JSON.stringify(res.json));
        const features = res.json.features as Json;
        assert.equal(features.operation, op.name);
        assert.equal(features.leaseEpoch, '1');
        assert.equal(features.checkInInterval, '30s');
        assert.equal((res.json.metadata as Json)['@type'], `${T}Metadata`);
        assert.ok(Date.parse(res.json.deadline as string) > Date.now());
        const got = await get(op.name);
        assert.deepEqual(
          got.metadata.events.map(e => e.details['@type']),
          [`${T}WorkerAssignedEvent`],
        );
        assert.equal(got.metadata.events[0]!.description, `Worker "${worker}" assigned in "unknown" on a "unknown" machine`);
        const doc = await auth.server.app.stores.workers.read(project, worker);
        assert.equal(doc.value?.operationId, op.name.split('/').pop());
        assert.deepEqual(doc.value?.status, {uptimeSeconds: '12'});
        await assertStillQueued(elsewhere);
        await assertNoWorker(other, worker);

        // The same token reports the result; the worker is then idle.
        const done = await checkInWith(form, token, project, worker, {result: {code: 0}});
        assert.equal(done.status, 200, JSON.stringify(done.json));
        assert.equal(done.json.features, undefined);
        const finished = await get(op.name);
        assert.equal(finished.done, true);
        assert.deepEqual(finished.response, {'@type': `${T}RunPipelineResponse`});
      });

      it(`${form} form: a Kubernetes service-account token gets an operation of the issuer's project`, async () => {
        const op = await run(K8S_PROJECT);
        const pod = `worker-${form}-${Math.random().toString(36).slice(2, 8)}`;
        const token = await sign(auth.k8sKey, k8sClaims(pod));
        const res = await checkInWith(form, token, K8S_PROJECT, pod);
        assert.equal(res.status, 200, JSON.stringify(res.json));
        assert.equal((res.json.features as Json).operation, op.name);
        assert.equal((res.json.features as Json).leaseEpoch, '1');
        const got = await get(op.name);
        assert.equal(got.metadata.events.length, 1);
        assert.equal(got.metadata.events[0]!.description, `Worker "${pod}" assigned in "unknown" on a "unknown" machine`);
        assert.equal((await auth.server.app.stores.workers.read(K8S_PROJECT, pod)).value?.operationId, op.name.split('/').pop());
        const done = await checkInWith(form, token, K8S_PROJECT, pod, {result: {code: 0}});
        assert.equal(done.status, 200, JSON.stringify(done.json));
        assert.equal((await get(op.name)).done, true);
      });
    }

    it('both forms name the same worker: a lease taken by token is reported on by name', async () => {
      const project = randomProject();
      const op = await run(project);
      const token = await sign(auth.gceKey, gceClaims(project, 'vm-both'));
      const first = await byToken(token);
      assert.equal((first.json.features as Json).operation, op.name);
      const report = await named(project, 'vm-both', `Bearer ${token}`, {
        events: [{timestamp: new Date().toISOString(), data: {'@type': `${T}ContainerStartedEvent`, actionId: 1}}],
      });
      assert.equal(report.status, 200, JSON.stringify(report.json));
      assert.equal((report.json.features as Json).operation, op.name);
      assert.equal((report.json.features as Json).leaseEpoch, '1');
      assert.deepEqual(
        (await get(op.name)).metadata.events.map(e => e.details['@type']),
        [`${T}ContainerStartedEvent`, `${T}WorkerAssignedEvent`],
      );
    });
  });

  describe('refuses bad tokens and changes nothing', () => {
    const cases: BadToken[] = Object.values(badTokens(() => auth.issuers));

    for (const bad of cases) {
      for (const form of FORMS) {
        it(`${form} form: ${bad.title} -> 401 ${bad.reason}`, async () => {
          const project = bad.k8s ? K8S_PROJECT : randomProject();
          const worker = `bad-${form}-${Math.random().toString(36).slice(2, 8)}`;
          const queued = await run(project);
          const token = await bad.make(project, worker);
          const res = await checkInWith(form, token, project, worker);
          assertRefused(res, 401, 'UNAUTHENTICATED', bad.reason, token);
          await assertStillQueued(queued);
          await assertNoWorker(project, worker);
        });
      }
    }

    it('named form: no Authorization header while issuers are configured -> 401 WORKER_TOKEN_MISSING', async () => {
      const project = randomProject();
      const queued = await run(project);
      const res = await named(project, 'w-anon', undefined);
      const error = assertRefused(res, 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_MISSING');
      assert.match(error.message, /Authorization: Bearer/);
      await assertStillQueued(queued);
      await assertNoWorker(project, 'w-anon');
    });

    it('named form: "Authorization: Basic x" -> 401', async () => {
      const project = randomProject();
      const queued = await run(project);
      assertRefused(await named(project, 'w-basic', 'Basic x'), 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_MALFORMED');
      await assertStillQueued(queued);
      await assertNoWorker(project, 'w-basic');
    });

    it('named form: a valid token sent as Basic credentials, not Bearer -> 401', async () => {
      const project = randomProject();
      const queued = await run(project);
      const token = await sign(auth.gceKey, gceClaims(project, 'w-basic2'));
      assertRefused(await named(project, 'w-basic2', `Basic ${token}`), 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_MALFORMED', token);
      await assertStillQueued(queued);
      await assertNoWorker(project, 'w-basic2');
    });

    it('token form: a blank token -> 401 WORKER_TOKEN_MISSING', async () => {
      const project = randomProject();
      const queued = await run(project);
      assertRefused(await byToken('%20'), 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_MISSING');
      await assertStillQueued(queued);
    });
  });

  describe('a worker speaks only for itself', () => {
    it('named form: worker A\'s valid token on worker B\'s path -> 403 PERMISSION_DENIED', async () => {
      const project = randomProject();
      const queued = await run(project);
      const token = await sign(auth.gceKey, gceClaims(project, 'worker-a'));
      const res = await named(project, 'worker-b', `Bearer ${token}`);
      const error = assertRefused(res, 403, 'PERMISSION_DENIED', 'WORKER_IDENTITY_MISMATCH', token);
      assert.equal(error.details[0]!.metadata?.tokenWorker, `projects/${project}/workers/worker-a`);
      await assertStillQueued(queued);
      await assertNoWorker(project, 'worker-a');
      await assertNoWorker(project, 'worker-b');
    });

    it('named form: a Kubernetes pod\'s token on another pod\'s path -> 403', async () => {
      const queued = await run(K8S_PROJECT);
      const token = await sign(auth.k8sKey, k8sClaims('pod-a'));
      assertRefused(await named(K8S_PROJECT, 'pod-b', `Bearer ${token}`), 403, 'PERMISSION_DENIED', 'WORKER_IDENTITY_MISMATCH', token);
      await assertStillQueued(queued);
      await assertNoWorker(K8S_PROJECT, 'pod-a');
      await assertNoWorker(K8S_PROJECT, 'pod-b');
    });

    it('named form: a valid token of project P on project Q\'s path -> 403 PERMISSION_DENIED', async () => {
      const p = randomProject();
      const q = randomProject();
      const inP = await run(p);
      const inQ = await run(q);
      const token = await sign(auth.gceKey, gceClaims(p, 'vm-1'));
      const res = await named(q, 'vm-1', `Bearer ${token}`);
      assertRefused(res, 403, 'PERMISSION_DENIED', 'WORKER_IDENTITY_MISMATCH', token);
      await assertStillQueued(inP);
      await assertStillQueued(inQ);
      await assertNoWorker(p, 'vm-1');
      await assertNoWorker(q, 'vm-1');
    });

    it('named form: a Kubernetes token on a path of a project other than the issuer\'s -> 403', async () => {
      const q = randomProject();
      const inQ = await run(q);
      const token = await sign(auth.k8sKey, k8sClaims('pod-x'));
      assertRefused(await named(q, 'pod-x', `Bearer ${token}`), 403, 'PERMISSION_DENIED', 'WORKER_IDENTITY_MISMATCH', token);
      await assertStillQueued(inQ);
      await assertNoWorker(q, 'pod-x');
    });

    for (const form of FORMS) {
      it(`${form} form: worker B can't report for the operation worker A holds -> 409 ABORTED`, async () => {
        const project = randomProject();
        const op = await run(project);
        const tokenA = await sign(auth.gceKey, gceClaims(project, 'worker-a'));
        const tokenB = await sign(auth.gceKey, gceClaims(project, 'worker-b'));
        const taken = await checkInWith(form, tokenA, project, 'worker-a');
        assert.equal((taken.json.features as Json).operation, op.name);
        const held = await get(op.name);
        const workerA = (await auth.server.app.stores.workers.read(project, 'worker-a')).value;

        const result = await checkInWith(form, tokenB, project, 'worker-b', {result: {code: 0}});
        const error = assertRefused(result, 409, 'ABORTED', 'LEASE_NOT_HELD', tokenB);
        assert.match(error.message, /worker-b/);
        const withLease = await checkInWith(form, tokenB, project, 'worker-b', {
          events: [{timestamp: new Date().toISOString(), data: {'@type': `${T}ContainerStoppedEvent`, actionId: 1, exitStatus: 0}}],
          result: {code: 0},
        });
        assertRefused(withLease, 409, 'ABORTED', 'LEASE_NOT_HELD', tokenB);
        const epoch = await call(
          auth.server,
          'POST',
          `${form === 'token' ? tokenPath(tokenB) : namedPath(project, 'worker-b')}?lease=${op.name.split('/').pop()}:1`,
          {result: {code: 0}},
          form === 'named' ? {Authorization: `Bearer ${tokenB}`} : {},
        );
        assertRefused(epoch, 409, 'ABORTED', 'LEASE_NOT_HELD', tokenB);

        assert.deepEqual(await get(op.name), held, 'the operation is unchanged');
        assert.deepEqual((await auth.server.app.stores.workers.read(project, 'worker-a')).value, workerA, 'worker A still holds it');
        await assertNoWorker(project, 'worker-b');
        // A still can finish it.
        const done = await checkInWith(form, tokenA, project, 'worker-a', {result: {code: 0}});
        assert.equal(done.status, 200, JSON.stringify(done.json));
        assert.equal((await get(op.name)).done, true);
      });
    }
  });

  describe('authentication comes before the body', () => {
    it('answers an unauthenticated check-in with a malformed body 401, not 400', async () => {
      const project = randomProject();
      for (const body of ['{"events": ', {colour: 'red'}]) {
        const named = await call(auth.server, 'POST', `/v2alpha1/projects/${project}/workers/w1:checkIn`, body);
        assert.equal(named.status, 401, JSON.stringify(named.json));
        const token = await call(auth.server, 'POST', '/v2alpha1/workers/not-a-jwt:checkIn', body);
        assert.equal(token.status, 401, JSON.stringify(token.json));
      }
      const messages = await call(auth.server, 'POST', `/v1b3/projects/${project}/WorkerMessages`, {colour: 'red'});
      assert.equal(messages.status, 401, JSON.stringify(messages.json));
    });
  });

  describeDevelopmentMode(dev => {

    it('takes an unauthenticated named worker at its word', async () => {
      const project = randomProject();
      const ran = await call(dev(), 'POST', '/v2alpha1/pipelines:run', helloRequest(project));
      const name = (ran.json as {name: string}).name;
      const res = await call(dev(), 'POST', namedPath(project, 'dev-worker'), {});
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal((res.json.features as Json).operation, name);
      assert.equal((await dev().app.stores.workers.read(project, 'dev-worker')).value?.operationId, name.split('/').pop());
    });

    it('refuses the token form: 401, no issuer trusted, nothing changed', async () => {
      const project = randomProject();
      const ran = await call(dev(), 'POST', '/v2alpha1/pipelines:run', helloRequest(project));
      assert.equal(ran.status, 200);
      const queued = ran.json as unknown as OperationJson;
      const token = await sign(auth.gceKey, gceClaims(project, 'dev-vm'));
      const res = await call(dev(), 'POST', tokenPath(token), {});
      const error = assertRefused(res, 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_UNKNOWN_ISSUER', token);
      assert.match(error.message, /GAFFER_WORKER_ISSUERS/);
      const after = await call(dev(), 'GET', `/v2alpha1/${queued.name}`);
      assert.deepEqual(after.json, queued);
      assert.equal((await dev().app.stores.workers.read(project, 'dev-vm')).value, undefined);
    });
  });
});
