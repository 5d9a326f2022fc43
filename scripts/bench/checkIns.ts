/**
 * The workers.checkIn part of the benchmark: Firestore documents per check-in one at a
 * time, heartbeat check-ins under load, assignment of a queue to workers that take and
 * finish one operation each, plain Firestore writes against the same emulator for
 * comparison, and one lease sweep over many expired leases.
 */
import type {Firestore} from '@google-cloud/firestore';
import {Timestamp} from '@google-cloud/firestore';
import {performance} from 'perf_hooks';
import {Conflict} from '../../src/core/ports';
import type {Clock, Stores} from '../../src/core/ports';
import {systemClock} from '../../src/core/time';
import type {LocalServer} from '../../src/server';
import {connectFirestore} from '../../src/store/firestore';
import {pipelineRequest} from './harness';
import {BenchClient, LoadResult, documentsBetween, runLoad} from './http';
import {AssignmentResult, BaselineRow, CheckInCostRow, CheckInLoadRow, SweepResult, loadRow} from './report';
import {median, percentile} from './stats';

/** The system clock plus an offset the bench can move forward (lease expiry without waiting). */
export class OffsetClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }
}

/**
 * Counts the store's commits (and those refused because another writer got there first)
 * and its FIFO-window queries, by wrapping the methods of the one store instance. It
 * changes nothing about what they do.
 */
export class StoreProbe {
  commits = 0;
  conflicts = 0;
  windowQueries = 0;

  constructor(stores: Stores) {
    const {committer, operations} = stores;
    const commit = committer.commit.bind(committer);
    committer.commit = async writes => {
      this.commits++;
      try {
        await commit(writes);
      } catch (err) {
        if (err instanceof Conflict) this.conflicts++;
        throw err;
      }
    };
    const queued = operations.queued.bind(operations);
    operations.queued = (projectId, classKeys, limit) => {
      this.windowQueries++;
      return queued(projectId, classKeys, limit);
    };
  }

  snapshot(): {commits: number; conflicts: number; windowQueries: number} {
    return {commits: this.commits, conflicts: this.conflicts, windowQueries: this.windowQueries};
  }
}

export interface CheckInBenchOptions {
  concurrency: number;
  warmup: number;
  maxMs: number;
  /** Sequential check-ins per row of the per-check-in cost table. */
  costSamples: number;
  /**
   * Unmeasured calls before each heartbeat and plain-Firestore row: the emulator's JVM
   * speeds up over the first thousands of calls of a new kind, which would otherwise
   * favour whichever row runs later.
   */
  comparisonWarmup: number;
  /**
   * Unmeasured heartbeats before the first heartbeat row, instead of comparisonWarmup: it
   * is the first row of HTTP check-ins under load, and both the JVM and Node were still
   * warming up after 500 (one run: 292/s after 500, 477/s after 5,000 more).
   */
  heartbeatWarmup: number;
  heartbeatCount: number;
  heartbeatStatusCount: number;
  baselineCount: number;
  assignQueue: number;
  assignMaxMs: number;
  sweepLeases: number;
  populateBatch: number;
}

export interface CheckInResults {
  options: CheckInBenchOptions;
  costs: CheckInCostRow[];
  load: CheckInLoadRow[];
  baselines: BaselineRow[];
  assignment?: AssignmentResult;
  sweeps: SweepResult[];
  leaseDurationMs: number;
  leaseGraceMs: number;
  assignmentWindow: number;
}

const COST_PROJECT = 'bench-checkin-cost';
const IDLE_PROJECT = 'bench-checkin-idle';
const HEARTBEAT_PROJECT = 'bench-heartbeat';
const ASSIGN_PROJECT = 'bench-assign';
const SWEEP_PROJECT = 'bench-sweep';
const BASELINE_COLLECTION = 'benchBaseline';
/** CheckInService's default FIFO window (src/core/checkIn.ts). */
const ASSIGNMENT_WINDOW = 10;

