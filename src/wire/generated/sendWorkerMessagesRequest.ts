/* Generated from schemas/sendWorkerMessagesRequest.schema.json by scripts/generate-wire-types.mjs: do not edit. */
/* eslint-disable */

/**
 * int64 in proto3 JSON: a string of decimal digits, or (as Google's parsers also accept) a JSON integer. Negative values are refused (every such int64 here is a size, a count, a delta or a duration).
 */
export type Int64 = string | number;
/**
 * google.protobuf.Timestamp in proto3 JSON: an RFC 3339 date-time, e.g. "2024-05-01T12:00:00.123Z".
 */
export type Timestamp = string;
/**
 * int64 in proto3 JSON that may be negative (a metric value): an optionally signed string of decimal digits, or a JSON integer.
 */
export type SignedInt64 = string | number;
/**
 * google.protobuf.Duration in proto3 JSON: non-negative seconds with up to 9 fractional digits, suffixed with "s" (e.g. "30s", "1.5s").
 */
export type Duration = string;

/**
 * A request for sending worker messages to the service.
 */
export interface DataflowV1B3SendWorkerMessagesRequest {
  /**
   * The [regional endpoint] (https://cloud.google.com/dataflow/docs/concepts/regional-endpoints) that contains the job.
   */
  location?: string;
  /**
   * The WorkerMessages to send.
   *
   * @maxItems 100
   */
  workerMessages?: WorkerMessage[];
}
/**
 * WorkerMessage provides information to the backend about a worker.
 */
export interface WorkerMessage {
  /**
   * Optional. Contains metrics related to go/dataflow-data-sampling-telemetry.
   */
  dataSamplingReport?: DataSamplingReport;
  /**
   * Labels are used to group WorkerMessages. For example, a worker_message about a particular container might have the labels: { "JOB_ID": "2015-04-22", "WORKER_ID": "wordcount-vm-2015…" "CONTAINER_TYPE": "worker", "CONTAINER_ID": "ac1234def"} Label tags typically correspond to Label enum values. However, for ease of development other strings can be used as tags. LABEL_UNSPECIFIED should not be used here.
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * System defined metrics for this worker.
   */
  perWorkerMetrics?: PerWorkerMetrics;
  /**
   * Contains per-user worker telemetry used in streaming autoscaling.
   */
  streamingScalingReport?: StreamingScalingReport;
  /**
   * The timestamp of the worker_message.
   */
  time?: Timestamp;
  /**
   * The health of a worker.
   */
  workerHealthReport?: WorkerHealthReport;
  /**
   * Record of worker lifecycle events.
   */
  workerLifecycleEvent?: WorkerLifecycleEvent;
  /**
   * A worker message code.
   */
  workerMessageCode?: WorkerMessageCode;
  /**
   * Resource metrics reported by workers.
   */
  workerMetrics?: ResourceUtilizationReport;
  /**
   * Shutdown notice by workers.
   */
  workerShutdownNotice?: WorkerShutdownNotice;
  /**
   * Thread scaling information reported by workers.
   */
  workerThreadScalingReport?: WorkerThreadScalingReport;
}
/**
 * Contains per-worker telemetry about the data sampling feature.
 */
export interface DataSamplingReport {
  /**
   * Optional. Delta of bytes written to file from previous report.
   */
  bytesWrittenDelta?: Int64;
  /**
   * Optional. Delta of bytes sampled from previous report.
   */
  elementsSampledBytes?: Int64;
  /**
   * Optional. Delta of number of elements sampled from previous report.
   */
  elementsSampledCount?: Int64;
  /**
   * Optional. Delta of number of samples taken from user code exceptions from previous report.
   */
  exceptionsSampledCount?: Int64;
  /**
   * Optional. Delta of number of PCollections sampled from previous report.
   */
  pcollectionsSampledCount?: Int64;
  /**
   * Optional. Delta of errors counts from persisting the samples from previous report.
   */
  persistenceErrorsCount?: Int64;
  /**
   * Optional. Delta of errors counts from retrieving, or translating the samples from previous report.
   */
  translationErrorsCount?: Int64;
}
/**
 * Per worker metrics.
 */
