/* Generated from schemas/runPipelineRequest.schema.json by scripts/generate-wire-types.mjs: do not edit. */
/* eslint-disable */

/**
 * A name chosen by the client (action, disk or volume): letters, digits, '.', '_' and '-', starting with a letter or digit. Google documented alphanumerics and hyphens but accepted what real clients send (dsub's final_logging and mount-BUCKET actions).
 */
export type Name = string;
/**
 * google.protobuf.Duration in proto3 JSON: non-negative seconds with up to 9 fractional digits, suffixed with "s" (e.g. "3600s", "1.5s").
 */
export type Duration = string;
/**
 * int64 in proto3 JSON: a string of decimal digits, or (as Google's parsers also accept) a JSON integer.
 */
export type Int64 = string | number;
/**
 * int32 in proto3 JSON, non-negative: a JSON integer, or (as Google's parsers also accept, and dsub sends for sizeGb) a string of decimal digits. Stored and echoed as a JSON number.
 */
export type Int32Size = number | string;

/**
 * The arguments to the `RunPipeline` method. The requesting user must have the `iam.serviceAccounts.actAs` permission for the Cloud Genomics service account or the request will fail.
 */
export interface GoogleGenomicsV2Alpha1RunPipelineRequest {
  /**
   * User-defined labels to associate with the returned operation. These labels are not propagated to any Google Cloud Platform resources used by the operation, and can be modified at any time. To associate labels with resources created while executing the operation, see the appropriate resource message (for example, `VirtualMachine`).
   */
  labels?: OperationLabels;
  /**
   * Required. The description of the pipeline to run.
   */
  pipeline: Pipeline;
  /**
   * The name of an existing Pub/Sub topic. The server will publish messages to this topic whenever the status of the operation changes. The Genomics Service Agent account must have publisher permissions to the specified topic or notifications will not be sent.
   */
  pubSubTopic?: string;
}
/**
 * Labels of an operation or an action, which Google did not propagate to any resource, so any non-empty key is accepted (the filter language addresses such keys as labels."key with space"): at most 64 labels, keys 1-256 characters, values at most 1024 characters; the server also refuses a label whose key and value together exceed what a Firestore index entry can hold.
 */
export interface OperationLabels {
  [k: string]: string;
}
/**
 * Specifies a series of actions to execute, expressed as Docker containers.
 */
export interface Pipeline {
  /**
   * The list of actions to execute, in the order they are specified.
   *
   * @minItems 1
   * @maxItems 100
   */
  actions: Action[];
  /**
   * The encrypted environment to pass into every action. Each action can also specify its own encrypted environment. The secret must decrypt to a JSON-encoded dictionary where key-value pairs serve as environment variable names and their values. The decoded environment variables can overwrite the values specified by the `environment` field.
   */
  encryptedEnvironment?: Secret;
  /**
   * The environment to pass into every action. Each action can also specify additional environment variables but cannot delete an entry from this map (though they can overwrite it with a different value).
   */
  environment?: Environment;
  /**
   * The resources required for execution.
   */
  resources: Resources;
  /**
   * The maximum amount of time to give the pipeline to complete. This includes the time spent waiting for a worker to be allocated. If the pipeline fails to complete before the timeout, it will be cancelled and the error code will be set to DEADLINE_EXCEEDED. If unspecified, it will default to 7 days.
   */
  timeout?: Duration;
}
/**
 * Specifies a single action that runs a Docker container.
 */