const EMPTY = '{}';
const RESULT_OK = JSON.stringify({result: {code: 0}});
const WITH_STATUS = JSON.stringify({
  workerStatus: {
    freeRamBytes: '2147483648',
    totalRamBytes: '4294967296',
    uptimeSeconds: '600',
    bootDisk: {freeSpaceBytes: '8589934592', totalSpaceBytes: '10737418240'},
    attachedDisks: {data: {freeSpaceBytes: '107374182400', totalSpaceBytes: '214748364800'}},
  },
});

function checkInPath(projectId: string, workerId: string): string {
  return `/v2alpha1/projects/${projectId}/workers/${workerId}:checkIn`;
}

interface CheckInAnswer {
  deadline?: string;
  features?: {operation?: string; lease?: string; leaseEpoch?: string};
}

function operationOf(body: string): string | undefined {
  return (JSON.parse(body) as CheckInAnswer).features?.operation;
}

/** The fencing token an answer grants, as gaffer-worker presents it on later check-ins. */
function leaseOf(body: string): string | undefined {
  return (JSON.parse(body) as CheckInAnswer).features?.lease;
}

function typeName(event: {details: {'@type': string}}): string {
  return event.details['@type'].split('.').pop() ?? '';
}

export class CheckInBench {
  readonly results: CheckInResults;

  constructor(
    private readonly server: LocalServer,
    private readonly client: BenchClient,
    private readonly clock: OffsetClock,
    private readonly probe: StoreProbe,
    private readonly options: CheckInBenchOptions,
    private readonly log: (message: string) => void,
  ) {
    this.results = {
      options,
      costs: [],
      load: [],
      baselines: [],
      sweeps: [],
      leaseDurationMs: server.app.config.leaseDurationMs,
      leaseGraceMs: server.app.config.leaseGraceMs,
      assignmentWindow: ASSIGNMENT_WINDOW,
    };
  }

  private stats() {
    return this.server.app.stores.stats();
  }

  private db?: Firestore;

  /** A Firestore client of the same emulator, for the baselines and counts Gaffer has no RPC for. */
  private firestore(): Firestore {
    const {config} = this.server.app;
    return (this.db ??= connectFirestore({projectId: config.stateProjectId, emulatorHost: config.firestoreEmulatorHost}));
  }

  /** Queues `count` operations in-process; returns their names. */
  private async queue(projectId: string, count: number): Promise<string[]> {
    const names: string[] = [];
    for (let start = 0; start < count; start += this.options.populateBatch) {
      const end = Math.min(start + this.options.populateBatch, count);
      const created = await Promise.all(
        Array.from({length: end - start}, () => this.server.app.services.operations.run(pipelineRequest(projectId, ['echo', 'hello'], {bench: 'checkin'}))),
      );
      names.push(...created.map(op => op.name));
    }
    return names;
  }

  /** A check-in; with `lease`, presenting it (`?lease=`) as gaffer-worker does. */
  private async checkIn(projectId: string, workerId: string, body: string, lease?: string) {
    return this.client.ok('POST', `${checkInPath(projectId, workerId)}${lease ? `?lease=${encodeURIComponent(lease)}` : ''}`, body);
  }

  // ---------------------------------------------------------------- documents per check-in

  /** One check-in at a time, nothing else touching the store: documents read and written by each. */
  private async sample(
    what: string,
    calls: Array<{projectId: string; workerId: string; body: string; lease?: string}>,
    expect: 'holding' | 'idle',
  ): Promise<Map<string, string>> {
    const leases = new Map<string, string>();
    const read: number[] = [];
    const written: number[] = [];
    const latencies: number[] = [];
    for (const call of calls) {
      const before = this.stats();
      const res = await this.checkIn(call.projectId, call.workerId, call.body, call.lease);
      const after = this.stats();
      const lease = leaseOf(res.body);
      if (lease) leases.set(call.workerId, lease);
      read.push(after.documentsRead - before.documentsRead);
      written.push(after.documentsWritten - before.documentsWritten);
      latencies.push(res.latencyMs);
      const holding = operationOf(res.body) !== undefined;
      if (holding !== (expect === 'holding')) {
        throw new Error(`${what}: ${call.workerId} expected to be ${expect}, answered ${res.body.slice(0, 300)}`);
      }
    }
    const row: CheckInCostRow = {what, calls: calls.length, documentsRead: read, documentsWritten: written, p50Ms: median(latencies)};
    this.results.costs.push(row);
    this.log(`check-in cost, ${what}: read ${read.join(',')}, wrote ${written.join(',')}, p50 ${row.p50Ms.toFixed(1)} ms`);
    return leases;
  }

