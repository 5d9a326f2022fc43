/**
 * Runs one operation as Google's v2alpha1 worker did, and tells what happens as
 * v2alpha1 events (action ids 1-based):
 * - first, what this worker can't do is refused (pipeline.ts): a FailedEvent naming the
 *   field and why, before anything runs;
 * - the operation gets its own storage (workspace.ts): a directory per disk, mounted at
 *   each action's mount paths, and /google/logs (output.ts); its own network (Docker);
 * - secrets are decrypted (encryptedEnvironment, credentials); a worker that can't fails
 *   the operation saying why;
 * - every image is pulled before the first action (PullStarted/PullStopped) unless
 *   DISABLE_IMAGE_PREFETCH; when a pull fails, a copy already on the engine is used (a
 *   DelayedEvent says so), else the operation fails with the pull's error and no action runs;
 * - environment: the pipeline's, its encrypted one, the action's, its encrypted one (each
 *   overriding the one before), then GOOGLE_PIPELINE_FAILED and GOOGLE_LAST_EXIT_STATUS;
 * - an action's `timeout` stops it (ContainerKilledEvent) and counts as a failure;
 * - a non-zero exit fails the pipeline (UnexpectedExitStatusEvent) unless
 *   IGNORE_EXIT_STATUS; after a failure only ALWAYS_RUN actions run;
 * - RUN_IN_BACKGROUND actions are started and not waited for; they are stopped when the
 *   foreground actions are done;
 * - whatever way it ends, nothing is left: containers, network, directories;
 * - the result is code 0, 9 FAILED_PRECONDITION for a failed action, the refusal's code,
 *   or 1 CANCELLED.
 */
import {tmpdir} from 'os';
import {join} from 'path';
import type {WorkerEventJson} from '../wire/genomics';
import {RpcCode, parseDuration} from '../wire/proto3';
import type {ActionExit, ActionSpec, Executor, MountSpec, OperationContext, RegistryCredentials, RunningAction} from './executor';
import {OperationOutput, LogSink} from './output';
import {ActionPlan, AgentAction, AgentPipeline, OperationPlan, Refusal, WorkerProfile, planOperation} from './pipeline';
import {Decryptor, decryptJson} from './secrets';
import {Workspace, Workspaces} from './workspace';
import {OPERATION_LABEL, RUN_LABEL, WORKER_LABEL} from './dockerExecutor';

const T = 'type.googleapis.com/google.genomics.v2alpha1.';

export type ActionJson = AgentAction;
export type PipelineJson = AgentPipeline;
export type EventData = WorkerEventJson;

export interface RunResult {
  code: number;
  message?: string;
}

/** The worker's GPUs, shared by its slots: each operation gets devices of its own. */
export class GpuPool {
  private readonly free = new Map<string, string[]>();

  constructor(accelerators: ReadonlyArray<{type: string; count: number}> = []) {
    let next = 0;
    for (const {type, count} of accelerators) this.free.set(type, Array.from({length: count}, () => String(next++)));
  }

  /** Device indices for `wanted`, or undefined (and nothing taken) if they are not all free. */
  take(wanted: ReadonlyArray<{type: string; count: number}>): string[] | undefined {
    if (wanted.some(w => (this.free.get(w.type)?.length ?? 0) < w.count)) return undefined;
    return wanted.flatMap(w => this.free.get(w.type)?.splice(0, w.count) ?? []);
  }

  give(type: string, devices: string[]): void {
    this.free.get(type)?.push(...devices);
  }

  /** Returns devices taken by take() (their types are found by index). */
  release(devices: string[], wanted: ReadonlyArray<{type: string; count: number}>): void {
    let at = 0;
    for (const w of wanted) {
      this.give(w.type, devices.slice(at, at + w.count));
      at += w.count;
    }
  }
}

export interface RunnerOptions {
  executor: Executor;
  emit: (data: EventData) => void;
  /** `<operation id>-<lease epoch>`. */
  runId: string;
  workerId?: string;
  /** The operation's name. */
  operation?: string;
  /** Where operations' storage goes (default: the OS temp dir). */
  workspaces?: Workspaces;
  /** What this worker can provide (default: whatever its executor can, no size or place). */
  profile?: Partial<WorkerProfile>;
  decryptor?: Decryptor;
  /** Where what actions print goes besides /google/logs (the log uploader). */
  logs?: LogSink;
  gpus?: GpuPool;
}

