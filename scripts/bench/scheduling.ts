/**
 * Scheduling (issue 13), before and after in one run, each on a Gaffer of its own on the
 * same Firestore emulator:
 *
 * - contention: 64 workers take and finish 1,000 queued operations (a new worker id per
 *   operation), with each check-in reading its own FIFO window (GAFFER_SHARED_WINDOW=0s,
 *   as before) and with shared windows; afterwards every operation is read back and must
 *   be SUCCESS, assigned and released exactly once;
 * - idle workers: 100 workers that find nothing, polling every GAFFER_IDLE_CHECK_IN_INTERVAL
 *   (GAFFER_CHECK_IN_WAIT=0s, as before) and long-polling (the default wait): documents
 *   read per hour;
 * - submit -> assigned: one idle worker, operations submitted one at a time; the time from
 *   sending pipelines.run to the worker's check-in answer that gives it the operation.
 */
import {performance} from 'perf_hooks';
import {StoreProbe} from './checkIns';
import {GafferSetup, pipelineRequest, withGaffer} from './harness';
import type {BenchClient, HttpResult} from './http';
import {median, percentile} from './stats';

export const SCHEDULING_HEADING = '## Scheduling: contention, idle workers, submit to assigned';

export interface ContentionRow {
  mode: string;
  workers: number;
  queued: number;
  seconds: number;
  assignmentsPerSecond: number;
  commits: number;
  refused: number;
  windowQueries: number;
  takeP50Ms: number;
  takeP99Ms: number;
}

export interface IdleRow {
  mode: string;
  workers: number;
  seconds: number;
  checkIns: number;
  documentsRead: number;
  readsPerHour: number;
}

/** How long the bench waits before each submit (or read), at random within [from, to] ms. */
type Gap = readonly [number, number];

/** The gap that mimics a pipeline submitted now and then; the short one only makes sure the worker waits. */
const LONG_GAP: Gap = [300, 1000];
const SHORT_GAP: Gap = [50, 100];

const gapText = ([from, to]: Gap) => (to >= 1000 ? `${from / 1000}–${to / 1000} s` : `${from}–${to} ms`);
const sleepGap = ([from, to]: Gap) => new Promise(resolve => setTimeout(resolve, from + Math.random() * (to - from)));

export interface LatencyRow {
  mode: string;
  gap: string;
  samples: number;
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
}

/** One Gaffer RPC that reads one document, after the same gaps: what the machine adds to a call after idling. */
export interface WakeRow {
  gap: string;
  samples: number;
  p50Ms: number;
}

export interface SchedulingResult {
  contention: ContentionRow[];
  idle: IdleRow[];
  latency: LatencyRow[];
  wake: WakeRow[];
  checkInWaitMs: number;
  idleIntervalMs: number;
}

export interface SchedulingOptions {
  firestoreHost: string;
  log: (message: string) => void;
  workers?: number;
  queued?: number;
  idleWorkers?: number;
  idleSeconds?: number;
  latencySamples?: number;
}

const RESULT_OK = JSON.stringify({result: {code: 0}});

const operationOf = (body: string): string | undefined => (JSON.parse(body) as {features?: {operation?: string}}).features?.operation;
/** The `?lease=` a report presents: the lease the check-in's answer granted. */
const leaseOf = (body: string): string => `?lease=${encodeURIComponent((JSON.parse(body) as {features: {lease: string}}).features.lease)}`;
const deadlineOf = (body: string): number => Date.parse((JSON.parse(body) as {deadline: string}).deadline);

/**
 * client.ok, sent again when the connection was reset before an answer (a kept-alive
 * socket the server closed as it was reused), as a worker would; any other failure stands.
 */
async function post(client: BenchClient, path: string, body: string): Promise<HttpResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.ok('POST', path, body);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET' || attempt >= 3) throw err;
    }
  }
}

function setup(stateProject: string, env: Record<string, string>, firestoreHost: string): GafferSetup {
  // No background sweep: its DelayedEvents and reads would mix into the counts.
  return {firestoreHost, stateProject, env, options: {sweep: false}};
}

