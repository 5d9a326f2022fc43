/**
 * The JSON shapes of Cloud Life Sciences v2beta on the wire. The request body is
 * generated from schemas/lifesciencesRunPipelineRequest.schema.json; operations are
 * google.longrunning.Operation with v2beta Metadata, whose events carry their details
 * as one typed field each (`workerAssigned`, `containerStopped`, ...) instead of an Any.
 */
import type {
  Action,
  GoogleCloudLifesciencesV2BetaRunPipelineRequest,
  Pipeline,
} from './generated/lifesciencesRunPipelineRequest';
import type {EventType, StatusJson} from './genomics';

export type V2betaRunPipelineRequestJson = GoogleCloudLifesciencesV2BetaRunPipelineRequest;
export type V2betaPipelineJson = Pipeline;
export type V2betaActionJson = Action;

export const LIFESCIENCES_TYPE_PREFIX = 'type.googleapis.com/google.cloud.lifesciences.v2beta.';
export const V2BETA_METADATA_TYPE = `${LIFESCIENCES_TYPE_PREFIX}Metadata`;
/** What Google's v2beta service put in a successful operation's `response` (observed in Cromwell's fixtures). */
export const V2BETA_RUN_PIPELINE_RESPONSE_TYPE = 'type.googleapis.com/cloud.lifesciences.pipelines.RunPipelineResponse';

/** The Event field that carries each v2alpha1 event type's details in v2beta. */
export const V2BETA_EVENT_FIELDS: Readonly<Record<EventType, string>> = {
  DelayedEvent: 'delayed',
  WorkerAssignedEvent: 'workerAssigned',
  WorkerReleasedEvent: 'workerReleased',
  PullStartedEvent: 'pullStarted',
  PullStoppedEvent: 'pullStopped',
  ContainerStartedEvent: 'containerStarted',
  ContainerStoppedEvent: 'containerStopped',
  ContainerKilledEvent: 'containerKilled',
  UnexpectedExitStatusEvent: 'unexpectedExitStatus',
  // v2beta has no RunStoppedEvent; it is shown as a failure.
  RunStoppedEvent: 'failed',
  FailedEvent: 'failed',
};

/** A v2beta Event: timestamp, description, and exactly one typed details field. */
export interface V2betaEventJson {
  timestamp: string;
  description: string;
  [details: string]: unknown;
}

export interface V2betaMetadataJson {
  '@type': typeof V2BETA_METADATA_TYPE;
  pipeline: V2betaPipelineJson;
  labels: Record<string, string>;
  events: V2betaEventJson[];
  createTime: string;
  startTime?: string;
  endTime?: string;
  pubSubTopic?: string;
}

export interface V2betaOperationJson {
  name: string;
  metadata: V2betaMetadataJson;
  done: boolean;
  error?: StatusJson;
  response?: {'@type': typeof V2BETA_RUN_PIPELINE_RESPONSE_TYPE};
}

export interface V2betaListOperationsResponseJson {
  operations: V2betaOperationJson[];
  nextPageToken?: string;
}

/** google.cloud.location.Location. */
export interface LocationJson {
  name: string;
  locationId: string;
  displayName?: string;
  labels?: Record<string, string>;
}

export interface ListLocationsResponseJson {
  locations: LocationJson[];
  nextPageToken?: string;
}
