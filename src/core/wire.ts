/**
 * google.longrunning.Operation JSON, exactly as Google's v2alpha1 service returned it:
 * metadata is a google.genomics.v2alpha1.Metadata Any, events newest first, and once
 * done exactly one of `error` or `response`.
 */
import {GENOMICS_TYPE_PREFIX, OperationEvent, OperationRecord, isDone, operationName} from './model';
import {formatTimestamp} from './time';

export const METADATA_TYPE = `${GENOMICS_TYPE_PREFIX}Metadata`;
export const RUN_PIPELINE_RESPONSE_TYPE = `${GENOMICS_TYPE_PREFIX}RunPipelineResponse`;

export interface EventJson {
  timestamp: string;
  description: string;
  details: {'@type': string; [field: string]: unknown};
}

export interface MetadataJson {
  '@type': typeof METADATA_TYPE;
  pipeline: Record<string, unknown>;
  labels: Record<string, string>;
  events: EventJson[];
  createTime: string;
  startTime?: string;
  endTime?: string;
  pubSubTopic?: string;
}

export interface OperationJson {
  name: string;
  metadata: MetadataJson;
  done: boolean;
  error?: {code: number; message: string};
  response?: {'@type': typeof RUN_PIPELINE_RESPONSE_TYPE};
}

export function eventToJson(event: OperationEvent): EventJson {
  return {
    timestamp: formatTimestamp(event.timestamp),
    description: event.description,
    details: event.details,
  };
}

export function operationToJson(op: OperationRecord): OperationJson {
  const metadata: MetadataJson = {
    '@type': METADATA_TYPE,
    pipeline: op.request.pipeline,
    labels: op.labels,
    events: op.events.map(eventToJson),
    createTime: formatTimestamp(op.createTime),
  };
  if (op.startTime) metadata.startTime = formatTimestamp(op.startTime);
  if (op.endTime) metadata.endTime = formatTimestamp(op.endTime);
  if (op.request.pubSubTopic) metadata.pubSubTopic = op.request.pubSubTopic;

  const json: OperationJson = {name: operationName(op.projectId, op.id), metadata, done: isDone(op.state)};
  if (json.done) {
    if (op.error) json.error = {code: op.error.code, message: op.error.message};
    else json.response = {'@type': RUN_PIPELINE_RESPONSE_TYPE};
  }
  return json;
}
