/* Generated from schemas/checkInRequest.schema.json by scripts/generate-wire-types.mjs: do not edit. */
/* eslint-disable */

/**
 * int64 in proto3 JSON: a string of decimal digits, or (as Google's parsers also accept) a JSON integer. Negative values are refused (every int64 here is a size or a duration).
 */
export type Int64 = string | number;
/**
 * A google.protobuf.Any in proto3 JSON holding one of the google.genomics.v2alpha1 event messages: "@type" is "type.googleapis.com/google.genomics.v2alpha1.<EventName>" and the other members are the fields of that message. Any other "@type" is refused.
 */
export type Event = {
  /**
   * The type URL of the packed event message.
   */
  '@type':
    | 'type.googleapis.com/google.genomics.v2alpha1.DelayedEvent'
    | 'type.googleapis.com/google.genomics.v2alpha1.WorkerAssignedEvent'
    | 'type.googleapis.com/google.genomics.v2alpha1.WorkerReleasedEvent'
    | 'type.googleapis.com/google.genomics.v2alpha1.PullStartedEvent'
    | 'type.googleapis.com/google.genomics.v2alpha1.PullStoppedEvent'
    | 'type.googleapis.com/google.genomics.v2alpha1.ContainerStartedEvent'
    | 'type.googleapis.com/google.genomics.v2alpha1.ContainerStoppedEvent'
    | 'type.googleapis.com/google.genomics.v2alpha1.ContainerKilledEvent'
    | 'type.googleapis.com/google.genomics.v2alpha1.UnexpectedExitStatusEvent'
    | 'type.googleapis.com/google.genomics.v2alpha1.RunStoppedEvent'
    | 'type.googleapis.com/google.genomics.v2alpha1.FailedEvent';
};
/**
 * google.protobuf.Timestamp in proto3 JSON: an RFC 3339 date-time, e.g. "2024-05-01T12:00:00.123Z".
 */
export type Timestamp = string;

/**
 * The parameters to the CheckIn method.
 */
export interface GoogleGenomicsV2Alpha1CheckInRequest {
  /**
   * Gaffer extension (not in v2alpha1): what the worker is, for operators and for the scheduler. Sent by Gaffer's own worker on every check-in; kept on the worker record, and its zone and machineType fill the WorkerAssignedEvent of the operations it is given.
   */
  capabilities?: WorkerCapabilities;
  /**
   * The deadline has expired and the worker needs more time.
   */
  deadlineExpired?: Empty;
  /**
   * A workflow specific event occurred.
   */
  event?: Event;
  /**
   * A list of timestamped events.
   *
   * @maxItems 400
   */
  events?: TimestampedEvent[];
  /**
   * The operation has finished with the given result.
   */
  result?: Status;
  /**
   * An SOS report for an unexpected VM failure.
   */
  sosReport?: string;
  /**
   * Data about the status of the worker VM.
   */
  workerStatus?: WorkerStatus;
  /**
   * Gaffer extension: the lease this check-in is about (features.lease of the response that granted it, OPERATION:EPOCH), for workers that can't add ?lease= to the URL (Google's generated clients pass unknown body fields through). A report that names a lease is taken only if that is the lease the worker holds.
   */
  lease?: string;
}
/**
 * Gaffer extension: a worker's zone, size, accelerators, free disk and pool. Every field is optional; int64 fields as the proto3 JSON mapping writes them (digit strings; integers are accepted too).
 */
export interface WorkerCapabilities {
  /**
   * The accelerators (GPUs) the worker can attach to actions.
   *
   * @maxItems 16
   */
  accelerators?: WorkerAccelerator[];
  /**
   * The worker runs pipelines whatever machine type they ask for (gaffer-worker --ignore-machine-type): the scheduler does not hold vCPUs and RAM against them. cpuCount and memoryBytes still say what the worker has.
   */
  anyMachineType?: boolean;
  /**
   * Number of vCPUs.
   */
  cpuCount?: number;
  /**
   * Free space where the worker keeps operations' disks.
   */
  freeDiskBytes?: Int64;
  /**
   * The Compute Engine machine type (e.g. "n1-standard-4"), if the worker knows it.
   */
  machineType?: string;
  /**
   * Total RAM.
   */
  memoryBytes?: Int64;
  /**
   * The worker pool the operator put it in.
   */
  pool?: string;
  /**
   * Whether the worker's VM can be preempted (spot).
   */
  preemptible?: boolean;
  /**
   * The zone the worker runs in (e.g. "us-central1-a"), if it knows it.
   */
  zone?: string;
}
/**
 * Gaffer extension: accelerators of one type a worker has.
 */
export interface WorkerAccelerator {
  /**
   * How many.
   */
  count: Int64;
  /**
   * The accelerator type (e.g. "nvidia-tesla-t4").
   */
  type: string;
}
/**
 * A generic empty message that you can re-use to avoid defining duplicated empty messages in your APIs. A typical example is to use it as the request or the response type of an API method. For instance: service Foo { rpc Bar(google.protobuf.Empty) returns (google.protobuf.Empty); }
 */
export interface Empty {}
/**
 * An event that occured in the operation assigned to the worker and the time of occurance.
 */
export interface TimestampedEvent {
  /**
   * The event data.
   */
  data: Event;
  /**
   * The time when the event happened.
   */
  timestamp: Timestamp;
}
/**
 * The `Status` type defines a logical error model that is suitable for different programming environments, including REST APIs and RPC APIs. It is used by [gRPC](https://github.com/grpc). Each `Status` message contains three pieces of data: error code, error message, and error details. You can find out more about this error model and how to work with it in the [API Design Guide](https://cloud.google.com/apis/design/errors).
 */
export interface Status {
  /**
   * The status code, which should be an enum value of google.rpc.Code.
   */
  code?: number;
  /**
   * A list of messages that carry the error details. There is a common set of message types for APIs to use.
   *
   * @maxItems 16
   */
  details?: AnyDetail[];
  /**
   * A developer-facing error message, which should be in English. Any user-facing error message should be localized and sent in the google.rpc.Status.details field, or localized by the client.
   */
  message?: string;
}
/**
 * A google.protobuf.Any in proto3 JSON: "@type" names the packed message and the remaining members are its fields. The packed message types of Status.details are open-ended, so only "@type" is checked.
 */
export interface AnyDetail {
  /**
   * The type URL of the packed message; its last path segment is the fully-qualified message name (e.g. "type.googleapis.com/google.rpc.ErrorInfo").
   */
  '@type': string;
  [k: string]: unknown;
}
/**
 * The status of the worker VM.
 */
export interface WorkerStatus {
  /**
   * Status of attached disks.
   */
  attachedDisks?: {
    [k: string]: DiskStatus;
  };
  /**
   * Status of the boot disk.
   */
  bootDisk?: DiskStatus;
  /**
   * Free RAM.
   */
  freeRamBytes?: Int64;
  /**
   * Total RAM.
   */
  totalRamBytes?: Int64;
  /**
   * System uptime.
   */
  uptimeSeconds?: Int64;
}
/**
 * The status of a disk on a VM.
 */
export interface DiskStatus {
  /**
   * Free disk space.
   */
  freeSpaceBytes?: Int64;
  /**
   * Total disk space.
   */
  totalSpaceBytes?: Int64;
}