export interface Action {
  /**
   * If specified, overrides the `CMD` specified in the container. If the container also has an `ENTRYPOINT` the values are used as entrypoint arguments. Otherwise, they are used as a command and arguments to run inside the container.
   *
   * @maxItems 1000
   */
  commands?: string[];
  /**
   * If the specified image is hosted on a private registry other than Google Container Registry, the credentials required to pull the image must be specified here as an encrypted secret. The secret must decrypt to a JSON-encoded dictionary containing both `username` and `password` keys.
   */
  credentials?: Secret;
  /**
   * The encrypted environment to pass into the container. This environment is merged with values specified in the google.genomics.v2alpha1.Pipeline message, overwriting any duplicate values. The secret must decrypt to a JSON-encoded dictionary where key-value pairs serve as environment variable names and their values. The decoded environment variables can overwrite the values specified by the `environment` field.
   */
  encryptedEnvironment?: Secret;
  /**
   * If specified, overrides the `ENTRYPOINT` specified in the container.
   */
  entrypoint?: string;
  /**
   * The environment to pass into the container. This environment is merged with values specified in the google.genomics.v2alpha1.Pipeline message, overwriting any duplicate values. In addition to the values passed here, a few other values are automatically injected into the environment. These cannot be hidden or overwritten. `GOOGLE_PIPELINE_FAILED` will be set to "1" if the pipeline failed because an action has exited with a non-zero status (and did not have the `IGNORE_EXIT_STATUS` flag set). This can be used to determine if additional debug or logging actions should execute. `GOOGLE_LAST_EXIT_STATUS` will be set to the exit status of the last non-background action that executed. This can be used by workflow engine authors to determine whether an individual action has succeeded or failed.
   */
  environment?: Environment;
  /**
   * The set of flags to apply to this action.
   *
   * @maxItems 9
   */
  flags?: (
    | 'FLAG_UNSPECIFIED'
    | 'IGNORE_EXIT_STATUS'
    | 'RUN_IN_BACKGROUND'
    | 'ALWAYS_RUN'
    | 'ENABLE_FUSE'
    | 'PUBLISH_EXPOSED_PORTS'
    | 'DISABLE_IMAGE_PREFETCH'
    | 'DISABLE_STANDARD_ERROR_CAPTURE'
    | 'BLOCK_EXTERNAL_NETWORK'
  )[];
  /**
   * Required. The URI to pull the container image from. Note that all images referenced by actions in the pipeline are pulled before the first action runs. If multiple actions reference the same image, it is only pulled once, ensuring that the same image is used for all actions in a single pipeline. The image URI can be either a complete host and image specification (e.g., quay.io/biocontainers/samtools), a library and image name (e.g., google/cloud-sdk) or a bare image name ('bash') to pull from the default library. No schema is required in any of these cases. If the specified image is not public, the service account specified for the Virtual Machine must have access to pull the images from GCR, or appropriate credentials must be specified in the google.genomics.v2alpha1.Action.credentials field.
   */
  imageUri: string;
  /**
   * Labels to associate with the action. This field is provided to assist workflow engine authors in identifying actions (for example, to indicate what sort of action they perform, such as localization or debugging). They are returned in the operation metadata, but are otherwise ignored.
   */
  labels?: OperationLabels;
  /**
   * A list of mounts to make available to the action. In addition to the values specified here, every action has a special virtual disk mounted under `/google` that contains log files and other operational components. - /google/logs All logs written during the pipeline execution. - /google/logs/output The combined standard output and standard error of all actions run as part of the pipeline execution. - /google/logs/action/x/stdout The complete contents of each individual action's standard output. - /google/logs/action/x/stderr The complete contents of each individual action's standard error output.
   *
   * @maxItems 100
   */
  mounts?: Mount[];
  /**
   * An optional name for the container. The container hostname will be set to this name, making it useful for inter-container communication. The name must contain only upper and lowercase alphanumeric characters and hyphens and cannot start with a hyphen.
   */
  name?: Name;
  /**
   * An optional identifier for a PID namespace to run the action inside. Multiple actions should use the same string to share a namespace. If unspecified, a separate isolated namespace is used.
   */
  pidNamespace?: string;
  /**
   * A map of containers to host port mappings for this container. If the container already specifies exposed ports, use the `PUBLISH_EXPOSED_PORTS` flag instead. The host port number must be less than 65536. If it is zero, an unused random port is assigned. To determine the resulting port number, consult the `ContainerStartedEvent` in the operation metadata.
   */
  portMappings?: {
    [k: string]: number;
  };
  /**
   * The maximum amount of time to give the action to complete. If the action fails to complete before the timeout, it will be terminated and the exit status will be non-zero. The pipeline will continue or terminate based on the rules defined by the `ALWAYS_RUN` and `IGNORE_EXIT_STATUS` flags.
   */
  timeout?: Duration;
}
/**
 * Holds encrypted information that is only decrypted and stored in RAM by the worker VM when running the pipeline.
 */