/** An action under way. */
interface Started {
  actionId: number;
  running: RunningAction;
  timedOut: boolean;
  /** Stopped by the worker because the operation was cancelled (or its lease lost). */
  cancelled?: boolean;
  /** Resolves once its ContainerStoppedEvent was emitted. */
  finished?: Promise<ActionExit>;
}

interface Failure {
  code: number;
  message: string;
  cause: string;
  /** google.rpc code name, for the FailedEvent. */
  name: string;
}

export class PipelineRunner {
  private cancelled = false;
  private readonly running = new Set<Started>();
  private readonly workerId: string;

  constructor(
    private readonly pipeline: AgentPipeline,
    private readonly options: RunnerOptions,
  ) {
    this.workerId = options.workerId ?? 'gaffer-worker';
  }

  /** Stops every running action (ContainerKilledEvent); run() then resolves CANCELLED. */
  cancel(): void {
    this.cancelled = true;
    for (const started of this.running) {
      started.cancelled = true;
      started.running.kill();
    }
  }

  private emit(data: EventData): void {
    this.options.emit(data);
  }

  private profile(): WorkerProfile {
    const {executor} = this.options;
    const local = executor.kind === 'local';
    const features = (executor as {features?: {privateMounts: boolean; privateNetwork: boolean}}).features;
    return {
      executor: executor.kind,
      privateMounts: local ? (features?.privateMounts ?? false) : true,
      privateNetwork: local ? (features?.privateNetwork ?? false) : true,
      accelerators: [],
      disks: {},
      fuse: false,
      checkMachineType: false,
      ...this.options.profile,
    };
  }

  async run(): Promise<RunResult> {
    const planned = planOperation(this.pipeline, this.profile());
    if ('refusal' in planned) return this.refuse(planned.refusal);
    const {plan} = planned;
    const devices = this.options.gpus?.take(plan.accelerators) ?? (plan.accelerators.length > 0 ? undefined : []);
    if (!devices) {
      return this.refuse({code: 'FAILED_PRECONDITION', cause: "resources.virtualMachine.accelerators: this worker's GPUs are in use by the other operations it runs"});
    }
    const workspaces = this.options.workspaces ?? new Workspaces(join(tmpdir(), 'gaffer-worker'));
    let workspace: Workspace | string;
    try {
      workspace = await workspaces.create(this.workerId, this.options.runId, plan.disks);
    } catch (err) {
      // The worker's own failure (its data directory unwritable, say): the operation fails saying so.
      this.options.gpus?.release(devices, plan.accelerators);
      const cause = `gaffer-worker: can't make the operation's directories in ${workspaces.root}: ${(err as Error).message}`;
      return this.fail({code: RpcCode.INTERNAL, name: 'INTERNAL', message: `Execution failed: ${cause}`, cause});
    }
    if (typeof workspace === 'string') {
      this.options.gpus?.release(devices, plan.accelerators);
      return this.refuse({code: 'FAILED_PRECONDITION', cause: `resources.virtualMachine.disks: ${workspace}`});
    }
    const op: OperationContext = {
      runId: this.options.runId,
      operation: this.options.operation ?? `operations/${this.options.runId}`,
      workerId: this.workerId,
      workspace,
      labels: {[WORKER_LABEL]: this.workerId, [RUN_LABEL]: this.options.runId, [OPERATION_LABEL]: this.options.operation ?? this.options.runId},
      privateAddress: plan.privateAddress,
    };
    const output = new OperationOutput(workspace.logsDir, this.options.logs);
    const background: Started[] = [];
    try {
      return await this.execute(plan, op, workspace, output, background, devices);
    } catch (err) {
      // The worker's own failure (the engine refused to make a network, a disk full...).
      const cause = `gaffer-worker: ${(err as Error).message}`;
      return this.fail({code: RpcCode.INTERNAL, name: 'INTERNAL', message: `Execution failed: ${cause}`, cause});
    } finally {
      // Whatever happened: every action stopped, then nothing left behind.
      for (const started of this.running) started.running.kill();
      await Promise.all([...this.running].map(s => s.finished ?? s.running.exited));
      await output.close();
      await this.options.executor.release?.(op).catch(() => undefined);
      await workspace.remove();
      this.options.gpus?.release(devices, plan.accelerators);
    }
  }

  private refuse(refusal: Refusal): RunResult {
    this.emit({'@type': `${T}FailedEvent`, code: refusal.code, cause: refusal.cause});
    return {code: RpcCode[refusal.code], message: `Execution failed: ${refusal.cause}`};
  }

