/**
 * An operation as google.longrunning.Operation JSON, exactly as Google's v2alpha1
 * service returned it: metadata is a google.genomics.v2alpha1.Metadata Any, events
 * newest first, and once done exactly one of `error` or `response`.
 */
import {EventJson, METADATA_TYPE, MetadataJson, OperationJson, RUN_PIPELINE_RESPONSE_TYPE} from '../wire/genomics';
import {OperationEvent, OperationRecord, isDone} from './model';
import {operationName} from './names';
import {formatTimestamp} from './time';

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
  if (op.submitter) metadata.submitter = op.submitter;
  if (op.cancelledBy) metadata.cancelledBy = op.cancelledBy;

  const json: OperationJson = {name: operationName(op.projectId, op.id), metadata, done: isDone(op.state)};
  if (json.done) {
    if (op.error) json.error = {code: op.error.code, message: op.error.message};
    else json.response = {'@type': RUN_PIPELINE_RESPONSE_TYPE};
  }
  return json;
}
