/**
 * The JSON the dashboard reads, as the wire contract defines it (Google's v2alpha1 and
 * google.longrunning JSON mapping, plus Gaffer's workers). Declared here rather than
 * imported from src/core: the wire format is the contract, the server's code is not.
 */

export const GENOMICS = 'type.googleapis.com/google.genomics.v2alpha1.';

export interface EventJson {
  timestamp: string;
  description: string;
  details: {'@type': string; [field: string]: unknown};
}

export interface ActionJson {
  name?: string;
  imageUri?: string;
  commands?: string[];
  entrypoint?: string;
  environment?: Record<string, string>;
  flags?: string[];
  timeout?: string;
  labels?: Record<string, string>;
  [field: string]: unknown;
}

export interface PipelineJson {
  actions?: ActionJson[];
  environment?: Record<string, string>;
  timeout?: string;
  resources?: {
    projectId?: string;
    regions?: string[];
    zones?: string[];
    virtualMachine?: {machineType?: string; preemptible?: boolean; [field: string]: unknown};
  };
}

export interface OperationJson {
  name: string;
  done?: boolean;
  error?: {code: number; message: string};
  response?: Record<string, unknown>;
  metadata?: {
    pipeline?: PipelineJson;
    labels?: Record<string, string>;
    events?: EventJson[];
    createTime?: string;
    startTime?: string;
    endTime?: string;
    pubSubTopic?: string;
    /** Gaffer: who ran it, and who cancelled it (IAM members). */
    submitter?: string;
    cancelledBy?: string;
  };
}

export interface ListOperationsResponse {
  operations?: OperationJson[];
  nextPageToken?: string;
}

export interface DiskStatusJson {
  freeSpaceBytes?: string | number;
  totalSpaceBytes?: string | number;
}

export interface WorkerStatusJson {
  freeRamBytes?: string | number;
  totalRamBytes?: string | number;
  uptimeSeconds?: string | number;
  bootDisk?: DiskStatusJson;
  attachedDisks?: Record<string, DiskStatusJson>;
}

export interface WorkerJson {
  name: string;
  operation?: string;
  leaseEpoch?: string;
  lastCheckInTime?: string;
  status?: WorkerStatusJson;
  statusTime?: string;
  healthy?: boolean;
  holding?: boolean;
  health?: Record<string, unknown>;
  healthTime?: string;
  lastMessageTime?: string;
}

export interface ListWorkersResponse {
  workers?: WorkerJson[];
  nextPageToken?: string;
}

/*
 * The three RPCs below are not served yet; these are the shapes the dashboard assumes.
 */

/** GET /v2alpha1/projects/{project}/operations/{operation}/logs?action=N&pageToken= */
export interface LogEntryJson {
  actionId: number;
  stream: 'stdout' | 'stderr';
  timestamp: string;
  text: string;
}

export interface ListLogsResponse {
  entries?: LogEntryJson[];
  nextPageToken?: string;
}

/** GET /v2alpha1/projects/{project}/workers/{worker}/samples?kind=health|metrics&pageSize= */
export type SampleKind = 'health' | 'metrics';

export interface SampleJson {
  /** A SampleKind, or a kind this dashboard does not chart. */
  kind: string;
  time: string;
  /** The WorkerMessage part as sent: a Dataflow WorkerHealthReport or WorkerMetrics. */
  data: Record<string, unknown>;
}

export interface ListSamplesResponse {
  samples?: SampleJson[];
}

/** GET /v2alpha1/projects/{project}/queueStats */
export interface QueuePointJson {
  time: string;
  queued: number;
  running: number;
}

export interface QueueStatsResponse {
  points?: QueuePointJson[];
}
