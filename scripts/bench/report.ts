/** The benchmark's results, the machine they came from, and BENCHMARKS.md made of both. */
import {execFile} from 'child_process';
import {cpus, release, totalmem, type} from 'os';
import {join} from 'path';
import type {SweepReport} from '../../src/core/leaseSweep';
import type {CheckInResults} from './checkIns';
import type {LoadResult} from './http';
import {fmt, fmtInt, percentile, table} from './stats';

/** A scenario run under load (runLoad): requests planned and completed, how long they took. */
export interface LoadRow {
  planned: number;
  completed: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
  /** True if the time cap stopped the run before `planned` requests were sent. */
  truncated: boolean;
}

export function loadRow(planned: number, result: LoadResult): LoadRow {
  return {
    planned,
    completed: result.completed,
    elapsedMs: result.elapsedMs,
    p50Ms: percentile(result.latenciesMs, 50),
    p99Ms: percentile(result.latenciesMs, 99),
    truncated: result.truncated,
  };
}

export interface ThroughputRow extends LoadRow {
  scenario: string;
  /** Operations in the project the requests go to, when that matters (list). */
  projectSize?: number;
}

export interface ListCostRow {
  projectSize: number;
  pageSize: number;
  filter: string;
  /** Documents read by each measured call (store.stats() delta). */
  documentsRead: number[];
  /** Operations each call returned. */
  returned: number[];
  /** Documents read by the call that fetched page 2 with the first call's token. */
  secondPageRead?: number;
  p50Ms: number;
  calls: number;
}

export interface PerRequestCost {
  what: string;
  requests: number;
  documentsRead: number;
  documentsWritten: number;
}

export interface PopulateStep {
  project: string;
  from: number;
  to: number;
  elapsedMs: number;
  documentsWritten: number;
}

/** Check-ins under load: totals over the measured phase. */
export interface CheckInLoadRow extends LoadRow {
  scenario: string;
  documentsRead: number;
  documentsWritten: number;
  /** Store commits attempted, and those refused because another writer got there first. */
  commits: number;
  conflicts: number;
}

/** Check-ins of one kind, one at a time: what each read and wrote. */
export interface CheckInCostRow {
  what: string;
  calls: number;
  documentsRead: number[];
  documentsWritten: number[];
  p50Ms: number;
}

/** Plain Firestore calls against the same emulator, no Gaffer. */
export interface BaselineRow extends LoadRow {
  what: string;
}

export interface AssignmentResult {
  queued: number;
  /** Operations in every project of the emulator when the assignment ran. */
  operationsInStore: number;
  concurrency: number;
  elapsedMs: number;
  truncated: boolean;
  /** Operations handed out (each to one worker, checked). */
  assigned: number;
  /** Of the queued operations: how many ended SUCCESS, and WorkerAssignedEvents among all of them. */
  doneOperations: number;
  assignedEvents: number;
  /** Every check-in sent: taking ones, empty answers and results. */
  checkIns: number;
  takeP50Ms: number;
  takeP99Ms: number;
  resultP50Ms: number;
  resultP99Ms: number;
  /** Check-ins that were given nothing; of them, those sent while plenty was still queued. */
  emptyAnswers: number;
  emptyWhileQueued: number;
  documentsRead: number;
  documentsWritten: number;
  commits: number;
  conflicts: number;
  /** FIFO-window queries: one per assignment attempt, retries included. */
  windowQueries: number;
}

export interface SweepResult {
  what: string;
  expiredLeases: number;
  /** Operations in every project of the emulator when the sweep ran. */
  operationsInStore: number;
  elapsedMs: number;
  report: SweepReport;
  documentsRead: number;
  documentsWritten: number;
}

export interface Machine {
  os: string;
  cpuModel: string;
  cpuCount: number;
  totalMemoryGiB: number;
  node: string;
  emulator: string;
  /** The git commit the bench ran on, and whether the tree had uncommitted changes. */
  code: string;
  /** 1-minute load average when the bench started (other work on the machine skews every timing). */
  loadAtStart: number;
}

export interface Method {
  concurrency: number;
  warmup: number;
  maxMsPerScenario: number;
  listSamples: number;
  listWarmCalls: number;
  /** Project size at which list throughput is measured. */
  listLoadSize: number;
  populateBatch: number;
  filter: string;
  /** Filters served by reading newest first and testing each operation. */
  scannedFilters: readonly string[];
  labels: readonly string[];
}

