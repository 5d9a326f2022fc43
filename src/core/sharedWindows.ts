/**
 * The FIFO windows of one instance, shared by its concurrent check-ins: one read of a
 * project's oldest queued operations (of a set of queue classes) serves every check-in
 * that arrives while it is fresh, and an operation one check-in is taking is left out
 * of the others' windows. So concurrent idle workers on one instance neither race each
 * other for the same document nor each queue their own window query (the emulator, and
 * a hot index range in production, serves queries about one at a time); races remain
 * only between instances, and end as refused commits that are retried.
 */
import type {OperationRecord} from './model';
import type {Clock, Versioned} from './ports';

interface Entry {
  read: Promise<Array<Versioned<OperationRecord>>>;
  at: number;
}

/** The most a window query reads, however many check-ins it serves. */
const MAX_WINDOW = 100;

export class SharedWindows {
  private readonly entries = new Map<string, Entry>();
  /** Operations (by id and lease epoch: one queued again is new work) a check-in of this instance took or is taking, and when: left out of every window for a while. */
  private readonly taken = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    /** How long a window read serves later check-ins. */
    private readonly freshMs: number,
  ) {}

  /**
   * The operations of the project's window for these classes that no check-in of this
   * instance took lately. `read(limit)` queries the store; it runs when no fresh read
   * exists or the fresh one has nothing left.
   */
  async window(projectId: string, classKeys: readonly string[], limit: number, read: (limit: number) => Promise<Array<Versioned<OperationRecord>>>): Promise<Array<Versioned<OperationRecord>>> {
    return (await this.look(projectId, classKeys, limit, read, false)).free;
  }

  /**
   * One operation of the window, at random, taken at once (before anything else of this
   * instance can look), and how many were free to pick from; undefined when none was.
   */
  async pick(
    projectId: string,
    classKeys: readonly string[],
    limit: number,
    read: (limit: number) => Promise<Array<Versioned<OperationRecord>>>,
  ): Promise<{candidate: Versioned<OperationRecord>; free: number} | undefined> {
    const {free, picked} = await this.look(projectId, classKeys, limit, read, true);
    return picked && {candidate: picked, free: free.length};
  }

  private async look(
    projectId: string,
    classKeys: readonly string[],
    limit: number,
    read: (limit: number) => Promise<Array<Versioned<OperationRecord>>>,
    take: boolean,
  ): Promise<{free: Array<Versioned<OperationRecord>>; picked?: Versioned<OperationRecord>}> {
    const key = `${projectId}\n${classKeys.join(',')}`;
    for (let look = 0; look < 2; look++) {
      const now = this.clock.now().getTime();
      let entry = this.entries.get(key);
      let readNow = false;
      if (!entry || now - entry.at > this.freshMs) {
        // Past what this instance is taking, so in-flight assignments do not fill the window.
        entry = {read: read(Math.min(MAX_WINDOW, limit + this.takenSince(projectId, now))), at: now};
        this.entries.set(key, entry);
        this.prune(now);
        readNow = true;
      }
      const current = entry;
      let window: Array<Versioned<OperationRecord>>;
      try {
        window = await current.read;
      } catch (err) {
        if (this.entries.get(key) === current) this.entries.delete(key);
        throw err;
      }
      // From here to the return nothing is awaited: the look and the take are one step, so
      // concurrent check-ins never pick the same operation.
      const free = window.filter(op => !this.taken.has(takenKey(op.value))).slice(0, Math.max(limit, 1));
      if (free.length > 0 || readNow) {
        const picked = take ? free[Math.floor(Math.random() * free.length)] : undefined;
        if (picked) this.take(picked.value);
        return {free, picked};
      }
      // Everything in it is taken: the next look reads again (once, whoever gets there first).
      if (this.entries.get(key) === current) this.entries.delete(key);
    }
    return {free: []};
  }

  /** A check-in is taking this operation: other check-ins of this instance look past it. */
  take(op: OperationRecord): void {
    this.taken.set(takenKey(op), this.clock.now().getTime());
  }

  /**
   * Taking it lost a race (it changed since the window was read: taken by another
   * instance, or changed otherwise): forget it as taken and read the project's windows
   * again, so the next look sees it as it is now.
   */
  lost(op: OperationRecord): void {
    this.taken.delete(takenKey(op));
    const prefix = `${op.projectId}\n`;
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  /** How many of the project's operations this instance took within freshMs. */
  private takenSince(projectId: string, now: number): number {
    const prefix = `${projectId}/`;
    let n = 0;
    for (const [key, at] of this.taken) if (now - at <= this.freshMs && key.startsWith(prefix)) n++;
    return n;
  }

  /** Forgets what no fresh window can still hold. */
  private prune(now: number): void {
    for (const [id, at] of this.taken) if (now - at > 2 * this.freshMs) this.taken.delete(id);
    if (this.entries.size > 1000) {
      for (const [key, entry] of this.entries) if (now - entry.at > this.freshMs) this.entries.delete(key);
    }
  }
}

function takenKey(op: OperationRecord): string {
  return `${op.projectId}/${op.id}@${op.leaseEpoch}`;
}
