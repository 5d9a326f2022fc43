import {strict as assert} from 'assert';
import * as path from 'path';
import {assertClosedAndDescribed, ROOT, schemaUnderTest, unsetFields, type Json} from '../helpers/schemaAssertions';

const SCHEMA_PATH = path.join(ROOT, 'schemas/sendWorkerMessagesRequest.schema.json');
const DATA_DIR = path.join(ROOT, 'test/data/workerMessages');

const LABELS = {WORKER_ID: 'w1', JOB_ID: 'projects/p/operations/1'};
const TIME = '2024-05-01T12:00:00Z';

/** One valid payload per WorkerMessage kind, keyed by the WorkerMessage field that carries it. */
const KINDS: Record<string, Json> = {
  workerHealthReport: {vmIsHealthy: true, reportInterval: '30s'},
  workerLifecycleEvent: {event: 'CONTAINER_START', containerStartTime: TIME, metadata: {downloaded_bytes: '123456'}},
  workerMessageCode: {code: 'HARNESS_STARTED', parameters: {worker: 'w1', startupMs: 1834}},
  workerMetrics: {cpuTime: [{timestamp: TIME, totalMs: '1000', rate: 0.5}]},
  workerShutdownNotice: {reason: 'PREEMPTION'},
  perWorkerMetrics: {perStepNamespaceMetrics: [{metricsNamespace: 'ns', originalStep: 's1', metricValues: [{metric: 'm', valueInt64: '1'}]}]},
  streamingScalingReport: {activeThreadCount: 4, maximumThreadCount: 300},
  workerThreadScalingReport: {currentThreadCount: 8},
  dataSamplingReport: {elementsSampledCount: '40'},
};

const LIFECYCLE_EVENTS = [
  'UNKNOWN_EVENT',
  'OS_START',
  'CONTAINER_START',
  'NETWORK_UP',
  'STAGING_FILES_DOWNLOAD_START',
  'STAGING_FILES_DOWNLOAD_FINISH',
  'SDK_INSTALL_START',
  'SDK_INSTALL_FINISH',
];

/** A request with one WorkerMessage carrying `fields` (besides labels and time). */
function req(fields: Json): Json {
  return {workerMessages: [{labels: LABELS, time: TIME, ...fields}]};
}

/** A request with one workerMetrics report. */
function metrics(report: Json): Json {
  return req({workerMetrics: report});
}

/** A request with one perWorkerMetrics MetricValue. */
function metricValue(value: Json): Json {
  return req({perWorkerMetrics: {perStepNamespaceMetrics: [{metricValues: [value]}]}});
}

const MV = '/workerMessages/0/perWorkerMetrics/perStepNamespaceMetrics/0/metricValues/0';

