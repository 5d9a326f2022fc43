/**
 * Every store port in memory, honouring the same contract as the Firestore adapters:
 * versions on every document, commits that apply all-or-nothing and only if nothing read
 * has changed (else Conflict), queries in the same orders and with the same limits, and
 * listing that reads like an index (the plan's index-served conditions, then the
 * residual check on what was read). Unit tests run the core on it; the store contract
 * tests (test/contract) run the same checks on both implementations.
 */
import {labelPair} from '../../core/filter';
import type {IndexedConjunct, OperationQueryPlan} from '../../core/filter';
import {OperationEvent, OperationRecord, errorCodeOf} from '../../core/model';
import {operationName, workerName} from '../../core/names';
import type {IamPolicyRecord} from '../../core/iam';
import {
  Conflict,
  DeadLetter,
  DeadLetterCursor,
  DueCursor,
  NewOutboxEntry,
  OperationCursor,
  OperationPage,
  OutboxEntry,
  QueuePoint,
  MAX_QUEUE_CLASSES_PER_QUERY,
  RequestIdRecord,
  RunningGate,
  StoreStats,
  Stores,
  StoredSample,
  Versioned,
  WaitingClass,
  WorkerListFilter,
  WorkerPage,
  Write,
} from '../../core/ports';
import type {WorkerHealth, WorkerRecord, WorkerRef, WorkerSample} from '../../core/worker';
import type {SampleKind} from '../../wire/workers';
import {MemoryLogStore} from './logs';

interface Doc<T> {
  value: T;
  version: string;
}

interface StoredOperation {
  record: OperationRecord;
  /** Every event, oldest first (the record keeps only the newest inline). */
  events: OperationEvent[];
}

