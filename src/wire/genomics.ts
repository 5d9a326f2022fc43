/**
 * The JSON shapes of the Genomics v2alpha1 API as they travel on the wire: what the
 * server answers and what its clients (gaffer-worker, the gaffer CLI, the dashboard)
 * read. Request bodies are generated from schemas/ (./generated), so they can't drift
 * from what the server validates. Nothing here has behaviour beyond constants.
 */
import type {Event, GoogleGenomicsV2Alpha1CheckInRequest, WorkerCapabilities, WorkerStatus} from './generated/checkInRequest';
import type {Action, GoogleGenomicsV2Alpha1RunPipelineRequest, Pipeline} from './generated/runPipelineRequest';

export type RunPipelineRequestJson = GoogleGenomicsV2Alpha1RunPipelineRequest;
export type PipelineJson = Pipeline;
export type ActionJson = Action;
export type CheckInRequestJson = GoogleGenomicsV2Alpha1CheckInRequest;
/** v2alpha1 WorkerStatus, as a worker sends it. */
export type WorkerStatusJson = WorkerStatus;
/** Gaffer extension of CheckInRequest: what the worker is (zone, size, GPUs, free disk, pool). */
export type WorkerCapabilitiesJson = WorkerCapabilities;
export type {CancelOperationRequest as CancelOperationRequestJson} from './generated/cancelOperationRequest';
/** An event a worker reports (a google.protobuf.Any of one of the v2alpha1 event types). */
export type WorkerEventJson = Event & Record<string, unknown>;
export type {WaitOperationRequest as WaitOperationRequestJson} from './generated/waitOperationRequest';

export const GENOMICS_TYPE_PREFIX = 'type.googleapis.com/google.genomics.v2alpha1.';
export const METADATA_TYPE = `${GENOMICS_TYPE_PREFIX}Metadata`;
export const RUN_PIPELINE_RESPONSE_TYPE = `${GENOMICS_TYPE_PREFIX}RunPipelineResponse`;

/** The v2alpha1 event detail types (google.genomics.v2alpha1.*Event). */
export const EVENT_TYPES = [
  'DelayedEvent',
  'WorkerAssignedEvent',
  'WorkerReleasedEvent',
  'PullStartedEvent',
  'PullStoppedEvent',
  'ContainerStartedEvent',
  'ContainerStoppedEvent',
  'ContainerKilledEvent',
  'UnexpectedExitStatusEvent',
  'RunStoppedEvent',
  'FailedEvent',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** google.protobuf.Any as JSON: "@type" and the packed message's fields. */
export interface AnyJson {
  '@type': string;
  [field: string]: unknown;
}

/** google.rpc.Status as a finished operation carries it. */
export interface StatusJson {
  code: number;
  message: string;
}

export interface EventJson {
  timestamp: string;
  description: string;
  details: AnyJson;
}

export interface MetadataJson {
  '@type': typeof METADATA_TYPE;
  pipeline: PipelineJson;
  labels: Record<string, string>;
  events: EventJson[];
  createTime: string;
  startTime?: string;
  endTime?: string;
  pubSubTopic?: string;
  /** Gaffer: who ran the pipeline (an IAM member, e.g. user:ann@example.com). */
  submitter?: string;
  /** Gaffer: who cancelled it. */
  cancelledBy?: string;
}

/** google.longrunning.Operation: once done, exactly one of `error` or `response`. */
export interface OperationJson {
  name: string;
  metadata: MetadataJson;
  done: boolean;
  error?: StatusJson;
  response?: {'@type': typeof RUN_PIPELINE_RESPONSE_TYPE};
}

export interface ListOperationsResponseJson {
  operations: OperationJson[];
  nextPageToken?: string;
}

/**
 * v2alpha1 CheckInResponse. `deadline`: while holding an operation, the lease deadline
 * (check in before it); when idle, when to ask again. `features` carries Gaffer's
 * instructions (see CheckInFeatures).
 */
export interface CheckInResponseJson {
  deadline: string;
  metadata?: MetadataJson;
  features?: CheckInFeatures;
}

export interface CheckInFeatures {
  /** The operation this lease is for. */
  operation: string;
  /** The fencing token to present on every check-in about this operation: `?lease=` + this. */
  lease: string;
  /** The lease epoch (grows with every grant of this operation), as a string (int64). */
  leaseEpoch: string;
  /** How often to check in while holding the operation. */
  checkInInterval: string;
  /** Present and true once the operation was cancelled: stop its actions and report a result. */
  cancelRequested?: boolean;
}
