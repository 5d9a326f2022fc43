/**
 * Idle workers' check-ins waiting for work (the long poll): per project, the waiters of
 * this instance and one subscription to the project's queue-class directory (the
 * store's shared listener). An operation queued in a class wakes one waiter that can run
 * it, the one waiting longest; a woken waiter that takes an operation and saw more work
 * wakes up to two more, so a burst spreads over the waiting workers without every
 * waiter re-reading the queue for each new operation.
 */
import type {Clock, OperationStore, WaitingClass} from './ports';
import {Requirements, WorkerOffer, canRun} from './requirements';

interface Waiter {
  offer: WorkerOffer;
  /** Ends the wait early; the waiter then tries to take work. */
  wake: () => void;
}

interface Room {
  /** In arrival order: the longest-waiting first. */
  waiters: Set<Waiter>;
  unsubscribe: () => void;
}

export class QueueWaits {
  private readonly rooms = new Map<string, Room>();

  constructor(
    private readonly operations: Pick<OperationStore, 'onQueued'>,
    private readonly clock: Clock,
  ) {}

  /**
   * Waits up to `ms` (or until `signal` aborts) for an operation this worker can run to
   * be queued in the project. Resolves true when woken for one, false otherwise.
   */
  async wait(projectId: string, offer: WorkerOffer, ms: number, signal?: AbortSignal, changedSince?: () => Promise<boolean>): Promise<boolean> {
    const room = this.room(projectId);
    const stop = new AbortController();
    let woken = false;
    const waiter: Waiter = {
      offer,
      wake: () => {
        woken = true;
        stop.abort();
      },
    };
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort);
    room.waiters.add(waiter);
    try {
      // Work queued between the caller's last look and this subscription would wake no one: look again, now subscribed.
      if (changedSince && (await changedSince())) waiter.wake();
      if (!signal?.aborted && !woken) await this.clock.sleep(ms, stop.signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      room.waiters.delete(waiter);
      if (room.waiters.size === 0 && this.rooms.get(projectId) === room) {
        this.rooms.delete(projectId);
        room.unsubscribe();
      }
    }
    return woken;
  }

  /** Wakes up to `count` waiters of the project that can run operations with these requirements; returns how many. */
  wake(projectId: string, requirements: Requirements, count: number): number {
    const room = this.rooms.get(projectId);
    if (!room) return 0;
    let woken = 0;
    for (const waiter of room.waiters) {
      if (woken >= count) break;
      if (!canRun(requirements, waiter.offer)) continue;
      // Out of the room at once, so a second wake does not pick it again.
      room.waiters.delete(waiter);
      waiter.wake();
      woken++;
    }
    return woken;
  }

  /** Waiters now (a gauge for tests and the bench). */
  waiting(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.waiters.size;
    return n;
  }

  private room(projectId: string): Room {
    const existing = this.rooms.get(projectId);
    if (existing) return existing;
    const created: Room = {waiters: new Set(), unsubscribe: () => undefined};
    this.rooms.set(projectId, created);
    created.unsubscribe = this.operations.onQueued(projectId, (queued: WaitingClass) => this.wake(projectId, queued.requirements, 1));
    return created;
  }
}
