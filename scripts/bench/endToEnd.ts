/**
 * End to end with real `gaffer-worker` processes (`--local`: actions run as host
 * processes unless a Docker engine is reachable) against a Gaffer of its own with short
 * intervals (idle check-in 200 ms, busy check-in 1 s, lease 10 s):
 *
 * (a) submit -> done of a no-op pipeline (`true`) with one idle worker, sequential runs,
 *     waiting with operations.wait;
 * (b) pipelines per second with 4 worker processes: queue 200 no-op pipelines and time
 *     until none is left undone (polling list with `done = false`).
 *
 * The worker processes are stopped at the end, also on error (SIGTERM, then SIGKILL),
 * and killed when this process exits.
 */
import {ChildProcess, spawn} from 'child_process';
import {randomBytes} from 'crypto';
import {join} from 'path';
import {sleep} from '../../src/lib/sleep';
import type {OperationJson} from '../../src/wire/genomics';
import {ModuleContext, nowMs, pipelineRequest, withGaffer} from './harness';
import {runAll} from './http';
import {fmt, fmtInt, percentile, table} from './stats';

/** The state project defaults to gaffer-bench-e2e. */
export type EndToEndContext = ModuleContext;

export interface EndToEndLatency {
  runs: number;
  /** Client side: just before pipelines.run is sent -> operations.wait answers done. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Server side: metadata.createTime -> startTime (waiting for the idle worker to ask). */
  queuedP50Ms: number;
  queuedP99Ms: number;
  /** Server side: metadata.createTime -> endTime. */
  serverP50Ms: number;
  serverP99Ms: number;
}

export interface EndToEndThroughput {
  workers: number;
  pipelines: number;
  /** Client side: first pipelines.run sent -> a list with `done = false` comes back empty. */
  elapsedMs: number;
  pipelinesPerSecond: number;
  /** Server side: earliest createTime -> latest endTime. */
  serverElapsedMs: number;
  serverPipelinesPerSecond: number;
  /** Time to queue them all (pipelines.run, 16 in flight). */
  submitMs: number;
  failed: number;
  /** Pipelines each worker ran (by its WorkerAssignedEvent). */
  perWorker: Record<string, number>;
}

export interface EndToEndResult {
  executor: string;
  idleCheckInIntervalMs: number;
  checkInIntervalMs: number;
  leaseDurationMs: number;
  latency: EndToEndLatency;
  throughput: EndToEndThroughput;
}

const LATENCY_RUNS = 30;
const LATENCY_WARMUP = 3;
const THROUGHPUT_WORKERS = 4;
const THROUGHPUT_PIPELINES = 200;
const SUBMIT_CONCURRENCY = 16;
const POLL_MS = 100;
const READY_TIMEOUT_MS = 20_000;
const DONE_TIMEOUT_MS = 45_000;
/** build/scripts/bench -> the repository. */
const ROOT = join(__dirname, '../../..');

