/**
 * A worker driven by the test, through the public check-in API: it takes an operation and
 * reports what Google's workers reported for a pipeline's actions (pulls, each action
 * started and stopped, a failure's unexpected exit and FailedEvent), then the result. For
 * tests of clients (dsub, dstat) that read those events, without running the actions.
 */
import type {LocalServer} from '../../src/server';
import type {CheckInResponseJson, PipelineJson} from '../../src/wire/genomics';
import {call} from './gaffer';

const T = 'type.googleapis.com/google.genomics.v2alpha1.';

export interface Taken {
  name: string;
  lease: string;
  pipeline: PipelineJson;
}

/** How a scripted run ends: success, or the named action exits with this status and stderr. */
export type Outcome = {succeed: true} | {failAt: string; exitStatus: number; stderr: string};

export class ScriptedWorker {
  private clock = Date.now();

  constructor(
    private readonly server: LocalServer,
    private readonly project: string,
    readonly workerId: string,
  ) {}

  private async checkIn(body: unknown, lease?: string): Promise<CheckInResponseJson> {
    const query = lease ? `?lease=${encodeURIComponent(lease)}` : '';
    const res = await call(this.server, 'POST', `/v2alpha1/projects/${this.project}/workers/${this.workerId}:checkIn${query}`, body);
    if (res.status !== 200) throw new Error(`check-in answered ${res.status}: ${JSON.stringify(res.json)}`);
    return res.json as unknown as CheckInResponseJson;
  }

  /** One of the queued operations, if any. */
  async take(): Promise<Taken | undefined> {
    const res = await this.checkIn({});
    if (!res.features || !res.metadata) return undefined;
    return {name: res.features.operation, lease: res.features.lease, pipeline: res.metadata.pipeline};
  }

  /** Event timestamps a millisecond apart, so their order is plain. */
  private at(): string {
    this.clock = Math.max(this.clock + 1, Date.now());
    return new Date(this.clock).toISOString();
  }

  /** Reports the actions up to (and not including) `untilAction`, or all of them. */
  async runActions(taken: Taken, outcome: Outcome = {succeed: true}): Promise<void> {
    const events: Array<{timestamp: string; data: Record<string, unknown>}> = [];
    const event = (type: string, data: Record<string, unknown>) => events.push({timestamp: this.at(), data: {'@type': `${T}${type}`, ...data}});
    for (const image of new Set(taken.pipeline.actions.map(a => a.imageUri))) {
      event('PullStartedEvent', {imageUri: image});
      event('PullStoppedEvent', {imageUri: image});
    }
    let failed = false;
    for (const [i, action] of taken.pipeline.actions.entries()) {
      const actionId = i + 1;
      if (failed && !action.flags?.includes('ALWAYS_RUN')) continue;
      event('ContainerStartedEvent', {actionId});
      if (action.flags?.includes('RUN_IN_BACKGROUND')) continue;
      if ('failAt' in outcome && action.name === outcome.failAt) {
        event('ContainerStoppedEvent', {actionId, exitStatus: outcome.exitStatus, stderr: outcome.stderr});
        event('UnexpectedExitStatusEvent', {actionId, exitStatus: outcome.exitStatus});
        failed = true;
        continue;
      }
      event('ContainerStoppedEvent', {actionId, exitStatus: 0});
    }
    if ('failAt' in outcome) {
      event('FailedEvent', {
        code: 'FAILED_PRECONDITION',
        cause: `generic::failed_precondition: while running "${outcome.failAt}": unexpected exit status ${outcome.exitStatus} was not ignored`,
      });
    }
    await this.checkIn({events}, taken.lease);
  }

  /** Reports the actions and the result that `outcome` means. */
  async finish(taken: Taken, outcome: Outcome = {succeed: true}): Promise<void> {
    await this.runActions(taken, outcome);
    const result =
      'failAt' in outcome
        ? {code: 9, message: `Execution failed: generic::failed_precondition: while running "${outcome.failAt}": unexpected exit status ${outcome.exitStatus} was not ignored`}
        : {code: 0};
    await this.checkIn({result}, taken.lease);
  }

  /**
   * Takes and finishes every operation queued in the project until `signal` aborts,
   * `outcome` deciding how each ends.
   */
  async serve(signal: AbortSignal, outcome: (taken: Taken) => Outcome = () => ({succeed: true})): Promise<void> {
    while (!signal.aborted) {
      const taken = await this.take();
      if (taken) await this.finish(taken, outcome(taken));
      else await new Promise(resolve => setTimeout(resolve, 100));
    }
  }
}