export interface Secret {
  /**
   * The value of the cipherText response from the `encrypt` method. This field is intentionally unaudited.
   */
  cipherText?: string;
  /**
   * The name of the Cloud KMS key that will be used to decrypt the secret value. The VM service account must have the required permissions and authentication scopes to invoke the `decrypt` method on the specified key.
   */
  keyName?: string;
}
/**
 * Environment variable map: variable name to value.
 */
export interface Environment {
  [k: string]: string;
}
/**
 * Carries information about a particular disk mount inside a container.
 */
export interface Mount {
  /**
   * The name of the disk to mount, as specified in the resources section.
   */
  disk?: string;
  /**
   * The path to mount the disk inside the container.
   */
  path?: string;
  /**
   * If true, the disk is mounted read-only inside the container.
   */
  readOnly?: boolean;
}
/**
 * The system resources for the pipeline run. At least one zone or region must be specified or the pipeline run will fail.
 */
export interface Resources {
  /**
   * The project ID to allocate resources in.
   */
  projectId: string;
  /**
   * The list of regions allowed for VM allocation. If set, the `zones` field must not be set.
   *
   * @maxItems 100
   */
  regions?: string[];
  /**
   * The virtual machine specification.
   */
  virtualMachine?: VirtualMachine;
  /**
   * The list of zones allowed for VM allocation. If set, the `regions` field must not be set.
   *
   * @maxItems 100
   */
  zones?: string[];
}
/**
 * Carries information about a Compute Engine VM resource.
 */
