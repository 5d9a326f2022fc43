/**
 * The lease sweep (expireLeases): operations whose lease passed its deadline plus the
 * grace are released; operations past their pipeline timeout end DEADLINE_EXCEEDED.
 * It reads about as many documents as it acts on, and is safe to run twice at once:
 * each change commits only if the operation is still as the sweep read it.
 */
import {Change, ChangeCommitter} from './changes';
import {OperationRecord, isDone} from './model';
import {operationName} from './names';
import {Clock, Conflict, DueCursor, OperationStore, Versioned, WorkerStore} from './ports';
import {RetryPolicy, Transition, releaseLease, timeOut} from './stateMachine';
import {idle} from './worker';

export interface SweepReport {
  requeued: number;
  ended: number;
  timedOut: number;
  /** Operations found expired that someone else (a check-in, another sweep) had already changed. */
  skipped: number;
  /** Operations whose change failed (logged); the next sweep tries them again. */
  failed: number;
}

export interface LeaseSweepDeps {
  operations: OperationStore;
  workers: WorkerStore;
  changes: ChangeCommitter;
  clock: Clock;
  /** Extra time after a lease's deadline before it is taken back (clock skew, a slow check-in). */
  leaseGraceMs: number;
  retry: RetryPolicy;
  log?: (message: string) => void;
}

const SWEEP_BATCH = 100;
const SWEEP_MAX_BATCHES = 20;

export class LeaseSweeper {
  constructor(private readonly deps: LeaseSweepDeps) {}

  async expireLeases(): Promise<SweepReport> {
    const {operations, clock, leaseGraceMs, retry} = this.deps;
    const report: SweepReport = {requeued: 0, ended: 0, timedOut: 0, skipped: 0, failed: 0};
    const now = clock.now();
    const cutoff = new Date(now.getTime() - leaseGraceMs);
    await this.sweep(
      after => operations.timedOut(now, SWEEP_BATCH, after),
      op => op.timeoutTime,
      op => (isDone(op.state) ? undefined : timeOut(op, now)),
      report,
      () => report.timedOut++,
    );
    await this.sweep(
      after => operations.expiredLeases(cutoff, SWEEP_BATCH, after),
      op => op.lease?.expireTime,
      op =>
        op.state === 'RUNNING' && op.lease && op.lease.expireTime < cutoff ? releaseLease(op, now, 'leaseExpired', retry) : undefined,
      report,
      transition => (transition.next.state === 'QUEUED' ? report.requeued++ : report.ended++),
    );
    return report;
  }

  /**
   * The change that frees the worker holding `op`, if its document still says so, to
   * commit with the operation's release: a dead worker must not stay listed as holding
   * it. A worker already moved on (or checking in right now, which the commit's
   * precondition catches) is left alone.
   */
  private async freeHolder(op: OperationRecord): Promise<Change[]> {
    if (!op.lease) return [];
    const read = await this.deps.workers.read(op.projectId, op.lease.workerId);
    const worker = read.value;
    if (!worker || worker.operationId !== op.id || worker.leaseEpoch !== op.lease.epoch) return [];
    return [{kind: 'worker', read, next: idle(worker)}];
  }

  /**
   * Batches of what `find` returns, each after the last one read: what could not be
   * changed (or was skipped) is not met again, and never hides what lies behind it.
   */
  private async sweep(
    find: (after: DueCursor | undefined) => Promise<Array<Versioned<OperationRecord>>>,
    dueTime: (op: OperationRecord) => Date | undefined,
    decide: (op: OperationRecord) => Transition | undefined,
    report: SweepReport,
    count: (transition: Transition) => void,
  ): Promise<void> {
    let after: DueCursor | undefined;
    for (let batch = 0; batch < SWEEP_MAX_BATCHES; batch++) {
      const found = await find(after);
      const last = found[found.length - 1]?.value;
      const lastTime = last && dueTime(last);
      if (last && lastTime) after = {time: lastTime, projectId: last.projectId, id: last.id};
      for (const read of found) {
        try {
          const transition = decide(read.value);
          if (!transition) {
            report.skipped++;
            continue;
          }
          await this.deps.changes.commit([...(await this.freeHolder(read.value)), {kind: 'operation', read, transition}]);
          count(transition);
        } catch (err) {
          if (err instanceof Conflict) {
            report.skipped++;
            continue;
          }
          // One operation that can't be changed must not stop the sweep for every other.
          report.failed++;
          this.log(`${operationName(read.value.projectId, read.value.id)}: ${(err as Error).message}`);
        }
      }
      if (found.length < SWEEP_BATCH) return;
    }
  }

  private log(message: string): void {
    (this.deps.log ?? (m => console.error(`[gaffer] expireLeases: ${m}`)))(message);
  }
}
