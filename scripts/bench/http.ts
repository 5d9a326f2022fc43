/**
 * The benchmark's HTTP client and load generator: plain node:http over one keep-alive
 * agent (less client overhead than fetch), a fixed number of requests in flight, and a
 * latency per request from just before it is sent until its whole body has arrived.
 */
import {Agent, request} from 'http';
import {performance} from 'perf_hooks';

export interface HttpResult {
  status: number;
  body: string;
  /** Milliseconds from sending the request to the last byte of the response. */
  latencyMs: number;
}

export class BenchClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, maxSockets: number) {
    const url = new URL(baseUrl);
    if (url.hostname !== '127.0.0.1') throw new Error(`the benchmark only talks to 127.0.0.1, not ${url.hostname}`);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({keepAlive: true, maxSockets, maxFreeSockets: maxSockets});
  }

  send(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = Buffer.byteLength(body);
      }
      const started = performance.now();
      const req = request({host: this.host, port: this.port, method, path, agent: this.agent, headers}, res => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const latencyMs = performance.now() - started;
          resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), latencyMs});
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Like send, but a non-200 answer is an error (a benchmark of failures measures nothing). */
  async ok(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpResult> {
    const result = await this.send(method, path, body);
    if (result.status !== 200) {
      throw new Error(`${method} ${path} answered ${result.status}: ${result.body.slice(0, 500)}`);
    }
    return result;
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LoadOptions {
  /** Requests to send (the measured ones, after the warm-up). */
  count: number;
  concurrency: number;
  /** Stop starting new requests after this long; the report says how many completed. */
  maxMs: number;
  /** Requests sent first, with the same concurrency, and not measured. */
  warmup: number;
}

export interface LoadResult {
  completed: number;
  elapsedMs: number;
  latenciesMs: number[];
  /** True if maxMs stopped the run before `count` requests were sent. */
  truncated: boolean;
}

/** Documents read and written, from the store's stats(). */
export interface DocumentCounts {
  documentsRead: number;
  documentsWritten: number;
}

/** What the store read and wrote between two stats() readings. */
export function documentsBetween(before: DocumentCounts, after: DocumentCounts): DocumentCounts {
  return {documentsRead: after.documentsRead - before.documentsRead, documentsWritten: after.documentsWritten - before.documentsWritten};
}

/**
 * runLoad, and the documents the store read and wrote for the measured requests alone:
 * counting starts once the warm-up is over and answered.
 */
export async function runCountedLoad(
  options: LoadOptions,
  stats: () => DocumentCounts,
  send: (i: number) => Promise<number>,
): Promise<LoadResult & DocumentCounts> {
  let before = stats();
  let measuring = false;
  const result = await runLoad(options, i => {
    if (i >= 0 && !measuring) {
      measuring = true;
      before = stats();
    }
    return send(i);
  });
  return {...result, ...documentsBetween(before, stats())};
}

/**
 * Keeps `concurrency` requests in flight until `count` have been sent or `maxMs` has
 * passed. `send(i)` sends request number i and returns its latency in milliseconds.
 */
export async function runLoad(options: LoadOptions, send: (i: number) => Promise<number>): Promise<LoadResult> {
  if (options.warmup > 0) await drive(options.warmup, options.concurrency, Number.POSITIVE_INFINITY, i => send(-1 - i));
  return drive(options.count, options.concurrency, options.maxMs, send);
}

async function drive(
  count: number,
  concurrency: number,
  maxMs: number,
  send: (i: number) => Promise<number>,
): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + maxMs;
  let truncated = false;
  const worker = async () => {
    while (next < count) {
      if (performance.now() > deadline) {
        truncated = true;
        return;
      }
      const i = next++;
      latenciesMs.push(await send(i));
    }
  };
  await Promise.all(Array.from({length: Math.min(concurrency, count)}, worker));
  return {completed: latenciesMs.length, elapsedMs: performance.now() - started, latenciesMs, truncated};
}

/** Runs `each(i)` for i in 0..count-1, `concurrency` at a time; the results in order of i. */
export async function runAll<T>(count: number, concurrency: number, each: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await each(i);
    }
  };
  await Promise.all(Array.from({length: Math.min(concurrency, count)}, lane));
  return results;
}