export interface VirtualMachine {
  /**
   * The list of accelerators to attach to the VM.
   *
   * @maxItems 16
   */
  accelerators?: Accelerator[];
  /**
   * The size of the boot disk, in GB. The boot disk must be large enough to accommodate all of the Docker images from each action in the pipeline at the same time. If not specified, a small but reasonable default value is used.
   */
  bootDiskSizeGb?: Int32Size;
  /**
   * The host operating system image to use. Currently, only Container-Optimized OS images can be used. The default value is `projects/cos-cloud/global/images/family/cos-stable`, which selects the latest stable release of Container-Optimized OS. This option is provided to allow testing against the beta release of the operating system to ensure that the new version does not interact negatively with production pipelines. To test a pipeline against the beta release of Container-Optimized OS, use the value `projects/cos-cloud/global/images/family/cos-beta`.
   */
  bootImage?: string;
  /**
   * The CPU platform to request. An instance based on a newer platform can be allocated, but never one with fewer capabilities. The value of this parameter must be a valid Compute Engine CPU platform name (such as "Intel Skylake"). This parameter is only useful for carefully optimized work loads where the CPU platform has a significant impact. For more information about the effect of this parameter, see https://cloud.google.com/compute/docs/instances/specify-min-cpu-platform.
   */
  cpuPlatform?: string;
  /**
   * The list of disks to create and attach to the VM. Specify either the `volumes[]` field or the `disks[]` field, but not both.
   *
   * @maxItems 64
   */
  disks?: Disk[];
  /**
   * The Compute Engine Disk Images to use as a Docker cache. The disks will be mounted into the Docker folder in a way that the images present in the cache will not need to be pulled. The digests of the cached images must match those of the tags used or the latest version will still be pulled. The root directory of the ext4 image must contain `image` and `overlay2` directories copied from the Docker directory of a VM where the desired Docker images have already been pulled. Any images pulled that are not cached will be stored on the first cache disk instead of the boot disk. Only a single image is supported.
   *
   * @maxItems 1
   */
  dockerCacheImages?: string[];
  /**
   * Whether Stackdriver monitoring should be enabled on the VM.
   */
  enableStackdriverMonitoring?: boolean;
  /**
   * Optional set of labels to apply to the VM and any attached disk resources. These labels must adhere to the [name and value restrictions](https://cloud.google.com/compute/docs/labeling-resources) on VM labels imposed by Compute Engine. Labels keys with the prefix 'google-' are reserved for use by Google. Labels applied at creation time to the VM. Applied on a best-effort basis to attached disk resources shortly after VM creation.
   */
  labels?: Labels;
  /**
   * Required. The machine type of the virtual machine to create. Must be the short name of a standard machine type (such as "n1-standard-1") or a custom machine type (such as "custom-1-4096", where "1" indicates the number of vCPUs and "4096" indicates the memory in MB). See [Creating an instance with a custom machine type](https://cloud.google.com/compute/docs/instances/creating-instance-with-custom-machine-type#create) for more specifications on creating a custom machine type.
   */
  machineType?: string;
  /**
   * The VM network configuration.
   */
  network?: Network;
  /**
   * The NVIDIA driver version to use when attaching an NVIDIA GPU accelerator. The version specified here must be compatible with the GPU libraries contained in the container being executed, and must be one of the drivers hosted in the `nvidia-drivers-us-public` bucket on Google Cloud Storage.
   */
  nvidiaDriverVersion?: string;
  /**
   * If true, allocate a preemptible VM.
   */
  preemptible?: boolean;
  /**
   * If specified, the VM will only be allocated inside the matching reservation. It will fail if the VM parameters don't match the reservation.
   */
  reservation?: string;
  /**
   * The service account to install on the VM. This account does not need any permissions other than those required by the pipeline.
   */
  serviceAccount?: ServiceAccount;
  /**
   * The list of disks and other storage to create or attach to the VM. Specify either the `volumes[]` field or the `disks[]` field, but not both.
   *
   * @maxItems 64
   */
  volumes?: Volume[];
}
/**
 * Carries information about an accelerator that can be attached to a VM.
 */
export interface Accelerator {
  /**
   * How many accelerators of this type to attach.
   */
  count?: Int64;
  /**
   * The accelerator type string (for example, "nvidia-tesla-k80"). Only NVIDIA GPU accelerators are currently supported. If an NVIDIA GPU is attached, the required runtime libraries will be made available to all containers under `/usr/local/nvidia`. The driver version to install must be specified using the NVIDIA driver version parameter on the virtual machine specification. Note that attaching a GPU increases the worker VM startup time by a few minutes.
   */
  type?: string;
}
/**
 * Carries information about a disk that can be attached to a VM. See https://cloud.google.com/compute/docs/disks/performance for more information about disk type, size, and performance considerations. Specify either `Volume` or `Disk`, but not both.
 */
export interface Disk {
  /**
   * A user-supplied name for the disk. Used when mounting the disk into actions. The name must contain only upper and lowercase alphanumeric characters and hyphens and cannot start with a hyphen.
   */
  name?: Name;
  /**
   * The size, in GB, of the disk to attach. If the size is not specified, a default is chosen to ensure reasonable I/O performance. If the disk type is specified as `local-ssd`, multiple local drives are automatically combined to provide the requested size. Note, however, that each physical SSD is 375GB in size, and no more than 8 drives can be attached to a single instance.
   */
  sizeGb?: Int32Size;
  /**
   * An optional image to put on the disk before attaching it to the VM.
   */
  sourceImage?: string;
  /**
   * The Compute Engine disk type. If unspecified, `pd-standard` is used.
   */
  type?: string;
}
/**
 * Compute Engine label rules (VM labels are applied to the VM): at most 64 labels; keys are 1-63 characters, start with a lowercase letter (or other letter without case) and contain only lowercase letters, digits, underscores and hyphens; values are 0-63 characters of the same set.
 */