  async costs(): Promise<void> {
    const n = this.options.costSamples;
    this.log(`documents per check-in: ${n} sequential check-ins of each kind`);
    // Enough that the FIFO window is full for every sampled assignment.
    await this.queue(COST_PROJECT, n + ASSIGNMENT_WINDOW);
    const workers = Array.from({length: n}, (_, k) => `cost-${k}`);
    const idleWorkers = Array.from({length: n}, (_, k) => `idle-${k}`);
    const calls = (projectId: string, ids: string[], body: string) => ids.map(workerId => ({projectId, workerId, body}));
    await this.sample('idle, nothing queued: a new worker', calls(IDLE_PROJECT, idleWorkers, EMPTY), 'idle');
    await this.sample('idle, nothing queued: a known worker', calls(IDLE_PROJECT, idleWorkers, EMPTY), 'idle');
    const leases = await this.sample(`assigning (a new worker, ≥ ${ASSIGNMENT_WINDOW} queued)`, calls(COST_PROJECT, workers, EMPTY), 'holding');
    const presenting = (body: string) => calls(COST_PROJECT, workers, body).map(call => ({...call, lease: leases.get(call.workerId)}));
    await this.sample('heartbeat `{}`', presenting(EMPTY), 'holding');
    await this.sample('heartbeat with workerStatus', presenting(WITH_STATUS), 'holding');
    await this.sample("heartbeat `{}` without its lease (Google's client)", calls(COST_PROJECT, workers, EMPTY), 'holding');
    await this.sample('result `{result: {code: 0}}`', presenting(RESULT_OK), 'idle');
  }

  // ---------------------------------------------------------------- heartbeats under load

  async heartbeats(): Promise<void> {
    const c = this.options.concurrency;
    this.log(`heartbeats: ${c} workers each take one of ${c} operations`);
    await this.queue(HEARTBEAT_PROJECT, c);
    /** Each worker's lease, which it presents as gaffer-worker does. */
    const held = new Map<string, string>();
    for (let k = 0; k < c; k++) {
      const worker = `hb-${k}`;
      const lease = leaseOf((await this.checkIn(HEARTBEAT_PROJECT, worker, EMPTY)).body);
      if (!lease) throw new Error(`heartbeat setup: ${worker} was given no operation`);
      held.set(worker, lease);
    }
    if (new Set(held.values()).size !== c) throw new Error('heartbeat setup: two workers hold the same operation');
    const {heartbeatWarmup, comparisonWarmup, heartbeatCount, heartbeatStatusCount} = this.options;
    await this.heartbeatLoad('heartbeat `{}`', EMPTY, heartbeatCount, heartbeatWarmup, held);
    await this.heartbeatLoad('heartbeat with workerStatus', WITH_STATUS, heartbeatStatusCount, comparisonWarmup, held);
    // Finish them, so that only the sweep scenario's leases are left to expire.
    for (const [worker, lease] of held) {
      if (operationOf((await this.checkIn(HEARTBEAT_PROJECT, worker, RESULT_OK, lease)).body)) throw new Error(`${worker} still holds work`);
    }
  }

  private async heartbeatLoad(scenario: string, body: string, count: number, warmup: number, held: ReadonlyMap<string, string>): Promise<void> {
    this.log(`${scenario}: ${count} check-ins, ${held.size} workers presenting their leases, one check-in each in flight`);
    // Each worker has at most one check-in in flight, as a real worker would.
    const free = [...held.keys()];
    let before = this.stats();
    let probeBefore = this.probe.snapshot();
    let started = false;
    const result = await runLoad(
      {count, concurrency: this.options.concurrency, maxMs: this.options.maxMs, warmup},
      async i => {
        if (i >= 0 && !started) {
          started = true;
          before = this.stats();
          probeBefore = this.probe.snapshot();
        }
        const worker = free.pop();
        if (!worker) throw new Error('more check-ins in flight than workers');
        try {
          const res = await this.checkIn(HEARTBEAT_PROJECT, worker, body, held.get(worker));
          if (!res.body.includes('"leaseEpoch"')) throw new Error(`${worker} lost its operation: ${res.body.slice(0, 300)}`);
          return res.latencyMs;
        } finally {
          free.push(worker);
        }
      },
    );
    this.recordLoad(scenario, count, result, before, probeBefore);
  }

