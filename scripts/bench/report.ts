/** The benchmark's results, the machine they came from, and BENCHMARKS.md made of both. */
import {execFile} from 'child_process';
import {cpus, release, totalmem, type} from 'os';
import {join} from 'path';
import {fmt, fmtInt, table} from './stats';

export interface ThroughputRow {
  scenario: string;
  /** Operations in the project the requests go to, when that matters (list). */
  projectSize?: number;
  completed: number;
  planned: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
  truncated: boolean;
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

export interface Machine {
  os: string;
  cpuModel: string;
  cpuCount: number;
  totalMemoryGiB: number;
  node: string;
  emulator: string;
  /** The git commit the bench ran on, and whether the tree had uncommitted changes. */
  code: string;
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
  labels: readonly string[];
}

export interface BenchResults {
  startedAt: Date;
  durationMs: number;
  machine: Machine;
  method: Method;
  throughput: ThroughputRow[];
  perRequest: PerRequestCost[];
  populate: PopulateStep[];
  listCosts: ListCostRow[];
}

export async function describeMachine(emulatorHost: string): Promise<Machine> {
  const cpuList = cpus();
  return {
    os: `${type()} ${release()}`,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cpuCount: cpuList.length,
    totalMemoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    emulator: `${await emulatorVersion()} (gcloud emulators firestore start, its own instance on ${emulatorHost})`,
    code: await codeVersion(),
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

export function throughputTable(rows: readonly ThroughputRow[]): string {
  return table(
    ['scenario', 'ops in project', 'requests', 'seconds', 'requests/s', 'p50 ms', 'p99 ms'],
    rows.map(r => [
      r.scenario,
      r.projectSize === undefined ? '–' : fmtInt(r.projectSize),
      `${fmtInt(r.completed)}${r.truncated ? ` of ${fmtInt(r.planned)} (time cap)` : ''}`,
      fmt(r.elapsedMs / 1000, 2),
      fmt(r.completed / (r.elapsedMs / 1000), 0),
      fmt(r.p50Ms, 1),
      fmt(r.p99Ms, 1),
    ]),
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

export function renderMarkdown(results: BenchResults): string {
  const {machine: m, method} = results;
  const sizes = [...new Set(results.listCosts.map(r => r.projectSize))].sort((a, b) => a - b);
  return `# Benchmarks

Written by \`npm run bench\` (scripts/bench.ts); every figure below comes from the run
described here. Re-run it to refresh this file; do not edit the numbers by hand.

- **Date:** ${results.startedAt.toISOString()}
- **Bench duration:** ${fmt(results.durationMs / 1000, 0)} s (emulator start to stop)
- **Machine:** ${m.cpuModel}, ${m.cpuCount} logical CPUs, ${fmt(m.totalMemoryGiB, 1)} GiB RAM, ${m.os}
- **Node:** ${m.node}
- **Code:** ${m.code}
- **Firestore:** ${m.emulator}

## Method

- The bench starts its own Firestore emulator on a free loopback port and Gaffer in the
  same Node process (\`startLocalServer\`, config from \`parseConfig\` with
  \`GAFFER_STATE_PROJECT=gaffer-bench\`, \`PORT=0\`). All traffic stays on 127.0.0.1.
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
the run before you read much into a change in them.
`;
}
