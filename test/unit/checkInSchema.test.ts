import {strict as assert} from 'assert';
import * as path from 'path';
import {assertClosedAndDescribed, ROOT, schemaUnderTest, unsetFields, type Json} from '../helpers/schemaAssertions';

const SCHEMA_PATH = path.join(ROOT, 'schemas/checkInRequest.schema.json');
const DATA_DIR = path.join(ROOT, 'test/data/checkIn');

const T = 'type.googleapis.com/google.genomics.v2alpha1.';

/** One valid payload per v2alpha1 event type (as packed in a google.protobuf.Any). */
const EVENTS: Record<string, Json> = {
  DelayedEvent: {cause: 'Execution is waiting for quota: CPUS', metrics: ['CPUS']},
  WorkerAssignedEvent: {instance: 'gaffer-worker-1', zone: 'us-central1-a', machineType: 'n1-standard-1'},
  WorkerReleasedEvent: {instance: 'gaffer-worker-1', zone: 'us-central1-a'},
  PullStartedEvent: {imageUri: 'alpine:3.19'},
  PullStoppedEvent: {imageUri: 'alpine:3.19'},
  ContainerStartedEvent: {actionId: 1, ipAddress: '198.51.100.4', portMappings: {'80': 8080}},
  ContainerStoppedEvent: {actionId: 1, exitStatus: 0, stderr: 'done\n'},
  ContainerKilledEvent: {actionId: 2},
  UnexpectedExitStatusEvent: {actionId: 2, exitStatus: 1},
  RunStoppedEvent: {},
  FailedEvent: {code: 'CANCELLED', cause: 'The operation was cancelled'},
};

const RPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
];

function ev(name: string, fields: Json = EVENTS[name]): Json {
  return {'@type': T + name, ...fields};
}