  private recordLoad(
    scenario: string,
    planned: number,
    result: LoadResult,
    before: ReturnType<CheckInBench['stats']>,
    probeBefore: ReturnType<StoreProbe['snapshot']>,
  ): CheckInLoadRow {
    const after = this.stats();
    const probeAfter = this.probe.snapshot();
    const row: CheckInLoadRow = {
      scenario,
      ...loadRow(planned, result),
      ...documentsBetween(before, after),
      commits: probeAfter.commits - probeBefore.commits,
      conflicts: probeAfter.conflicts - probeBefore.conflicts,
    };
    this.results.load.push(row);
    this.log(
      `${scenario}: ${row.completed} in ${(row.elapsedMs / 1000).toFixed(2)} s, ` +
        `${(row.completed / (row.elapsedMs / 1000)).toFixed(0)}/s, p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms, ` +
        `${(row.documentsRead / row.completed).toFixed(2)} read + ${(row.documentsWritten / row.completed).toFixed(2)} written each, ` +
        `${row.conflicts} conflicting commits`,
    );
    return row;
  }

  // ---------------------------------------------------------------- plain Firestore, same emulator

  /**
   * The same concurrency against the same emulator through Gaffer's own Firestore client,
   * with no Gaffer in between: each slot has its own document(s), so nothing conflicts.
   */
  async baselines(): Promise<void> {
    const db: Firestore = this.firestore();
    const c = this.options.concurrency;
    const slots = Array.from({length: c}, (_, k) => k);
    const doc = (kind: string, slot: number, part = '') => db.collection(BASELINE_COLLECTION).doc(`${kind}-${slot}${part}`);
    const payload = (n: number, slot: number) => ({n, slot, worker: `slot-${slot}`, time: Timestamp.now()});
    await Promise.all(
      slots.flatMap(s => [doc('tx', s), doc('cas', s), doc('pair', s, '-a'), doc('pair', s, '-b')].map(ref => ref.set(payload(0, s)))),
    );

    await this.baseline('transaction: get + set of 1 document', async (slot, i) => {
      const ref = doc('tx', slot);
      await db.runTransaction(async tx => {
        const snap = await tx.get(ref);
        if (!snap.exists) throw new Error(`${ref.path} missing`);
        tx.set(ref, payload(i, slot));
      });
    });
    await this.baseline('get, then update with lastUpdateTime precondition: 1 document', async (slot, i) => {
      const ref = doc('cas', slot);
      const snap = await ref.get();
      await ref.update(payload(i, slot), {lastUpdateTime: snap.updateTime!});
    });
    await this.baseline('2 gets, then a batch of 2 updates with preconditions', async (slot, i) => {
      const a = doc('pair', slot, '-a');
      const b = doc('pair', slot, '-b');
      const snapA = await a.get();
      const snapB = await b.get();
      const batch = db.batch();
      batch.update(a, payload(i, slot), {lastUpdateTime: snapA.updateTime!});
      batch.update(b, payload(i, slot), {lastUpdateTime: snapB.updateTime!});
      await batch.commit();
    });
  }

  private async baseline(what: string, op: (slot: number, i: number) => Promise<void>): Promise<void> {
    const count = this.options.baselineCount;
    this.log(`Firestore alone, ${what}: ${count} times, ${this.options.concurrency} in flight`);
    const free = Array.from({length: this.options.concurrency}, (_, k) => k);
    const result = await runLoad(
      {count, concurrency: this.options.concurrency, maxMs: this.options.maxMs, warmup: this.options.comparisonWarmup},
      async i => {
        const slot = free.pop()!;
        try {
          const started = performance.now();
          await op(slot, i);
          return performance.now() - started;
        } finally {
          free.push(slot);
        }
      },
    );
    const row: BaselineRow = {what, ...loadRow(count, result)};
    this.results.baselines.push(row);
    this.log(
      `${what}: ${(row.completed / (row.elapsedMs / 1000)).toFixed(0)}/s, p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms`,
    );
  }