  private async execute(
    plan: OperationPlan,
    op: OperationContext,
    workspace: Workspace,
    output: OperationOutput,
    background: Started[],
    devices: string[],
  ): Promise<RunResult> {
    const {executor} = this.options;
    let secrets: {pipeline: Record<string, string>; actions: Array<Record<string, string>>; credentials: Array<RegistryCredentials | undefined>};
    try {
      secrets = await this.decrypt(plan);
    } catch (err) {
      return this.refuse({code: 'FAILED_PRECONDITION', cause: (err as Error).message});
    }
    await executor.prepare?.(op);

    const pulled = new Set<string>();
    const credentialsFor = (image: string) => secrets.credentials[plan.actions.findIndex(a => a.action.imageUri === image && secrets.credentials[a.actionId - 1])];
    for (const image of plan.prefetch) {
      if (this.cancelled) break;
      const why = await this.pull(op, image, credentialsFor(image));
      // "No actions will be run if image prefetching fails."
      if (why) return this.fail({code: RpcCode.FAILED_PRECONDITION, name: 'FAILED_PRECONDITION', message: `Execution failed: ${why}`, cause: why});
      pulled.add(image);
    }

    let failure: Failure | undefined;
    let lastExitStatus = 0;
    for (const action of plan.actions) {
      const {actionId, flags} = action;
      if (this.cancelled) break;
      if (failure && !flags.has('ALWAYS_RUN')) continue;
      if (executor.pull && !pulled.has(action.action.imageUri)) {
        const why = await this.pull(op, action.action.imageUri, secrets.credentials[actionId - 1]);
        if (why) {
          failure ??= {code: RpcCode.FAILED_PRECONDITION, name: 'FAILED_PRECONDITION', message: `Execution failed: action ${actionId}: ${why}`, cause: `action ${actionId}: ${why}`};
          continue;
        }
        pulled.add(action.action.imageUri);
      }
      if (this.cancelled) break;

      const spec = this.spec(action, plan, workspace, {
        ...this.pipeline.environment,
        ...secrets.pipeline,
        ...action.action.environment,
        ...secrets.actions[actionId - 1],
        GOOGLE_PIPELINE_FAILED: failure ? '1' : '0',
        GOOGLE_LAST_EXIT_STATUS: String(lastExitStatus),
      }, devices);
      const actionOutput = await output.startAction(actionId, {captureStderr: !flags.has('DISABLE_STANDARD_ERROR_CAPTURE')});
      const running = await executor.start(op, spec, actionOutput);
      const started: Started = {actionId, running, timedOut: false};
      this.running.add(started);
      const timeoutMs = action.action.timeout ? parseDuration(action.action.timeout) : undefined;
      const timer = timeoutMs !== undefined ? setTimeout(() => ((started.timedOut = true), running.kill()), timeoutMs) : undefined;
      const mapped = running.portMappings && Object.keys(running.portMappings).length > 0;
      this.emit({
        '@type': `${T}ContainerStartedEvent`,
        actionId,
        ...(mapped ? {portMappings: running.portMappings, ipAddress: running.ipAddress ?? ''} : {}),
      });
      // A cancel that came while it was starting.
      if (this.cancelled) {
        started.cancelled = true;
        running.kill();
      }
      const finished = (started.finished = running.exited.then(async exit => {
        if (timer) clearTimeout(timer);
        await actionOutput.end();
        this.running.delete(started);
        // Google's worker said so for a timeout; Gaffer's says so for a cancel too: the worker stopped it.
        if (started.timedOut || started.cancelled) this.emit({'@type': `${T}ContainerKilledEvent`, actionId});
        const stderr = actionOutput.stderrTail();
        this.emit({'@type': `${T}ContainerStoppedEvent`, actionId, exitStatus: exit.exitStatus, ...(stderr === undefined ? {} : {stderr})});
        return exit;
      }));
      if (flags.has('RUN_IN_BACKGROUND')) {
        background.push(started);
        continue;
      }

      const exit = await finished;
      if (this.cancelled) break;
      lastExitStatus = exit.exitStatus;
      const failed = started.timedOut || exit.exitStatus !== 0;
      if (failed && !flags.has('IGNORE_EXIT_STATUS')) {
        if (!started.timedOut) this.emit({'@type': `${T}UnexpectedExitStatusEvent`, actionId, exitStatus: exit.exitStatus});
        const why = started.timedOut ? `was killed after its timeout (${action.action.timeout})` : `unexpected exit status ${exit.exitStatus} was not ignored`;
        failure ??= {code: RpcCode.FAILED_PRECONDITION, name: 'FAILED_PRECONDITION', message: `Execution failed: action ${actionId}: ${why}`, cause: `action ${actionId}: ${why}`};
      }
    }

    // Background actions end with the pipeline; their ContainerStoppedEvents come before the outcome.
    for (const started of background) started.running.kill();
    await Promise.all(background.map(s => s.finished ?? s.running.exited));
    if (this.cancelled) return {code: RpcCode.CANCELLED, message: 'The operation was cancelled'};
    if (failure) return this.fail(failure);
    return {code: 0};
  }

