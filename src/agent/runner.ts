/**
 * Runs a pipeline's actions in order, as Google's v2alpha1 worker did, and tells what
 * happens as v2alpha1 events (action ids 1-based):
 * - environment: the pipeline's, then the action's (the action wins), plus
 *   GOOGLE_PIPELINE_FAILED ("1" once an action failed) and GOOGLE_LAST_EXIT_STATUS;
 * - an action's `timeout` kills it (ContainerKilledEvent) and counts as a failure;
 * - a non-zero exit fails the pipeline (UnexpectedExitStatusEvent) unless
 *   IGNORE_EXIT_STATUS; after a failure only ALWAYS_RUN actions run;
 * - RUN_IN_BACKGROUND actions are started and not waited for; they are stopped when the
 *   foreground actions are done;
 * - the result is code 0, or 9 FAILED_PRECONDITION for a failed action, or 1 CANCELLED.
 */
import type {WorkerEventJson} from '../wire/genomics';
import {parseDuration} from '../wire/proto3';
import {ActionSpec, Executor, RunningAction} from './executor';

const T = 'type.googleapis.com/google.genomics.v2alpha1.';

export interface ActionJson {
  imageUri: string;
  commands?: string[];
  entrypoint?: string;
  environment?: Record<string, string>;
  timeout?: string;
  flags?: string[];
  name?: string;
  containerName?: string;
}

export interface PipelineJson {
  actions: ActionJson[];
  environment?: Record<string, string>;
}

export type EventData = WorkerEventJson;

export interface RunResult {
  code: number;
  message?: string;
}

export class PipelineRunner {
  private cancelled = false;
  private readonly running = new Set<RunningAction>();

  constructor(
    private readonly pipeline: PipelineJson,
    private readonly executor: Executor,
    private readonly emit: (data: EventData) => void,
    private readonly runId: string,
  ) {}

  /** Stops every running action; run() then resolves CANCELLED. */
  cancel(): void {
    this.cancelled = true;
    for (const action of this.running) action.kill();
  }

  async run(): Promise<RunResult> {
    let failure: (RunResult & {cause: string}) | undefined;
    let lastExitStatus = 0;
    const background: RunningAction[] = [];
    const pulled = new Set<string>();

    for (const [index, action] of this.pipeline.actions.entries()) {
      const actionId = index + 1;
      const flags = new Set(action.flags ?? []);
      if (this.cancelled) break;
      if (failure && !flags.has('ALWAYS_RUN')) continue;

      if (this.executor.pull && !pulled.has(action.imageUri)) {
        this.emit({'@type': `${T}PullStartedEvent`, imageUri: action.imageUri});
        try {
          await this.executor.pull(action.imageUri);
        } catch (err) {
          // The one FailedEvent comes at the end, as for any failure; say why here.
          const why = `pulling "${action.imageUri}" failed: ${(err as Error).message}`;
          failure ??= {code: 9, message: `Execution failed: action ${actionId}: ${why}`, cause: `action ${actionId}: ${why}`};
          continue;
        }
        pulled.add(action.imageUri);
        this.emit({'@type': `${T}PullStoppedEvent`, imageUri: action.imageUri});
      }

      const spec: ActionSpec = {
        actionId,
        imageUri: action.imageUri,
        commands: action.commands ?? [],
        entrypoint: action.entrypoint,
        environment: {
          ...this.pipeline.environment,
          ...action.environment,
          GOOGLE_PIPELINE_FAILED: failure ? '1' : '0',
          GOOGLE_LAST_EXIT_STATUS: String(lastExitStatus),
        },
        timeoutMs: action.timeout ? parseDuration(action.timeout) : undefined,
        containerName: `gaffer-${this.runId}-${actionId}`,
      };
      const started = this.executor.start(spec);
      this.running.add(started);
      this.emit({'@type': `${T}ContainerStartedEvent`, actionId, ipAddress: '', portMappings: {}});
      if (flags.has('RUN_IN_BACKGROUND')) {
        background.push(started);
        void started.exited.then(exit => {
          if (exit.timedOut) this.emit({'@type': `${T}ContainerKilledEvent`, actionId});
          this.stopped(actionId, exit.exitStatus, exit.stderrTail);
        });
        continue;
      }

      const exit = await started.exited;
      this.running.delete(started);
      if (exit.timedOut) this.emit({'@type': `${T}ContainerKilledEvent`, actionId});
      this.stopped(actionId, exit.exitStatus, exit.stderrTail);
      if (this.cancelled) break;
      lastExitStatus = exit.exitStatus;
      const failed = exit.timedOut || exit.exitStatus !== 0;
      if (failed && !flags.has('IGNORE_EXIT_STATUS')) {
        if (!exit.timedOut) this.emit({'@type': `${T}UnexpectedExitStatusEvent`, actionId, exitStatus: exit.exitStatus});
        const why = exit.timedOut ? `was killed after its timeout (${action.timeout})` : `unexpected exit status ${exit.exitStatus} was not ignored`;
        failure ??= {code: 9, message: `Execution failed: action ${actionId}: ${why}`, cause: `action ${actionId}: ${why}`};
      }
    }

    // Background actions end with the pipeline.
    for (const action of background) action.kill();
    await Promise.all(background.map(a => a.exited));
    if (this.cancelled) return {code: 1, message: 'The operation was cancelled'};
    if (failure) {
      this.emit({'@type': `${T}FailedEvent`, code: 'FAILED_PRECONDITION', cause: failure.cause});
      return {code: failure.code, message: failure.message};
    }
    return {code: 0};
  }

  private stopped(actionId: number, exitStatus: number, stderr: string): void {
    this.emit({'@type': `${T}ContainerStoppedEvent`, actionId, exitStatus, stderr});
  }
}