  // ---------------------------------------------------------------- assignment of a queue

  /**
   * A queue of operations, and workers that each check in until given one (a new worker
   * id per operation, as with one VM per pipeline), then report its result at once.
   * Fails unless every assigned operation was assigned exactly once and finished.
   */
  async assignments(): Promise<void> {
    const {assignQueue: m, concurrency: c} = this.options;
    this.log(`assignment: queueing ${m} operations in ${ASSIGN_PROJECT} (in-process)`);
    const created = await this.queue(ASSIGN_PROJECT, m);
    const operationsInStore = await this.operationsInStore();
    this.log(`assignment: ${c} workers in flight take and finish them`);
    const before = this.stats();
    const probeBefore = this.probe.snapshot();
    const takes: number[] = [];
    const results: number[] = [];
    const assigned: string[] = [];
    let assignedCount = 0;
    let workersUsed = 0;
    let emptyAnswers = 0;
    let emptyWhileQueued = 0;
    let checkIns = 0;
    let truncated = false;
    const started = performance.now();
    const deadline = started + this.options.assignMaxMs;
    const slot = async () => {
      while (assignedCount < m) {
        if (performance.now() > deadline) {
          truncated = true;
          return;
        }
        const worker = `taker-${workersUsed++}`;
        let operation: string | undefined;
        while (!operation && assignedCount < m) {
          const stillQueued = m - assignedCount; // an upper bound: others' takes may be in flight
          const res = await this.checkIn(ASSIGN_PROJECT, worker, EMPTY);
          checkIns++;
          operation = operationOf(res.body);
          if (operation) {
            assignedCount++;
            takes.push(res.latencyMs);
          } else {
            emptyAnswers++;
            if (stillQueued > 2 * c) emptyWhileQueued++;
          }
        }
        if (!operation) return;
        const done = await this.checkIn(ASSIGN_PROJECT, worker, RESULT_OK);
        checkIns++;
        if (operationOf(done.body)) throw new Error(`${worker} still holds work after its result`);
        results.push(done.latencyMs);
        assigned.push(operation);
      }
    };
    await Promise.all(Array.from({length: c}, slot));
    const elapsedMs = performance.now() - started;
    const after = this.stats();
    const probeAfter = this.probe.snapshot();

    // Sanity: every operation handed out once, finished once; the others untouched.
    const createdSet = new Set(created);
    const distinct = new Set(assigned);
    if (distinct.size !== assigned.length) throw new Error(`assignment: ${assigned.length - distinct.size} operations were given to two workers`);
    for (const name of assigned) if (!createdSet.has(name)) throw new Error(`assignment: ${name} is not one of the queued operations`);
    if (!truncated && assigned.length !== m) throw new Error(`assignment: ${assigned.length} of ${m} operations assigned`);
    let assignedEvents = 0;
    let doneOperations = 0;
    const ids = created.map(name => name.split('/').pop()!);
    for (let start = 0; start < ids.length; start += 100) {
      const ops = await Promise.all(ids.slice(start, start + 100).map(id => this.server.app.stores.operations.get(ASSIGN_PROJECT, id)));
      ops.forEach((op, k) => {
        const name = created[start + k]!;
        if (!op) throw new Error(`assignment: ${name} vanished`);
        const types = op.events.map(typeName);
        const assignedHere = types.filter(t => t === 'WorkerAssignedEvent').length;
        assignedEvents += assignedHere;
        if (distinct.has(name)) {
          if (op.state !== 'SUCCESS' || op.error || assignedHere !== 1 || types.filter(t => t === 'WorkerReleasedEvent').length !== 1) {
            throw new Error(`assignment: ${name} is ${op.state} with events ${types.join(', ')}; expected SUCCESS, assigned and released once`);
          }
          doneOperations++;
        } else if (op.state !== 'QUEUED' || types.length !== 0) {
          throw new Error(`assignment: ${name} was never handed out but is ${op.state} with events ${types.join(', ')}`);
        }
      });
    }
    if (assignedEvents !== assigned.length) throw new Error(`assignment: ${assignedEvents} WorkerAssignedEvents for ${assigned.length} assignments`);

    const a: AssignmentResult = {
      queued: m,
      operationsInStore,
      concurrency: c,
      elapsedMs,
      truncated,
      assigned: assigned.length,
      doneOperations,
      assignedEvents,
      checkIns,
      takeP50Ms: percentile(takes, 50),
      takeP99Ms: percentile(takes, 99),
      resultP50Ms: percentile(results, 50),
      resultP99Ms: percentile(results, 99),
      emptyAnswers,
      emptyWhileQueued,
      ...documentsBetween(before, after),
      commits: probeAfter.commits - probeBefore.commits,
      conflicts: probeAfter.conflicts - probeBefore.conflicts,
      windowQueries: probeAfter.windowQueries - probeBefore.windowQueries,
    };
    this.results.assignment = a;
    this.log(
      `assignment: ${a.assigned} assigned exactly once in ${(elapsedMs / 1000).toFixed(2)} s, ` +
        `${(a.assigned / (elapsedMs / 1000)).toFixed(0)} assignments/s, take p50 ${a.takeP50Ms.toFixed(1)} ms p99 ${a.takeP99Ms.toFixed(1)} ms, ` +
        `${a.emptyAnswers} empty answers (${a.emptyWhileQueued} with work queued), ${a.conflicts} conflicting commits of ${a.commits}, ` +
        `${a.windowQueries} window queries`,
    );
  }