/** Worker documents carry check-in's fields and the health fields worker messages own. */
interface StoredWorker {
  record: WorkerRecord;
}

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryStores implements Stores {
  private clock = 0;
  private readonly operationDocs = new Map<string, Doc<StoredOperation>>();
  private readonly workerDocs = new Map<string, Doc<StoredWorker>>();
  private readonly samplesByWorker = new Map<string, Array<StoredSample & {projectId: string; expireTime: Date}>>();
  private readonly queuePoints = new Map<string, Array<QueuePoint & {expireTime: Date}>>();
  private readonly outboxDocs = new Map<string, Doc<Omit<OutboxEntry, 'version'>>>();
  private readonly secretValues = new Map<string, string>();
  private readonly requestIds = new Map<string, RequestIdRecord>();
  private readonly deadLetterDocs = new Map<string, DeadLetter>();
  private readonly policyDocs = new Map<string, Doc<IamPolicyRecord>>();
  private readonly runningGates = new Map<string, Doc<RunningGate>>();
  private readonly watchers = new Map<string, Set<(op: OperationRecord | undefined) => void>>();
  /** Each project's queue-class directory (key -> class). */
  private readonly classDirectories = new Map<string, Map<string, WaitingClass>>();
  private readonly queuedSubscribers = new Map<string, Set<(queued: WaitingClass) => void>>();
  private readonly counters: StoreStats = {documentsRead: 0, documentsWritten: 0, activeListeners: 0};

  private nextVersion(): string {
    return `v${++this.clock}`;
  }

  private read(documents: number): void {
    this.counters.documentsRead += Math.max(1, documents);
  }

  private wrote(documents: number): void {
    this.counters.documentsWritten += documents;
  }

  stopListening(): void {
    // Nothing listens here.
  }

  stats(): StoreStats {
    return {...this.counters, activeListeners: [...this.watchers.values()].filter(w => w.size > 0).length};
  }

  // ------------------------------------------------------------------- operations

  readonly operations = {
    create: async (op: OperationRecord, requestId?: RequestIdRecord): Promise<void> => {
      await tick();
      const key = operationName(op.projectId, op.id);
      if (this.operationDocs.has(key)) throw new Conflict(key);
      const requestKey = requestId && `${op.projectId}/${requestId.key}`;
      if (requestKey && this.requestIds.has(requestKey)) throw new Conflict(`request id ${requestKey}`);
      this.operationDocs.set(key, {value: {record: copy(op), events: copy([...op.events].reverse())}, version: this.nextVersion()});
      if (requestKey && requestId) this.requestIds.set(requestKey, copy(requestId));
      const classWrites = op.state === 'QUEUED' ? this.recordQueued(op) : 0;
      this.wrote(1 + op.events.length + (requestId ? 1 : 0) + classWrites);
      this.notify(key);
    },
    requestId: async (projectId: string, key: string): Promise<RequestIdRecord | undefined> => {
      await tick();
      this.read(1);
      const found = this.requestIds.get(`${projectId}/${key}`);
      return found && copy(found);
    },
    get: async (projectId: string, id: string): Promise<OperationRecord | undefined> => {
      await tick();
      const doc = this.operationDocs.get(operationName(projectId, id));
      this.read(1);
      if (!doc) return undefined;
      const op = copy(doc.value.record);
      if (op.eventCount > op.events.length) {
        op.events = copy(doc.value.events).reverse();
        this.read(doc.value.events.length);
      }
      return op;
    },
    read: async (projectId: string, id: string): Promise<Versioned<OperationRecord> | undefined> => {
      await tick();
      const doc = this.operationDocs.get(operationName(projectId, id));
      this.read(1);
      return doc ? {value: copy(doc.value.record), version: doc.version} : undefined;
    },
    list: async (projectId: string, plan: OperationQueryPlan, pageSize: number, after?: OperationCursor): Promise<OperationPage> => {
      await tick();
      if (plan.disjuncts.length === 0) return {operations: [], documentsRead: 0};
      const newestFirst = this.operationsOf(projectId)
        .filter(op => plan.disjuncts.some(c => servedBy(c, op)))
        .sort((a, b) => b.createTime.getTime() - a.createTime.getTime() || compareIds(b.id, a.id))
        .filter(op => !after || isAfter(op, after));
      const read = newestFirst.slice(0, pageSize + 1);
      this.read(read.length);
      const scanned = read.slice(0, pageSize);
      const operations = plan.needsResidualCheck ? scanned.filter(op => plan.matches({...op, errorCode: errorCodeOf(op)})) : scanned;
      const last = scanned[scanned.length - 1];
      const next = read.length > pageSize && last ? {createTimeMicros: last.createTime.getTime() * 1000, id: last.id} : undefined;
      return {operations: copy(operations), next, documentsRead: Math.max(1, read.length)};
    },
    queued: async (projectId: string, classKeys: readonly string[], limit: number): Promise<Array<Versioned<OperationRecord>>> => {
      await tick();
      if (classKeys.length > MAX_QUEUE_CLASSES_PER_QUERY) throw new Error(`at most ${MAX_QUEUE_CLASSES_PER_QUERY} queue classes per query, not ${classKeys.length}`);
      const found = [...this.operationDocs.values()]
        .filter(d => d.value.record.projectId === projectId && d.value.record.state === 'QUEUED' && classKeys.includes(d.value.record.queueClass.key))
        .sort((a, b) => a.value.record.createTime.getTime() - b.value.record.createTime.getTime() || compareIds(a.value.record.id, b.value.record.id))
        .slice(0, limit);
      this.read(found.length);
      return found.map(d => ({value: copy(d.value.record), version: d.version}));
    },
    waitingClasses: async (projectId: string): Promise<WaitingClass[]> => {
      await tick();
      // Like the Firestore store's listener: no document read per call.
      return copy([...(this.classDirectories.get(projectId)?.values() ?? [])]);
    },
    onQueued: (projectId: string, onQueued: (queued: WaitingClass) => void): (() => void) => {
      let subscribers = this.queuedSubscribers.get(projectId);
      if (!subscribers) this.queuedSubscribers.set(projectId, (subscribers = new Set<(queued: WaitingClass) => void>()));
      const set = subscribers;
      set.add(onQueued);
      return () => set.delete(onQueued);
    },
    forgetClass: async (projectId: string, key: string, lastQueuedTime: Date): Promise<boolean> => {
      await tick();
      this.read(1);
      const directory = this.classDirectories.get(projectId);
      if (directory?.get(key)?.lastQueuedTime.getTime() !== lastQueuedTime.getTime()) return false;
      directory.delete(key);
      this.wrote(1);
      return true;
    },
    // Every operation this store holds was queued with its class.
    classifyLegacyQueued: async (): Promise<number> => 0,
    legacyExpiredLeases: async (before: Date, limit: number, after?: DueCursor) =>
      this.dueAcrossProjects(op => op.lease?.legacyExpireTime, before, limit, after),
    timedOut: async (before: Date, limit: number, after?: DueCursor) => this.dueAcrossProjects(op => op.timeoutTime, before, limit, after),
    watch: (projectId: string, id: string, onChange: (op: OperationRecord | undefined) => void): (() => void) => {
      const key = operationName(projectId, id);
      let callbacks = this.watchers.get(key);
      if (!callbacks) this.watchers.set(key, (callbacks = new Set()));
      const entry = callbacks;
      entry.add(onChange);
      // Like a Firestore listener: the current state first, asynchronously.
      setImmediate(() => {
        if (entry.has(onChange)) onChange(this.current(key));
      });
      return () => {
        entry.delete(onChange);
        if (entry.size === 0) this.watchers.delete(key);
      };
    },
  };

  /** The operation's class is in its project's directory, queued now. Returns the documents written. */
  private recordQueued(op: OperationRecord): number {
    let directory = this.classDirectories.get(op.projectId);
    if (!directory) this.classDirectories.set(op.projectId, (directory = new Map<string, WaitingClass>()));
    // Firestore stamps the server's time; here the operation's own latest time (its creation,
    // or the event that queued it again), so tests on an injected clock see consistent times.
    const time = Math.max(op.createTime.getTime(), op.events[0]?.timestamp.getTime() ?? 0);
    const queued: WaitingClass = {...copy(op.queueClass), lastQueuedTime: new Date(time)};
    directory.set(op.queueClass.key, queued);
    // Like a listener: told after the commit, asynchronously.
    const subscribers = [...(this.queuedSubscribers.get(op.projectId) ?? [])];
    setImmediate(() => subscribers.forEach(subscriber => subscriber(copy(queued))));
    return 1;
  }

  private operationsOf(projectId: string): OperationRecord[] {
    return [...this.operationDocs.values()].map(d => d.value.record).filter(op => op.projectId === projectId);
  }

  private async dueAcrossProjects(
    timeOf: (op: OperationRecord) => Date | undefined,
    before: Date,
    limit: number,
    after?: DueCursor,
  ): Promise<Array<Versioned<OperationRecord>>> {
    await tick();
    // Ordered as Firestore's index orders them: by the time, then by the document's path.
    const key = (op: OperationRecord): [number, string] => [timeOf(op)?.getTime() ?? 0, operationName(op.projectId, op.id)];
    const start: [number, string] | undefined = after && [after.time.getTime(), operationName(after.projectId, after.id)];
    const found = [...this.operationDocs.values()]
      .filter(d => {
        const time = timeOf(d.value.record);
        return time !== undefined && time < before && (!start || compareDue(key(d.value.record), start) > 0);
      })
      .sort((a, b) => compareDue(key(a.value.record), key(b.value.record)))
      .slice(0, limit);
    this.read(found.length);
    return found.map(d => ({value: copy(d.value.record), version: d.version}));
  }

  private current(key: string): OperationRecord | undefined {
    const doc = this.operationDocs.get(key);
    return doc ? copy(doc.value.record) : undefined;
  }

  private notify(key: string): void {
    const callbacks = this.watchers.get(key);
    if (!callbacks) return;
    const op = this.current(key);
    setImmediate(() => callbacks.forEach(callback => callback(op && copy(op))));
  }

  // ------------------------------------------------------------------- workers

  readonly workers = {
    read: async (projectId: string, workerId: string): Promise<Versioned<WorkerRecord | undefined>> => {
      await tick();
      const doc = this.workerDocs.get(workerName(projectId, workerId));
      this.read(1);
      return doc ? {value: copy(doc.value.record), version: doc.version} : {value: undefined};
    },
    expiredLeases: async (before: Date, limit: number, after?: DueCursor): Promise<Array<Versioned<WorkerRecord>>> => {
      await tick();
      // Ordered as Firestore's index orders them: by the deadline, then by the document's path.
      const key = (w: WorkerRecord): [number, string] => [w.leaseExpireTime?.getTime() ?? 0, workerName(w.projectId, w.workerId)];
      const start: [number, string] | undefined = after && [after.time.getTime(), workerName(after.projectId, after.id)];
      const found = [...this.workerDocs.values()]
        .filter(d => {
          const time = d.value.record.leaseExpireTime;
          return time !== undefined && time < before && (!start || compareDue(key(d.value.record), start) > 0);
        })
        .sort((a, b) => compareDue(key(a.value.record), key(b.value.record)))
        .slice(0, limit);
      this.read(found.length);
      return found.map(d => ({value: copy(d.value.record), version: d.version}));
    },
    list: async (projectId: string, filter: WorkerListFilter, pageSize: number, afterId?: string): Promise<WorkerPage> => {
      await tick();
      const matching = [...this.workerDocs.values()]
        .map(d => d.value.record)
        .filter(w => w.projectId === projectId)
        .filter(w => filter.healthy === undefined || (w.health?.healthy ?? true) === filter.healthy)
        .filter(w => filter.holding === undefined || (w.operationId !== undefined) === filter.holding)
        .sort((a, b) => compareIds(a.workerId, b.workerId))
        .filter(w => afterId === undefined || compareIds(w.workerId, afterId) > 0);
      const read = matching.slice(0, pageSize + 1);
      this.read(read.length);
      const workers = copy(read.slice(0, pageSize));
      return {workers, next: read.length > pageSize ? workers[workers.length - 1]?.workerId : undefined, documentsRead: Math.max(1, read.length)};
    },
  };

  // ------------------------------------------------------------------- queue statistics

  readonly queueStats = {
    projects: async (): Promise<string[]> => {
      await tick();
      const projects = new Set<string>();
      for (const doc of this.operationDocs.values()) projects.add(doc.value.record.projectId);
      for (const doc of this.workerDocs.values()) projects.add(doc.value.record.projectId);
      for (const projectId of this.queuePoints.keys()) projects.add(projectId);
      this.read(projects.size);
      return [...projects].sort();
    },
    runningGate: async (projectId: string): Promise<Versioned<RunningGate | undefined>> => {
      await tick();
      const gate = this.runningGates.get(projectId);
      this.read(1);
      return gate ? {value: copy(gate.value), version: gate.version} : {value: undefined};
    },
    count: async (projectId: string): Promise<Omit<QueuePoint, 'time'>> => {
      await tick();
      const states = this.operationsOf(projectId).map(op => op.state);
      this.read(1);
      return {queued: states.filter(s => s === 'QUEUED').length, running: states.filter(s => s === 'RUNNING').length};
    },
    record: async (projectId: string, point: QueuePoint, expireTime: Date): Promise<void> => {
      await tick();
      const points = this.queuePoints.get(projectId) ?? [];
      points.push({...copy(point), expireTime});
      this.queuePoints.set(projectId, points);
      this.wrote(1);
    },
    points: async (projectId: string, since: Date): Promise<QueuePoint[]> => {
      await tick();
      const found = (this.queuePoints.get(projectId) ?? []).filter(p => p.time >= since);
      this.read(found.length);
      return found.sort((a, b) => a.time.getTime() - b.time.getTime()).map(({time, queued, running}) => ({time: new Date(time), queued, running}));
    },
    last: async (projectId: string): Promise<QueuePoint | undefined> => {
      const [latest] = await this.queueStats.points(projectId, new Date(0)).then(points => points.slice(-1));
      return latest;
    },
  };

  // ------------------------------------------------------------------- samples

  readonly samples = {
    record: async (worker: WorkerRef, health: WorkerHealth | undefined, samples: readonly WorkerSample[], expireTime: Date, now: Date): Promise<void> => {
      const key = workerName(worker.projectId, worker.workerId);
      const before = this.workerDocs.get(key);
      this.read(1);
      await tick();
      // The compare-and-set: the worker must be as read.
      if (this.workerDocs.get(key)?.version !== before?.version) throw new Conflict(key);
      const record: WorkerRecord = before ? copy(before.value.record) : {...worker};
      record.lastMessageTime = now;
      if (health && (!record.health || record.health.time.getTime() <= health.time.getTime())) record.health = copy(health);
      this.workerDocs.set(key, {value: {record}, version: this.nextVersion()});
      const list = this.samplesByWorker.get(key) ?? [];
      for (const sample of samples) list.push({...copy(sample), workerId: worker.workerId, projectId: worker.projectId, expireTime});
      this.samplesByWorker.set(key, list);
      this.wrote(1 + samples.length);
    },
    ofWorker: async (worker: WorkerRef, kind: SampleKind, limit: number): Promise<StoredSample[]> => {
      await tick();
      const found = (this.samplesByWorker.get(workerName(worker.projectId, worker.workerId)) ?? [])
        .filter(s => s.kind === kind)
        .sort((a, b) => b.time.getTime() - a.time.getTime())
        .slice(0, limit);
      this.read(found.length);
      return found.map(storedSample);
    },
    withCode: async (projectId: string, code: string, limit: number): Promise<StoredSample[]> => {
      await tick();
      const found = [...this.samplesByWorker.values()]
        .flat()
        .filter(s => s.projectId === projectId && s.code === code)
        .sort((a, b) => b.time.getTime() - a.time.getTime())
        .slice(0, limit);
      this.read(found.length);
      return found.map(storedSample);
    },
  };

  // ------------------------------------------------------------------- outbox

  readonly outbox = {
    head: async (queue: string): Promise<OutboxEntry | undefined> => {
      await tick();
      const [first] = this.outboxEntries()
        .filter(e => e.queue === queue)
        .sort((a, b) => a.sequence - b.sequence);
      this.read(first ? 1 : 0);
      return first;
    },
    due: async (now: Date, limit: number): Promise<OutboxEntry[]> => {
      await tick();
      const found = this.outboxEntries()
        .filter(e => e.nextAttemptTime <= now)
        .sort((a, b) => a.nextAttemptTime.getTime() - b.nextAttemptTime.getTime())
        .slice(0, limit);
      this.read(found.length);
      return found;
    },
    claim: async (entry: OutboxEntry, until: Date): Promise<OutboxEntry | undefined> => {
      await tick();
      const doc = this.outboxDocs.get(entry.id);
      if (!doc || doc.version !== entry.version) return undefined;
      const claimed = {...doc.value, nextAttemptTime: until};
      const version = this.nextVersion();
      this.outboxDocs.set(entry.id, {value: claimed, version});
      this.wrote(1);
      return {...copy(claimed), version};
    },
    complete: async (entry: OutboxEntry): Promise<void> => {
      await tick();
      this.outboxDocs.delete(entry.id);
      this.wrote(1);
    },
    fail: async (entry: OutboxEntry, error: string, retryAt: Date): Promise<void> => {
      await tick();
      const doc = this.outboxDocs.get(entry.id);
      if (!doc || doc.version !== entry.version) return;
      this.outboxDocs.set(entry.id, {
        value: {...doc.value, attempts: entry.attempts + 1, lastError: error.slice(0, 2000), nextAttemptTime: retryAt},
        version: this.nextVersion(),
      });
      this.wrote(1);
      for (const [id, follower] of this.outboxDocs) {
        if (id !== entry.id && follower.value.queue === entry.queue && follower.value.nextAttemptTime < retryAt) {
          this.outboxDocs.set(id, {value: {...follower.value, nextAttemptTime: retryAt}, version: this.nextVersion()});
          this.wrote(1);
        }
      }
    },
    deadLetter: async (entry: OutboxEntry, projectId: string, error: string, now: Date): Promise<boolean> => {
      await tick();
      return this.deadLetterNow(entry, projectId, error, now);
    },
  };

  private deadLetterNow(entry: OutboxEntry, projectId: string, error: string, now: Date): boolean {
    const doc = this.outboxDocs.get(entry.id);
    if (!doc || doc.version !== entry.version) return false;
    this.outboxDocs.delete(entry.id);
    const {version: _version, nextAttemptTime: _next, lastError: _last, ...message} = entry;
    this.deadLetterDocs.set(`${projectId}/${entry.id}`, {...copy(message), projectId, deadTime: now, lastError: error.slice(0, 2000), attempts: entry.attempts + 1});
    this.wrote(2);
    for (const [id, follower] of this.outboxDocs) {
      if (follower.value.queue === entry.queue && follower.value.nextAttemptTime > now) {
        this.outboxDocs.set(id, {value: {...follower.value, nextAttemptTime: now}, version: this.nextVersion()});
        this.wrote(1);
      }
    }
    return true;
  }

  readonly deadLetters = {
    list: async (projectId: string, pageSize: number, after?: DeadLetterCursor): Promise<{deadLetters: DeadLetter[]; next?: DeadLetterCursor}> => {
      await tick();
      const micros = (d: DeadLetter) => d.deadTime.getTime() * 1000;
      const sorted = [...this.deadLetterDocs.values()]
        .filter(d => d.projectId === projectId)
        .sort((a, b) => micros(b) - micros(a) || compareIds(b.id, a.id))
        .filter(d => !after || micros(d) < after.deadTimeMicros || (micros(d) === after.deadTimeMicros && compareIds(d.id, after.id) < 0));
      const read = sorted.slice(0, pageSize + 1);
      this.read(read.length);
      const page = read.slice(0, pageSize);
      const last = page[page.length - 1];
      return {deadLetters: copy(page), ...(read.length > pageSize && last ? {next: {deadTimeMicros: micros(last), id: last.id}} : {})};
    },
    retry: async (projectId: string, id: string, now: Date): Promise<DeadLetter | undefined> => {
      await tick();
      this.read(1);
      const key = `${projectId}/${id}`;
      const letter = this.deadLetterDocs.get(key);
      if (!letter) return undefined;
      if (this.outboxDocs.has(id)) throw new Conflict(`outbox ${id}`);
      this.deadLetterDocs.delete(key);
      const {projectId: _p, deadTime: _d, lastError: _e, attempts: _a, ...message} = letter;
      this.outboxDocs.set(id, {value: {...copy(message), nextAttemptTime: now, attempts: 0}, version: this.nextVersion()});
      this.wrote(2);
      return copy(letter);
    },
  };

  // ------------------------------------------------------------------- IAM policies

  readonly policies = {
    read: async (projectId: string): Promise<Versioned<IamPolicyRecord | undefined>> => {
      await tick();
      this.read(1);
      const doc = this.policyDocs.get(projectId);
      return doc ? {value: copy(doc.value), version: doc.version} : {value: undefined};
    },
    write: async (projectId: string, next: IamPolicyRecord, read: Versioned<IamPolicyRecord | undefined>): Promise<void> => {
      await tick();
      if (this.policyDocs.get(projectId)?.version !== read.version) throw new Conflict(`IAM policy of ${projectId}`);
      this.policyDocs.set(projectId, {value: copy(next), version: this.nextVersion()});
      this.wrote(1);
    },
  };

  private outboxEntries(): OutboxEntry[] {
    return [...this.outboxDocs.values()].map(d => ({...copy(d.value), version: d.version}));
  }

  // ------------------------------------------------------------------- logs

  readonly logs = new MemoryLogStore(
    (projectId, id) => this.current(operationName(projectId, id)),
    {read: documents => this.read(documents), wrote: documents => this.wrote(documents)},
  );

  // ------------------------------------------------------------------- secrets

  readonly secrets = {
    secret: async (name: string, generate: () => string): Promise<string> => {
      let value = this.secretValues.get(name);
      if (value === undefined) this.secretValues.set(name, (value = generate()));
      return value;
    },
  };

  // ------------------------------------------------------------------- the commit

  readonly committer = {
    commit: async (writes: readonly Write[]): Promise<void> => {
      await tick();
      // Every precondition first: all or nothing.
      for (const write of writes) this.check(write);
      for (const write of writes) this.apply(write);
    },
  };

  private check(write: Write): void {
    switch (write.kind) {
      case 'operation': {
        const key = operationName(write.next.projectId, write.next.id);
        const doc = this.operationDocs.get(key);
        if (!write.read.version) throw new Error('an operation change needs the version it was read at');
        if (!doc || doc.version !== write.read.version) throw new Conflict(key);
        return;
      }
      case 'worker': {
        const key = workerName(write.next.projectId, write.next.workerId);
        if (this.workerDocs.get(key)?.version !== write.read.version) throw new Conflict(key);
        return;
      }
      case 'outbox':
        if (this.outboxDocs.has(write.entry.id)) throw new Conflict(`outbox ${write.entry.id}`);
        return;
      case 'runningGate':
        if (this.runningGates.get(write.projectId)?.version !== write.read.version) throw new Conflict(`the running cap of project ${write.projectId}`);
        return;
    }
  }

  private apply(write: Write): void {
    switch (write.kind) {
      case 'operation': {
        const key = operationName(write.next.projectId, write.next.id);
        const events = this.operationDocs.get(key)?.value.events ?? [];
        this.operationDocs.set(key, {value: {record: copy(write.next), events: [...events, ...copy(write.newEvents)]}, version: this.nextVersion()});
        const classWrites = write.next.state === 'QUEUED' && write.read.value.state !== 'QUEUED' ? this.recordQueued(write.next) : 0;
        this.wrote(1 + write.newEvents.length + (write.sosReport ? 1 : 0) + classWrites);
        this.notify(key);
        return;
      }
      case 'worker': {
        const key = workerName(write.next.projectId, write.next.workerId);
        // Check-in's fields change; the health fields are worker messages' and stay.
        const health = this.workerDocs.get(key)?.value.record.health;
        const lastMessageTime = this.workerDocs.get(key)?.value.record.lastMessageTime;
        const record = copy(write.next);
        if (health) record.health = health;
        else delete record.health;
        if (lastMessageTime) record.lastMessageTime = lastMessageTime;
        else delete record.lastMessageTime;
        this.workerDocs.set(key, {value: {record}, version: this.nextVersion()});
        this.wrote(1);
        return;
      }
      case 'outbox':
        this.outboxDocs.set(write.entry.id, {value: newEntry(write.entry), version: this.nextVersion()});
        this.wrote(1);
        return;
      case 'runningGate':
        this.runningGates.set(write.projectId, {value: {assignments: (write.read.value?.assignments ?? 0) + 1}, version: this.nextVersion()});
        this.wrote(1);
        return;
    }
  }
}

