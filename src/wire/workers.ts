/** Gaffer's operator views of workers on the wire (GET/list workers, their samples). */
import type {WorkerCapabilitiesJson, WorkerStatusJson} from './genomics';

/** A worker as operators read it (GET /v2alpha1/projects/{project}/workers/{worker}). */
export interface WorkerJson {
  name: string;
  /** The operation held, if any. */
  operation?: string;
  leaseEpoch?: string;
  /** When its lease runs out unless it checks in again (RFC 3339). */
  leaseExpireTime?: string;
  /** The operation held has a cancel waiting; the worker learns it at its next check-in. */
  cancelRequested?: boolean;
  lastCheckInTime?: string;
  /** The v2alpha1 WorkerStatus of its last check-in that sent one. */
  status?: WorkerStatusJson;
  statusTime?: string;
  /** What the worker said it is in its latest check-in that said (Gaffer extension; int64 fields as strings). */
  capabilities?: WorkerCapabilitiesJson;
  /** false once the worker reported vmIsHealthy=false or vmIsBroken; true otherwise. */
  healthy: boolean;
  holding: boolean;
  health?: Record<string, unknown>;
  healthTime?: string;
  lastMessageTime?: string;
}

export interface ListWorkersResponseJson {
  workers: WorkerJson[];
  nextPageToken?: string;
}

/** The kinds of what a worker reports through WorkerMessages; each is kept as a sample. */
export const SAMPLE_KINDS = [
  'health',
  'metrics',
  'messageCode',
  'lifecycle',
  'shutdownNotice',
  'perWorkerMetrics',
  'streamingScalingReport',
  'workerThreadScalingReport',
  'dataSamplingReport',
] as const;

export type SampleKind = (typeof SAMPLE_KINDS)[number];

/** One thing a worker reported, as it sent it. */
export interface SampleJson {
  /** The worker's name. */
  worker: string;
  kind: SampleKind;
  time: string;
  data: Record<string, unknown>;
  jobId?: string;
}

export interface ListSamplesResponseJson {
  samples: SampleJson[];
}
