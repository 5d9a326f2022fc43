/**
 * Cloud Life Sciences v2beta, served from the same operations as Genomics v2alpha1.
 *
 * Gaffer keeps every pipeline in v2alpha1's shape (what workers check in for) and
 * translates at the edges: a v2beta RunPipelineRequest becomes the v2alpha1 one it means
 * (containerName is name, the eight booleans are flags, network.network is network.name,
 * the project comes from the path), and an operation read through v2beta paths is
 * rendered back in v2beta's shape (its name under projects/P/locations/L, v2beta Metadata,
 * events with typed detail fields). The translation is exact both ways for everything
 * either API can say, so a pipeline reads back as it was submitted.
 */
import type {ActionJson, EventType, PipelineJson, RunPipelineRequestJson} from '../wire/genomics';
import {
  LocationJson,
  V2BETA_EVENT_FIELDS,
  V2BETA_METADATA_TYPE,
  V2BETA_RUN_PIPELINE_RESPONSE_TYPE,
  V2betaActionJson,
  V2betaEventJson,
  V2betaMetadataJson,
  V2betaOperationJson,
  V2betaPipelineJson,
  V2betaRunPipelineRequestJson,
} from '../wire/lifesciences';
import {eventTypeName} from './events';
import {OperationEvent, OperationRecord, isDone} from './model';
import {formatTimestamp} from './time';

type Flag = NonNullable<ActionJson['flags']>[number];

/** v2alpha1's action flags and the v2beta booleans that say the same. */
const FLAG_FIELDS = [
  ['IGNORE_EXIT_STATUS', 'ignoreExitStatus'],
  ['RUN_IN_BACKGROUND', 'runInBackground'],
  ['ALWAYS_RUN', 'alwaysRun'],
  ['ENABLE_FUSE', 'enableFuse'],
  ['PUBLISH_EXPOSED_PORTS', 'publishExposedPorts'],
  ['DISABLE_IMAGE_PREFETCH', 'disableImagePrefetch'],
  ['DISABLE_STANDARD_ERROR_CAPTURE', 'disableStandardErrorCapture'],
  ['BLOCK_EXTERNAL_NETWORK', 'blockExternalNetwork'],
] as const satisfies ReadonlyArray<readonly [Flag, keyof V2betaActionJson]>;

/** The v2alpha1 request a v2beta one means, in `projectId`. */
export function fromV2betaRequest(request: V2betaRunPipelineRequestJson, projectId: string): RunPipelineRequestJson {
  const {actions, resources, ...pipeline} = request.pipeline;
  const {virtualMachine, ...placement} = resources;
  const v2alpha1: RunPipelineRequestJson = {
    pipeline: {
      ...pipeline,
      actions: actions.map(fromV2betaAction),
      resources: {
        projectId,
        ...placement,
        ...(virtualMachine ? {virtualMachine: fromV2betaVirtualMachine(virtualMachine)} : {}),
      },
    },
  };
  if (request.labels) v2alpha1.labels = request.labels;
  if (request.pubSubTopic !== undefined) v2alpha1.pubSubTopic = request.pubSubTopic;
  return v2alpha1;
}

function fromV2betaAction(action: V2betaActionJson): ActionJson {
  const {containerName, ...rest} = action;
  const common: Record<string, unknown> = {...rest};
  const flags: Flag[] = [];
  for (const [flag, field] of FLAG_FIELDS) {
    if (common[field] === true) flags.push(flag);
    delete common[field];
  }
  return {
    ...(common as Omit<ActionJson, 'name' | 'flags'>),
    ...(containerName !== undefined ? {name: containerName} : {}),
    ...(flags.length > 0 ? {flags} : {}),
  };
}

type V2betaVirtualMachine = NonNullable<V2betaPipelineJson['resources']['virtualMachine']>;
type VirtualMachine = NonNullable<PipelineJson['resources']['virtualMachine']>;

