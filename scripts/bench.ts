/**
 * `npm run bench`: starts its own Firestore emulator and a Gaffer in this process,
 * measures pipelines.run, operations.get and operations.list over loopback HTTP, counts
 * the Firestore documents each reads and writes, prints the tables and writes
 * BENCHMARKS.md. It reports; it asserts nothing about timings. Exits non-zero if
 * anything fails (including any request that does not answer 200).
 */
import {writeFileSync} from 'fs';
import {join} from 'path';
import {performance} from 'perf_hooks';
import {parseConfig} from '../src/config';
import type {RunPipelineRequestJson} from '../src/core/model';
import {RunningEmulator, startEmulator} from '../src/dev/emulators';
import {LocalServer, startLocalServer} from '../src/server';
import {BenchClient, LoadOptions, runLoad} from './bench/http';
import {
  BenchResults,
  ListCostRow,
  Method,
  PerRequestCost,
  PopulateStep,
  ThroughputRow,
  describeMachine,
  listCostTable,
  perRequestTable,
  populateTable,
  renderMarkdown,
  throughputTable,
} from './bench/report';
import {median, percentile} from './bench/stats';

const CONCURRENCY = 16;
const WARMUP = 50;
const MAX_MS_PER_SCENARIO = 45_000;
const RUN_COUNT = 2_000;
const GET_COUNT = 4_000;
const LIST_COUNT = 600;
/** Project sizes at which list is measured, filled in this order. */
const LIST_SIZES = [1_000, 10_000] as const;
const PAGE_SIZES = [10, 50, 256] as const;
/** Project size at which list throughput (16 in flight) is measured: at 10,000 the
 *  emulator's scans make it take minutes, and that measures the emulator, not Gaffer. */
const LIST_LOAD_SIZE = 1_000;
const LIST_SAMPLES = 15;
const LIST_WARM_CALLS = 3;
const POPULATE_BATCH = 200;
const COLORS = ['red', 'green', 'blue', 'yellow'] as const;
const FILTER = 'labels.color = red AND done = false';

const RUN_PROJECT = 'bench-run';
const LIST_PROJECT = 'bench-list';

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

