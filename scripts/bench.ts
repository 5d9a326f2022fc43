/**
 * `npm run bench`: starts its own Firestore emulator and a Gaffer in this process,
 * measures pipelines.run, operations.get, operations.list and workers.checkIn over
 * loopback HTTP (plus plain Firestore calls and one lease sweep for comparison), counts
 * the Firestore documents each reads and writes, prints the tables and writes
 * BENCHMARKS.md. It reports; it asserts nothing about timings. Exits non-zero if
 * anything fails (including any request that does not answer 200, and an operation
 * assigned twice).
 *
 * GAFFER_BENCH_ONLY=checkIn runs only the check-in part, prints it and leaves
 * BENCHMARKS.md alone (for working on that part). GAFFER_BENCH_ONLY=scheduling runs only
 * the scheduling section (scripts/bench/scheduling.ts) and replaces that section of
 * BENCHMARKS.md in place.
 */
import {readFileSync, writeFileSync} from 'fs';
import {loadavg} from 'os';
import {join} from 'path';
import {performance} from 'perf_hooks';
import {RunningEmulator, startEmulator} from '../src/dev/emulators';
import {LocalServer, startLocalServer} from '../src/server';
import {CheckInBench, CheckInBenchOptions, OffsetClock, StoreProbe} from './bench/checkIns';
import {benchEndToEnd, endToEndTable} from './bench/endToEnd';
import {SCHEDULING_HEADING, benchScheduling, schedulingSection} from './bench/scheduling';
import {benchConfig, log, pipelineRequest, runMain} from './bench/harness';
import {benchPubSub, pubsubTable} from './bench/pubsub';
import {benchWorkerMessages, workerMessagesTable} from './bench/workerMessages';
import {BenchClient, LoadOptions, LoadResult, runCountedLoad, runLoad} from './bench/http';
import {
  BenchResults,
  ListCostRow,
  Method,
  PerRequestCost,
  assignmentTable,
  baselineTable,
  checkInCostTable,
  checkInLoadTable,
  sweepTable,
  PopulateStep,
  ThroughputRow,
  describeMachine,
  listCostTable,
  loadRow,
  perRequestTable,
  populateTable,
  renderMarkdown,
  throughputTable,
} from './bench/report';
import {median} from './bench/stats';

const COLORS = ['red', 'green', 'blue', 'yellow'] as const;

/** How the bench loads Gaffer and lists (BENCHMARKS.md's Method section says the same). */
const METHOD: Method = {
  concurrency: 16,
  warmup: 50,
  maxMsPerScenario: 45_000,
  listSamples: 15,
  listWarmCalls: 3,
  /** Project size at which list throughput (16 in flight) is measured: at 10,000 the
   *  emulator's scans make it take minutes, and that measures the emulator, not Gaffer. */
  listLoadSize: 1_000,
  populateBatch: 200,
  filter: 'labels.color = red AND done = false',
  /** Served by reading newest first and testing each operation (no index can): one in
   *  four fails the test, and none passes the second, so a page shows its read bound. */
  scannedFilters: ['NOT labels.color = red', 'NOT labels.color:*'],
  labels: COLORS,
};
const RUN_COUNT = 2_000;
const GET_COUNT = 4_000;
const LIST_COUNT = 600;
/** Project sizes at which list is measured, filled in this order. */
const LIST_SIZES = [1_000, 10_000] as const;
const PAGE_SIZES = [10, 50, 256] as const;

/** workers.checkIn: the same load, and its own counts. */
const CHECK_INS: CheckInBenchOptions = {
  concurrency: METHOD.concurrency,
  warmup: METHOD.warmup,
  maxMs: METHOD.maxMsPerScenario,
  /** Sequential check-ins per row of the documents-per-check-in table. */
  costSamples: 10,
  /** Unmeasured calls before each heartbeat and plain-Firestore row (the emulator's JIT warms up). */
  comparisonWarmup: 500,
  /** Unmeasured heartbeats before the first heartbeat row (see CheckInBenchOptions). */
  heartbeatWarmup: 3_000,
  heartbeatCount: 3_000,
  heartbeatStatusCount: 1_500,
  /** Plain Firestore calls per comparison row. */
  baselineCount: 3_000,
  assignQueue: 1_000,
  assignMaxMs: 60_000,
  sweepLeases: 200,
  populateBatch: METHOD.populateBatch,
};

