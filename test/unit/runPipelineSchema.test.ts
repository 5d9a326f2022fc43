import {strict as assert} from 'assert';
import * as path from 'path';
import {assertClosedAndDescribed, ROOT, schemaUnderTest, unsetFields, valueAt, type Json} from '../helpers/schemaAssertions';

const SCHEMA_PATH = path.join(ROOT, 'schemas/runPipelineRequest.schema.json');
const DATA_DIR = path.join(ROOT, 'test/data/pipelines');

describe('runPipelineRequest.schema.json', () => {
  const {schema, example, full, assertHeader, assertValid, assertInvalidAt, assertEveryExampleValid} = schemaUnderTest(SCHEMA_PATH, DATA_DIR, {
    matchErrorFields: true,
  });

  function hello(): Json {
    return example('hello.json');
  }

  describe('schema document', () => {
    it('has $id, title, $comment and draft-07 $schema', () => {
      assertHeader({title: 'google.genomics.v2alpha1.RunPipelineRequest', api: /v2alpha1/});
    });

    it('closes every message object and describes every field', () => {
      // `properties: {x: true}` helper nodes (used for the Volume oneof check) are not messages.
      assertClosedAndDescribed(schema, {isMessage: (node) => Object.values(node.properties).some((p) => p !== true)});
    });

    it('full.json exercises every field of every message', () => {
      assert.deepEqual(unsetFields(schema, full(), 'RunPipelineRequest'), []);
    });
  });

  describe('valid examples', () => {
    it('hello.json is valid', () => {
      assertValid(hello());
    });

    it('full.json is valid', () => {
      assertValid(full());
    });

    it('every example in test/data/pipelines is valid', () => {
      assertEveryExampleValid(['hello.json', 'full.json']);
    });

    it('accepts legacy domain-scoped and edge-length project ids', () => {
      for (const id of ['example.com:my-project', 'google.com:abcdef', 'abcdef', 'a'.repeat(30), 'a1-b2-c3']) {
        const doc = hello();
        doc.pipeline.resources.projectId = id;
        assertValid(doc);
      }
    });

    it('accepts non-ASCII lowercase label keys and empty label values', () => {
      const doc = hello();
      doc.labels = {'ключ': 'значение', 'clé': '', 'k_1-2': 'v_1-2'};
      assertValid(doc);
    });

    it('accepts exactly 64 labels and 63-char keys/values', () => {
      const doc = hello();
      doc.labels = {};
      for (let i = 0; i < 63; i++) doc.labels[`l${i}`] = 'v';
      doc.labels['k'.repeat(63)] = 'v'.repeat(63);
      assertValid(doc);
    });

    it('accepts durations with fractional seconds', () => {
      for (const t of ['0s', '10s', '1.5s', '3600.000000001s']) {
        const doc = hello();
        doc.pipeline.timeout = t;
        doc.pipeline.actions[0].timeout = t;
        assertValid(doc);
      }
    });

    it('accepts int64 accelerator count as string or integer', () => {
      for (const count of ['2', 2]) {
        const doc = full();
        doc.pipeline.resources.virtualMachine.accelerators[0].count = count;
        assertValid(doc);
      }
    });
  });

  describe('required fields', () => {
    it('rejects a request without pipeline', () => {
      assertInvalidAt({labels: {a: 'b'}}, '', 'required', {missingProperty: 'pipeline'});
    });

    // [what, the example, the message missing a field, the field]
    const missing: [string, () => Json, string, string][] = [
      ['a pipeline without actions', hello, '/pipeline', 'actions'],
      ['an action without imageUri', full, '/pipeline/actions/2', 'imageUri'],
      ['a pipeline without resources', hello, '/pipeline', 'resources'],
      ['resources without projectId', full, '/pipeline/resources', 'projectId'],
    ];
    for (const [what, exampleDoc, parent, field] of missing) {
      it(`rejects ${what}`, () => {
        const doc = exampleDoc();
        delete valueAt(doc, parent)[field];
        assertInvalidAt(doc, parent, 'required', {missingProperty: field});
      });
    }

    it('rejects empty actions', () => {
      const doc = hello();
      doc.pipeline.actions = [];
      assertInvalidAt(doc, '/pipeline/actions', 'minItems');
    });

    it('rejects an action with an empty imageUri', () => {
      const doc = hello();
      doc.pipeline.actions[0].imageUri = '';
      assertInvalidAt(doc, '/pipeline/actions/0/imageUri', 'minLength');
    });

    it('rejects bad project ids', () => {
      const bad = [
        '',
        'abcde', // too short
        'a'.repeat(31), // too long
        'My-Project', // uppercase
        '1project', // starts with a digit
        'my-project-', // ends with a hyphen
        'my_project', // underscore
        'example.com:', // empty project part
        ':my-project', // empty domain
        'Example.com:my-project', // uppercase domain
      ];
      for (const id of bad) {
        const doc = hello();
        doc.pipeline.resources.projectId = id;
        assertInvalidAt(doc, '/pipeline/resources/projectId');
      }
    });
  });

  describe('unknown fields', () => {
    it('rejects an unknown top-level field', () => {
      const doc = hello();
      doc.requestId = 'abc';
      assertInvalidAt(doc, '', 'additionalProperties', {additionalProperty: 'requestId'});
    });

    it('rejects an unknown field inside an action', () => {
      const doc = full();
      doc.pipeline.actions[1].image = 'nginx';
      assertInvalidAt(doc, '/pipeline/actions/1', 'additionalProperties', {additionalProperty: 'image'});
    });

    it('rejects snake_case spellings (proto3 JSON uses lowerCamelCase)', () => {
      const doc = hello();
      doc.pipeline.actions[0].image_uri = 'alpine';
      assertInvalidAt(doc, '/pipeline/actions/0', 'additionalProperties', {additionalProperty: 'image_uri'});
    });

    it('rejects unknown fields in nested messages', () => {
      const doc = full();
      doc.pipeline.resources.virtualMachine.disks[0].iops = 3000;
      doc.pipeline.resources.virtualMachine.volumes[0].persistentDisk.iops = 3000;
      doc.pipeline.resources.virtualMachine.network.tier = 'PREMIUM';
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/disks/0', 'additionalProperties');
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/volumes/0/persistentDisk', 'additionalProperties');
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/network', 'additionalProperties');
    });
  });

  describe('labels', () => {
    // VM labels go to Compute Engine and follow its rules; operation and action labels
    // were never propagated to any resource, so Google accepted any non-empty key.
    const vm = '/pipeline/resources/virtualMachine/labels';
    const vmLabels = (doc: Json): Record<string, string> => (doc.pipeline.resources.virtualMachine.labels = {});
    const open: [string, (doc: Json) => Record<string, string>][] = [
      ['/labels', (doc) => (doc.labels = {})],
      ['/pipeline/actions/0/labels', (doc) => (doc.pipeline.actions[0].labels = {})],
    ];

    describe(vm, () => {
      for (const [key, why] of [['Stage', 'uppercase letters'], ['1stage', 'a leading digit'], ['', 'an empty key'], ['k'.repeat(64), '64 characters']] as const) {
        it(`rejects a key with ${why}`, () => {
          const doc = full();
          vmLabels(doc)[key] = 'x';
          assertInvalidAt(doc, vm, 'propertyNames', {propertyName: key});
        });
      }
      it('rejects a 64-char value, and a value with uppercase or disallowed characters', () => {
        const doc = full();
        vmLabels(doc)['k'] = 'v'.repeat(64);
        assertInvalidAt(doc, `${vm}/k`, 'maxLength');
        const doc2 = full();
        vmLabels(doc2)['k'] = 'Value.1';
        assertInvalidAt(doc2, `${vm}/k`, 'pattern');
      });
    });

    for (const [at, labelsOf] of open) {
      describe(at, () => {
        it('accepts any non-empty key and any value, as Google did', () => {
          const doc = full();
          Object.assign(labelsOf(doc), {'key with space': 'Value.1', Stage: 'x', '1stage': '', ['k'.repeat(256)]: 'v'.repeat(1024)});
          assertValid(doc);
        });

        it('rejects an empty key and a 257-char key', () => {
          const doc = full();
          labelsOf(doc)[''] = 'x';
          assertInvalidAt(doc, at, 'propertyNames', {propertyName: ''});
          const doc2 = full();
          labelsOf(doc2)['k'.repeat(257)] = 'x';
          assertInvalidAt(doc2, at, 'propertyNames', {propertyName: 'k'.repeat(257)});
        });

        it('rejects a 1025-char value', () => {
          const doc = full();
          labelsOf(doc)['k'] = 'v'.repeat(1025);
          assertInvalidAt(doc, `${at}/k`, 'maxLength');
        });
      });
    }

    for (const [at, labelsOf] of [...open, [vm, vmLabels] as const]) {
      it(`${at}: rejects 65 labels and a non-string value`, () => {
        const doc = full();
        const labels = labelsOf(doc);
        for (let i = 0; i < 65; i++) labels[`l${i}`] = 'v';
        assertInvalidAt(doc, at, 'maxProperties');
        const doc2 = full();
        (labelsOf(doc2) as Record<string, unknown>)['k'] = 1;
        assertInvalidAt(doc2, `${at}/k`, 'type');
      });
    }
  });

  describe('durations', () => {
    for (const t of ['10', '10m', '-1s', '1.5', '1.1234567890s', ' 10s', '10 s', '']) {
      it(`rejects pipeline and action timeout ${JSON.stringify(t)}`, () => {
        const doc = full();
        doc.pipeline.timeout = t;
        doc.pipeline.actions[0].timeout = t;
        assertInvalidAt(doc, '/pipeline/timeout', 'pattern');
        assertInvalidAt(doc, '/pipeline/actions/0/timeout', 'pattern');
      });
    }

    it('rejects a numeric timeout', () => {
      const doc = hello();
      doc.pipeline.timeout = 10;
      assertInvalidAt(doc, '/pipeline/timeout', 'type');
    });
  });

  describe('field types and enums', () => {
    it('rejects commands given as a string', () => {
      const doc = hello();
      doc.pipeline.actions[0].commands = 'echo hello';
      assertInvalidAt(doc, '/pipeline/actions/0/commands', 'type');
    });

    it('rejects non-string command items', () => {
      const doc = hello();
      doc.pipeline.actions[0].commands = ['sleep', 10];
      assertInvalidAt(doc, '/pipeline/actions/0/commands/1', 'type');
    });

    it('rejects an unknown flag', () => {
      const doc = full();
      doc.pipeline.actions[1].flags = ['RUN_IN_BACKGROUND', 'RUN_FOREVER'];
      assertInvalidAt(doc, '/pipeline/actions/1/flags/1', 'enum');
    });

    it('rejects lowercase flag names', () => {
      const doc = hello();
      doc.pipeline.actions[0].flags = ['always_run'];
      assertInvalidAt(doc, '/pipeline/actions/0/flags/0', 'enum');
    });

    it('rejects portMappings with a non-numeric key', () => {
      const doc = full();
      doc.pipeline.actions[1].portMappings = {http: 8080};
      assertInvalidAt(doc, '/pipeline/actions/1/portMappings', 'propertyNames', {propertyName: 'http'});
    });

    it('rejects portMappings with out-of-range ports', () => {
      const doc = full();
      doc.pipeline.actions[1].portMappings = {'65536': 80};
      assertInvalidAt(doc, '/pipeline/actions/1/portMappings', 'propertyNames', {propertyName: '65536'});
      const doc2 = full();
      doc2.pipeline.actions[1].portMappings = {'80': 65536};
      assertInvalidAt(doc2, '/pipeline/actions/1/portMappings/80', 'maximum');
      const doc3 = full();
      doc3.pipeline.actions[1].portMappings = {'80': '8080'};
      assertInvalidAt(doc3, '/pipeline/actions/1/portMappings/80', 'type');
    });

    it('rejects non-integer and negative int32 sizes, as numbers or strings', () => {
      const doc = full();
      doc.pipeline.resources.virtualMachine.bootDiskSizeGb = 10.5;
      doc.pipeline.resources.virtualMachine.disks[0].sizeGb = -1;
      doc.pipeline.resources.virtualMachine.volumes[0].persistentDisk.sizeGb = '1e2';
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/bootDiskSizeGb', 'anyOf');
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/disks/0/sizeGb', 'anyOf');
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/volumes/0/persistentDisk/sizeGb', 'anyOf');
    });

    it('accepts int32 sizes as digit strings, as dsub sends them', () => {
      const doc = full();
      doc.pipeline.resources.virtualMachine.volumes[0].persistentDisk.sizeGb = '50';
      doc.pipeline.resources.virtualMachine.bootDiskSizeGb = '10';
      assertValid(doc);
    });

    it('rejects a non-numeric int64 accelerator count', () => {
      const doc = full();
      doc.pipeline.resources.virtualMachine.accelerators[0].count = 'two';
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/accelerators/0/count');
    });

    it('rejects null field values', () => {
      const doc = hello();
      doc.pipeline.timeout = null;
      assertInvalidAt(doc, '/pipeline/timeout', 'type');
    });

    it('rejects a non-boolean preemptible', () => {
      const doc = full();
      doc.pipeline.resources.virtualMachine.preemptible = 'true';
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/preemptible', 'type');
    });

    it('rejects a malformed pubSubTopic', () => {
      for (const topic of ['pipeline-status', 'projects/p/topics/', 'projects//topics/abc', 'projects/p/subscriptions/abc']) {
        const doc = full();
        doc.pubSubTopic = topic;
        assertInvalidAt(doc, '/pubSubTopic', 'pattern');
      }
    });

    it('rejects a service account email that is neither an email nor "default"', () => {
      const doc = full();
      doc.pipeline.resources.virtualMachine.serviceAccount.email = 'not-an-email';
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/serviceAccount/email', 'anyOf');
      doc.pipeline.resources.virtualMachine.serviceAccount.email = 'default';
      assertValid(doc);
    });

    it('accepts action names as real clients send them (final_logging, mount-my.bucket)', () => {
      const doc = full();
      doc.pipeline.actions[0].name = 'final_logging';
      doc.pipeline.resources.virtualMachine.disks[0].name = 'mount-my.bucket_1';
      assertValid(doc);
    });

    it('rejects action/disk/volume names that start with a hyphen or hold a space', () => {
      const doc = full();
      doc.pipeline.actions[0].name = '-bad';
      doc.pipeline.resources.virtualMachine.disks[0].name = 'bad name';
      doc.pipeline.resources.virtualMachine.volumes[0].volume = '-x';
      assertInvalidAt(doc, '/pipeline/actions/0/name', 'pattern');
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/disks/0/name', 'pattern');
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/volumes/0/volume', 'pattern');
    });

    it('rejects a volume that sets more than one storage kind (proto oneof)', () => {
      const doc = full();
      doc.pipeline.resources.virtualMachine.volumes[1].nfsMount = {target: '10.0.0.3:/x'};
      assertInvalidAt(doc, '/pipeline/resources/virtualMachine/volumes/1', 'not');
    });
  });

  describe('size bounds', () => {
    it('rejects more than 100 actions', () => {
      const doc = hello();
      doc.pipeline.actions = Array.from({length: 101}, () => ({imageUri: 'alpine'}));
      assertInvalidAt(doc, '/pipeline/actions', 'maxItems');
    });

    it('rejects more than 1000 commands and over-long commands', () => {
      const doc = hello();
      doc.pipeline.actions[0].commands = Array.from({length: 1001}, () => 'x');
      assertInvalidAt(doc, '/pipeline/actions/0/commands', 'maxItems');
      const doc2 = hello();
      doc2.pipeline.actions[0].commands = ['x'.repeat(32769)];
      assertInvalidAt(doc2, '/pipeline/actions/0/commands/0', 'maxLength');
    });

    it('rejects over-long environment values', () => {
      const doc = hello();
      doc.pipeline.environment = {BIG: 'x'.repeat(32769)};
      assertInvalidAt(doc, '/pipeline/environment/BIG', 'maxLength');
    });
  });
});