  /** Operations in every project of the emulator (its queries scan them). */
  private async operationsInStore(): Promise<number> {
    return (await this.firestore().collectionGroup('operations').count().get()).data().count;
  }

  // ---------------------------------------------------------------- the lease sweep

  /** K workers take K operations and go silent; the clock moves past lease + grace; one sweep. */
  async sweep(): Promise<void> {
    const k = this.options.sweepLeases;
    const c = this.options.concurrency;
    const app = this.server.app;
    this.log(`lease sweep: ${k} operations taken by ${k} workers that then go silent`);
    await this.queue(SWEEP_PROJECT, k);
    let next = 0;
    let taken = 0;
    const take = async () => {
      while (next < k) {
        const worker = {projectId: SWEEP_PROJECT, workerId: `silent-${next++}`};
        for (let attempt = 0; ; attempt++) {
          if (attempt > 50) throw new Error(`sweep setup: ${worker.workerId} got no operation`);
          if ((await app.services.checkIns.checkIn(worker, {})).features) break;
        }
        taken++;
      }
    };
    await Promise.all(Array.from({length: c}, take));
    const leaseEnd = app.config.leaseDurationMs + app.config.leaseGraceMs;
    // Nothing else may hold a lease, or the sweep would act on it too.
    const leased = await app.stores.workers.expiredLeases(new Date(this.clock.now().getTime() + leaseEnd + 3_600_000), k + 100);
    if (leased.length !== k || taken !== k) throw new Error(`sweep setup: ${leased.length} leases outstanding, expected ${k}`);
    const operationsInStore = await this.operationsInStore();

    this.clock.advance(leaseEnd + 1_000);
    const expired = await this.timedSweep(`${k} expired leases`, k, operationsInStore);
    if (expired.report.ended + expired.report.requeued !== k || expired.report.skipped !== 0) {
      throw new Error(`sweep: ${JSON.stringify(expired.report)} for ${k} expired leases`);
    }
    await this.timedSweep('nothing expired', 0, operationsInStore);
  }

  private async timedSweep(what: string, expiredLeases: number, operationsInStore: number): Promise<SweepResult> {
    const before = this.stats();
    const started = performance.now();
    const report = await this.server.app.services.leases.expireLeases();
    const elapsedMs = performance.now() - started;
    const after = this.stats();
    const row: SweepResult = {
      what,
      expiredLeases,
      operationsInStore,
      elapsedMs,
      report,
      ...documentsBetween(before, after),
    };
    this.results.sweeps.push(row);
    this.log(
      `expireLeases, ${what}: ${(elapsedMs / 1000).toFixed(2)} s, ${JSON.stringify(report)}, ` +
        `read ${row.documentsRead}, wrote ${row.documentsWritten}`,
    );
    return row;
  }
}