export interface PerWorkerMetrics {
  /**
   * Optional. Metrics for a particular unfused step and namespace.
   *
   * @maxItems 1000
   */
  perStepNamespaceMetrics?: PerStepNamespaceMetrics[];
}
/**
 * Metrics for a particular unfused step and namespace. A metric is uniquely identified by the `metrics_namespace`, `original_step`, `metric name` and `metric_labels`.
 */
export interface PerStepNamespaceMetrics {
  /**
   * Optional. Metrics that are recorded for this namespace and unfused step.
   *
   * @maxItems 1000
   */
  metricValues?: MetricValue[];
  /**
   * The namespace of these metrics on the worker.
   */
  metricsNamespace?: string;
  /**
   * The original system name of the unfused step that these metrics are reported from.
   */
  originalStep?: string;
}
/**
 * The value of a metric along with its name and labels.
 */
export interface MetricValue {
  /**
   * Base name for this metric.
   */
  metric?: string;
  /**
   * Optional. Set of metric labels for this metric.
   */
  metricLabels?: {
    [k: string]: string;
  };
  /**
   * Non-cumulative int64 value of this metric.
   */
  valueGauge64?: DataflowGaugeValue;
  /**
   * Histogram value of this metric.
   */
  valueHistogram?: DataflowHistogramValue;
  /**
   * Integer value of this metric.
   */
  valueInt64?: SignedInt64;
}
/**
 * The gauge value of a metric.
 */
export interface DataflowGaugeValue {
  /**
   * The timestamp when the gauge was recorded.
   */
  measuredTime?: Timestamp;
  /**
   * The value of the gauge.
   */
  value?: SignedInt64;
}
/**
 * Summary statistics for a population of values. HistogramValue contains a sequence of buckets and gives a count of values that fall into each bucket. Bucket boundares are defined by a formula and bucket widths are either fixed or exponentially increasing.
 */
export interface DataflowHistogramValue {
  /**
   * Optional. The number of values in each bucket of the histogram, as described in `bucket_options`. `bucket_counts` should contain N values, where N is the number of buckets specified in `bucket_options`. If `bucket_counts` has fewer than N values, the remaining values are assumed to be 0.
   *
   * @maxItems 10000
   */
  bucketCounts?: Int64[];
  /**
   * Describes the bucket boundaries used in the histogram.
   */
  bucketOptions?: BucketOptions;
  /**
   * Number of values recorded in this histogram.
   */
  count?: Int64;
  /**
   * Statistics on the values recorded in the histogram that fall out of the bucket boundaries.
   */
  outlierStats?: OutlierStats;
}
/**
 * `BucketOptions` describes the bucket boundaries used in the histogram.
 */
export interface BucketOptions {
  /**
   * Bucket boundaries grow exponentially.
   */
  exponential?: Base2Exponent;
  /**
   * Bucket boundaries grow linearly.
   */
  linear?: Linear;
}
/**
 * Exponential buckets where the growth factor between buckets is `2**(2**-scale)`. e.g. for `scale=1` growth factor is `2**(2**(-1))=sqrt(2)`. `n` buckets will have the following boundaries. - 0th: [0, gf) - i in [1, n-1]: [gf^(i), gf^(i+1))
 */
export interface Base2Exponent {
  /**
   * Must be greater than 0.
   */
  numberOfBuckets?: number;
  /**
   * Must be between -3 and 3. This forces the growth factor of the bucket boundaries to be between `2^(1/8)` and `256`.
   */
  scale?: number;
}
/**
 * Linear buckets with the following boundaries for indices in 0 to n-1. - i in [0, n-1]: [start + (i)*width, start + (i+1)*width)
 */
export interface Linear {
  /**
   * Must be greater than 0.
   */
  numberOfBuckets?: number;
  /**
   * Lower bound of the first bucket.
   */
  start?: number;
  /**
   * Distance between bucket boundaries. Must be greater than 0.
   */
  width?: number;
}
/**
 * Statistics for the underflow and overflow bucket.
 */