/** Every worker process this module started and has not seen exit: killed on exit, whatever happens. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

class WorkerProcess {
  readonly child: ChildProcess;
  private output = '';
  private readonly exited: Promise<void>;

  constructor(
    readonly workerId: string,
    serverUrl: string,
    project: string,
  ) {
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => live.forEach(c => c.kill('SIGKILL')));
    }
    this.child = spawn(
      process.execPath,
      [join(ROOT, 'bin/gaffer-worker.js'), '--server', serverUrl, '--project', project, '--worker-id', workerId, '--local'],
      {stdio: ['ignore', 'ignore', 'pipe']},
    );
    live.add(this.child);
    this.exited = new Promise(resolve => this.child.once('exit', () => resolve()));
    void this.exited.then(() => live.delete(this.child));
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-10_000);
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** "local" or "docker", from the worker's start-up line (undefined until it is printed). */
  get executor(): string | undefined {
    return /\((\w+) executor\)/.exec(this.output)?.[1];
  }

  get log(): string {
    return this.output;
  }

  /** SIGTERM (the worker hands back what it holds), SIGKILL if it is not gone in 3 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const gone = await Promise.race([this.exited.then(() => true), sleep(3000).then(() => false)]);
    if (!gone) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

export async function benchEndToEnd(ctx: EndToEndContext): Promise<EndToEndResult> {
  const log = ctx.log ?? (() => undefined);
  const env = {GAFFER_IDLE_CHECK_IN_INTERVAL: '0.2s', GAFFER_CHECK_IN_INTERVAL: '1s', GAFFER_LEASE_DURATION: '10s'};
  const setup = {...ctx, stateProject: ctx.stateProject ?? 'gaffer-bench-e2e', env};
  return withGaffer(setup, SUBMIT_CONCURRENCY + 2, async (server, http) => {
    const {config} = server.app;
    const workers: WorkerProcess[] = [];
    try {
      /** Fails fast when one of the given workers died. */
      const checkWorkers = (these: readonly WorkerProcess[]) => {
        for (const w of these) if (!w.running) throw new Error(`gaffer-worker ${w.workerId} exited (${w.child.exitCode}):\n${w.log}`);
      };
      const start = async (project: string, ids: readonly string[]): Promise<WorkerProcess[]> => {
        const started = ids.map(id => new WorkerProcess(id, server.url, project));
        workers.push(...started);
        // Ready once the server knows it (its first health report or check-in).
        const deadline = Date.now() + READY_TIMEOUT_MS;
        for (const w of started) {
          for (;;) {
            checkWorkers([w]);
            const res = await http.send('GET', `/v2alpha1/projects/${project}/workers/${w.workerId}`);
            if (res.status === 200) break;
            if (Date.now() > deadline) throw new Error(`gaffer-worker ${w.workerId} did not check in within ${READY_TIMEOUT_MS} ms:\n${w.log}`);
            await sleep(50);
          }
        }
        return started;
      };
      const submit = async (project: string): Promise<OperationJson> => {
        const body = JSON.stringify(pipelineRequest(project, ['true']));
        return JSON.parse((await http.ok('POST', '/v2alpha1/pipelines:run', body)).body) as OperationJson;
      };

      // (a) submit -> done, one idle worker, sequential.
      const soloProject = `bench-e2e-${randomBytes(4).toString('hex')}`;
      const [solo] = await start(soloProject, ['solo']);
      log(`end to end: ${LATENCY_RUNS} sequential no-op pipelines through one gaffer-worker (${solo!.executor ?? '?'} executor)`);
      const latencies: number[] = [];
      const queued: number[] = [];
      const serverSide: number[] = [];
      for (let i = -LATENCY_WARMUP; i < LATENCY_RUNS; i++) {
        const t0 = nowMs();
        let op = await submit(soloProject);
        const deadline = Date.now() + 30_000;
        while (!op.done) {
          checkWorkers([solo!]);
          if (Date.now() > deadline) throw new Error(`${op.name} not done after 30 s:\n${solo!.log}`);
          op = JSON.parse((await http.ok('POST', `/v2alpha1/${op.name}:wait`, JSON.stringify({timeout: '10s'}))).body) as OperationJson;
        }
        const elapsed = nowMs() - t0;
        if (op.error) throw new Error(`${op.name} failed: ${JSON.stringify(op.error)}`);
        if (i < 0) continue;
        latencies.push(elapsed);
        const created = Date.parse(op.metadata.createTime);
        queued.push(Date.parse(op.metadata.startTime ?? '') - created);
        serverSide.push(Date.parse(op.metadata.endTime ?? '') - created);
      }
      const executor = solo!.executor ?? 'unknown';
      await solo!.stop();
      const latency: EndToEndLatency = {
        runs: latencies.length,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: Math.max(...latencies),
        queuedP50Ms: percentile(queued, 50),
        queuedP99Ms: percentile(queued, 99),
        serverP50Ms: percentile(serverSide, 50),
        serverP99Ms: percentile(serverSide, 99),
      };
      log(`end to end: submit -> done p50 ${fmt(latency.p50Ms)} ms, p99 ${fmt(latency.p99Ms)} ms`);

      // (b) a queue of pipelines through 4 workers.
      const project = `bench-e2e-${randomBytes(4).toString('hex')}`;
      const ids = Array.from({length: THROUGHPUT_WORKERS}, (_, i) => `w${i + 1}`);
      const fleet = await start(project, ids);
      log(`end to end: ${THROUGHPUT_PIPELINES} no-op pipelines through ${THROUGHPUT_WORKERS} gaffer-worker processes`);
      const t0 = nowMs();
      await runAll(THROUGHPUT_PIPELINES, SUBMIT_CONCURRENCY, () => submit(project));
      const submitMs = nowMs() - t0;
      const undone = `/v2alpha1/projects/${project}/operations?${new URLSearchParams({filter: 'done = false', pageSize: '1'})}`;
      const deadline = Date.now() + DONE_TIMEOUT_MS;
      for (;;) {
        const page = JSON.parse((await http.ok('GET', undone)).body) as {operations?: unknown[]};
        if (!page.operations?.length) break;
        checkWorkers(fleet);
        if (Date.now() > deadline) throw new Error(`pipelines still not done after ${DONE_TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
      }
      const elapsedMs = nowMs() - t0;

      // Every operation, for server-side times, outcomes and who ran what.
      const all: OperationJson[] = [];
      let pageToken = '';
      do {
        const params = new URLSearchParams({pageSize: '256', ...(pageToken ? {pageToken} : {})});
        const page = JSON.parse((await http.ok('GET', `/v2alpha1/projects/${project}/operations?${params}`)).body) as {
          operations?: OperationJson[];
          nextPageToken?: string;
        };
        all.push(...(page.operations ?? []));
        pageToken = page.nextPageToken ?? '';
      } while (pageToken);
      if (all.length !== THROUGHPUT_PIPELINES) throw new Error(`listed ${all.length} operations, not ${THROUGHPUT_PIPELINES}`);
      const perWorker: Record<string, number> = {};
      for (const op of all) {
        const assigned = op.metadata.events.find(e => e.details['@type'].endsWith('WorkerAssignedEvent'));
        const instance = String(assigned?.details.instance ?? 'none');
        perWorker[instance] = (perWorker[instance] ?? 0) + 1;
      }
      const firstCreate = Math.min(...all.map(op => Date.parse(op.metadata.createTime)));
      const lastEnd = Math.max(...all.map(op => Date.parse(op.metadata.endTime ?? '')));
      const serverElapsedMs = lastEnd - firstCreate;
      const throughput: EndToEndThroughput = {
        workers: THROUGHPUT_WORKERS,
        pipelines: THROUGHPUT_PIPELINES,
        elapsedMs,
        pipelinesPerSecond: THROUGHPUT_PIPELINES / (elapsedMs / 1000),
        serverElapsedMs,
        serverPipelinesPerSecond: THROUGHPUT_PIPELINES / (serverElapsedMs / 1000),
        submitMs,
        failed: all.filter(op => op.error).length,
        perWorker,
      };
      log(
        `end to end: ${THROUGHPUT_PIPELINES} pipelines in ${fmt(elapsedMs / 1000, 2)} s ` +
          `(${fmt(throughput.pipelinesPerSecond)}/s), ${throughput.failed} failed`,
      );
      return {
        executor,
        idleCheckInIntervalMs: config.idleCheckInIntervalMs,
        checkInIntervalMs: config.checkInIntervalMs,
        leaseDurationMs: config.leaseDurationMs,
        latency,
        throughput,
      };
    } finally {
      await Promise.all(workers.map(w => w.stop()));
    }
  });
}

export function endToEndTable(result: EndToEndResult): string {
  const l = result.latency;
  const t = result.throughput;
  const latency = table(
    ['Submit -> done, 1 idle worker', 'Runs', 'p50 ms', 'p99 ms', 'max ms'],
    [
      ['client: pipelines.run sent -> operations.wait done', String(l.runs), fmt(l.p50Ms), fmt(l.p99Ms), fmt(l.maxMs)],
      ['server: createTime -> startTime (queued)', String(l.runs), fmt(l.queuedP50Ms), fmt(l.queuedP99Ms), ''],
      ['server: createTime -> endTime', String(l.runs), fmt(l.serverP50Ms), fmt(l.serverP99Ms), ''],
    ],
  );
  const shares = Object.entries(t.perWorker)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([w, n]) => `${w} ${n}`)
    .join(', ');
  const throughput = table(
    ['Queue of no-op pipelines', 'Workers', 'Pipelines', 'Seconds', 'Pipelines/s', 'Failed'],
    [
      ['client: first run sent -> none left undone', String(t.workers), fmtInt(t.pipelines), fmt(t.elapsedMs / 1000, 2), fmt(t.pipelinesPerSecond), String(t.failed)],
      ['server: first createTime -> last endTime', String(t.workers), fmtInt(t.pipelines), fmt(t.serverElapsedMs / 1000, 2), fmt(t.serverPipelinesPerSecond), String(t.failed)],
    ],
  );
  const note =
    `Real gaffer-worker processes (${result.executor} executor) on the same machine, pipelines of one action \`true\`; ` +
    `idle check-in every ${result.idleCheckInIntervalMs} ms, busy check-in every ${result.checkInIntervalMs} ms, ` +
    `lease ${result.leaseDurationMs / 1000} s. startTime is the time of the check-in that took the pipeline, taken ` +
    `when that check-in arrived: it can precede createTime by a few ms when the idle worker's check-in was already ` +
    `on its way. The queue was filled in ${fmt(t.submitMs / 1000, 2)} s (pipelines.run, ${SUBMIT_CONCURRENCY} in flight) ` +
    `while the workers were already taking from it; pipelines per worker: ${shares}.`;
  return `${latency}\n\n${throughput}\n\n${note}`;
}