describe('checkInRequest.schema.json', () => {
  const {schema, full, assertHeader, assertValid, assertInvalidAt, assertEveryExampleValid} = schemaUnderTest(SCHEMA_PATH, DATA_DIR);

  describe('schema document', () => {
    it('has $id, title, $comment and draft-07 $schema', () => {
      assertHeader({title: 'google.genomics.v2alpha1.CheckInRequest', api: /v2alpha1/, limits: ['400', '65536', '349528', '8192', '16']});
    });

    it('closes every message object and describes every field', () => {
      // The Any dispatcher (Event) and the open-ended Status.details Any are the only
      // objects with properties that are not closed; `if` conditions are not messages.
      const open = new Set([schema.definitions.Event, schema.definitions.AnyDetail]);
      assertClosedAndDescribed(schema, {isMessage: (node) => !open.has(node), skipKeys: ['if']});
      assert.equal(schema.definitions.Empty.additionalProperties, false);
    });

    it('dispatches on exactly the v2alpha1 event types', () => {
      const types = schema.definitions.Event.properties['@type'].enum;
      assert.deepEqual([...types].sort(), Object.keys(EVENTS).map((n) => T + n).sort());
      for (const n of Object.keys(EVENTS)) {
        assert.equal(schema.definitions[n].properties['@type'].const, T + n);
      }
    });

    it('lists all 17 google.rpc.Code names for FailedEvent.code', () => {
      assert.deepEqual(schema.definitions.FailedEvent.properties.code.enum, RPC_CODES);
    });

    it('full.json exercises every field of every message and every event type', () => {
      // An Event (an Any) is checked against the message its @type names.
      const byType = (node: Json, d: Json): Json =>
        d === schema.definitions.Event && node && typeof node === 'object' ? schema.definitions[String(node['@type']).replace(T, '')] : d;
      assert.deepEqual(unsetFields(schema, full(), 'CheckInRequest', byType), []);
    });
  });

  describe('valid requests', () => {
    it('accepts {} (a heartbeat)', () => {
      assertValid({});
    });

    it('accepts a full request using every field', () => {
      assertValid(full());
    });

    it('every example in test/data/checkIn is valid', () => {
      assertEveryExampleValid(['heartbeat.json', 'full.json']);
    });

    for (const name of Object.keys(EVENTS)) {
      it(`accepts a ${name} as event and as events[].data`, () => {
        assertValid({event: ev(name)});
        assertValid({events: [{timestamp: '2024-05-01T12:00:00Z', data: ev(name)}]});
      });
    }

    it('accepts events with only the required fields', () => {
      for (const [name, required] of Object.entries<Json>({
        DelayedEvent: {},
        WorkerAssignedEvent: {},
        WorkerReleasedEvent: {},
        PullStartedEvent: {imageUri: 'alpine'},
        PullStoppedEvent: {imageUri: 'alpine'},
        ContainerStartedEvent: {actionId: 1},
        ContainerStoppedEvent: {actionId: 1},
        ContainerKilledEvent: {actionId: 1},
        UnexpectedExitStatusEvent: {actionId: 1},
        RunStoppedEvent: {},
        FailedEvent: {code: 'INTERNAL'},
      })) {
        assertValid({event: ev(name, required)});
      }
    });

    it('accepts every google.rpc.Code name in FailedEvent', () => {
      for (const code of RPC_CODES) assertValid({event: ev('FailedEvent', {code})});
    });

    it('accepts negative and large int32 exit statuses', () => {
      for (const exitStatus of [0, 1, 255, -1, 2147483647, -2147483648]) {
        assertValid({event: ev('UnexpectedExitStatusEvent', {actionId: 1, exitStatus})});
      }
    });

    it('accepts IPv6 and empty ipAddress', () => {
      for (const ipAddress of ['2001:db8::1', '']) {
        assertValid({event: ev('ContainerStartedEvent', {actionId: 1, ipAddress})});
      }
    });

    it('accepts RFC 3339 timestamps with fractions and offsets', () => {
      for (const timestamp of ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.123456789Z', '2024-05-01T14:00:00+02:00']) {
        assertValid({events: [{timestamp, data: ev('RunStoppedEvent')}]});
      }
    });

    it('accepts int64 worker status fields as digit strings or integers', () => {
      for (const v of ['0', '17179869184', 0, 17179869184]) {
        assertValid({
          workerStatus: {
            freeRamBytes: v,
            totalRamBytes: v,
            uptimeSeconds: v,
            bootDisk: {freeSpaceBytes: v, totalSpaceBytes: v},
            attachedDisks: {d1: {freeSpaceBytes: v}},
          },
        });
      }
    });

    it('accepts standard and URL-safe base64, padded or not', () => {
      for (const sosReport of ['', 'AA==', 'AA', 'AAA=', 'AAA', '+/+/', '-_-_', 'ab+/cd==', 'ab-_cd', 'SGVsbG8gV29ybGQ=']) {
        assertValid({sosReport});
      }
    });

    it('accepts result codes 0..16 and an empty result', () => {
      assertValid({result: {}});
      for (let code = 0; code <= 16; code++) assertValid({result: {code, message: 'x'}});
    });

    it('accepts values at the size limits', () => {
      assertValid({events: Array.from({length: 400}, () => ({timestamp: '2024-05-01T12:00:00Z', data: ev('RunStoppedEvent')}))});
      assertValid({event: ev('ContainerStoppedEvent', {actionId: 1, stderr: 'e'.repeat(65536)})});
      assertValid({sosReport: 'A'.repeat(349528)});
      assertValid({
        result: {
          code: 2,
          message: 'm'.repeat(8192),
          details: Array.from({length: 16}, () => ({'@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: 'x'})),
        },
      });
    });
  });

  describe('invalid requests', () => {
    it('rejects an unknown top-level field', () => {
      assertInvalidAt({operation: 'x'}, '', 'additionalProperties', {additionalProperty: 'operation'});
    });

    it('rejects unknown capabilities fields and a capability of the wrong shape (the Gaffer extension is closed too)', () => {
      assertInvalidAt({capabilities: {zone: 'us-central1-a', gpu: 1}}, '/capabilities', 'additionalProperties', {additionalProperty: 'gpu'});
      assertInvalidAt({capabilities: {accelerators: [{type: 'nvidia-tesla-t4'}]}}, '/capabilities/accelerators/0', 'required', {missingProperty: 'count'});
      assertInvalidAt({capabilities: {preemptible: 'yes'}}, '/capabilities/preemptible', 'type');
      assertValid({capabilities: {memoryBytes: 16106127360, freeDiskBytes: '1'}});
    });

    it('rejects an unknown @type', () => {
      assertInvalidAt({event: {'@type': T + 'SomethingElseEvent'}}, '/event/@type', 'enum');
      assertInvalidAt({event: {'@type': 'type.googleapis.com/google.protobuf.Empty'}}, '/event/@type', 'enum');
      assertInvalidAt(
        {events: [{timestamp: '2024-05-01T12:00:00Z', data: {'@type': 'ContainerStartedEvent', actionId: 1}}]},
        '/events/0/data/@type',
        'enum',
      );
    });

    it('rejects an event missing @type', () => {
      assertInvalidAt({event: {actionId: 1}}, '/event', 'required', {missingProperty: '@type'});
      assertInvalidAt(
        {events: [{timestamp: '2024-05-01T12:00:00Z', data: {}}]},
        '/events/0/data',
        'required',
        {missingProperty: '@type'},
      );
    });

    it('rejects a non-object event', () => {
      assertInvalidAt({event: T + 'RunStoppedEvent'}, '/event', 'type');
    });

    it('rejects actionId 0', () => {
      for (const name of ['ContainerStartedEvent', 'ContainerStoppedEvent', 'ContainerKilledEvent', 'UnexpectedExitStatusEvent']) {
        assertInvalidAt({event: ev(name, {...EVENTS[name], actionId: 0})}, '/event/actionId', 'minimum');
      }
    });

    it('rejects actionId given as a string', () => {
      assertInvalidAt({event: ev('ContainerKilledEvent', {actionId: '1'})}, '/event/actionId', 'type');
    });

    it('rejects a container event without actionId', () => {
      assertInvalidAt({event: ev('ContainerStoppedEvent', {exitStatus: 0})}, '/event', 'required', {
        missingProperty: 'actionId',
      });
    });

    it('rejects a non-integer exitStatus', () => {
      assertInvalidAt({event: ev('ContainerStoppedEvent', {actionId: 1, exitStatus: 1.5})}, '/event/exitStatus', 'type');
      assertInvalidAt({event: ev('UnexpectedExitStatusEvent', {actionId: 1, exitStatus: '1'})}, '/event/exitStatus', 'type');
      assertInvalidAt(
        {event: ev('UnexpectedExitStatusEvent', {actionId: 1, exitStatus: 2147483648})},
        '/event/exitStatus',
        'maximum',
      );
    });

    it('rejects a ContainerStartedEvent with an unknown field', () => {
      assertInvalidAt({event: ev('ContainerStartedEvent', {actionId: 1, exitStatus: 0})}, '/event', 'additionalProperties', {
        additionalProperty: 'exitStatus',
      });
    });

    it('rejects an unknown field in every event type', () => {
      for (const name of Object.keys(EVENTS)) {
        assertInvalidAt(
          {events: [{timestamp: '2024-05-01T12:00:00Z', data: ev(name, {...EVENTS[name], extra: 1})}]},
          '/events/0/data',
          'additionalProperties',
          {additionalProperty: 'extra'},
        );
      }
    });

    it('rejects a FailedEvent with a bad code name', () => {
      for (const code of ['FAILED', 'cancelled', 'Cancelled', '']) {
        assertInvalidAt({event: ev('FailedEvent', {code})}, '/event/code', 'enum');
      }
      assertInvalidAt({event: ev('FailedEvent', {code: 9})}, '/event/code', 'type');
      assertInvalidAt({event: ev('FailedEvent', {cause: 'x'})}, '/event', 'required', {missingProperty: 'code'});
    });

    it('rejects bad fields in other event types', () => {
      assertInvalidAt({event: ev('PullStartedEvent', {})}, '/event', 'required', {missingProperty: 'imageUri'});
      assertInvalidAt({event: ev('PullStoppedEvent', {imageUri: ''})}, '/event/imageUri', 'minLength');
      assertInvalidAt({event: ev('DelayedEvent', {metrics: 'CPUS'})}, '/event/metrics', 'type');
      assertInvalidAt({event: ev('WorkerAssignedEvent', {zone: 1})}, '/event/zone', 'type');
      assertInvalidAt({event: ev('ContainerStartedEvent', {actionId: 1, ipAddress: 'localhost'})}, '/event/ipAddress');
      assertInvalidAt(
        {event: ev('ContainerStartedEvent', {actionId: 1, portMappings: {http: 80}})},
        '/event/portMappings',
        'propertyNames',
      );
      assertInvalidAt(
        {event: ev('ContainerStartedEvent', {actionId: 1, portMappings: {'80': 70000}})},
        '/event/portMappings/80',
        'maximum',
      );
    });

    it('rejects an events item missing data', () => {
      assertInvalidAt({events: [{timestamp: '2024-05-01T12:00:00Z'}]}, '/events/0', 'required', {missingProperty: 'data'});
    });

    it('rejects an events item missing timestamp or with an unknown field', () => {
      assertInvalidAt({events: [{data: ev('RunStoppedEvent')}]}, '/events/0', 'required', {missingProperty: 'timestamp'});
      assertInvalidAt(
        {events: [{timestamp: '2024-05-01T12:00:00Z', data: ev('RunStoppedEvent'), type: 'x'}]},
        '/events/0',
        'additionalProperties',
        {additionalProperty: 'type'},
      );
    });

    it('rejects a bad timestamp', () => {
      for (const timestamp of ['yesterday', '2024-05-01', '2024-05-01T12:00:00', '2024-13-01T12:00:00Z', '1714564800']) {
        assertInvalidAt({events: [{timestamp, data: ev('RunStoppedEvent')}]}, '/events/0/timestamp', 'format');
      }
      assertInvalidAt({events: [{timestamp: 1714564800, data: ev('RunStoppedEvent')}]}, '/events/0/timestamp', 'type');
    });

    it('rejects result.code 17 and other non-codes', () => {
      assertInvalidAt({result: {code: 17}}, '/result/code', 'maximum');
      assertInvalidAt({result: {code: -1}}, '/result/code', 'minimum');
      assertInvalidAt({result: {code: 1.5}}, '/result/code', 'type');
      assertInvalidAt({result: {code: 'CANCELLED'}}, '/result/code', 'type');
    });

    it('rejects bad result fields', () => {
      assertInvalidAt({result: {message: 'm'.repeat(8193)}}, '/result/message', 'maxLength');
      assertInvalidAt({result: {details: Array.from({length: 17}, () => ({'@type': 'x/y.Z'}))}}, '/result/details', 'maxItems');
      assertInvalidAt({result: {details: [{reason: 'x'}]}}, '/result/details/0', 'required', {missingProperty: '@type'});
      assertInvalidAt({result: {details: [{'@type': 7}]}}, '/result/details/0/@type', 'type');
      assertInvalidAt({result: {details: ['x']}}, '/result/details/0', 'type');
      assertInvalidAt({result: {code: 1, error: 'x'}}, '/result', 'additionalProperties', {additionalProperty: 'error'});
    });

    it('rejects deadlineExpired with a field', () => {
      assertInvalidAt({deadlineExpired: {seconds: 60}}, '/deadlineExpired', 'additionalProperties', {
        additionalProperty: 'seconds',
      });
      assertInvalidAt({deadlineExpired: true}, '/deadlineExpired', 'type');
    });

    it('rejects a sosReport that is not base64', () => {
      for (const sosReport of ['not base64!', 'A', 'AAAAA', 'AA=', 'A===', 'AA==AA==', '+-', 'ab+_', 'AAA=\n']) {
        assertInvalidAt({sosReport}, '/sosReport', 'pattern');
      }
      assertInvalidAt({sosReport: 'A'.repeat(349532)}, '/sosReport', 'maxLength');
    });

    it('rejects workerStatus with a bad freeRamBytes', () => {
      for (const freeRamBytes of ['12 GB', '-1', '1.5', '', -1, 1.5, true]) {
        assertInvalidAt({workerStatus: {freeRamBytes}}, '/workerStatus/freeRamBytes');
      }
    });

    it('rejects other bad workerStatus fields', () => {
      assertInvalidAt({workerStatus: {bootDisk: {freeSpaceBytes: 'lots'}}}, '/workerStatus/bootDisk/freeSpaceBytes');
      assertInvalidAt({workerStatus: {bootDisk: {usedBytes: '1'}}}, '/workerStatus/bootDisk', 'additionalProperties');
      assertInvalidAt({workerStatus: {attachedDisks: {'-bad': {}}}}, '/workerStatus/attachedDisks', 'propertyNames');
      assertInvalidAt({workerStatus: {attachedDisks: {d: {totalSpaceBytes: 'x'}}}}, '/workerStatus/attachedDisks/d/totalSpaceBytes');
      assertInvalidAt({workerStatus: {cpuLoad: 1}}, '/workerStatus', 'additionalProperties', {additionalProperty: 'cpuLoad'});
    });

    it('rejects null field values', () => {
      assertInvalidAt({event: null}, '/event', 'type');
      assertInvalidAt({sosReport: null}, '/sosReport', 'type');
      assertInvalidAt({event: ev('FailedEvent', {code: 'INTERNAL', cause: null})}, '/event/cause', 'type');
    });

    it('rejects values over the size limits', () => {
      assertInvalidAt(
        {events: Array.from({length: 401}, () => ({timestamp: '2024-05-01T12:00:00Z', data: ev('RunStoppedEvent')}))},
        '/events',
        'maxItems',
      );
      assertInvalidAt(
        {event: ev('ContainerStoppedEvent', {actionId: 1, stderr: 'e'.repeat(65537)})},
        '/event/stderr',
        'maxLength',
      );
    });
  });
});
