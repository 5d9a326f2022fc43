/**
 * The atomic commit spanning aggregates: an operation, its new events, its SOS report,
 * the worker holding it and the outbox messages the change owes go in one Firestore
 * batch, each document write conditional on the version it was read at.
 */
import {Firestore, Timestamp, WriteBatch} from '@google-cloud/firestore';
import {operationName, workerName} from '../../core/names';
import type {Committer, RunningGate, Write} from '../../core/ports';
import {Counters, conditionally, unchangedSince} from './connection';
import {toRewrite} from './operationDoc';
import {eventRef, operationRef} from './operations';
import {newOutboxRow, outboxCollection} from './outbox';
import {stageQueued} from './queueClasses';
import {runningGateRef} from './queueStats';
import {toWorkerUpdate} from './workerDoc';
import {workerRef} from './workers';

export class FirestoreCommitter implements Committer {
  constructor(
    private readonly db: Firestore,
    private readonly counters: Counters,
  ) {}

  async commit(writes: readonly Write[]): Promise<void> {
    const batch = this.db.batch();
    const count = writes.reduce((sum, write) => sum + this.stage(batch, write), 0);
    await conditionally(describe(writes), () => batch.commit());
    this.counters.wrote(count);
  }

  /** Adds one write to the batch; returns how many documents it writes. */
  private stage(batch: WriteBatch, write: Write): number {
    switch (write.kind) {
      case 'operation': {
        const {read, next, newEvents, sosReport} = write;
        if (!read.version) throw new Error('an operation change needs the version it was read at');
        const ref = operationRef(this.db, next.projectId, next.id);
        batch.update(ref, toRewrite(next), unchangedSince(read.version));
        // create(): an event's sequence is taken at most once, so a racing writer fails.
        newEvents.forEach((event, i) => {
          const seq = read.value.eventCount + i;
          batch.create(eventRef(ref, seq), {seq, event});
        });
        // Queued (again): its class is in the project's directory, now.
        const classWrites = next.state === 'QUEUED' && read.value.state !== 'QUEUED' ? stageQueued(batch, this.db, next) : 0;
        if (sosReport) {
          // Beside the operation, not in it: a report may be 256 KiB.
          batch.set(ref.collection('reports').doc('sos'), {sosReport: sosReport.data, time: Timestamp.fromDate(sosReport.time)});
        }
        return 1 + newEvents.length + (sosReport ? 1 : 0) + classWrites;
      }
      case 'worker': {
        const {read, next} = write;
        const ref = workerRef(this.db, next.projectId, next.workerId);
        if (read.version) batch.update(ref, toWorkerUpdate(next, read.value), unchangedSince(read.version));
        else batch.create(ref, next);
        return 1;
      }
      case 'outbox':
        batch.create(outboxCollection(this.db).doc(write.entry.id), newOutboxRow(write.entry));
        return 1;
      case 'runningGate': {
        const {projectId, read} = write;
        const ref = runningGateRef(this.db, projectId);
        const next: RunningGate = {assignments: (read.value?.assignments ?? 0) + 1};
        // create() fails if another assignment created it first: a conflict, as an update's precondition.
        if (read.version) batch.update(ref, {...next}, unchangedSince(read.version));
        else batch.create(ref, next);
        return 1;
      }
    }
  }
}

function describe(writes: readonly Write[]): string {
  return writes.map(describeWrite).join(', ');
}

function describeWrite(write: Write): string {
  switch (write.kind) {
    case 'operation':
      return operationName(write.next.projectId, write.next.id);
    case 'worker':
      return workerName(write.next.projectId, write.next.workerId);
    case 'outbox':
      return `outbox ${write.entry.id}`;
    case 'runningGate':
      return `the running cap of project ${write.projectId}`;
  }
}