export async function benchScheduling(options: SchedulingOptions): Promise<SchedulingResult> {
  const {firestoreHost, log} = options;
  const workers = options.workers ?? 64;
  const queued = options.queued ?? 1000;
  const contention: ContentionRow[] = [];
  for (const [mode, env] of [
    ['each check-in reads its own window (before)', {GAFFER_SHARED_WINDOW: '0s', GAFFER_CHECK_IN_WAIT: '0s'}],
    ['shared windows (after)', {GAFFER_CHECK_IN_WAIT: '0s'}],
  ] as const) {
    const stateProject = `bench-sched-${contention.length}`;
    contention.push(
      await withGaffer(setup(stateProject, env, firestoreHost), workers, (server, client) =>
        contend(mode, server.app.stores, client, workers, queued, log, server.app.services.operations),
      ),
    );
  }

  const idleWorkers = options.idleWorkers ?? 100;
  const idleSeconds = options.idleSeconds ?? 45;
  const idle: IdleRow[] = [];
  const latency: LatencyRow[] = [];
  const wake: WakeRow[] = [];
  const samples = options.latencySamples ?? 20;
  let checkInWaitMs = 0;
  let idleIntervalMs = 0;
  for (const [mode, env] of [
    ['polling (GAFFER_CHECK_IN_WAIT=0s, before)', {GAFFER_CHECK_IN_WAIT: '0s'}],
    ['long poll (the default GAFFER_CHECK_IN_WAIT, after)', {}],
  ] as const) {
    const stateProject = `bench-idle-${idle.length}`;
    await withGaffer(setup(stateProject, env, firestoreHost), idleWorkers + 4, async (server, client) => {
      if (mode.startsWith('long')) checkInWaitMs = server.app.config.checkInWaitMs;
      idleIntervalMs = server.app.config.idleCheckInIntervalMs;
      idle.push(await idleCost(mode, server.app.stores, client, idleWorkers, idleSeconds * 1000, log));
      latency.push(await submitToAssigned(mode, client, samples, LONG_GAP, log));
      if (mode.startsWith('long')) {
        latency.push(await submitToAssigned(mode, client, samples, SHORT_GAP, log));
        const name = (JSON.parse((await post(client, '/v2alpha1/pipelines:run', JSON.stringify(pipelineRequest('bench-wake', ['true'])))).body) as {name: string}).name;
        for (const gap of [[0, 0], SHORT_GAP, LONG_GAP] as const) wake.push(await oneReadAfter(client, name, gap, samples));
      }
    });
  }
  return {contention, idle, latency, wake, checkInWaitMs, idleIntervalMs};
}

async function contend(
  mode: string,
  stores: ConstructorParameters<typeof StoreProbe>[0],
  client: BenchClient,
  workers: number,
  queued: number,
  log: (message: string) => void,
  operations: {run(request: ReturnType<typeof pipelineRequest>): Promise<{name: string}>},
): Promise<ContentionRow> {
  const project = 'bench-contention';
  log(`scheduling, ${mode}: queueing ${queued} operations`);
  const created: string[] = [];
  for (let i = 0; i < queued; i += 50) {
    const batch = await Promise.all(Array.from({length: Math.min(50, queued - i)}, () => operations.run(pipelineRequest(project, ['true']))));
    created.push(...batch.map(op => op.name));
  }
  const probe = new StoreProbe(stores);
  log(`scheduling, ${mode}: ${workers} workers take and finish them`);
  const takes: number[] = [];
  const assigned: string[] = [];
  let next = 0;
  const started = performance.now();
  const slot = async () => {
    while (assigned.length < queued) {
      const worker = `w-${next++}`;
      let operation: string | undefined;
      let lease = '';
      for (let tries = 0; !operation && tries < 20 && assigned.length < queued; tries++) {
        const res = await post(client, `/v2alpha1/projects/${project}/workers/${worker}:checkIn`, '{}');
        operation = operationOf(res.body);
        if (operation) {
          takes.push(res.latencyMs);
          lease = leaseOf(res.body);
        }
      }
      if (!operation) return;
      assigned.push(operation);
      await post(client, `/v2alpha1/projects/${project}/workers/${worker}:checkIn${lease}`, RESULT_OK);
    }
  };
  // Every slot ends before anything is reported (a failing slot must not leave others running).
  const ended = await Promise.allSettled(Array.from({length: workers}, slot));
  const failed = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected');
  if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  const seconds = (performance.now() - started) / 1000;
  // Exactly once: every operation handed out once, done, assigned and released once.
  if (new Set(assigned).size !== assigned.length) throw new Error(`${mode}: an operation was given to two workers`);
  if (assigned.length !== queued) throw new Error(`${mode}: ${assigned.length} of ${queued} assigned`);
  for (const name of created) {
    const op = await stores.operations.get(project, name.split('/').pop()!);
    const types = (op?.events ?? []).map(e => e.details['@type'].split('.').pop());
    const once = (t: string) => types.filter(x => x === t).length === 1;
    if (op?.state !== 'SUCCESS' || !once('WorkerAssignedEvent') || !once('WorkerReleasedEvent')) {
      throw new Error(`${mode}: ${name} is ${op?.state} with ${types.join(', ')}`);
    }
  }
  const probed = probe.snapshot();
  return {
    mode,
    workers,
    queued,
    seconds,
    assignmentsPerSecond: queued / seconds,
    commits: probed.commits,
    refused: probed.conflicts,
    windowQueries: probed.windowQueries,
    takeP50Ms: median(takes),
    takeP99Ms: percentile(takes, 99),
  };
}