export interface BenchResults {
  startedAt: Date;
  durationMs: number;
  /** 1-minute load average when the bench ended. */
  loadAtEnd: number;
  machine: Machine;
  method: Method;
  throughput: ThroughputRow[];
  perRequest: PerRequestCost[];
  populate: PopulateStep[];
  listCosts: ListCostRow[];
  checkIns: CheckInResults;
  /** Worker messages, Pub/Sub delivery and end-to-end runs: markdown from their modules. */
  extraSections: string[];
}

export async function describeMachine(emulatorHost: string, loadAtStart: number): Promise<Machine> {
  const cpuList = cpus();
  return {
    os: `${type()} ${release()}`,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cpuCount: cpuList.length,
    totalMemoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    emulator: `${await emulatorVersion()} (gcloud emulators firestore start, its own instance on ${emulatorHost})`,
    code: await codeVersion(),
    loadAtStart,
  };
}

function runQuiet(command: string, args: string[]): Promise<string | undefined> {
  return new Promise(resolve => {
    execFile(command, args, {timeout: 30_000, cwd: join(__dirname, '..', '..', '..')}, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });
}

/** e.g. "commit 48689aa, with uncommitted changes"; best effort. */
async function codeVersion(): Promise<string> {
  const commit = (await runQuiet('git', ['rev-parse', '--short', 'HEAD']))?.trim();
  if (!commit) return 'unknown (not a git checkout?)';
  const status = await runQuiet('git', ['status', '--porcelain', '--untracked-files=no']);
  return `commit ${commit}${status === undefined ? '' : status.trim() ? ', with uncommitted changes' : ', clean tree'}`;
}

/** The Firestore emulator's component version as gcloud reports it; best effort. */
function emulatorVersion(): Promise<string> {
  return new Promise(resolve => {
    execFile('gcloud', ['version', '--format=json'], {timeout: 30_000}, (err, stdout) => {
      if (err) return resolve('Cloud Firestore emulator (version unknown)');
      try {
        const versions = JSON.parse(stdout) as Record<string, unknown>;
        const emulator = versions['cloud-firestore-emulator'];
        const sdk = versions['Google Cloud SDK'];
        resolve(
          `Cloud Firestore emulator ${typeof emulator === 'string' ? emulator : '(version unknown)'}` +
            (typeof sdk === 'string' ? `, Google Cloud SDK ${sdk}` : ''),
        );
      } catch {
        resolve('Cloud Firestore emulator (version unknown)');
      }
    });
  });
}

function range(values: readonly number[]): string {
  if (values.length === 0) return 'n/a';
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? fmtInt(min) : `${fmtInt(min)}–${fmtInt(max)}`;
}

const perSecond = (count: number, elapsedMs: number) => count / (elapsedMs / 1000);

/** A load row's cells: completed (of planned, if capped), seconds, per second, p50 ms, p99 ms. */
function loadCells(r: LoadRow): string[] {
  return [
    `${fmtInt(r.completed)}${r.truncated ? ` of ${fmtInt(r.planned)} (time cap)` : ''}`,
    fmt(r.elapsedMs / 1000, 2),
    fmt(perSecond(r.completed, r.elapsedMs), 0),
    fmt(r.p50Ms, 1),
    fmt(r.p99Ms, 1),
  ];
}

export function throughputTable(rows: readonly ThroughputRow[]): string {
  return table(
    ['scenario', 'ops in project', 'requests', 'seconds', 'requests/s', 'p50 ms', 'p99 ms'],
    rows.map(r => [r.scenario, r.projectSize === undefined ? '–' : fmtInt(r.projectSize), ...loadCells(r)]),
  );
}

export function perRequestTable(rows: readonly PerRequestCost[]): string {
  return table(
    ['RPC', 'requests', 'documents read / request', 'documents written / request'],
    rows.map(r => [
      r.what,
      fmtInt(r.requests),
      fmt(r.documentsRead / r.requests, 2),
      fmt(r.documentsWritten / r.requests, 2),
    ]),
  );
}

export function listCostTable(rows: readonly ListCostRow[]): string {
  return table(
    ['ops in project', 'pageSize', 'filter', 'returned', 'documents read / page', 'page 2 read', 'p50 ms'],
    rows.map(r => [
      fmtInt(r.projectSize),
      String(r.pageSize),
      r.filter || '(none)',
      range(r.returned),
      range(r.documentsRead),
      r.secondPageRead === undefined ? '–' : fmtInt(r.secondPageRead),
      fmt(r.p50Ms, 1),
    ]),
  );
}

export function populateTable(rows: readonly PopulateStep[]): string {
  return table(
    ['project', 'operations', 'created', 'seconds', 'creates/s', 'documents written / create'],
    rows.map(r => [
      r.project,
      `${fmtInt(r.from)} → ${fmtInt(r.to)}`,
      fmtInt(r.to - r.from),
      fmt(r.elapsedMs / 1000, 2),
      fmt((r.to - r.from) / (r.elapsedMs / 1000), 0),
      fmt(r.documentsWritten / (r.to - r.from), 2),
    ]),
  );
}

export function checkInLoadTable(rows: readonly CheckInLoadRow[]): string {
  return table(
    ['scenario', 'check-ins', 'seconds', 'check-ins/s', 'p50 ms', 'p99 ms', 'documents read / check-in', 'documents written / check-in', 'refused commits'],
    rows.map(r => [
      r.scenario,
      ...loadCells(r),
      fmt(r.documentsRead / r.completed, 2),
      fmt(r.documentsWritten / r.completed, 2),
      `${fmtInt(r.conflicts)} of ${fmtInt(r.commits)}`,
    ]),
  );
}

export function checkInCostTable(rows: readonly CheckInCostRow[]): string {
  return table(
    ['check-in (one at a time)', 'calls', 'documents read', 'documents written', 'p50 ms'],
    rows.map(r => [r.what, fmtInt(r.calls), range(r.documentsRead), range(r.documentsWritten), fmt(r.p50Ms, 1)]),
  );
}

/** Plain Firestore rates beside the heartbeat rates, and each heartbeat rate divided by each. */
export function baselineTable(heartbeats: readonly CheckInLoadRow[], rows: readonly BaselineRow[]): string {
  const all: BaselineRow[] = [
    ...heartbeats.map(h => ({...h, what: `Gaffer: ${h.scenario} check-in over HTTP`})),
    ...rows,
  ];
  return table(
    [
      'what (16 in flight, each on its own documents)',
      'calls',
      'seconds',
      'calls/s',
      'p50 ms',
      'p99 ms',
      ...heartbeats.map(h => `${h.scenario} check-ins/s ÷ calls/s`),
    ],
    all.map(r => [
      r.what,
      ...loadCells(r),
      ...heartbeats.map(h => fmt(perSecond(h.completed, h.elapsedMs) / perSecond(r.completed, r.elapsedMs), 2)),
    ]),
  );
}

export function assignmentTable(a: AssignmentResult | undefined, window: number): string {
  if (!a) return '(not run)';
  const rows: Array<[string, string]> = [
    ['operations queued; workers in flight', `${fmtInt(a.queued)}; ${a.concurrency}`],
    ['operations in the emulator, all projects', fmtInt(a.operationsInStore)],
    [
      'operations assigned, each exactly once (checked)',
      `${fmtInt(a.assigned)}${a.truncated ? ' (time cap)' : ''}: ${fmtInt(a.doneOperations)} SUCCESS, ${fmtInt(a.assignedEvents)} WorkerAssignedEvents`,
    ],
    ['wall time, s', fmt(a.elapsedMs / 1000, 2)],
    ['taking check-ins/s = assignments/s (each followed by its result check-in)', fmt(perSecond(a.assigned, a.elapsedMs), 0)],
    ['check-ins/s, all kinds', fmt(perSecond(a.checkIns, a.elapsedMs), 0)],
    ['taking check-in p50 / p99, ms', `${fmt(a.takeP50Ms, 1)} / ${fmt(a.takeP99Ms, 1)}`],
    ['result check-in p50 / p99, ms', `${fmt(a.resultP50Ms, 1)} / ${fmt(a.resultP99Ms, 1)}`],
    [
      'check-ins answered with no assignment',
      `${fmtInt(a.emptyAnswers)} (${fmtInt(a.emptyWhileQueued)} sent while more than ${2 * a.concurrency} were still queued)`,
    ],
    ['commits refused (another writer first)', `${fmtInt(a.conflicts)} of ${fmtInt(a.commits)}`],
    [`assignment attempts (FIFO-window queries of ${window}) per assignment`, fmt(a.windowQueries / a.assigned, 2)],
    ['documents read per operation (take + result, retries included)', fmt(a.documentsRead / a.assigned, 2)],
    ['documents written per operation (take + result)', fmt(a.documentsWritten / a.assigned, 2)],
  ];
  return table(['assignment', 'value'], rows);
}

export function sweepTable(rows: readonly SweepResult[]): string {
  return table(
    ['expireLeases', 'operations in emulator', 'seconds', 'ended / requeued / skipped', 'documents read', 'read / expired lease', 'documents written', 'written / expired lease'],
    rows.map(r => [
      r.what,
      fmtInt(r.operationsInStore),
      fmt(r.elapsedMs / 1000, 2),
      `${r.report.ended} / ${r.report.requeued} / ${r.report.skipped}`,
      fmtInt(r.documentsRead),
      r.expiredLeases ? fmt(r.documentsRead / r.expiredLeases, 2) : '–',
      fmtInt(r.documentsWritten),
      r.expiredLeases ? fmt(r.documentsWritten / r.expiredLeases, 2) : '–',
    ]),
  );
}

export function renderMarkdown(results: BenchResults): string {
  const {machine: m, method} = results;
  const sizes = [...new Set(results.listCosts.map(r => r.projectSize))].sort((a, b) => a - b);
  const ci = results.checkIns;
  const co = ci.options;
  return `# Benchmarks

Written by \`npm run bench\` (scripts/bench.ts); every figure below comes from the run
described here. Re-run it to refresh this file; do not edit the numbers by hand.

- **Date:** ${results.startedAt.toISOString()}
- **Bench duration:** ${fmt(results.durationMs / 1000, 0)} s (emulator start to stop)
- **Machine:** ${m.cpuModel}, ${m.cpuCount} logical CPUs, ${fmt(m.totalMemoryGiB, 1)} GiB RAM, ${m.os}
- **Load average (1 min):** ${fmt(m.loadAtStart, 2)} when the bench started, ${fmt(results.loadAtEnd, 2)} when it ended (anything else running on the machine slows every timing)
- **Node:** ${m.node}
- **Code:** ${m.code}
- **Firestore:** ${m.emulator}

## Method

- The bench starts its own Firestore emulator on a free loopback port and Gaffer in the
  same Node process (\`startLocalServer\`, config from \`parseConfig\` with
  \`GAFFER_STATE_PROJECT=gaffer-bench\`, \`PORT=0\`, otherwise defaults). All traffic
  stays on 127.0.0.1. Gaffer's clock is the system clock plus an offset that only the
  lease-sweep scenario (the last) moves, and its background lease sweep is off
  (\`startLocalServer(config, {clock}, {sweep: false})\`), so that nothing but the
  measured requests touches the store.
- Requests go over real HTTP/1.1 with Node's \`http\` module and one keep-alive agent,
  **${method.concurrency} requests in flight**, a fixed number of requests per scenario
  (after ${method.warmup} unmeasured warm-up requests), each scenario capped at
  ${fmt(method.maxMsPerScenario / 1000, 0)} s (a capped scenario says so in its row).
- **Latency** is per request, from just before the request is written until the last
  byte of the response has arrived (the body is parsed after the clock stops).
  p50/p99 are nearest-rank percentiles over the measured requests. **requests/s** is
  completed requests divided by the wall time of the measured phase.
- The load generator shares the event loop and the ${m.cpuCount} CPUs with Gaffer and with the
  emulator's JVM, so these figures are for comparing runs on one machine, not a
  capacity estimate for Cloud Functions.
- pipelines.run sends a minimal valid RunPipelineRequest (one \`alpine\` action) with a
  \`color\` label cycling through ${method.labels.map(l => `\`${l}\``).join(', ')}; operations.get reads those
  operations back round-robin. operations.list throughput is measured on the list
  project when it holds ${fmtInt(method.listLoadSize)} operations (at larger sizes the emulator's scans
  dominate and the run would take minutes); the per-page table covers every size.
