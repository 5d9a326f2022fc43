/**
 * Dataflow v1b3 WorkerMessages through Google's own generated Node client (`googleapis`,
 * dataflow v1b3), unchanged and with no auth, pointed at a development-mode Gaffer by
 * rootUrl: projects.locations.workerMessages and projects.workerMessages. Each kind of
 * message is answered, one response per message and in order; what was sent is then
 * readable as the worker (GET /v2alpha1/projects/{p}/workers/{w}, a Gaffer extension no
 * Google client knows, so read with fetch); a request the schema refuses surfaces as the
 * GaxiosError a worker built on the client already handles.
 */
import {strict as assert} from 'assert';
import {readdirSync, readFileSync} from 'fs';
import {join} from 'path';
import {dataflow_v1b3} from 'googleapis';
import {LocalServer} from '../../src/server';
import {randomProject, startGaffer} from '../helpers/gaffer';
import {assertStatus, dataflowClient, failure, genomicsClient} from '../helpers/googleapis';
import {ALL_SAMPLE_KINDS} from '../helpers/workerSamples';

type Json = Record<string, unknown>;
type WorkerMessage = dataflow_v1b3.Schema$WorkerMessage;

describe('dataflow v1b3 WorkerMessages through the googleapis client', function () {
  this.timeout(60_000);
  let server: LocalServer;
  let dataflow: dataflow_v1b3.Dataflow;

  before(async () => {
    server = await startGaffer({healthReportIntervalMs: 30_000, healthReportMinIntervalMs: 10_000, healthReportMaxIntervalMs: 120_000});
    assert.equal(server.app.services.workerAuth.developmentMode, true);
    dataflow = dataflowClient(server);
  });
  after(async () => {
    await server?.close();
  });

  /** Gaffer's worker reads: not in any Google API, so plain fetch. */
  async function getWorker(project: string, worker: string): Promise<{status: number; json: Json}> {
    const res = await fetch(`${server.url}/v2alpha1/projects/${project}/workers/${worker}`);
    return {status: res.status, json: (await res.json()) as Json};
  }
  async function listWorkers(project: string): Promise<string[]> {
    const res = await fetch(`${server.url}/v2alpha1/projects/${project}/workers`);
    assert.equal(res.status, 200);
    return ((await res.json()) as {workers: Json[]}).workers.map(w => String(w.name).split('/').pop()!);
  }

  /** The client's WorkerMessages: projects.locations.workerMessages when a path location is given, else projects.workerMessages. */
  function workerMessages(projectId: string, requestBody: dataflow_v1b3.Schema$SendWorkerMessagesRequest, location?: string) {
    return location
      ? dataflow.projects.locations.workerMessages({projectId, location, requestBody})
      : dataflow.projects.workerMessages({projectId, requestBody});
  }

  /** The error of a request the server refuses: a GaxiosError of 400 INVALID_ARGUMENT with `reason`. */
  async function refused(projectId: string, requestBody: dataflow_v1b3.Schema$SendWorkerMessagesRequest, reason: string, location?: string) {
    return assertStatus(await failure(workerMessages(projectId, requestBody, location)), 400, 'INVALID_ARGUMENT', reason);
  }

  const labels = (worker: string) => ({WORKER_ID: worker, JOB_ID: 'projects/p/operations/1', CONTAINER_TYPE: 'worker'});

  /** One message of every kind, from `worker`, and the response each must get. */
  function everyKind(worker: string, healthTime: string): Array<{message: WorkerMessage; response: dataflow_v1b3.Schema$WorkerMessageResponse}> {
    const t = (s: number) => new Date(Date.parse(healthTime) + s * 1000).toISOString();
    return [
      {
        message: {
          labels: labels(worker),
          time: healthTime,
          workerHealthReport: {vmIsHealthy: true, vmIsBroken: false, reportInterval: '45s', msg: 'all good', vmStartupTime: t(-120)},
        },
        response: {workerHealthReportResponse: {reportInterval: '45s'}},
      },
      {
        message: {
          labels: labels(worker),
          time: t(1),
          workerMetrics: {
            cpuTime: [{rate: 0.42, timestamp: t(1), totalMs: '27830'}],
            memoryInfo: [{timestamp: t(1), currentRssBytes: '734003200', currentLimitBytes: '3221225472', totalGbMs: '41000'}],
            containers: {harness: {cpuTime: [{rate: 0.3, timestamp: t(1), totalMs: '9000'}]}},
          },
        },
        response: {workerMetricsResponse: {}},
      },
      {
        message: {labels: labels(worker), time: t(2), workerMessageCode: {code: 'HARNESS_STARTED', parameters: {pid: 42, sdk: {language: 'java'}}}},
        response: {},
      },
      {
        message: {
          labels: labels(worker),
          time: t(3),
          workerLifecycleEvent: {containerStartTime: t(-60), event: 'SDK_INSTALL_FINISH', metadata: {sdk_version: '2.56.0'}},
        },
        response: {},
      },
      {
        message: {labels: labels(worker), time: t(4), workerShutdownNotice: {reason: 'UNKNOWN'}},
        response: {workerShutdownNoticeResponse: {}},
      },
      {
        message: {
          labels: labels(worker),
          time: t(5),
          perWorkerMetrics: {
            perStepNamespaceMetrics: [
              {
                metricsNamespace: 'BigQuerySink',
                originalStep: 's4',
                metricValues: [{metric: 'RowsAppendedCount', metricLabels: {rpc_status: 'OK'}, valueInt64: '1200'}],
              },
            ],
          },
        },
        response: {},
      },
      {
        message: {
          labels: labels(worker),
          time: t(6),
          streamingScalingReport: {activeThreadCount: 12, maximumThreadCount: 300, outstandingBundleCount: 4, outstandingBytes: '1048576'},
        },
        response: {streamingScalingReportResponse: {}},
      },
      {
        message: {labels: labels(worker), time: t(7), workerThreadScalingReport: {currentThreadCount: 16}},
        response: {workerThreadScalingReportResponse: {recommendedThreadCount: 16}},
      },
      {
        message: {
          labels: labels(worker),
          time: t(8),
          dataSamplingReport: {elementsSampledCount: '40', elementsSampledBytes: '10240', pcollectionsSampledCount: '4'},
        },
        response: {},
      },
    ];
  }

  it('projects.locations.workerMessages: one message of each kind -> one response per message, in order', async () => {
    const project = randomProject();
    const worker = 'df-worker-1';
    const healthTime = new Date(Date.now() - 60_000).toISOString();
    const batch = everyKind(worker, healthTime);
    const sentAt = Date.now();
    const res = await dataflow.projects.locations.workerMessages({
      projectId: project,
      location: 'us-central1',
      requestBody: {location: 'us-central1', workerMessages: batch.map(b => b.message)},
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.data, {workerMessageResponses: batch.map(b => b.response)});
    assert.equal(res.data.workerMessageResponses.length, 9);

    const got = await getWorker(project, worker);
    assert.equal(got.status, 200, JSON.stringify(got.json));
    assert.equal(got.json.name, `projects/${project}/workers/${worker}`);
    assert.deepEqual(got.json.health, batch[0]!.message.workerHealthReport);
    assert.equal(got.json.healthTime, healthTime);
    assert.equal(got.json.healthy, true);
    assert.equal(got.json.holding, false);
    assert.ok(Date.parse(got.json.lastMessageTime as string) >= sentAt - 1, String(got.json.lastMessageTime));
    assert.deepEqual(await listWorkers(project), [worker]);

    // Every kind was kept, once, as sent.
    const ref = {projectId: project, workerId: worker};
    for (const [i, kind] of ALL_SAMPLE_KINDS.entries()) {
      const samples = await server.app.stores.samples.ofWorker(ref, kind, 10);
      assert.equal(samples.length, 1, `one ${kind} sample`);
      const part = Object.entries(batch[i]!.message).find(([k]) => k !== 'labels' && k !== 'time')![1];
      assert.deepEqual(samples[0]!.data, part, `${kind} kept as sent`);
      assert.equal(samples[0]!.time.toISOString(), batch[i]!.message.time);
    }
  });

  it('projects.workerMessages: the global path answers and records the same way', async () => {
    const project = randomProject();
    const res = await dataflow.projects.workerMessages({
      projectId: project,
      requestBody: {
        workerMessages: [
          {labels: {WORKER_ID: 'g-1'}, workerHealthReport: {vmIsHealthy: false, msg: 'disk full', reportInterval: '1s'}},
          {labels: {WORKER_ID: 'g-2'}, workerHealthReport: {vmIsHealthy: true, reportInterval: '900s'}},
          {labels: {WORKER_ID: 'g-1'}, workerThreadScalingReport: {}},
          {labels: {WORKER_ID: 'g-2'}, workerHealthReport: {vmIsHealthy: true}},
        ],
      },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.data.workerMessageResponses, [
      {workerHealthReportResponse: {reportInterval: '10s'}},
      {workerHealthReportResponse: {reportInterval: '120s'}},
      {workerThreadScalingReportResponse: {recommendedThreadCount: 0}},
      {workerHealthReportResponse: {reportInterval: '30s'}},
    ]);
    const g1 = await getWorker(project, 'g-1');
    assert.equal(g1.status, 200, JSON.stringify(g1.json));
    assert.deepEqual(g1.json.health, {vmIsHealthy: false, msg: 'disk full', reportInterval: '1s'});
    assert.equal(g1.json.healthy, false);
    const g2 = await getWorker(project, 'g-2');
    assert.equal(g2.json.healthy, true);
    assert.ok(g2.json.health, 'g-2 has a health report');
    assert.deepEqual(await listWorkers(project), ['g-1', 'g-2']);
  });

  it('an empty body and a metrics-only message, on the two methods', async () => {
    const project = randomProject();
    const located = await dataflow.projects.locations.workerMessages({
      projectId: project,
      location: 'europe-west4',
      requestBody: {workerMessages: [{labels: {WORKER_ID: 'ex-1'}, workerMetrics: {cpuTime: [{rate: 0, totalMs: '0', timestamp: new Date().toISOString()}]}}]},
    });
    assert.deepEqual(located.data, {workerMessageResponses: [{workerMetricsResponse: {}}]});
    const global = await dataflow.projects.workerMessages({projectId: project, requestBody: {}});
    assert.equal(global.status, 200);
    assert.deepEqual(global.data, {workerMessageResponses: []});
    assert.deepEqual(await listWorkers(project), ['ex-1']);
    const ex1 = await getWorker(project, 'ex-1');
    assert.equal(ex1.json.health, undefined, 'no health report, no health');
    assert.equal(ex1.json.healthy, true);
    assert.ok(ex1.json.lastMessageTime);
  });

  describe('every example request of test/data/workerMessages, through the client', () => {
    const dir = join(__dirname, '../../../test/data/workerMessages');
    const files = readdirSync(dir).filter(f => f.endsWith('.json')).sort();
    it('finds the examples', () => assert.ok(files.length >= 10, `examples in ${dir}: ${files.join(', ')}`));

    /** What Gaffer answers a message (health intervals clamped to this server's [10s, 120s], default 30s). */
    function expected(message: WorkerMessage): dataflow_v1b3.Schema$WorkerMessageResponse {
      const response: dataflow_v1b3.Schema$WorkerMessageResponse = {};
      if (message.workerHealthReport) {
        const asked = message.workerHealthReport.reportInterval ? parseFloat(message.workerHealthReport.reportInterval) : 0;
        const seconds = asked === 0 ? 30 : Math.min(120, Math.max(10, asked));
        response.workerHealthReportResponse = {reportInterval: `${seconds}s`};
      }
      if (message.workerMetrics) response.workerMetricsResponse = {};
      if (message.workerShutdownNotice) response.workerShutdownNoticeResponse = {};
      if (message.streamingScalingReport) response.streamingScalingReportResponse = {};
      if (message.workerThreadScalingReport) {
        response.workerThreadScalingReportResponse = {recommendedThreadCount: message.workerThreadScalingReport.currentThreadCount ?? 0};
      }
      return response;
    }

    for (const file of files) {
      it(`${file}: one response per message, in order`, async () => {
        const request = JSON.parse(readFileSync(join(dir, file), 'utf8')) as dataflow_v1b3.Schema$SendWorkerMessagesRequest;
        const project = randomProject();
        const res = await workerMessages(project, request, request.location ?? undefined);
        assert.equal(res.status, 200);
        const messages = request.workerMessages!;
        assert.deepEqual(res.data, {workerMessageResponses: messages.map(expected)});
        const workers = [...new Set(messages.map(m => m.labels!.WORKER_ID!))].sort();
        assert.deepEqual(await listWorkers(project), workers);
        const reports = messages.filter(m => m.workerHealthReport);
        const got = await getWorker(project, workers[0]!);
        assert.equal(got.status, 200, JSON.stringify(got.json));
        assert.deepEqual(got.json.health, reports.length > 0 ? reports[reports.length - 1]!.workerHealthReport : undefined);
      });
    }
  });

  describe('refusals surface as GaxiosErrors', () => {
    it('a shutdown reason the schema does not know -> 400 with the server\'s message, nothing recorded', async () => {
      const project = randomProject();
      const messages = [
        {labels: {WORKER_ID: 'bad-1'}, workerHealthReport: {vmIsHealthy: true}},
        {labels: {WORKER_ID: 'bad-1'}, workerShutdownNotice: {reason: 'BORED'}},
      ];
      const error = await refused(project, {workerMessages: messages}, 'INVALID_REQUEST_BODY', 'us-central1');
      assert.match(error.message, /workerMessages\[1\]\.workerShutdownNotice\.reason/);
      const bad = error.details.find(d => d['@type'] === 'type.googleapis.com/google.rpc.BadRequest');
      assert.deepEqual(bad?.fieldViolations?.map(v => v.field), ['workerMessages[1].workerShutdownNotice.reason']);
      assert.equal((await getWorker(project, 'bad-1')).status, 404);
      assert.deepEqual(await listWorkers(project), []);
    });

    it('an unknown field (sent past the client\'s types) -> 400 naming it', async () => {
      const project = randomProject();
      const message = {labels: {WORKER_ID: 'bad-2'}, workerHealthReport: {vmIsHealthy: true}, colour: 'red'} as WorkerMessage;
      const error = await refused(project, {workerMessages: [message]}, 'INVALID_REQUEST_BODY');
      assert.match(error.message, /Unknown name "colour"/);
      assert.equal((await getWorker(project, 'bad-2')).status, 404);
    });

    it('a null field, as the client\'s types allow -> 400 (nulls are read as unset only for Genomics bodies: Dataflow\'s Struct fields hold real nulls)', async () => {
      const project = randomProject();
      const message = {labels: {WORKER_ID: 'bad-3'}, time: null, workerHealthReport: {vmIsHealthy: true}};
      const error = await refused(project, {workerMessages: [message]}, 'INVALID_REQUEST_BODY');
      assert.match(error.message, /workerMessages\[0\]\.time/);
      assert.equal((await getWorker(project, 'bad-3')).status, 404);
    });

    it('a message without WORKER_ID -> 400 naming the label', async () => {
      const project = randomProject();
      const message = {labels: {JOB_ID: 'j'}, workerHealthReport: {vmIsHealthy: true}};
      const error = await refused(project, {workerMessages: [message]}, 'WORKER_ID_LABEL_MISSING', 'us-central1');
      assert.match(error.message, /workerMessages\[0\]\.labels\.WORKER_ID/);
      assert.deepEqual(await listWorkers(project), []);
    });

    it('a body location other than the path\'s -> 400 naming location', async () => {
      const project = randomProject();
      const message = {labels: {WORKER_ID: 'bad-4'}, workerHealthReport: {vmIsHealthy: true}};
      const error = await refused(project, {location: 'asia-east1', workerMessages: [message]}, 'INVALID_ARGUMENT', 'us-central1');
      assert.match(error.message, /^location must be/);
      assert.equal((await getWorker(project, 'bad-4')).status, 404);
    });
  });

  it('the genomics client has no way to read workers (a Gaffer extension): fetch it is', () => {
    const genomics = genomicsClient(server);
    const projects = genomics.projects as unknown as Record<string, unknown>;
    const workers = projects.workers as Record<string, unknown> | undefined;
    assert.ok(workers, 'projects.workers (checkIn) exists');
    assert.equal(typeof workers.checkIn, 'function');
    assert.equal(workers.get, undefined);
    assert.equal(workers.list, undefined);
  });
});