/** Idle workers checking in as a worker would: again at the response's deadline. */
async function idleCost(
  mode: string,
  stores: {stats(): {documentsRead: number}},
  client: BenchClient,
  workers: number,
  ms: number,
  log: (message: string) => void,
): Promise<IdleRow> {
  const project = 'bench-idle';
  log(`scheduling, ${mode}: ${workers} idle workers for ${ms / 1000} s`);
  let stop = false;
  let checkIns = 0;
  const loop = async (i: number) => {
    while (!stop) {
      const res = await post(client, `/v2alpha1/projects/${project}/workers/idle-${i}:checkIn`, '{}');
      if (stop) return;
      checkIns++;
      const wait = deadlineOf(res.body) - Date.now();
      await new Promise(resolve => setTimeout(resolve, Math.max(0, wait)));
    }
  };
  // The count starts once every worker has checked in at least once (its document created).
  let failure: unknown;
  const loops = Array.from({length: workers}, (_, i) =>
    loop(i).catch(err => {
      failure ??= err;
      stop = true;
    }),
  );
  await new Promise(resolve => setTimeout(resolve, 3000));
  const before = stores.stats().documentsRead;
  const checkInsBefore = checkIns;
  const started = performance.now();
  await new Promise(resolve => setTimeout(resolve, ms));
  const documentsRead = stores.stats().documentsRead - before;
  const seconds = (performance.now() - started) / 1000;
  const counted = checkIns - checkInsBefore;
  stop = true;
  // Long polls still waiting end with their wait; the loops then return.
  await Promise.all(loops);
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  return {mode, workers, seconds, checkIns: counted, documentsRead, readsPerHour: (documentsRead / seconds) * 3600};
}

/** One idle worker; operations submitted one at a time; submit sent -> assignment answered. */
async function submitToAssigned(mode: string, client: BenchClient, samples: number, gap: Gap, log: (message: string) => void): Promise<LatencyRow> {
  // A project per gap: the operation that ends the last long poll may be left queued.
  const project = `bench-latency-${gap[0]}`;
  log(`scheduling, ${mode}: submit -> assigned, ${samples} samples, ${gapText(gap)} apart`);
  const latencies: number[] = [];
  let submittedAt = 0;
  let stop = false;
  const worker = (async () => {
    while (!stop) {
      const res = await post(client, `/v2alpha1/projects/${project}/workers/taker:checkIn`, '{}');
      const operation = operationOf(res.body);
      if (operation) {
        latencies.push(performance.now() - submittedAt);
        await post(client, `/v2alpha1/projects/${project}/workers/taker:checkIn${leaseOf(res.body)}`, RESULT_OK);
        continue;
      }
      const wait = deadlineOf(res.body) - Date.now();
      if (!stop) await new Promise(resolve => setTimeout(resolve, Math.max(0, wait)));
    }
  })();
  for (let i = 0; i < samples; i++) {
    // The worker is idle (and, long-polling, waiting) before the submit.
    const count = latencies.length;
    await sleepGap(gap);
    submittedAt = performance.now();
    await post(client, '/v2alpha1/pipelines:run', JSON.stringify(pipelineRequest(project, ['true'])));
    while (latencies.length === count) await new Promise(resolve => setTimeout(resolve, 5));
  }
  stop = true;
  // One more operation ends a long poll still waiting.
  await post(client, '/v2alpha1/pipelines:run', JSON.stringify(pipelineRequest(project, ['true'])));
  await worker;
  return {mode, gap: gapText(gap), samples: latencies.slice(0, samples).length, p50Ms: median(latencies.slice(0, samples)), p90Ms: percentile(latencies.slice(0, samples), 90), maxMs: Math.max(...latencies.slice(0, samples))};
}