- The list projects are filled **in-process with \`server.app.operations.run(request)\`**
  in parallel batches of ${method.populateBatch} (no HTTP, no schema validation; the same store writes),
  with the same cycling \`color\` label. Every operation stays QUEUED, so
  \`${method.filter}\` matches one operation in ${method.labels.length}.
- ${method.scannedFilters.map(f => `\`${f}\``).join(' and ')} have no index to serve them: Gaffer
  reads the project newest first and tests each operation, at most pageSize + 1 documents
  a page, so a page returns only what passed among those (the first passes three in four,
  the second none: its pages are empty, each with a token, until the project is read).
- **Documents read / written** are deltas of \`app.store.stats()\` around requests that
  run alone (nothing else touches the store meanwhile). For list, each row is
  ${method.listSamples} sequential first-page calls after ${method.listWarmCalls} unmeasured ones (the range is shown;
  one number means all were equal), plus one call for page 2 with the first page's
  token (– when there is no page 2). Their p50 is unloaded latency (one request at a
  time), not the loaded latency of the throughput table.

## Throughput and latency (HTTP, ${method.concurrency} in flight)

${throughputTable(results.throughput)}

## Firestore documents per request

${perRequestTable(results.perRequest)}

## operations.list: documents read per page, by project size

${listCostTable(results.listCosts)}

## Filling the list projects (in-process, not HTTP)

${populateTable(results.populate)}

## workers.checkIn

Workers check in at \`POST /v2alpha1/projects/{project}/workers/{worker}:checkIn\` over
the same HTTP client, unauthenticated (no \`GAFFER_WORKER_ISSUERS\`, loopback: development
mode). Lease ${fmt(ci.leaseDurationMs / 1000, 0)} s, grace ${fmt(ci.leaseGraceMs / 1000, 0)} s, FIFO window ${ci.assignmentWindow} (the defaults). A check-in
is an optimistic read and a precondition commit, not a Firestore transaction: it reads
the worker's document and the operation it holds (or, when idle, the ${ci.assignmentWindow} oldest
queued operations of its project), then commits the operation and the worker document
in one batch whose writes carry \`lastUpdateTime\` preconditions; a refused commit is
read again and retried inside Gaffer (up to 12 attempts). "Refused commits" below count
those, by wrapping the store's \`commit\` (and \`queuedOperations\`, for window
queries) in the bench; the wrappers only count.

The check-in scenarios run after operations.get and before the list projects are
filled (the emulator's queries get slower the more documents it holds, in any project,
and assignment queries the queue), except the lease sweep, which runs last because it
moves the clock.

### Firestore documents per check-in, one at a time

${co.costSamples} sequential check-ins of each kind, nothing else running (range over the
calls; one number: all equal). A new idle worker creates its worker document; a known
idle worker that checked in moments ago writes nothing (idle check-ins are recorded only
now and then); an assignment also writes the WorkerAssignedEvent's document; a
heartbeat presenting its lease (\`?lease=\`, as gaffer-worker sends it) reads and writes
only its worker's document; one without its lease also reads the operation, for the
metadata its answer carries (such a worker may not know what it holds); a result also
writes the WorkerReleasedEvent's and the completion message's outbox document (same
commit; with no Pub/Sub emulator here, messages stay in the outbox and cost nothing more).

${checkInCostTable(ci.costs)}

### Check-ins under load (HTTP, ${co.concurrency} in flight)

${co.concurrency} workers each take one of ${co.concurrency} operations, then check in over and over, holding it
and presenting its lease;
each worker has one check-in in flight at a time, as a real worker would, so no two
check-ins touch the same documents (no refused commits). The workerStatus body carries
RAM, uptime and two disks. A heartbeat reads and rewrites only its worker's document,
which carries the lease's deadline (docs/design.md, "Leases"). The first row follows
${fmtInt(co.heartbeatWarmup)} unmeasured check-ins, the second ${co.comparisonWarmup}: the emulator's JVM and Node
keep speeding up over the first thousands of calls of a new kind, and after only 500 the
first row came out a third slower than the same row run again later. The documents
columns are loaded averages (stats deltas over the measured phase).

${checkInLoadTable(ci.load)}

### Heartbeats beside plain Firestore (same emulator, same run)

Right after the heartbeats, the same concurrency against the same emulator through
Gaffer's own Firestore client (\`app.firestore\`) with no Gaffer in between, each of the
${co.concurrency} loops on its own small document(s) (4 fields; a worker document has about a dozen),
${fmtInt(co.baselineCount)} calls per row after ${co.comparisonWarmup} warm-up ones. The last columns are
each heartbeat rate divided by each row's rate (below 1: the heartbeat is slower). The
"get, then update" row is what a heartbeat asks of Firestore, minus Gaffer: what
separates it from the heartbeat is Gaffer's own work (HTTP on both ends, JSON, schema
validation, the check-in logic) on the same ${m.cpuCount} cores, the bench's client included. The
last row is what a heartbeat asked of Firestore before the lease's deadline moved to the
worker's document. The two heartbeat rows do the same Firestore work; the gap between
them is warm-up and noise, a fair idea of how far to trust any one ratio here.

${baselineTable(ci.load, ci.baselines)}

### Assignment of a queue

${fmtInt(co.assignQueue)} operations queued in-process, then ${co.concurrency} loops: in each, a new worker id
(one VM per pipeline) checks in with \`{}\` until it is given an operation, then at once
reports \`{result: {code: 0}}\`, and the loop starts the next worker (capped at
${fmt(co.assignMaxMs / 1000, 0)} s). Concurrent idle workers read overlapping windows and race for the
same documents: a lost race is a refused commit, retried inside Gaffer with a new window
read, so the worker sees it only as latency; a worker sees "no assignment" only when
every attempt lost or the queue looked empty (at the end, when the rest is taken but
not yet counted). Afterwards the bench reads every queued operation back and fails unless
each assigned one is SUCCESS with exactly one WorkerAssignedEvent and one
WorkerReleasedEvent, and no operation went to two workers. A taking check-in's latency
is mostly its window query waiting its turn in the emulator, which works through
concurrent queries about one at a time (see the list rows above), plus the retries after
lost races; heartbeats and results query nothing.

${assignmentTable(ci.assignment, ci.assignmentWindow)}

### The lease sweep

${co.sweepLeases} operations taken in-process by ${co.sweepLeases} workers that then go silent (nothing else
holds a lease: the bench checks), the clock moved past lease + grace, then one
\`app.checkIns.expireLeases()\` timed in-process, and a second one with nothing left to
do. Each expired, non-preemptible operation ends ABORTED (its document, WorkerReleasedEvent
and FailedEvent documents, the completion's outbox document, and its dead worker's document, freed in the same commit; the sweep also reads that worker document). Its queries are collection-group queries
over every project's operations, which the emulator answers by scanning them all
(the "operations in emulator" column); production Firestore serves them from the
single-field indexes.

${sweepTable(ci.sweeps)}

${results.extraSections.join('\n\n')}

## How to read this

The Firestore columns are the ones that carry over to production: billing and
Firestore's own latency follow documents read and written, and those counts do not
depend on this machine. A list page should read pageSize + 1 documents (the extra one
tells whether there is a next page; a last page reads only what is left), with or
without the index-served filter, whatever the project holds; compare the
${sizes.map(fmtInt).join(' and ')}-operation rows to check that it does not grow with the collection.
The millisecond columns are the emulator's: it keeps everything in memory and has no
indexes, so it scans and sorts the collection for each query, and list latency grows
with the project size (compare the p50 column across sizes) where production Firestore
would serve the same query from an index. Under load it is worse still: the emulator
appears to work through concurrent queries about one at a time, so the list rows of the
throughput table mostly show requests queueing in the emulator (their requests/s is
close to one over the unloaded list latency). Judge list scaling by documents read, not by emulator
milliseconds. requests/s and p50/p99 are useful for spotting regressions between runs
on the same machine; on ${m.cpuCount} shared cores they measure Node, JSON and the emulator
together, and the loaded figures move noticeably from one run to the next, so repeat
the run before you read much into a change in them. The same holds for check-ins: the
documents per check-in (one at a time, and per assignment attempt under contention) are
what production pays; the heartbeat ÷ Firestore ratios say how much of a
check-in's time on this machine is Firestore and how much is Gaffer, and only hold for
the emulator on these cores.
`;
}
