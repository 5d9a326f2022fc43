/**
 * workers.checkIn through Google's own generated Node client (`googleapis`, genomics
 * v2alpha1), unchanged and with no auth, pointed at Gaffer by rootUrl: the named form
 * (projects.workers.checkIn, id "projects/P/workers/W") on a development-mode Gaffer,
 * and the token form (workers.checkIn, id = the worker's signed identity token) on a
 * Gaffer that trusts a Kubernetes (OIDC) issuer whose key this test makes. Refusals
 * surface as the GaxiosErrors a worker built on the client already handles.
 */
import {strict as assert} from 'assert';
import {mkdtempSync, rmSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import type {JWTPayload} from 'jose';
import {genomics_v2alpha1} from 'googleapis';
import {LocalServer} from '../../src/server';
import {helloRequest, randomProject, startGaffer} from '../helpers/gaffer';
import {assertStatus, failure, genomicsClient} from '../helpers/googleapis';
import {k8sClaims, K8S_POD_UID, k8sIssuer, keyPair, nowSeconds, sign, writeJwks, type KeyPair} from '../helpers/tokens';

type Operation = genomics_v2alpha1.Schema$Operation;
type CheckInRequest = genomics_v2alpha1.Schema$CheckInRequest;
type CheckInResponse = genomics_v2alpha1.Schema$CheckInResponse;
type Json = Record<string, unknown>;

interface EventJson {
  timestamp: string;
  description: string;
  details: Json;
}

const T = 'type.googleapis.com/google.genomics.v2alpha1.';

const events = (op: Operation) => ((op.metadata as {events: EventJson[]}).events);
const types = (op: Operation) => events(op).map(e => String(e.details['@type']).slice(T.length));

/**
 * One worker's whole life on one operation, through the client: assignment, a report
 * with events and status, the result, then the operation as a caller sees it.
 * `checkIn` sends one CheckInRequest the way the form under test does.
 */
async function fullFlow(
  genomics: genomics_v2alpha1.Genomics,
  project: string,
  worker: string,
  checkIn: (requestBody: CheckInRequest) => Promise<{status: number; data: CheckInResponse}>,
  stores: LocalServer["app"]["stores"],
): Promise<void> {
  const ran = await genomics.pipelines.run({requestBody: helloRequest(project)});
  assert.equal(ran.status, 200);
  const name = ran.data.name!;

  // 1. Assignment.
  const assigned = await checkIn({});
  assert.equal(assigned.status, 200);
  const metadata = assigned.data.metadata as Json & {pipeline: Json; events: EventJson[]};
  assert.equal(metadata['@type'], `${T}Metadata`);
  assert.deepEqual(metadata.pipeline.actions, [{imageUri: 'alpine', commands: ['echo', 'hello']}]);
  assert.ok(Array.isArray(metadata.events));
  assert.ok(metadata.createTime && metadata.startTime, JSON.stringify(metadata));
  // (Not asserted: the WorkerAssignedEvent in metadata.events. The response is built from
  // the record before this check-in's events are appended; see the report of this file.)
  assert.ok(assigned.data.deadline && !Number.isNaN(Date.parse(assigned.data.deadline)), `deadline ${assigned.data.deadline}`);
  const features = assigned.data.features as Json;
  assert.equal(features.operation, name);
  assert.equal(features.leaseEpoch, '1');
  assert.equal(typeof features.checkInInterval, 'string');
  assert.equal(features.cancelRequested, undefined);

  // 2. Events and worker status.
  const started = new Date(Date.now() + 1).toISOString();
  const stopped = new Date(Date.now() + 2).toISOString();
  const workerStatus = {
    freeRamBytes: '1073741824',
    totalRamBytes: '4294967296',
    uptimeSeconds: '42',
    bootDisk: {freeSpaceBytes: '5000000000', totalSpaceBytes: '10000000000'},
    attachedDisks: {data: {freeSpaceBytes: '1000', totalSpaceBytes: '2000'}},
  };
  const report = await checkIn({
    events: [
      {timestamp: started, data: {'@type': `${T}ContainerStartedEvent`, actionId: 1}},
      {timestamp: stopped, data: {'@type': `${T}ContainerStoppedEvent`, actionId: 1, exitStatus: 0}},
    ],
    workerStatus,
  });
  assert.equal(report.status, 200);
  assert.equal((report.data.features as Json).operation, name);
  assert.equal((report.data.features as Json).leaseEpoch, '1');
  assert.equal((report.data.metadata as Json)['@type'], `${T}Metadata`);
  const doc = await stores.workers.read(project, worker);
  assert.deepEqual(doc.value?.status, workerStatus);
  assert.equal(doc.value?.operationId, name.split('/').pop());

  // 3. The result.
  const done = await checkIn({result: {code: 0}});
  assert.equal(done.status, 200);
  assert.equal(done.data.metadata, undefined, 'a released worker holds nothing');
  assert.equal(done.data.features, undefined);
  assert.ok(done.data.deadline);
  assert.equal((await stores.workers.read(project, worker)).value?.operationId, undefined);

  // 4. What the caller sees.
  const got = await genomics.projects.operations.get({name});
  assert.equal(got.status, 200);
  assert.equal(got.data.done, true);
  assert.deepEqual(got.data.response, {'@type': `${T}RunPipelineResponse`});
  assert.equal(got.data.error, undefined);
  assert.deepEqual(types(got.data), ['WorkerReleasedEvent', 'ContainerStoppedEvent', 'ContainerStartedEvent', 'WorkerAssignedEvent']);
  const [released, stop, start, assign] = events(got.data);
  assert.equal(released!.description, 'Worker released');
  assert.equal(stop!.description, 'Stopped running "echo hello": exit status 0');
  assert.equal(Date.parse(stop!.timestamp), Date.parse(stopped));
  assert.equal(start!.description, 'Started running "echo hello"');
  assert.equal(Date.parse(start!.timestamp), Date.parse(started));
  assert.equal(assign!.description, `Worker "${worker}" assigned in "unknown" on a "unknown" machine`);
  const meta = got.data.metadata as Json;
  assert.ok(meta.startTime && meta.endTime, JSON.stringify(meta));

  // 5. The same final report again (a retry after a lost answer) is recognised: answered as
  // recorded, nothing changed. Another late report is refused, and surfaces as a GaxiosError 409
  // with the server's message.
  const again = await checkIn({result: {code: 0}});
  assert.equal(again.data.features, undefined);
  const late = await failure(checkIn({result: {code: 3}}));
  const error = assertStatus(late, 409, 'ABORTED', 'LEASE_NOT_HELD');
  assert.match(error.message, new RegExp(`projects/${project}/workers/${worker} no longer holds any operation`));
  const after = await genomics.projects.operations.get({name});
  assert.deepEqual(after.data, got.data, 'the refused check-in changed nothing');
}

describe('googleapis generated client: workers.checkIn', function () {
  this.timeout(60_000);

  describe('named form, projects.workers.checkIn (development mode, no auth)', () => {
    let server: LocalServer;
    let genomics: genomics_v2alpha1.Genomics;
    before(async () => {
      server = await startGaffer();
      assert.equal(server.app.services.workerAuth.developmentMode, true);
      genomics = genomicsClient(server);
    });
    after(() => server?.close());

    it('runs a pipeline, assigns it, records events and status, ends it with the result', async () => {
      const project = randomProject();
      const id = `projects/${project}/workers/vm-client-1`;
      await fullFlow(
        genomics,
        project,
        'vm-client-1',
        requestBody => genomics.projects.workers.checkIn({id, requestBody}),
        server.app.stores,
      );
    });

    it('an idle worker is told only when to ask again', async () => {
      const res = await genomics.projects.workers.checkIn({id: `projects/${randomProject()}/workers/idle`, requestBody: {}});
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.data), ['deadline']);
      assert.ok(Date.parse(res.data.deadline!) > Date.now() - 60_000);
    });

    it('a worker reporting for an operation it never held gets a GaxiosError 409 with the server\'s message', async () => {
      const project = randomProject();
      const ran = await genomics.pipelines.run({requestBody: helloRequest(project)});
      await genomics.projects.workers.checkIn({id: `projects/${project}/workers/holder`, requestBody: {}});
      const before = await genomics.projects.operations.get({name: ran.data.name!});
      const err = await failure(
        genomics.projects.workers.checkIn({id: `projects/${project}/workers/stranger`, requestBody: {result: {code: 0}}}),
      );
      const error = assertStatus(err, 409, 'ABORTED', 'LEASE_NOT_HELD');
      assert.match(error.message, /stranger no longer holds any operation/);
      assert.deepEqual((await genomics.projects.operations.get({name: ran.data.name!})).data, before.data);
    });

    it('a malformed worker name surfaces as a GaxiosError 400', async () => {
      const err = await failure(
        genomics.projects.workers.checkIn({id: `projects/${randomProject()}/workers/-bad`, requestBody: {}}),
      );
      assertStatus(err, 400, 'INVALID_ARGUMENT', 'INVALID_RESOURCE_NAME');
    });

    it('the token form is refused with 401 when no issuer is trusted', async () => {
      const err = await failure(genomics.workers.checkIn({id: 'a.b.c', requestBody: {}}));
      assertStatus(err, 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_UNKNOWN_ISSUER');
    });
  });

  describe('token form, workers.checkIn (a trusted Kubernetes issuer)', () => {
    const project = randomProject('k8s');
    let dir: string;
    let key: KeyPair;
    let server: LocalServer;
    let genomics: genomics_v2alpha1.Genomics;

    /** The pod's token: no service account claim, no typ in its header. */
    function token(pod: string, overrides: JWTPayload = {}): Promise<string> {
      return sign(key, k8sClaims(pod, {'kubernetes.io': {namespace: 'batch', pod: {name: pod, uid: K8S_POD_UID}}, ...overrides}), {});
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gaffer-googleapis-checkin-'));
      key = await keyPair('ES256', 'k8s-key-1');
      const jwksFile = join(dir, 'jwks.json');
      writeJwks(jwksFile, [key]);
      server = await startGaffer({workerIssuers: [k8sIssuer(jwksFile, project)]});
      assert.equal(server.app.services.workerAuth.developmentMode, false);
      genomics = genomicsClient(server);
    });
    after(async () => {
      await server?.close();
      rmSync(dir, {recursive: true, force: true});
    });

    it('runs the same flow with the pod\'s token as the id', async () => {
      const pod = 'worker-pod-1';
      const id = await token(pod);
      await fullFlow(genomics, project, pod, requestBody => genomics.workers.checkIn({id, requestBody}), server.app.stores);
    });

    it('the named form works through the client with the token as a bearer header', async () => {
      const pod = 'worker-pod-2';
      const bearer = await token(pod);
      await fullFlow(
        genomics,
        project,
        pod,
        requestBody =>
          genomics.projects.workers.checkIn(
            {id: `projects/${project}/workers/${pod}`, requestBody},
            {headers: {Authorization: `Bearer ${bearer}`}},
          ),
        server.app.stores,
      );
    });

    it('the named form without a token is refused with 401', async () => {
      const err = await failure(genomics.projects.workers.checkIn({id: `projects/${project}/workers/anon`, requestBody: {}}));
      const error = assertStatus(err, 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_MISSING');
      assert.match(error.message, /Authorization: Bearer/);
      assert.equal((await server.app.stores.workers.read(project, 'anon')).value, undefined);
    });

    it('an expired token surfaces as a GaxiosError 401 that does not echo the token', async () => {
      const now = nowSeconds();
      const expired = await token('worker-pod-3', {iat: now - 7200, nbf: now - 7200, exp: now - 3600});
      const err = await failure(genomics.workers.checkIn({id: expired, requestBody: {}}));
      const error = assertStatus(err, 401, 'UNAUTHENTICATED', 'WORKER_TOKEN_EXPIRED');
      assert.match(error.message, /expired/);
      assert.ok(!JSON.stringify(err.response!.data).includes(expired.split('.')[2]!), 'the token is not echoed');
      assert.equal((await server.app.stores.workers.read(project, 'worker-pod-3')).value, undefined);
    });

    it('a pod reporting for another pod\'s operation gets a GaxiosError 409', async () => {
      const ran = await genomics.pipelines.run({requestBody: helloRequest(project)});
      const name = ran.data.name!;
      const taken = await genomics.workers.checkIn({id: await token('holder-pod'), requestBody: {}});
      assert.equal((taken.data.features as Json).operation, name);
      const before = await genomics.projects.operations.get({name});
      const err = await failure(genomics.workers.checkIn({id: await token('other-pod'), requestBody: {result: {code: 0}}}));
      assertStatus(err, 409, 'ABORTED', 'LEASE_NOT_HELD');
      assert.deepEqual((await genomics.projects.operations.get({name})).data, before.data);
      const done = await genomics.workers.checkIn({id: await token('holder-pod'), requestBody: {result: {code: 0}}});
      assert.equal(done.status, 200);
      assert.equal((await genomics.projects.operations.get({name})).data.done, true);
    });
  });
});