/** operations.get of one operation (one document read), `samples` times, each after a gap. */
async function oneReadAfter(client: BenchClient, name: string, gap: Gap, samples: number): Promise<WakeRow> {
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    await sleepGap(gap);
    latencies.push((await client.ok('GET', `/v2alpha1/${name}`)).latencyMs);
  }
  return {gap: gap[1] === 0 ? 'none (back to back)' : gapText(gap), samples, p50Ms: median(latencies)};
}

const n = (value: number, digits = 0) => value.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits});

export function schedulingSection(r: SchedulingResult): string {
  const [before, after] = r.contention;
  const speedup = before && after ? after.assignmentsPerSecond / before.assignmentsPerSecond : NaN;
  return `${SCHEDULING_HEADING}

Each row on a Gaffer of its own (its own state project, background sweep off) on the
same Firestore emulator, in one run: \`GAFFER_BENCH_ONLY=scheduling npm run bench\`
refreshes only this section. Before = the earlier behaviour by configuration (each
check-in reads its own FIFO window: \`GAFFER_SHARED_WINDOW=0s\`; idle workers poll:
\`GAFFER_CHECK_IN_WAIT=0s\`); after = the defaults.

**Contention.** ${before?.workers ?? '-'} workers (HTTP, each with one check-in in flight)
take and finish ${before?.queued ?? '-'} queued operations, a new worker id per operation;
afterwards every operation is read back and must be SUCCESS with exactly one
WorkerAssignedEvent and one WorkerReleasedEvent (checked). Refused commits: commits
that lost a race (another writer first), retried inside Gaffer. All workers talk to one
instance: with shared windows, refused commits come only from races between instances,
which these rows do not have (several instances race as the before row does, less often).

| mode | workers | operations | seconds | assignments/s | commits refused | window queries | taking check-in p50 / p99 ms |
|---|--:|--:|--:|--:|--:|--:|--:|
${r.contention.map(c => `| ${c.mode} | ${c.workers} | ${n(c.queued)} | ${n(c.seconds, 2)} | ${n(c.assignmentsPerSecond, 1)} | ${n(c.refused)} of ${n(c.commits)} (${n((100 * c.refused) / Math.max(1, c.commits), 1)} %) | ${n(c.windowQueries)} | ${n(c.takeP50Ms, 1)} / ${n(c.takeP99Ms, 1)} |`).join('\n')}

After ÷ before, assignments/s: ${n(speedup, 2)}×.

**Idle workers.** Workers that find nothing, each checking in again at its response's
\`deadline\` (${n(r.idleIntervalMs / 1000, 0)} s after the answer), as Gaffer's worker and
Google's client do; documents read over the measured window, per hour. Long poll: each
check-in waits up to ${n(r.checkInWaitMs / 1000, 0)} s for work before it is answered. Both rows run
this code, which skips the window query when the queue-class directory shows nothing the
worker can run: an idle check-in reads only the worker's document. (Before this change a
polling idle check-in read 2 documents, the worker's and an empty window query: twice the
polling row.)

| mode | idle workers | seconds measured | check-ins | documents read | documents read per hour |
|---|--:|--:|--:|--:|--:|
${r.idle.map(i => `| ${i.mode} | ${i.workers} | ${n(i.seconds, 1)} | ${n(i.checkIns)} | ${n(i.documentsRead)} | ${n(i.readsPerHour)} |`).join('\n')}

**Submit → assigned.** One idle worker; operations submitted one at a time, each a gap
after the worker's previous one was done (the gap column); the time from sending
pipelines.run to the arrival of the check-in answer that gives the worker the operation.
Long-polling, the worker is waiting on the server within a few milliseconds of its last
result, so the short gap is enough for it to be waiting.

| mode | gap before each submit | samples | p50 ms | p90 ms | max ms |
|---|---|--:|--:|--:|--:|
${r.latency.map(l => `| ${l.mode} | ${l.gap} | ${l.samples} | ${n(l.p50Ms, 1)} | ${n(l.p90Ms, 1)} | ${n(l.maxMs, 1)} |`).join('\n')}

The gap itself costs time on this machine: after idling, the processes (Node, the
emulator's JVM) answer slowly at first. One operations.get (one document read) over the
same HTTP client, after the same gaps, in the same run:

| gap before each call | samples | operations.get p50 ms |
|---|--:|--:|
${r.wake.map(w => `| ${w.gap} | ${w.samples} | ${n(w.p50Ms, 1)} |`).join('\n')}

Submit → assigned makes four Firestore calls one after another (the submit's commit,
then the woken check-in's worker read, window query and commit) and two HTTP requests;
only the first of each pays the whole wake-up. Production Firestore is a busy service,
not a process that was idle.
`;
}