const RUN_PROJECT = 'bench-run';
const LIST_PROJECT = 'bench-list';

function runRequest(projectId: string, i: number) {
  return pipelineRequest(projectId, ['echo', 'hello'], {color: COLORS[((i % COLORS.length) + COLORS.length) % COLORS.length]!});
}

function listPath(projectId: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return `/v2alpha1/projects/${projectId}/operations${query ? `?${query}` : ''}`;
}

interface ListBody {
  operations?: unknown[];
  nextPageToken?: string;
}

function parseList(body: string): ListBody {
  return JSON.parse(body) as ListBody;
}

class Bench {
  readonly throughput: ThroughputRow[] = [];
  readonly perRequest: PerRequestCost[] = [];
  readonly populate: PopulateStep[] = [];
  readonly listCosts: ListCostRow[] = [];
  private listProjectSize = 0;

  constructor(
    private readonly server: LocalServer,
    private readonly client: BenchClient,
  ) {}

  private stats() {
    return this.server.app.stores.stats();
  }

  private load(count: number): LoadOptions {
    return {count, concurrency: METHOD.concurrency, maxMs: METHOD.maxMsPerScenario, warmup: METHOD.warmup};
  }

  private record(scenario: string, planned: number, result: LoadResult, projectSize?: number): void {
    const row: ThroughputRow = {scenario, projectSize, ...loadRow(planned, result)};
    this.throughput.push(row);
    log(
      `${scenario}: ${row.completed} requests in ${(row.elapsedMs / 1000).toFixed(2)} s, ` +
        `${(row.completed / (row.elapsedMs / 1000)).toFixed(0)}/s, p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms`,
    );
  }

  /** `count` requests of one RPC under load: its throughput row and the documents per request. */
  private async measure(what: string, count: number, send: (i: number) => Promise<number>): Promise<void> {
    log(`${what}: ${count} requests, ${METHOD.concurrency} in flight`);
    const result = await runCountedLoad(this.load(count), () => this.stats(), send);
    this.record(what, count, result);
    this.perRequest.push({
      what,
      requests: result.completed,
      documentsRead: result.documentsRead,
      documentsWritten: result.documentsWritten,
    });
  }

  /** pipelines.run over HTTP; returns the names of the operations the measured requests created. */
  async runScenario(): Promise<string[]> {
    const names: string[] = [];
    await this.measure('pipelines.run', RUN_COUNT, async i => {
      const res = await this.client.ok('POST', '/v2alpha1/pipelines:run', JSON.stringify(runRequest(RUN_PROJECT, i)));
      if (i >= 0) names.push((JSON.parse(res.body) as {name: string}).name);
      return res.latencyMs;
    });
    return names;
  }

  async getScenario(names: readonly string[]): Promise<void> {
    if (names.length === 0) throw new Error('pipelines.run created no operations to get');
    await this.measure('operations.get', GET_COUNT, async i => {
      const name = names[((i % names.length) + names.length) % names.length]!;
      return (await this.client.ok('GET', `/v2alpha1/${name}`)).latencyMs;
    });
  }

  /** Fills LIST_PROJECT up to `target` operations in-process, in parallel batches. */
  async populateTo(target: number): Promise<void> {
    const from = this.listProjectSize;
    log(`filling ${LIST_PROJECT} from ${from} to ${target} operations (in-process operations.run)`);
    const before = this.stats();
    const started = performance.now();
    for (let start = from; start < target; start += METHOD.populateBatch) {
      const end = Math.min(start + METHOD.populateBatch, target);
      await Promise.all(
        Array.from({length: end - start}, (_, k) => this.server.app.services.operations.run(runRequest(LIST_PROJECT, start + k))),
      );
    }
    const elapsedMs = performance.now() - started;
    this.listProjectSize = target;
    this.populate.push({
      project: LIST_PROJECT,
      from,
      to: target,
      elapsedMs,
      documentsWritten: this.stats().documentsWritten - before.documentsWritten,
    });
  }

