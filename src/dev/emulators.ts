/**
 * Starts and stops the Cloud SDK's Firestore and Pub/Sub emulators (gcloud), for
 * `npm start` and `npm test`. firebase-tools' own `emulators:*` commands need Java 21
 * and a download, so Gaffer runs the gcloud ones directly. Each emulator runs in its
 * own process group, so stopping it stops its JVM too.
 */
import {ChildProcess, spawn} from 'child_process';
import {createServer} from 'net';

export type EmulatorKind = 'firestore' | 'pubsub';

export interface RunningEmulator {
  kind: EmulatorKind;
  /** host:port, for FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST. */
  host: string;
  /** Id of its process group (gcloud's pid): what a later run kills if a crash left it behind. */
  pid?: number;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  port?: number;
  quiet?: boolean;
  /** Firestore only: an export's `.overall_export_metadata` file to load at start (gcloud's --import-data). */
  importData?: string;
}

const COMMANDS: Record<EmulatorKind, string[]> = {
  firestore: ['emulators', 'firestore', 'start'],
  pubsub: ['beta', 'emulators', 'pubsub', 'start'],
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Every emulator this process started and has not stopped: killed on exit, whatever happens. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => running.forEach(child => killGroup(child, 'SIGKILL')));
}

async function waitUntilReady(host: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`emulator exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`http://${host}/`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`emulator at ${host} not ready after ${timeoutMs} ms:\n${log()}`);
}

export async function startEmulator(kind: EmulatorKind, options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const port = options.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  installExitHook();
  if (options.importData !== undefined && kind !== 'firestore') throw new Error(`importData: only the Firestore emulator imports`);
  const imports = options.importData === undefined ? [] : [`--import-data=${options.importData}`];
  const child = spawn('gcloud', [...COMMANDS[kind], `--host-port=${host}`, ...imports, '--quiet'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.on('error', err => {
    output += `\n${err.message}`;
  });
  try {
    await waitUntilReady(host, child, () => output, 60_000);
  } catch (err) {
    killGroup(child, 'SIGKILL');
    running.delete(child);
    throw err;
  }
  if (!options.quiet) console.error(`[gaffer] ${kind} emulator listening on ${host}`);
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  return {
    kind,
    host,
    pid: child.pid,
    async stop() {
      if (!running.has(child)) return;
      killGroup(child, 'SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), new Promise(r => setTimeout(() => r(true), 5000))]);
      if (timedOut) killGroup(child, 'SIGKILL');
      // The JVM can outlive gcloud's own process; make sure the whole group is gone.
      killGroup(child, 'SIGKILL');
      running.delete(child);
    },
  };
}
