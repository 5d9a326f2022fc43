/**
 * The lease sweep (expireLeases): operations whose lease passed its deadline plus the
 * grace are released; operations past their pipeline timeout end DEADLINE_EXCEEDED.
 * A lease's deadline is on its worker's document (heartbeats rewrite only that), so
 * expired leases are found by their workers; leases granted by a Gaffer that kept the
 * deadline on the operation are found there until their holder's next report moves it.
 * It reads about as many documents as it acts on, and is safe to run twice at once:
 * each change commits only if the worker and the operation are still as the sweep read them.
 */
import {Change, ChangeCommitter, holderChange} from './changes';
import {OperationRecord, isDone} from './model';
import {operationName, workerName} from './names';
import {Clock, Conflict, DueCursor, OperationStore, Versioned, WorkerStore} from './ports';
import {RetryPolicy, Transition, releaseLease, timeOut} from './stateMachine';
import {WorkerRecord, idle} from './worker';

export interface SweepReport {
  requeued: number;
  ended: number;
  timedOut: number;
  /** Leases found expired that someone else (a check-in, another sweep) had already changed. */
  skipped: number;
  /** Changes that failed (logged); the next sweep tries them again. */
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

/** What a sweep found due: a document as read, where the next batch starts after it, and its name. */
interface Due<T> {
  read: Versioned<T>;
  cursor: DueCursor;
  name: string;
}

export class LeaseSweeper {
  constructor(private readonly deps: LeaseSweepDeps) {}

  async expireLeases(): Promise<SweepReport> {
    const {operations, workers, clock, leaseGraceMs} = this.deps;
    const report: SweepReport = {requeued: 0, ended: 0, timedOut: 0, skipped: 0, failed: 0};
    const now = clock.now();
    const cutoff = new Date(now.getTime() - leaseGraceMs);
    const counted = (transition: Transition | undefined) => {
      if (!transition) report.skipped++;
      else if (transition.next.state === 'QUEUED') report.requeued++;
      else report.ended++;
    };
    await this.sweep(
      async after => (await operations.timedOut(now, SWEEP_BATCH, after)).map(read => dueOperation(read, read.value.timeoutTime)),
      async read => {
        if (isDone(read.value.state)) return undefined;
        const transition = timeOut(read.value, now);
        await this.deps.changes.commit([...(await this.freeHolder(read.value)), {kind: 'operation', read, transition}]);
        return transition;
      },
      transition => (transition ? report.timedOut++ : report.skipped++),
      report,
    );
    await this.sweep(
      async after => (await workers.expiredLeases(cutoff, SWEEP_BATCH, after)).map(dueWorker),
      read => this.expireWorkerLease(read, now, cutoff),
      counted,
      report,
    );
    await this.sweep(
      async after => (await operations.legacyExpiredLeases(cutoff, SWEEP_BATCH, after)).map(read => dueOperation(read, read.value.lease?.legacyExpireTime)),
      async read => {
        const op = read.value;
        const deadline = op.lease?.legacyExpireTime;
        if (op.state !== 'RUNNING' || !deadline || deadline >= cutoff) return undefined;
        const transition = releaseLease(op, now, 'leaseExpired', this.deps.retry);
        await this.deps.changes.commit([...(await this.freeHolder(op)), {kind: 'operation', read, transition}]);
        return transition;
      },
      counted,
      report,
    );
    return report;
  }

  /**
   * Takes back the operation of a worker whose lease ran out, with the worker freed in
   * the same commit (conditional on both as read: a heartbeat that lands first wins).
   * A worker whose document names a lease its operation does not show is only freed.
   */
  private async expireWorkerLease(read: Versioned<WorkerRecord>, now: Date, cutoff: Date): Promise<Transition | undefined> {
    const worker = read.value;
    if (!worker.operationId || !worker.leaseExpireTime || worker.leaseExpireTime >= cutoff) return undefined;
    const freed: Change = {kind: 'worker', read, next: idle(worker)};
    const opRead = await this.deps.operations.read(worker.projectId, worker.operationId);
    const lease = opRead?.value.lease;
    if (!opRead || opRead.value.state !== 'RUNNING' || lease?.workerId !== worker.workerId || lease.epoch !== worker.leaseEpoch) {
      await this.deps.changes.commit([freed]);
      return undefined;
    }
    const transition = releaseLease(opRead.value, now, 'leaseExpired', this.deps.retry);
    await this.deps.changes.commit([freed, {kind: 'operation', read: opRead, transition}]);
    return transition;
  }

  /** The change that frees the worker holding `op`: a dead worker must not stay listed as holding it. */
  private freeHolder(op: OperationRecord): Promise<Change[]> {
    return holderChange(this.deps.workers, op, idle);
  }

  /**
   * Batches of what `find` returns, each after the last one read: what could not be
   * changed (or was skipped) is not met again, and never hides what lies behind it.
   * `act` commits a change, or returns undefined when there was none to make.
   */
  private async sweep<T>(
    find: (after: DueCursor | undefined) => Promise<Array<Due<T>>>,
    act: (read: Versioned<T>) => Promise<Transition | undefined>,
    count: (transition: Transition | undefined) => void,
    report: SweepReport,
  ): Promise<void> {
    let after: DueCursor | undefined;
    for (let batch = 0; batch < SWEEP_MAX_BATCHES; batch++) {
      const found = await find(after);
      after = found[found.length - 1]?.cursor ?? after;
      for (const {read, name} of found) {
        try {
          count(await act(read));
        } catch (err) {
          if (err instanceof Conflict) {
            report.skipped++;
            continue;
          }
          // One change that can't be made must not stop the sweep for every other.
          report.failed++;
          this.log(`${name}: ${(err as Error).message}`);
        }
      }
      if (found.length < SWEEP_BATCH) return;
    }
  }

  private log(message: string): void {
    (this.deps.log ?? (m => console.error(`[gaffer] expireLeases: ${m}`)))(message);
  }
}

function dueOperation(read: Versioned<OperationRecord>, time: Date | undefined): Due<OperationRecord> {
  const op = read.value;
  return {read, cursor: {time: time ?? new Date(0), projectId: op.projectId, id: op.id}, name: operationName(op.projectId, op.id)};
}

function dueWorker(read: Versioned<WorkerRecord>): Due<WorkerRecord> {
  const worker = read.value;
  return {
    read,
    cursor: {time: worker.leaseExpireTime ?? new Date(0), projectId: worker.projectId, id: worker.workerId},
    name: `${workerName(worker.projectId, worker.workerId)} (its lease on ${operationName(worker.projectId, worker.operationId ?? '')})`,
  };
}