  /** operations.list throughput over HTTP at the current project size. */
  async listScenario(filter: string): Promise<void> {
    const params: Record<string, string> = {pageSize: '50', ...(filter ? {filter} : {})};
    const label = `operations.list pageSize 50${filter ? `, filter \`${filter}\`` : ''}`;
    log(`${label}: ${LIST_COUNT} requests at ${this.listProjectSize} operations`);
    const path = listPath(LIST_PROJECT, params);
    const result = await runLoad(this.load(LIST_COUNT), async () => (await this.client.ok('GET', path)).latencyMs);
    this.record(label, LIST_COUNT, result, this.listProjectSize);
  }

  /** Documents read and unloaded latency of single list calls at the current size. */
  async measureListCosts(): Promise<void> {
    for (const filter of ['', METHOD.filter, ...METHOD.scannedFilters]) {
      for (const pageSize of PAGE_SIZES) {
        const params: Record<string, string> = {pageSize: String(pageSize), ...(filter ? {filter} : {})};
        const path = listPath(LIST_PROJECT, params);
        // Warm: page-token secret, JIT, the emulator's caches.
        for (let w = 0; w < METHOD.listWarmCalls; w++) await this.client.ok('GET', path);
        const reads: number[] = [];
        const returned: number[] = [];
        const latencies: number[] = [];
        let token: string | undefined;
        for (let s = 0; s < METHOD.listSamples; s++) {
          const before = this.stats().documentsRead;
          const res = await this.client.ok('GET', path);
          reads.push(this.stats().documentsRead - before);
          latencies.push(res.latencyMs);
          const body = parseList(res.body);
          returned.push(body.operations?.length ?? 0);
          token = body.nextPageToken;
        }
        let secondPageRead: number | undefined;
        if (token) {
          const before = this.stats().documentsRead;
          await this.client.ok('GET', listPath(LIST_PROJECT, {...params, pageToken: token}));
          secondPageRead = this.stats().documentsRead - before;
        }
        const row: ListCostRow = {
          projectSize: this.listProjectSize,
          pageSize,
          filter,
          documentsRead: reads,
          returned,
          secondPageRead,
          p50Ms: median(latencies),
          calls: METHOD.listSamples,
        };
        this.listCosts.push(row);
        log(
          `list at ${row.projectSize}, pageSize ${pageSize}${filter ? ' (filter)' : ''}: ` +
            `read ${reads.join(',')}, returned ${returned[0]}, p50 ${row.p50Ms.toFixed(1)} ms`,
        );
      }
    }
  }
}

const WORKER_MESSAGES_HEADING = '## Worker messages (Dataflow v1b3 WorkerMessages)';
const PUBSUB_HEADING = '## Completion events: from done to a Pub/Sub subscriber';
const END_TO_END_HEADING = '## End to end: gaffer-worker processes';

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = loadavg()[0]!;
  const t0 = performance.now();
  let emulator: RunningEmulator | undefined;
  let pubsubEmulator: RunningEmulator | undefined;
  let server: LocalServer | undefined;
  let client: BenchClient | undefined;
  let results: BenchResults;
  let partial: boolean;
  try {
    emulator = await startEmulator('firestore');
    if (process.env.GAFFER_BENCH_ONLY === 'scheduling') {
      // Only the scheduling section: measured, printed, and put in place in BENCHMARKS.md.
      const section = schedulingSection(await benchScheduling({firestoreHost: emulator.host, log}));
      console.log(section);
      replaceSection(join(__dirname, '..', '..', 'BENCHMARKS.md'), SCHEDULING_HEADING, section);
      return;
    }
    // Idle check-ins answered at once (no long poll), as the rows below were measured;
    // the scheduling section measures the long poll.
    const config = benchConfig({firestoreHost: emulator.host, stateProject: 'gaffer-bench', env: {GAFFER_CHECK_IN_WAIT: '0s'}});
    const clock = new OffsetClock();
    // No background sweep: it would add reads to the counts, and the bench runs its own.
    server = await startLocalServer(config, {clock}, {sweep: false});
    const probe = new StoreProbe(server.app.stores);
    log(`Gaffer on ${server.url}, Firestore emulator on ${emulator.host}`);
    client = new BenchClient(server.url, METHOD.concurrency);
    const machine = await describeMachine(emulator.host, loadAtStart);
    const bench = new Bench(server, client);

    const onlyCheckIns = process.env.GAFFER_BENCH_ONLY === 'checkIn';
    if (!onlyCheckIns) {
      const names = await bench.runScenario();
      await bench.getScenario(names);
    }
    const checkIns = new CheckInBench(server, client, clock, probe, CHECK_INS, log);
    // Before the list projects are filled: the emulator's queries scan every document,
    // and assignment queries the queue.
    await checkIns.costs();
    await checkIns.heartbeats();
    await checkIns.baselines();
    await checkIns.assignments();
    if (!onlyCheckIns) {
      for (const size of LIST_SIZES) {
        await bench.populateTo(size);
        if (size === METHOD.listLoadSize) {
          await bench.listScenario('');
          await bench.listScenario(METHOD.filter);
        }
        await bench.measureListCosts();
      }
    }
    // Last on this server: it moves the clock past every lease.
    await checkIns.sweep();
    partial = onlyCheckIns;

    // Worker messages on this server; Pub/Sub delivery and real worker processes on
    // Gaffers of their own (their own state projects), with a Pub/Sub emulator.
    const extraSections: string[] = [];
    if (!onlyCheckIns) {
      extraSections.push(`${WORKER_MESSAGES_HEADING}\n\n${workerMessagesTable(await benchWorkerMessages({server, log}))}`);
      pubsubEmulator = await startEmulator('pubsub');
      const hosts = {firestoreHost: emulator.host, pubsubHost: pubsubEmulator.host, log};
      extraSections.push(`${PUBSUB_HEADING}\n\n${pubsubTable(await benchPubSub(hosts))}`);
      extraSections.push(`${END_TO_END_HEADING}\n\n${endToEndTable(await benchEndToEnd(hosts))}`);
      extraSections.push(schedulingSection(await benchScheduling({firestoreHost: emulator.host, log})));
    }

    results = {
      startedAt,
      durationMs: 0,
      loadAtEnd: 0,
      machine,
      method: METHOD,
      throughput: bench.throughput,
      perRequest: bench.perRequest,
      populate: bench.populate,
      listCosts: bench.listCosts,
      checkIns: checkIns.results,
      extraSections,
    };
  } finally {
    client?.close();
    await server?.close().catch(err => console.error('[bench] closing Gaffer:', err));
    await emulator?.stop();
    await pubsubEmulator?.stop();
  }
  results.durationMs = performance.now() - t0;
  results.loadAtEnd = loadavg()[0]!;

  const out = join(__dirname, '..', '..', 'BENCHMARKS.md');
  if (!partial) writeFileSync(out, renderMarkdown(results));
  console.log(`\nThroughput and latency (HTTP, ${METHOD.concurrency} in flight)\n`);
  console.log(throughputTable(results.throughput));
  console.log('\nFirestore documents per request\n');
  console.log(perRequestTable(results.perRequest));
  console.log('\noperations.list: documents read per page\n');
  console.log(listCostTable(results.listCosts));
  console.log('\nFilling the list project (in-process)\n');
  console.log(populateTable(results.populate));
  const c = results.checkIns;
  console.log('\nworkers.checkIn: Firestore documents per check-in\n');
  console.log(checkInCostTable(c.costs));
  console.log(`\nworkers.checkIn under load (HTTP, ${METHOD.concurrency} in flight)\n`);
  console.log(checkInLoadTable(c.load));
  console.log('\nHeartbeat check-ins beside plain Firestore calls (same emulator)\n');
  console.log(baselineTable(c.load, c.baselines));
  console.log('\nAssignment of a queue\n');
  console.log(assignmentTable(c.assignment, c.assignmentWindow));
  console.log('\nThe lease sweep\n');
  console.log(sweepTable(c.sweeps));
  for (const section of results.extraSections) console.log(`\n${section}`);
  console.log(`\nbench took ${(results.durationMs / 1000).toFixed(0)} s; ${partial ? 'BENCHMARKS.md left alone (partial run)' : `wrote ${out}`}`);
}

runMain(main);

/** Replaces the section under `heading` (up to the next "## " heading) in the markdown file, or appends it. */
function replaceSection(path: string, heading: string, section: string): void {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(`${heading}\n`);
  if (start < 0) {
    writeFileSync(path, `${text.trimEnd()}\n\n${section.trimEnd()}\n`);
    return;
  }
  const next = text.indexOf('\n## ', start + heading.length);
  const end = next < 0 ? text.length : next + 1;
  writeFileSync(path, `${text.slice(0, start)}${section.trimEnd()}\n${next < 0 ? '' : '\n'}${text.slice(end)}`);
}