export interface OutlierStats {
  /**
   * Number of values that are larger than the upper bound of the largest bucket.
   */
  overflowCount?: Int64;
  /**
   * Mean of values in the overflow bucket.
   */
  overflowMean?: number;
  /**
   * Number of values that are smaller than the lower bound of the smallest bucket.
   */
  underflowCount?: Int64;
  /**
   * Mean of values in the undeflow bucket.
   */
  underflowMean?: number;
}
/**
 * Contains per-user worker telemetry used in streaming autoscaling.
 */
export interface StreamingScalingReport {
  /**
   * Active bundle count (no doc comment in the d.ts).
   */
  activeBundleCount?: number;
  /**
   * Current acive thread count.
   */
  activeThreadCount?: number;
  /**
   * Maximum bundle count.
   */
  maximumBundleCount?: number;
  /**
   * Maximum bytes.
   */
  maximumBytes?: Int64;
  /**
   * Maximum bytes count (no doc comment in the d.ts).
   */
  maximumBytesCount?: number;
  /**
   * Maximum thread count limit.
   */
  maximumThreadCount?: number;
  /**
   * Current outstanding bundle count.
   */
  outstandingBundleCount?: number;
  /**
   * Current outstanding bytes.
   */
  outstandingBytes?: Int64;
  /**
   * Outstanding bytes count (no doc comment in the d.ts).
   */
  outstandingBytesCount?: number;
}
/**
 * WorkerHealthReport contains information about the health of a worker. The VM should be identified by the labels attached to the WorkerMessage that this health ping belongs to.
 */
export interface WorkerHealthReport {
  /**
   * Message describing any unusual health reports.
   */
  msg?: string;
  /**
   * The pods running on the worker. See: http://kubernetes.io/v1.1/docs/api-reference/v1/definitions.html#_v1_pod This field is used by the worker to send the status of the indvidual containers running on each worker.
   *
   * @maxItems 100
   *
   * Items: A pod description: an arbitrary JSON object (google.protobuf.Struct).
   */
  pods?: {}[];
  /**
   * The interval at which the worker is sending health reports. The default value of 0 should be interpreted as the field is not being explicitly set by the worker.
   */
  reportInterval?: Duration;
  /**
   * Code to describe a specific reason, if known, that a VM has reported broken state.
   */
  vmBrokenCode?: string;
  /**
   * Whether the VM is in a permanently broken state. Broken VMs should be abandoned or deleted ASAP to avoid assigning or completing any work.
   */
  vmIsBroken?: boolean;
  /**
   * Whether the VM is currently healthy.
   */
  vmIsHealthy?: boolean;
  /**
   * The time the VM was booted.
   */
  vmStartupTime?: Timestamp;
}
/**
 * A report of an event in a worker's lifecycle. The proto contains one event, because the worker is expected to asynchronously send each message immediately after the event. Due to this asynchrony, messages may arrive out of order (or missing), and it is up to the consumer to interpret. The timestamp of the event is in the enclosing WorkerMessage proto.
 */
export interface WorkerLifecycleEvent {
  /**
   * The start time of this container. All events will report this so that events can be grouped together across container/VM restarts.
   */
  containerStartTime?: Timestamp;
  /**
   * The event being reported.
   */
  event?:
    | 'UNKNOWN_EVENT'
    | 'OS_START'
    | 'CONTAINER_START'
    | 'NETWORK_UP'
    | 'STAGING_FILES_DOWNLOAD_START'
    | 'STAGING_FILES_DOWNLOAD_FINISH'
    | 'SDK_INSTALL_START'
    | 'SDK_INSTALL_FINISH';
  /**
   * Other stats that can accompany an event. E.g. { "downloaded_bytes" : "123456" }
   */
  metadata?: {
    [k: string]: string;
  };
}
/**
 * A message code is used to report status and error messages to the service. The message codes are intended to be machine readable. The service will take care of translating these into user understandable messages if necessary. Example use cases: 1. Worker processes reporting successful startup. 2. Worker processes reporting specific errors (e.g. package staging failure).
 */