describe('sendWorkerMessagesRequest.schema.json', () => {
  const {schema, full, assertHeader, assertValid, assertInvalidAt, assertEveryExampleValid} = schemaUnderTest(SCHEMA_PATH, DATA_DIR);

  describe('schema document', () => {
    it('has $id, title, $comment and draft-07 $schema', () => {
      assertHeader({title: 'dataflow_v1b3.SendWorkerMessagesRequest', api: /v1b3/, limits: ['100', '64', '1024', '1000', '8192', '65536']});
    });

    it('closes every message object and describes every field', () => {
      const messages = assertClosedAndDescribed(schema);
      // SendWorkerMessagesRequest plus the 22 messages reachable from it.
      assert.equal(messages, 23);
    });

    it('gives every message definition a distinct description', () => {
      const descriptions = Object.values<Json>(schema.definitions)
        .filter((d) => d.properties)
        .map((d) => d.description);
      assert.equal(new Set(descriptions).size, descriptions.length);
    });

    it('covers every WorkerMessage field of the d.ts', () => {
      assert.deepEqual(Object.keys(schema.definitions.WorkerMessage.properties).sort(), [
        'dataSamplingReport',
        'labels',
        'perWorkerMetrics',
        'streamingScalingReport',
        'time',
        'workerHealthReport',
        'workerLifecycleEvent',
        'workerMessageCode',
        'workerMetrics',
        'workerShutdownNotice',
        'workerThreadScalingReport',
      ]);
      assert.deepEqual(Object.keys(schema.properties).sort(), ['location', 'workerMessages']);
    });

    it('lists the shutdown reasons and lifecycle events', () => {
      assert.deepEqual([...schema.definitions.WorkerShutdownNotice.properties.reason.enum].sort(), ['PREEMPTION', 'UNKNOWN']);
      assert.deepEqual(schema.definitions.WorkerLifecycleEvent.properties.event.enum, LIFECYCLE_EVENTS);
    });

    it('full.json exercises every field of every message', () => {
      assert.deepEqual(unsetFields(schema, full(), 'SendWorkerMessagesRequest'), []);
    });
  });

  describe('valid requests', () => {
    it('accepts the minimal health report', () => {
      assertValid({
        workerMessages: [
          {
            labels: {WORKER_ID: 'w1', JOB_ID: 'projects/p/operations/1'},
            time: '2024-05-01T12:00:00Z',
            workerHealthReport: {vmIsHealthy: true, reportInterval: '30s'},
          },
        ],
      });
    });

    it('accepts a full request using every field', () => {
      assertValid(full());
    });

    it('every example in test/data/workerMessages is valid', () => {
      assertEveryExampleValid(['minimal.json', 'full.json']);
    });

    for (const [kind, payload] of Object.entries(KINDS)) {
      it(`accepts a ${kind} message, and an empty ${kind}`, () => {
        assertValid(req({[kind]: payload}));
        assertValid(req({[kind]: {}}));
      });
    }

    it('accepts an empty batch, location alone and messages without labels or time', () => {
      assertValid({});
      assertValid({workerMessages: []});
      assertValid({location: 'us-central1'});
      assertValid({workerMessages: [{}, {workerShutdownNotice: {reason: 'UNKNOWN'}}]});
    });

    it('accepts every lifecycle event name and both shutdown reasons', () => {
      for (const event of LIFECYCLE_EVENTS) assertValid(req({workerLifecycleEvent: {event}}));
      for (const reason of ['PREEMPTION', 'UNKNOWN']) assertValid(req({workerShutdownNotice: {reason}}));
    });

    it('accepts RFC 3339 timestamps with fractions and offsets', () => {
      for (const time of ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.123456789Z', '2024-05-01T14:00:00+02:00']) {
        assertValid({workerMessages: [{time}]});
      }
    });

    it('accepts durations in whole and fractional seconds', () => {
      for (const reportInterval of ['0s', '30s', '1.5s', '0.000000001s', '315576000000s']) {
        assertValid(req({workerHealthReport: {reportInterval}}));
      }
    });

    it('accepts int64 fields as digit strings or integers, signed where a metric value may be negative', () => {
      for (const v of ['0', '9223372036854775807', 0, 17179869184]) {
        assertValid(metrics({cpuTime: [{totalMs: v}], memoryInfo: [{currentRssBytes: v, currentLimitBytes: v, currentOoms: v, totalGbMs: v}]}));
        assertValid(req({dataSamplingReport: {bytesWrittenDelta: v}, streamingScalingReport: {outstandingBytes: v}}));
      }
      for (const v of ['-1', '-9223372036854775808', -42, '7']) {
        assertValid(metricValue({valueInt64: v, valueGauge64: {value: v}}));
      }
    });

    it('accepts arbitrary JSON (including null members) in parameters and pods', () => {
      assertValid(req({workerMessageCode: {parameters: {a: null, b: [1, 'x', {c: true}], d: {e: {f: 1.5}}}}}));
      assertValid(req({workerHealthReport: {pods: [{}, {metadata: {name: 'p'}, spec: null}]}}));
    });

    it('accepts recursive container reports', () => {
      assertValid(metrics({containers: {outer: {containers: {inner: {cpuTime: [{rate: 1.5}], containers: {}}}}}}));
    });

    it('accepts histogram bucket options of either kind and outlier means of any sign', () => {
      assertValid(metricValue({valueHistogram: {bucketOptions: {exponential: {numberOfBuckets: 1, scale: -3}}}}));
      assertValid(metricValue({valueHistogram: {bucketOptions: {exponential: {numberOfBuckets: 100, scale: 3}}}}));
      assertValid(metricValue({valueHistogram: {bucketOptions: {linear: {numberOfBuckets: 10, start: -5.5, width: 0.25}}}}));
      assertValid(metricValue({valueHistogram: {bucketOptions: {}, outlierStats: {overflowMean: 1e300, underflowMean: -1e300}}}));
    });

    it('accepts GPU rates at the bounds', () => {
      for (const rate of [0, 0.5, 1]) assertValid(metrics({gpuUsage: [{timestamp: TIME, utilization: {rate}}]}));
    });

    it('accepts values at the size limits', () => {
      assertValid({workerMessages: Array.from({length: 100}, () => ({labels: LABELS, time: TIME}))});
      const labels: Record<string, string> = {};
      for (let i = 0; i < 63; i++) labels[`L${i}`] = 'v';
      labels['k'.repeat(1024)] = 'v'.repeat(1024);
      assertValid({workerMessages: [{labels}]});
      const sample = {timestamp: TIME, totalMs: '1', rate: 0.1};
      assertValid(metrics({cpuTime: Array.from({length: 1000}, () => sample)}));
      assertValid(metrics({memoryInfo: Array.from({length: 1000}, () => ({timestamp: TIME}))}));
      assertValid(metrics({gpuUsage: Array.from({length: 1000}, () => ({timestamp: TIME, utilization: {}}))}));
      const containers: Record<string, Json> = {};
      for (let i = 0; i < 100; i++) containers[`c${i}`] = {};
      assertValid(metrics({containers}));
      const parameters: Record<string, number> = {};
      for (let i = 0; i < 100; i++) parameters[`p${i}`] = i;
      assertValid(req({workerMessageCode: {code: 'c'.repeat(8192), parameters}, workerHealthReport: {msg: 'm'.repeat(65536), pods: [parameters]}}));
    });
  });

  describe('invalid requests', () => {
    it('rejects an unknown top-level field', () => {
      assertInvalidAt({workerMessages: [], jobId: 'x'}, '', 'additionalProperties', {additionalProperty: 'jobId'});
    });

    it('rejects an unknown field in a WorkerMessage', () => {
      assertInvalidAt(req({workerStatus: {}}), '/workerMessages/0', 'additionalProperties', {additionalProperty: 'workerStatus'});
    });

    it('rejects an unknown field in a workerHealthReport', () => {
      assertInvalidAt(req({workerHealthReport: {vmIsHealthy: true, cpuLoad: 1}}), '/workerMessages/0/workerHealthReport', 'additionalProperties', {
        additionalProperty: 'cpuLoad',
      });
    });

    it('rejects an unknown field in a CPUTime', () => {
      assertInvalidAt(metrics({cpuTime: [{totalMs: '1', idleMs: '2'}]}), '/workerMessages/0/workerMetrics/cpuTime/0', 'additionalProperties', {
        additionalProperty: 'idleMs',
      });
    });

    it('rejects an unknown field in every payload message', () => {
      for (const kind of Object.keys(KINDS)) {
        assertInvalidAt(req({[kind]: {...KINDS[kind], extra: 1}}), `/workerMessages/0/${kind}`, 'additionalProperties', {
          additionalProperty: 'extra',
        });
      }
      assertInvalidAt(metrics({containers: {h: {cpu: []}}}), '/workerMessages/0/workerMetrics/containers/h', 'additionalProperties');
      assertInvalidAt(metrics({memoryInfo: [{freeBytes: '1'}]}), '/workerMessages/0/workerMetrics/memoryInfo/0', 'additionalProperties');
      assertInvalidAt(
        metrics({gpuUsage: [{timestamp: TIME, utilization: {rate: 0.5, memory: 1}}]}),
        '/workerMessages/0/workerMetrics/gpuUsage/0/utilization',
        'additionalProperties',
      );
      assertInvalidAt(metricValue({valueDouble: 1.5}), MV, 'additionalProperties', {additionalProperty: 'valueDouble'});
      assertInvalidAt(
        metricValue({valueHistogram: {outlierStats: {overflowSum: 1}}}),
        `${MV}/valueHistogram/outlierStats`,
        'additionalProperties',
      );
    });

    it('rejects a bad Timestamp', () => {
      for (const time of ['yesterday', '2024-05-01', '2024-05-01T12:00:00', '2024-13-01T12:00:00Z', '1714564800']) {
        assertInvalidAt({workerMessages: [{time}]}, '/workerMessages/0/time', 'format');
      }
      assertInvalidAt({workerMessages: [{time: 1714564800}]}, '/workerMessages/0/time', 'type');
      assertInvalidAt(metrics({cpuTime: [{timestamp: 'now'}]}), '/workerMessages/0/workerMetrics/cpuTime/0/timestamp', 'format');
      assertInvalidAt(req({workerHealthReport: {vmStartupTime: '2024-05-01 12:00'}}), '/workerMessages/0/workerHealthReport/vmStartupTime', 'format');
    });

    it('rejects a bad Duration', () => {
      for (const reportInterval of ['30', '30sec', '-30s', '1m', 'PT30S', '1.5000000001s', '']) {
        assertInvalidAt(req({workerHealthReport: {reportInterval}}), '/workerMessages/0/workerHealthReport/reportInterval', 'pattern');
      }
      assertInvalidAt(req({workerHealthReport: {reportInterval: 30}}), '/workerMessages/0/workerHealthReport/reportInterval', 'type');
    });

    it('rejects a shutdown reason other than PREEMPTION or UNKNOWN', () => {
      for (const reason of ['preemption', 'MAINTENANCE', 'UNKNOWN_REASON', '']) {
        assertInvalidAt(req({workerShutdownNotice: {reason}}), '/workerMessages/0/workerShutdownNotice/reason', 'enum');
      }
      assertInvalidAt(req({workerShutdownNotice: {reason: 1}}), '/workerMessages/0/workerShutdownNotice/reason', 'type');
    });

    it('rejects an unknown lifecycle event', () => {
      assertInvalidAt(req({workerLifecycleEvent: {event: 'VM_BOOT'}}), '/workerMessages/0/workerLifecycleEvent/event', 'enum');
    });

    it('rejects 101 workerMessages', () => {
      assertInvalidAt(
        {workerMessages: Array.from({length: 101}, () => ({labels: LABELS, time: TIME}))},
        '/workerMessages',
        'maxItems',
      );
    });

    it('rejects a negative or non-numeric cpuTime.totalMs', () => {
      for (const totalMs of ['-1', '12ms', '1.5', '', ' 1', '0x10']) {
        assertInvalidAt(metrics({cpuTime: [{totalMs}]}), '/workerMessages/0/workerMetrics/cpuTime/0/totalMs', 'pattern');
      }
      assertInvalidAt(metrics({cpuTime: [{totalMs: -1}]}), '/workerMessages/0/workerMetrics/cpuTime/0/totalMs', 'minimum');
      assertInvalidAt(metrics({cpuTime: [{totalMs: 1.5}]}), '/workerMessages/0/workerMetrics/cpuTime/0/totalMs', 'type');
      assertInvalidAt(metrics({cpuTime: [{totalMs: true}]}), '/workerMessages/0/workerMetrics/cpuTime/0/totalMs', 'type');
    });

    it('rejects bad numbers elsewhere', () => {
      assertInvalidAt(metrics({cpuTime: [{rate: -0.1}]}), '/workerMessages/0/workerMetrics/cpuTime/0/rate', 'minimum');
      assertInvalidAt(metrics({cpuTime: [{rate: '0.5'}]}), '/workerMessages/0/workerMetrics/cpuTime/0/rate', 'type');
      assertInvalidAt(
        metrics({gpuUsage: [{timestamp: TIME, utilization: {rate: 1.01}}]}),
        '/workerMessages/0/workerMetrics/gpuUsage/0/utilization/rate',
        'maximum',
      );
      assertInvalidAt(req({workerThreadScalingReport: {currentThreadCount: 1.5}}), '/workerMessages/0/workerThreadScalingReport/currentThreadCount', 'type');
      assertInvalidAt(req({workerThreadScalingReport: {currentThreadCount: -1}}), '/workerMessages/0/workerThreadScalingReport/currentThreadCount', 'minimum');
      assertInvalidAt(req({streamingScalingReport: {activeThreadCount: '4'}}), '/workerMessages/0/streamingScalingReport/activeThreadCount', 'type');
      assertInvalidAt(req({dataSamplingReport: {elementsSampledCount: '-3'}}), '/workerMessages/0/dataSamplingReport/elementsSampledCount', 'pattern');
      assertInvalidAt(metricValue({valueInt64: '1e3'}), `${MV}/valueInt64`, 'pattern');
      assertInvalidAt(metricValue({valueHistogram: {bucketCounts: ['1', '-1']}}), `${MV}/valueHistogram/bucketCounts/1`, 'pattern');
    });

    it('rejects bad histogram bucket options', () => {
      const bo = `${MV}/valueHistogram/bucketOptions`;
      assertInvalidAt(
        metricValue({valueHistogram: {bucketOptions: {exponential: {numberOfBuckets: 1}, linear: {numberOfBuckets: 1, width: 1}}}}),
        bo,
        'maxProperties',
      );
      assertInvalidAt(metricValue({valueHistogram: {bucketOptions: {exponential: {scale: 4}}}}), `${bo}/exponential/scale`, 'maximum');
      assertInvalidAt(metricValue({valueHistogram: {bucketOptions: {exponential: {numberOfBuckets: 0}}}}), `${bo}/exponential/numberOfBuckets`, 'minimum');
      assertInvalidAt(metricValue({valueHistogram: {bucketOptions: {linear: {width: 0}}}}), `${bo}/linear/width`, 'exclusiveMinimum');
    });

    it('rejects a GPUUsage without timestamp or utilization', () => {
      assertInvalidAt(metrics({gpuUsage: [{utilization: {rate: 0.5}}]}), '/workerMessages/0/workerMetrics/gpuUsage/0', 'required', {
        missingProperty: 'timestamp',
      });
      assertInvalidAt(metrics({gpuUsage: [{timestamp: TIME}]}), '/workerMessages/0/workerMetrics/gpuUsage/0', 'required', {
        missingProperty: 'utilization',
      });
    });

    it('rejects a labels value that is not a string', () => {
      for (const v of [1, true, {}, ['w1']]) {
        assertInvalidAt({workerMessages: [{labels: {WORKER_ID: v}}]}, '/workerMessages/0/labels/WORKER_ID', 'type');
      }
      assertInvalidAt({workerMessages: [{labels: ['WORKER_ID=w1']}]}, '/workerMessages/0/labels', 'type');
      assertInvalidAt(req({workerLifecycleEvent: {metadata: {downloaded_bytes: 123456}}}), '/workerMessages/0/workerLifecycleEvent/metadata/downloaded_bytes', 'type');
      assertInvalidAt(metricValue({metricLabels: {status: 200}}), `${MV}/metricLabels/status`, 'type');
    });

    it('rejects non-object parameters and pods', () => {
      assertInvalidAt(req({workerMessageCode: {parameters: 'x=1'}}), '/workerMessages/0/workerMessageCode/parameters', 'type');
      assertInvalidAt(req({workerHealthReport: {pods: ['pod-1']}}), '/workerMessages/0/workerHealthReport/pods/0', 'type');
      assertInvalidAt(req({workerHealthReport: {pods: {p: {}}}}), '/workerMessages/0/workerHealthReport/pods', 'type');
    });

    it('rejects null field values', () => {
      assertInvalidAt({workerMessages: null}, '/workerMessages', 'type');
      assertInvalidAt({workerMessages: [null]}, '/workerMessages/0', 'type');
      assertInvalidAt({location: null}, '/location', 'type');
      assertInvalidAt({workerMessages: [{labels: null}]}, '/workerMessages/0/labels', 'type');
      assertInvalidAt({workerMessages: [{labels: {WORKER_ID: null}}]}, '/workerMessages/0/labels/WORKER_ID', 'type');
      assertInvalidAt(req({workerHealthReport: null}), '/workerMessages/0/workerHealthReport', 'type');
      assertInvalidAt(req({workerHealthReport: {vmIsHealthy: null}}), '/workerMessages/0/workerHealthReport/vmIsHealthy', 'type');
      assertInvalidAt(metrics({cpuTime: [{totalMs: null}]}), '/workerMessages/0/workerMetrics/cpuTime/0/totalMs');
      assertInvalidAt(req({workerMessageCode: {parameters: null}}), '/workerMessages/0/workerMessageCode/parameters', 'type');
    });

    it('rejects values over the size limits', () => {
      const labels: Record<string, string> = {};
      for (let i = 0; i < 65; i++) labels[`L${i}`] = 'v';
      assertInvalidAt({workerMessages: [{labels}]}, '/workerMessages/0/labels', 'maxProperties');
      assertInvalidAt({workerMessages: [{labels: {k: 'v'.repeat(1025)}}]}, '/workerMessages/0/labels/k', 'maxLength');
      assertInvalidAt({workerMessages: [{labels: {['k'.repeat(1025)]: 'v'}}]}, '/workerMessages/0/labels', 'propertyNames');
      assertInvalidAt({workerMessages: [{labels: {'': 'v'}}]}, '/workerMessages/0/labels', 'propertyNames');
      assertInvalidAt(metrics({cpuTime: Array.from({length: 1001}, () => ({}))}), '/workerMessages/0/workerMetrics/cpuTime', 'maxItems');
      assertInvalidAt(metrics({memoryInfo: Array.from({length: 1001}, () => ({}))}), '/workerMessages/0/workerMetrics/memoryInfo', 'maxItems');
      assertInvalidAt(
        metrics({gpuUsage: Array.from({length: 1001}, () => ({timestamp: TIME, utilization: {}}))}),
        '/workerMessages/0/workerMetrics/gpuUsage',
        'maxItems',
      );
      const containers: Record<string, Json> = {};
      for (let i = 0; i < 101; i++) containers[`c${i}`] = {};
      assertInvalidAt(metrics({containers}), '/workerMessages/0/workerMetrics/containers', 'maxProperties');
      assertInvalidAt(metrics({containers: {h: {containers: {i: {cpuTime: [{totalMs: 'x'}]}}}}}), '/workerMessages/0/workerMetrics/containers/h/containers/i/cpuTime/0/totalMs');
      const parameters: Record<string, number> = {};
      for (let i = 0; i < 101; i++) parameters[`p${i}`] = i;
      assertInvalidAt(req({workerMessageCode: {parameters}}), '/workerMessages/0/workerMessageCode/parameters', 'maxProperties');
      assertInvalidAt(req({workerHealthReport: {pods: [parameters]}}), '/workerMessages/0/workerHealthReport/pods/0', 'maxProperties');
      assertInvalidAt(req({workerHealthReport: {msg: 'm'.repeat(65537)}}), '/workerMessages/0/workerHealthReport/msg', 'maxLength');
      assertInvalidAt(req({workerMessageCode: {code: 'c'.repeat(8193)}}), '/workerMessages/0/workerMessageCode/code', 'maxLength');
    });
  });
});
