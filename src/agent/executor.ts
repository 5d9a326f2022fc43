/**
 * How an action runs: as a Docker container (DockerExecutor, dockerExecutor.ts) or, for
 * development, as a host process (LocalExecutor, localExecutor.ts). The runner decides
 * what runs when; an executor starts one action, streams what it prints into its
 * ActionOutput, tells where it can be reached, and stops it when asked.
 */
import type {ActionOutput} from './output';
import type {Workspace} from './workspace';

/** An operation as an executor sees it. */
export interface OperationContext {
  /** `<operation id>-<lease epoch>`: unique on this worker, in names of what the operation creates. */
  runId: string;
  /** The operation's name (projects/P/operations/ID). */
  operation: string;
  workerId: string;
  workspace: Workspace;
  /** Labels on everything the operation creates (containers, networks), so a restarted worker finds what it left. */
  labels: Record<string, string>;
  /** virtualMachine.network.usePrivateAddress: no address in ContainerStartedEvent. */
  privateAddress: boolean;
}

export interface MountSpec {
  hostPath: string;
  /** Where the action sees it. */
  path: string;
  readOnly: boolean;
}

export interface ActionSpec {
  /** 1-based, as Google's were. */
  actionId: number;
  imageUri: string;
  commands: string[];
  entrypoint?: string;
  environment: Record<string, string>;
  /** A name unique on this host (containers: at least 2 characters). */
  containerName: string;
  /** The action's `name`: its hostname and its name on the operation's network. */
  name?: string;
  /** /google/logs and the action's disk mounts. */
  mounts: MountSpec[];
  labels: Record<string, string>;
  /** containerPort -> hostPort (0: any free port). */
  portMappings: Record<string, number>;
  publishExposedPorts: boolean;
  pidNamespace?: string;
  /** BLOCK_EXTERNAL_NETWORK. */
  blockNetwork: boolean;
  /** ENABLE_FUSE. */
  fuse: boolean;
  /** GPU device indices given to the operation. */
  gpus: string[];
}

export interface ActionExit {
  exitStatus: number;
  /** Stopped by kill() (timeout, cancel, end of the pipeline). */
  killed: boolean;
}

export interface RunningAction {
  /** Where its published ports can be reached (ContainerStartedEvent), when it has any. */
  ipAddress?: string;
  /** containerPort -> hostPort of what was published. */
  portMappings?: Record<string, number>;
  exited: Promise<ActionExit>;
  /** Stops it: SIGTERM, then SIGKILL after a grace period. */
  kill(): void;
}

export interface Executor {
  readonly kind: 'local' | 'docker';
  /** Sets up what the operation's actions share (Docker: a network of their own). */
  prepare?(op: OperationContext): Promise<void>;
  /** Pulls an image (Docker), with registry credentials if the action gave some. */
  pull?(op: OperationContext, imageUri: string, credentials?: RegistryCredentials): Promise<void>;
  /** Whether the image is on the engine already. */
  hasImage?(imageUri: string): Promise<boolean>;
  start(op: OperationContext, spec: ActionSpec, output: ActionOutput): Promise<RunningAction>;
  /** Removes what the operation left (containers, its network); safe to call twice. */
  release?(op: OperationContext): Promise<void>;
  /** Removes what an earlier run of this worker left behind (a crash); says what it removed. */
  recover?(workerId: string): Promise<string[]>;
}

export interface RegistryCredentials {
  username: string;
  password: string;
}

/** Seconds between SIGTERM and SIGKILL when an action is stopped. */
export const KILL_GRACE_SECONDS = 3;

export {DockerExecutor} from './dockerExecutor';
export {LocalExecutor} from './localExecutor';