function fromV2betaVirtualMachine(vm: V2betaVirtualMachine): VirtualMachine {
  const {network, ...rest} = vm;
  if (!network) return rest;
  const {network: name, ...others} = network;
  return {...rest, network: {...others, ...(name !== undefined ? {name} : {})}};
}

/** The pipeline as a v2beta client submitted it (or would have, for a v2alpha1 one). */
export function toV2betaPipeline(pipeline: PipelineJson): V2betaPipelineJson {
  const {actions, resources, ...rest} = pipeline;
  const {projectId: _project, virtualMachine, ...placement} = resources;
  return {
    ...rest,
    actions: actions.map(toV2betaAction),
    resources: {...placement, ...(virtualMachine ? {virtualMachine: toV2betaVirtualMachine(virtualMachine)} : {})},
  };
}

function toV2betaAction(action: ActionJson): V2betaActionJson {
  const {name, flags, ...rest} = action;
  const v2beta: V2betaActionJson = {...rest};
  if (name !== undefined) v2beta.containerName = name;
  for (const [flag, field] of FLAG_FIELDS) if (flags?.includes(flag)) v2beta[field] = true;
  return v2beta;
}

function toV2betaVirtualMachine(vm: VirtualMachine): V2betaVirtualMachine {
  const {network, ...rest} = vm;
  if (!network) return rest;
  const {name, ...others} = network;
  return {...rest, network: {...others, ...(name !== undefined ? {network: name} : {})}};
}

/** A v2alpha1 event as v2beta writes it: its details under the field of its type, without "@type". */
export function toV2betaEvent(event: OperationEvent): V2betaEventJson {
  const type = eventTypeName(event.details) as EventType;
  const {'@type': _type, ...fields} = event.details;
  const field = V2BETA_EVENT_FIELDS[type] ?? 'failed';
  return {timestamp: formatTimestamp(event.timestamp), description: event.description, [field]: fields};
}

export function v2betaOperationName(projectId: string, location: string, id: string): string {
  return `projects/${projectId}/locations/${location}/operations/${id}`;
}

/** The operation as Cloud Life Sciences v2beta returned it. */
export function operationToV2betaJson(op: OperationRecord): V2betaOperationJson {
  const metadata: V2betaMetadataJson = {
    '@type': V2BETA_METADATA_TYPE,
    pipeline: toV2betaPipeline(op.request.pipeline),
    labels: op.labels,
    events: op.events.map(toV2betaEvent),
    createTime: formatTimestamp(op.createTime),
  };
  if (op.startTime) metadata.startTime = formatTimestamp(op.startTime);
  if (op.endTime) metadata.endTime = formatTimestamp(op.endTime);
  if (op.request.pubSubTopic) metadata.pubSubTopic = op.request.pubSubTopic;
  const json: V2betaOperationJson = {name: v2betaOperationName(op.projectId, op.location, op.id), metadata, done: isDone(op.state)};
  if (json.done) {
    if (op.error) json.error = {code: op.error.code, message: op.error.message};
    else json.response = {'@type': V2BETA_RUN_PIPELINE_RESPONSE_TYPE};
  }
  return json;
}

/**
 * Where an operation is listed under v2beta's projects/P/locations/L: the location of
 * the path it was submitted at, or, for one submitted through v2alpha1 (which had no
 * locations), the region it asked for first (its first zone's region), else "global".
 */
export function locationOfRequest(request: RunPipelineRequestJson): string {
  const {regions, zones} = request.pipeline.resources;
  const region = regions?.[0];
  if (region) return region;
  const zone = zones?.[0];
  if (zone) return /^(.*)-[a-z]$/.exec(zone)?.[1] ?? zone;
  return 'global';
}

/** A location of a project, as projects.locations.get/list answer it. */
export function locationJson(projectId: string, locationId: string): LocationJson {
  return {name: `projects/${projectId}/locations/${locationId}`, locationId, displayName: locationId};
}