export interface WorkerMessageCode {
  /**
   * The code is a string intended for consumption by a machine that identifies the type of message being sent. Examples: 1. "HARNESS_STARTED" might be used to indicate the worker harness has started. 2. "GCS_DOWNLOAD_ERROR" might be used to indicate an error downloading a Cloud Storage file as part of the boot process of one of the worker containers. This is a string and not an enum to make it easy to add new codes without waiting for an API change.
   */
  code?: string;
  /**
   * Parameters contains specific information about the code. This is a struct to allow parameters of different types. Examples: 1. For a "HARNESS_STARTED" message parameters might provide the name of the worker and additional data like timing information. 2. For a "GCS_DOWNLOAD_ERROR" parameters might contain fields listing the Cloud Storage objects being downloaded and fields containing errors. In general complex data structures should be avoided. If a worker needs to send a specific and complicated data structure then please consider defining a new proto and adding it to the data oneof in WorkerMessageResponse. Conventions: Parameters should only be used for information that isn't typically passed as a label. hostname and other worker identifiers should almost always be passed as labels since they will be included on most messages.
   */
  parameters?: {};
}
/**
 * Worker metrics exported from workers. This contains resource utilization metrics accumulated from a variety of sources. For more information, see go/df-resource-signals.
 */
export interface ResourceUtilizationReport {
  /**
   * Per container information. Key: container name.
   */
  containers?: {
    [k: string]: ResourceUtilizationReport;
  };
  /**
   * CPU utilization samples.
   *
   * @maxItems 1000
   */
  cpuTime?: CPUTime[];
  /**
   * Optional. GPU usage samples.
   *
   * @maxItems 1000
   */
  gpuUsage?: GPUUsage[];
  /**
   * Memory utilization samples.
   *
   * @maxItems 1000
   */
  memoryInfo?: MemInfo[];
}
/**
 * Modeled after information exposed by /proc/stat.
 */
export interface CPUTime {
  /**
   * Average CPU utilization rate (% non-idle cpu / second) since previous sample.
   */
  rate?: number;
  /**
   * Timestamp of the measurement.
   */
  timestamp?: Timestamp;
  /**
   * Total active CPU time across all cores (ie., non-idle) in milliseconds since start-up.
   */
  totalMs?: Int64;
}
/**
 * Information about the GPU usage on the worker.
 */
export interface GPUUsage {
  /**
   * Required. Timestamp of the measurement.
   */
  timestamp: Timestamp;
  /**
   * Required. Utilization info about the GPU.
   */
  utilization: GPUUtilization;
}
/**
 * Utilization details about the GPU.
 */
export interface GPUUtilization {
  /**
   * Required. GPU utilization rate of any kernel over the last sample period in the range of [0, 1].
   */
  rate?: number;
}
/**
 * Information about the memory usage of a worker or a container within a worker.
 */
export interface MemInfo {
  /**
   * Instantenous memory limit in bytes.
   */
  currentLimitBytes?: Int64;
  /**
   * Number of Out of Memory (OOM) events recorded since the previous measurement.
   */
  currentOoms?: Int64;
  /**
   * Instantenous memory (RSS) size in bytes.
   */
  currentRssBytes?: Int64;
  /**
   * Timestamp of the measurement.
   */
  timestamp?: Timestamp;
  /**
   * Total memory (RSS) usage since start up in GB * ms.
   */
  totalGbMs?: Int64;
}
/**
 * Shutdown notification from workers. This is to be sent by the shutdown script of the worker VM so that the backend knows that the VM is being shut down.
 */
export interface WorkerShutdownNotice {
  /**
   * The reason for the worker shutdown. Current possible values are: "UNKNOWN": shutdown reason is unknown. "PREEMPTION": shutdown reason is preemption. Other possible reasons may be added in the future.
   */
  reason?: 'PREEMPTION' | 'UNKNOWN';
}
/**
 * Contains information about the thread scaling information of a worker.
 */
export interface WorkerThreadScalingReport {
  /**
   * Current number of active threads in a worker.
   */
  currentThreadCount?: number;
}