export function memoryStores(): MemoryStores {
  return new MemoryStores();
}

/** Lets other callers interleave, as a network round trip would. */
function tick(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve));
}

function newEntry(entry: NewOutboxEntry): Omit<OutboxEntry, 'version'> {
  return {...copy(entry), attempts: 0};
}

function storedSample({projectId: _project, expireTime: _expires, ...sample}: StoredSample & {projectId: string; expireTime: Date}): StoredSample {
  return copy(sample);
}

/** Firestore orders document ids by their UTF-8 bytes; for ids Gaffer uses that is code-unit order. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isAfter(op: OperationRecord, cursor: OperationCursor): boolean {
  const micros = op.createTime.getTime() * 1000;
  return micros < cursor.createTimeMicros || (micros === cursor.createTimeMicros && compareIds(op.id, cursor.id) < 0);
}

/** Whether an index-served conjunct selects the operation (what Firestore's query would return). */
function servedBy(conjunct: IndexedConjunct, op: OperationRecord): boolean {
  const fields: Record<string, unknown> = {location: op.location, state: op.state, errorCode: errorCodeOf(op)};
  for (const {field, values} of conjunct.equalities) {
    if (!values.includes(fields[field] as string | number)) return false;
  }
  if (conjunct.arrayContains) {
    const {field, value} = conjunct.arrayContains;
    const array =
      field === 'labelPairs'
        ? Object.entries(op.labels).map(([k, v]) => labelPair(k, v))
        : field === 'labelKeys'
          ? Object.keys(op.labels)
          : op.eventTypes;
    if (!array.includes(value)) return false;
  }
  const time = op.createTime.getTime();
  const {createTimeAfter: low, createTimeBefore: high} = conjunct;
  if (low && !(low.inclusive ? time >= low.time.getTime() : time > low.time.getTime())) return false;
  if (high && !(high.inclusive ? time <= high.time.getTime() : time < high.time.getTime())) return false;
  return true;
}

/** A due time and a document path, in the order of Firestore's single-field index on the time. */
function compareDue([t1, n1]: [number, string], [t2, n2]: [number, string]): number {
  return t1 - t2 || compareIds(n1, n2);
}
