/** Cloud Life Sciences v2beta <-> Genomics v2alpha1: the translation is exact both ways. */
import {strict as assert} from 'assert';
import {readFileSync} from 'fs';
import {join} from 'path';
import {fromV2betaRequest, locationOfRequest, operationToV2betaJson, toV2betaEvent, toV2betaPipeline} from '../../src/core/lifesciences';
import {newOperation} from '../../src/core/model';
import {genomicsEvent} from '../../src/core/events';
import type {V2betaRunPipelineRequestJson} from '../../src/wire/lifesciences';
import {RequestValidator} from '../../src/http/validation';

const CAPTURES = join(__dirname, '../../../test/data/lifesciences');

describe('Cloud Life Sciences v2beta translation', () => {
  const validator = new RequestValidator();

  const v2beta: V2betaRunPipelineRequestJson = {
    pipeline: {
      actions: [
        {containerName: 'logging', imageUri: 'sdk', entrypoint: '/bin/bash', commands: ['-c', 'loop'], runInBackground: true},
        {containerName: 'user-command', imageUri: 'ubuntu', commands: ['echo', 'hi'], blockExternalNetwork: true, ignoreExitStatus: true},
        {containerName: 'final_logging', imageUri: 'sdk', alwaysRun: true, disableStandardErrorCapture: true, enableFuse: true, publishExposedPorts: true, disableImagePrefetch: true},
      ],
      resources: {
        regions: ['us-central1'],
        virtualMachine: {machineType: 'n1-standard-1', network: {network: 'my-net', usePrivateAddress: true}, volumes: [{volume: 'datadisk', persistentDisk: {sizeGb: 200, type: 'pd-standard'}}]},
      },
      timeout: '7200.0s',
    },
    labels: {'job-id': 'j1'},
    pubSubTopic: 'projects/my-project/topics/status',
  };

  it('means the v2alpha1 request with name, flags and network.name, in the path\'s project', () => {
    const v2alpha1 = fromV2betaRequest(v2beta, 'my-project');
    assert.deepEqual(validator.validate('runPipelineRequest', v2alpha1), v2alpha1, 'a valid v2alpha1 request');
    assert.equal(v2alpha1.pipeline.resources.projectId, 'my-project');
    assert.deepEqual(
      v2alpha1.pipeline.actions.map(a => [a.name, a.flags]),
      [
        ['logging', ['RUN_IN_BACKGROUND']],
        ['user-command', ['IGNORE_EXIT_STATUS', 'BLOCK_EXTERNAL_NETWORK']],
        ['final_logging', ['ALWAYS_RUN', 'ENABLE_FUSE', 'PUBLISH_EXPOSED_PORTS', 'DISABLE_IMAGE_PREFETCH', 'DISABLE_STANDARD_ERROR_CAPTURE']],
      ],
    );
    assert.deepEqual(v2alpha1.pipeline.resources.virtualMachine?.network, {usePrivateAddress: true, name: 'my-net'});
    assert.deepEqual([v2alpha1.labels, v2alpha1.pubSubTopic, v2alpha1.pipeline.timeout], [v2beta.labels, v2beta.pubSubTopic, '7200.0s']);
  });

  it('reads back as it was submitted', () => {
    const back = toV2betaPipeline(fromV2betaRequest(v2beta, 'my-project').pipeline);
    assert.deepEqual(back, v2beta.pipeline);
  });

  it('turns a false boolean into no flag, as proto3 reads false as unset', () => {
    const v2alpha1 = fromV2betaRequest({pipeline: {actions: [{imageUri: 'x', alwaysRun: false}], resources: {}}}, 'p');
    assert.deepEqual(v2alpha1.pipeline.actions[0], {imageUri: 'x'});
  });

  it('translates what dsub 0.5.0 sends (a captured google-cls-v2 request)', () => {
    const captured = JSON.parse(readFileSync(join(CAPTURES, 'dsub-0.5.0-run.json'), 'utf8')) as unknown;
    const request = validator.validate('lifesciencesRunPipelineRequest', withoutNullsDeep(captured));
    const v2alpha1 = validator.validate('runPipelineRequest', fromV2betaRequest(request, 'my-project'));
    assert.deepEqual(toV2betaPipeline(v2alpha1.pipeline), request.pipeline);
  });

  it("renders an operation in v2beta's shape: name under its location, v2beta Metadata, typed event fields", () => {
    const request = fromV2betaRequest(v2beta, 'my-project');
    const op = newOperation('my-project', '42', request, new Date('2026-01-01T00:00:00Z'), undefined, {location: 'us-central1', apiVersion: 'v2beta'});
    op.events = [genomicsEvent('WorkerAssignedEvent', new Date('2026-01-01T00:00:01Z'), {instance: 'w', zone: 'z', machineType: 'm'}, request.pipeline.actions)];
    const json = operationToV2betaJson(op);
    assert.equal(json.name, 'projects/my-project/locations/us-central1/operations/42');
    assert.equal(json.metadata['@type'], 'type.googleapis.com/google.cloud.lifesciences.v2beta.Metadata');
    assert.equal(json.metadata.pubSubTopic, 'projects/my-project/topics/status');
    assert.deepEqual(json.metadata.events, [
      {timestamp: '2026-01-01T00:00:01.000Z', description: 'Worker "w" assigned in "z" on a "m" machine', workerAssigned: {instance: 'w', zone: 'z', machineType: 'm'}},
    ]);
    assert.equal('error' in json, false);
  });

  it("names every event type's field as v2beta does", () => {
    const fields = ['DelayedEvent', 'WorkerAssignedEvent', 'WorkerReleasedEvent', 'PullStartedEvent', 'PullStoppedEvent', 'ContainerStartedEvent', 'ContainerStoppedEvent', 'ContainerKilledEvent', 'UnexpectedExitStatusEvent', 'FailedEvent'].map(
      type => Object.keys(toV2betaEvent(genomicsEvent(type as 'DelayedEvent', new Date(0), {}, []))).find(k => k !== 'timestamp' && k !== 'description'),
    );
    assert.deepEqual(fields, ['delayed', 'workerAssigned', 'workerReleased', 'pullStarted', 'pullStopped', 'containerStarted', 'containerStopped', 'containerKilled', 'unexpectedExitStatus', 'failed']);
  });

  it("files a v2alpha1 operation under its first region, else its first zone's region, else global", () => {
    const at = (resources: Record<string, unknown>) => locationOfRequest({pipeline: {actions: [], resources: {projectId: 'p', ...resources}}});
    assert.equal(at({regions: ['europe-west2', 'us-central1']}), 'europe-west2');
    assert.equal(at({zones: ['us-east1-b']}), 'us-east1');
    assert.equal(at({}), 'global');
  });
});

function withoutNullsDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNullsDeep);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNullsDeep(v)]));
}