  private fail(failure: Failure): RunResult {
    this.emit({'@type': `${T}FailedEvent`, code: failure.name, cause: failure.cause});
    return {code: failure.code, message: failure.message};
  }

  /** Pulls an image; undefined if it can be used (pulled, or already on the engine), else why not. */
  private async pull(op: OperationContext, image: string, credentials: RegistryCredentials | undefined): Promise<string | undefined> {
    const {executor} = this.options;
    if (!executor.pull) return undefined;
    this.emit({'@type': `${T}PullStartedEvent`, imageUri: image});
    try {
      await executor.pull(op, image, credentials);
    } catch (err) {
      const why = `pulling "${image}" failed: ${(err as Error).message}`;
      if (!(await executor.hasImage?.(image))) return why;
      // The copy the engine has will do; say what happened.
      this.emit({'@type': `${T}DelayedEvent`, cause: `${why}; using the copy of "${image}" already on this worker`, metrics: []});
    }
    this.emit({'@type': `${T}PullStoppedEvent`, imageUri: image});
    return undefined;
  }

  private async decrypt(plan: OperationPlan) {
    const {decryptor} = this.options;
    const need = (what: string) => {
      if (!decryptor) throw new Error(`${what}: this worker has no way to decrypt secrets (give it --secret-key, or run it where Cloud KMS is reachable)`);
      return decryptor;
    };
    const pipeline = this.pipeline.encryptedEnvironment ? await decryptJson(need('encryptedEnvironment'), this.pipeline.encryptedEnvironment, 'encryptedEnvironment') : {};
    const actions: Array<Record<string, string>> = [];
    const credentials: Array<RegistryCredentials | undefined> = [];
    for (const {actionId, action} of plan.actions) {
      const at = `actions[${actionId - 1}]`;
      actions.push(action.encryptedEnvironment ? await decryptJson(need(`${at}.encryptedEnvironment`), action.encryptedEnvironment, `${at}.encryptedEnvironment`) : {});
      if (action.credentials && this.options.executor.pull) {
        const json = await decryptJson(need(`${at}.credentials`), action.credentials, `${at}.credentials`);
        if (json.username === undefined || json.password === undefined) throw new Error(`${at}.credentials: it must decrypt to {"username": ..., "password": ...}`);
        credentials.push({username: json.username, password: json.password});
      } else credentials.push(undefined);
    }
    return {pipeline, actions, credentials};
  }

  private spec(action: ActionPlan, plan: OperationPlan, workspace: Workspace, environment: Record<string, string>, devices: string[]): ActionSpec {
    const {actionId, flags} = action;
    const json = action.action;
    const mounts: MountSpec[] = [{hostPath: workspace.logsDir, path: '/google/logs', readOnly: true}];
    for (const mount of action.mounts) {
      const disk = plan.disks.find(d => d.name === mount.disk);
      if (!disk) continue;
      mounts.push({hostPath: disk.kind === 'host' ? disk.hostPath : workspace.diskPath(disk.name), path: mount.path, readOnly: mount.readOnly});
    }
    if (devices.length > 0 && this.options.executor.kind === 'local') environment = {CUDA_VISIBLE_DEVICES: devices.join(','), ...environment};
    return {
      actionId,
      imageUri: json.imageUri,
      commands: json.commands ?? [],
      entrypoint: json.entrypoint,
      environment,
      containerName: `gaffer-${this.options.runId}-${actionId}`,
      name: json.name ?? json.containerName,
      mounts,
      labels: json.labels ?? {},
      portMappings: action.portMappings,
      publishExposedPorts: flags.has('PUBLISH_EXPOSED_PORTS'),
      pidNamespace: json.pidNamespace || undefined,
      blockNetwork: flags.has('BLOCK_EXTERNAL_NETWORK'),
      fuse: flags.has('ENABLE_FUSE'),
      gpus: devices,
    };
  }
}
