/**
 * An operation as google.longrunning.Operation JSON, exactly as Google's v2alpha1
 * service returned it: metadata is a google.genomics.v2alpha1.Metadata Any, events
 * newest first, and once done exactly one of `error` or `response`. Views choose the
 * API an operation is read through (v2alpha1, or v2beta's, lifesciences.ts).
 */
import {EventJson, METADATA_TYPE, MetadataJson, OperationJson, RUN_PIPELINE_RESPONSE_TYPE} from '../wire/genomics';
import {OperationEvent, OperationRecord, isDone} from './model';
import {operationName} from './names';
import {formatTimestamp} from './time';
import type {V2betaOperationJson} from '../wire/lifesciences';
import {operationToV2betaJson} from './lifesciences';

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

/**
 * How operations are read: the API they are rendered in, and for v2beta the location
 * they are read under (an operation of another location is not found there; "-", as
 * AIP-159 reads across a collection, means every location).
 */
export interface OperationView<Json> {
  render(op: OperationRecord): Json;
  location?: string;
}

export const V2ALPHA1_VIEW: OperationView<OperationJson> = {render: operationToJson};

export function v2betaView(location: string): OperationView<V2betaOperationJson> {
  return {render: operationToV2betaJson, location};
}

/** Whether a view shows the operation (its location, for v2beta's). */
export function inView(view: OperationView<unknown>, op: Pick<OperationRecord, 'location'>): boolean {
  return view.location === undefined || view.location === '-' || view.location === op.location;
}

/** The operation in the API it was submitted through (what its Pub/Sub messages carry). */
export function operationToOwnJson(op: OperationRecord): OperationJson | V2betaOperationJson {
  return op.apiVersion === 'v2beta' ? operationToV2betaJson(op) : operationToJson(op);
}
