/**
 * End-to-end helpers: a server with short leases, real gaffer-worker processes on it,
 * and submitting and waiting for pipelines over HTTP.
 */
import {strict as assert} from 'assert';
import {ChildProcess, spawn} from 'child_process';
import {mkdtempSync, rmSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import {Config} from '../../src/config';
import {LocalServer, startLocalServer} from '../../src/server';
import {call, testConfig} from './gaffer';

type Json = Record<string, unknown>;

export interface OperationJson {
  name: string;
  done: boolean;
  error?: {code: number; message: string};
  response?: Json;
  metadata: {events: Array<{timestamp: string; description: string; details: Json}>};
}

/** Leases short enough that a killed worker is noticed within seconds. */
export const SHORT_LEASES: Partial<Config> = {
  leaseDurationMs: 4000,
  leaseGraceMs: 1000,
  checkInIntervalMs: 1000,
  idleCheckInIntervalMs: 300,
  sweepIntervalMs: 500,
  outboxIntervalMs: 1000,
  // Idle workers long-poll (shorter than the default 20s, so a stopped worker's last poll ends soon).
  checkInWaitMs: 2000,
};

const WORKER_BIN = join(__dirname, '../../../bin/gaffer-worker.js');

/** gaffer-worker processes started by a test; killAll() in afterEach. */
export class AgentProcesses {
  private readonly running: ChildProcess[] = [];
  /** Everything the agents wrote to stderr (printed when a test fails). */
  log = '';

  /** Where the agents keep operations' storage (each worker id has its own directory in it). */
  readonly dataDir = mkdtempSync(join(tmpdir(), 'gaffer-agents-'));
  private readonly removeDataDir = () => rmSync(this.dataDir, {recursive: true, force: true});

  constructor(
    private readonly server: () => LocalServer,
    /** The agents' environment (a Docker engine's DOCKER_HOST, say); default: the test's. */
    private readonly env?: () => NodeJS.ProcessEnv,
  ) {
    process.once('exit', this.removeDataDir);
  }

  /** Starts gaffer-worker; `--local` unless `docker` (then it uses the engine its environment names). */
  start(project: string, args: string[], options: {docker?: boolean} = {}): ChildProcess {
    const mode = options.docker ? [] : ['--local'];
    const agent = spawn(process.execPath, [WORKER_BIN, '--server', this.server().url, '--project', project, '--data-dir', this.dataDir, ...mode, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: this.env?.() ?? process.env,
    });
    agent.stderr?.on('data', (chunk: Buffer) => {
      this.log += chunk.toString('utf8');
      if (process.env.GAFFER_TEST_VERBOSE) process.stderr.write(chunk);
    });
    this.running.push(agent);
    return agent;
  }

  killAll(): void {
    for (const agent of this.running.splice(0)) agent.kill('SIGKILL');
    this.log = '';
  }
}

export async function submit(server: LocalServer, request: Json): Promise<string> {
  const res = await call(server, 'POST', '/v2alpha1/pipelines:run', request);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.name as string;
}

/** Waits (operations.wait, 10 s at a time) until the operation is done. */
export async function waitDone(server: LocalServer, name: string, timeoutMs = 60_000): Promise<OperationJson> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const op = (await call(server, 'POST', `/v2alpha1/${name}:wait`, {timeout: '10s'})).json as unknown as OperationJson;
    if (op.done) return op;
  }
  throw new Error(`${name} not done after ${timeoutMs} ms`);
}

/** What the tests of a suite of gaffer-worker processes use (see agentSuite). */
export interface AgentSuite {
  /** The suite's server (there once its before hook has run). */
  readonly server: LocalServer;
  /** A gaffer-worker process for `project` on the server, with more `args`. */
  start(project: string, args: string[]): ChildProcess;
  /** pipelines.run: the new operation's name. */
  run(request: Json): Promise<string>;
  waitDone(name: string, timeoutMs?: number): Promise<OperationJson>;
}

/**
 * In the describe block it is called in: a server with SHORT_LEASES, started before the
 * tests and closed after them; the gaffer-worker processes a test started are killed
 * after it, their log printed first when it failed.
 */
export function agentSuite(): AgentSuite {
  let server: LocalServer | undefined;
  const current = (): LocalServer => {
    if (!server) throw new Error('the suite has not started its server yet (in a before hook)');
    return server;
  };
  const agents = new AgentProcesses(current);
  before(async () => {
    server = await startLocalServer(testConfig(SHORT_LEASES));
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(`gaffer-worker's log:\n${agents.log}`);
    agents.killAll();
  });
  after(() => server?.close());
  return {
    get server() {
      return current();
    },
    start: (project, args) => agents.start(project, args),
    run: request => submit(current(), request),
    waitDone: (name, timeoutMs) => waitDone(current(), name, timeoutMs),
  };
}