function runRequest(projectId: string, i: number): RunPipelineRequestJson {
  const resources = {projectId, regions: ['us-central1']};
  return {
    pipeline: {actions: [{imageUri: 'alpine', commands: ['echo', 'hello']}], resources},
    labels: {color: COLORS[((i % COLORS.length) + COLORS.length) % COLORS.length]!},
  };
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
    return this.server.app.store.stats();
  }

  private load(count: number): LoadOptions {
    return {count, concurrency: CONCURRENCY, maxMs: MAX_MS_PER_SCENARIO, warmup: WARMUP};
  }

  private record(scenario: string, planned: number, result: Awaited<ReturnType<typeof runLoad>>, projectSize?: number): void {
    const row: ThroughputRow = {
      scenario,
      projectSize,
      completed: result.completed,
      planned,
      elapsedMs: result.elapsedMs,
      p50Ms: percentile(result.latenciesMs, 50),
      p99Ms: percentile(result.latenciesMs, 99),
      truncated: result.truncated,
    };
    this.throughput.push(row);
    log(
      `${scenario}: ${row.completed} requests in ${(row.elapsedMs / 1000).toFixed(2)} s, ` +
        `${(row.completed / (row.elapsedMs / 1000)).toFixed(0)}/s, p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms`,
    );
  }

  /** pipelines.run over HTTP; returns the names of the operations the measured requests created. */
  async runScenario(): Promise<string[]> {
    log(`pipelines.run: ${RUN_COUNT} requests, ${CONCURRENCY} in flight`);
    const names: string[] = [];
    let before = this.stats();
    let measuredFrom: number | undefined;
    const result = await runLoad(this.load(RUN_COUNT), async i => {
      if (i >= 0 && measuredFrom === undefined) {
        measuredFrom = i;
        before = this.stats(); // warm-up is over and fully answered: count from here
      }
      const res = await this.client.ok('POST', '/v2alpha1/pipelines:run', JSON.stringify(runRequest(RUN_PROJECT, i)));
      if (i >= 0) names.push((JSON.parse(res.body) as {name: string}).name);
      return res.latencyMs;
    });
    const after = this.stats();
    this.record('pipelines.run', RUN_COUNT, result);
    this.perRequest.push({
      what: 'pipelines.run',
      requests: result.completed,
      documentsRead: after.documentsRead - before.documentsRead,
      documentsWritten: after.documentsWritten - before.documentsWritten,
    });
    return names;
  }

  async getScenario(names: readonly string[]): Promise<void> {
    if (names.length === 0) throw new Error('pipelines.run created no operations to get');
    log(`operations.get: ${GET_COUNT} requests, ${CONCURRENCY} in flight`);
    let before = this.stats();
    let started = false;
    const result = await runLoad(this.load(GET_COUNT), async i => {
      if (i >= 0 && !started) {
        started = true;
        before = this.stats();
      }
      const name = names[((i % names.length) + names.length) % names.length]!;
      return (await this.client.ok('GET', `/v2alpha1/${name}`)).latencyMs;
    });
    const after = this.stats();
    this.record('operations.get', GET_COUNT, result);
    this.perRequest.push({
      what: 'operations.get',
      requests: result.completed,
      documentsRead: after.documentsRead - before.documentsRead,
      documentsWritten: after.documentsWritten - before.documentsWritten,
    });
  }

  /** Fills LIST_PROJECT up to `target` operations in-process, in parallel batches. */
  async populateTo(target: number): Promise<void> {
    const from = this.listProjectSize;
    log(`filling ${LIST_PROJECT} from ${from} to ${target} operations (in-process operations.run)`);
    const before = this.stats();
    const started = performance.now();
    for (let start = from; start < target; start += POPULATE_BATCH) {
      const end = Math.min(start + POPULATE_BATCH, target);
      await Promise.all(
        Array.from({length: end - start}, (_, k) => this.server.app.operations.run(runRequest(LIST_PROJECT, start + k))),
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
    for (const filter of ['', FILTER]) {
      for (const pageSize of PAGE_SIZES) {
        const params: Record<string, string> = {pageSize: String(pageSize), ...(filter ? {filter} : {})};
        const path = listPath(LIST_PROJECT, params);
        // Warm: page-token secret, JIT, the emulator's caches.
        for (let w = 0; w < LIST_WARM_CALLS; w++) await this.client.ok('GET', path);
        const reads: number[] = [];
        const returned: number[] = [];
        const latencies: number[] = [];
        let token: string | undefined;
        for (let s = 0; s < LIST_SAMPLES; s++) {
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
          calls: LIST_SAMPLES,
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

async function main(): Promise<void> {
  const startedAt = new Date();
  const t0 = performance.now();
  let emulator: RunningEmulator | undefined;
  let server: LocalServer | undefined;
  let client: BenchClient | undefined;
  let results: BenchResults;
  try {
    emulator = await startEmulator('firestore');
    const config = parseConfig({FIRESTORE_EMULATOR_HOST: emulator.host, GAFFER_STATE_PROJECT: 'gaffer-bench', PORT: '0'});
    server = await startLocalServer(config);
    log(`Gaffer on ${server.url}, Firestore emulator on ${emulator.host}`);
    client = new BenchClient(server.url, CONCURRENCY);
    const machine = await describeMachine(emulator.host);
    const bench = new Bench(server, client);

    const names = await bench.runScenario();
    await bench.getScenario(names);
    for (const size of LIST_SIZES) {
      await bench.populateTo(size);
      if (size === LIST_LOAD_SIZE) {
        await bench.listScenario('');
        await bench.listScenario(FILTER);
      }
      await bench.measureListCosts();
    }

    const method: Method = {
      concurrency: CONCURRENCY,
      warmup: WARMUP,
      maxMsPerScenario: MAX_MS_PER_SCENARIO,
      listSamples: LIST_SAMPLES,
      listWarmCalls: LIST_WARM_CALLS,
      listLoadSize: LIST_LOAD_SIZE,
      populateBatch: POPULATE_BATCH,
      filter: FILTER,
      labels: COLORS,
    };
    results = {
      startedAt,
      durationMs: 0,
      machine,
      method,
      throughput: bench.throughput,
      perRequest: bench.perRequest,
      populate: bench.populate,
      listCosts: bench.listCosts,
    };
  } finally {
    client?.close();
    await server?.close().catch(err => console.error('[bench] closing Gaffer:', err));
    await emulator?.stop();
  }
  results.durationMs = performance.now() - t0;

  const out = join(__dirname, '..', '..', 'BENCHMARKS.md');
  writeFileSync(out, renderMarkdown(results));
  console.log(`\nThroughput and latency (HTTP, ${CONCURRENCY} in flight)\n`);
  console.log(throughputTable(results.throughput));
  console.log('\nFirestore documents per request\n');
  console.log(perRequestTable(results.perRequest));
  console.log('\noperations.list: documents read per page\n');
  console.log(listCostTable(results.listCosts));
  console.log('\nFilling the list project (in-process)\n');
  console.log(populateTable(results.populate));
  console.log(`\nbench took ${(results.durationMs / 1000).toFixed(0)} s; wrote ${out}`);
}

// Ctrl-C / kill: exit normally so that the emulator module's exit hook kills the JVM.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

main().then(
  () => process.exit(0),
  err => {
    console.error('[bench] failed:', err);
    process.exit(1);
  },
);