export interface Labels {
  [k: string]: string;
}
/**
 * VM networking options.
 */
export interface Network {
  /**
   * The network name to attach the VM's network interface to. The value will be prefixed with `global/networks/` unless it contains a `/`, in which case it is assumed to be a fully specified network resource URL. If unspecified, the global default network is used.
   */
  name?: string;
  /**
   * If the specified network is configured for custom subnet creation, the name of the subnetwork to attach the instance to must be specified here. The value is prefixed with `regions/x/subnetworks/` unless it contains a `/`, in which case it is assumed to be a fully specified subnetwork resource URL. If the `*` character appears in the value, it is replaced with the region that the virtual machine has been allocated in.
   */
  subnetwork?: string;
  /**
   * If set to true, do not attach a public IP address to the VM. Note that without a public IP address, additional configuration is required to allow the VM to access Google services. See https://cloud.google.com/vpc/docs/configure-private-google-access for more information.
   */
  usePrivateAddress?: boolean;
}
/**
 * Carries information about a Google Cloud service account.
 */
export interface ServiceAccount {
  /**
   * Email address of the service account, or "default" (what dsub and Cromwell send) for the project's default Compute Engine service account. If not specified, the default is used.
   */
  email?: (
    | 'default'
    | {
        [k: string]: unknown;
      }
  ) &
    string;
  /**
   * List of scopes to be enabled for this service account on the VM, in addition to the cloud-platform API scope that will be added by default.
   *
   * @maxItems 100
   */
  scopes?: string[];
}
/**
 * Carries information about storage that can be attached to a VM. Specify either `Volume` or `Disk`, but not both.
 */
export interface Volume {
  /**
   * Configuration for a existing disk.
   */
  existingDisk?: ExistingDisk;
  /**
   * Configuration for an NFS mount.
   */
  nfsMount?: NFSMount;
  /**
   * Configuration for a persistent disk.
   */
  persistentDisk?: PersistentDisk;
  /**
   * A user-supplied name for the volume. Used when mounting the volume into `Actions`. The name must contain only upper and lowercase alphanumeric characters and hyphens and cannot start with a hyphen.
   */
  volume?: Name;
}
/**
 * Configuration for an existing disk to be attached to the VM.
 */
export interface ExistingDisk {
  /**
   * If `disk` contains slashes, the Cloud Life Sciences API assumes that it is a complete URL for the disk. If `disk` does not contain slashes, the Cloud Life Sciences API assumes that the disk is a zonal disk and a URL will be generated of the form `zones//disks/`, where `` is the zone in which the instance is allocated. The disk must be ext4 formatted. If all `Mount` references to this disk have the `read_only` flag set to true, the disk will be attached in `read-only` mode and can be shared with other instances. Otherwise, the disk will be available for writing but cannot be shared.
   */
  disk?: string;
}
/**
 * Configuration for an `NFSMount` to be attached to the VM.
 */
export interface NFSMount {
  /**
   * A target NFS mount. The target must be specified as `address:/mount".
   */
  target?: string;
}
/**
 * Configuration for a persistent disk to be attached to the VM. See https://cloud.google.com/compute/docs/disks/performance for more information about disk type, size, and performance considerations.
 */
export interface PersistentDisk {
  /**
   * The size, in GB, of the disk to attach. If the size is not specified, a default is chosen to ensure reasonable I/O performance. If the disk type is specified as `local-ssd`, multiple local drives are automatically combined to provide the requested size. Note, however, that each physical SSD is 375GB in size, and no more than 8 drives can be attached to a single instance.
   */
  sizeGb?: Int32Size;
  /**
   * An image to put on the disk before attaching it to the VM.
   */
  sourceImage?: string;
  /**
   * The Compute Engine disk type. If unspecified, `pd-standard` is used.
   */
  type?: string;
}
