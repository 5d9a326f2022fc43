/**
 * Keeps `npm start`'s emulator state across restarts, in a local directory
 * (GAFFER_LOCAL_STATE, default `.gaffer/`):
 *
 *   lock                  pid of the `npm start` using the directory (one at a time)
 *   emulators.json        process groups of the emulators it started; the next start kills
 *                         them if a crash left them running
 *   firestore/current     name of the newest complete snapshot (replaced atomically)
 *   firestore/snapshot-N/ Firestore emulator exports of the state project's database
 *   pubsub.json           topics and subscriptions (their configuration: the Pub/Sub
 *                         emulator keeps nothing on disk, even with --data-dir)
 *
 * The Firestore emulator can import an export at start (--import-data), but its
 * --export-on-exit runs only on a POST /shutdown and fails in emulator 1.19.9 ("Database
 * name ... has invalid trailing /"), and a crash runs nothing at all. So Gaffer exports
 * itself, through the emulator's REST endpoint, every GAFFER_LOCAL_STATE_INTERVAL and once
 * more on a clean stop: a crash loses at most one interval (plus the export under way).
 */
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync} from 'fs';
import {join} from 'path';
import {pidAlive} from '../lib/pid';
import type {RunningEmulator} from './emulators';

export interface LocalStateLog {
  (message: string): void;
}

interface RecordedEmulator {
  kind: string;
  pid: number;
  host: string;
}

interface PubSubResource {
  name: string;
  [field: string]: unknown;
}

export interface PubSubConfig {
  topics: PubSubResource[];
  subscriptions: PubSubResource[];
}

export class LocalStateError extends Error {}

/** Milliseconds an export took, and where it went (for logs and tests). */
export interface SnapshotReport {
  firestoreMs: number;
  pubsubMs: number;
  snapshot: string;
}

/** On Linux, whether pid still runs an emulator (a recycled pid must not be killed); elsewhere, trust the record. */
function looksLikeEmulator(pid: number): boolean {
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return readFileSync(cmdline, 'utf8').includes('emulators');
  } catch {
    return false;
  }
}

/** Writes a file so that readers see the old content or the new, never a part. */
function writeAtomically(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

async function request(method: string, url: string, body?: unknown): Promise<{status: number; json: unknown}> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : {'Content-Type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    json = text;
  }
  return {status: res.status, json};
}

export class LocalState {
  private timer?: NodeJS.Timeout;
  private running?: Promise<SnapshotReport | undefined>;
  private emulators: RunningEmulator[] = [];
  private projectId = '';
  private completionTopic = '';
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly log: LocalStateLog,
  ) {}

  /**
   * Takes the directory for this process: refuses if another live `npm start` holds it,
   * and kills the emulators a crashed one left running.
   */
  static open(dir: string, log: LocalStateLog = m => console.error(`[gaffer] ${m}`)): LocalState {
    mkdirSync(join(dir, 'firestore'), {recursive: true});
    const lock = join(dir, 'lock');
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lock, 'wx');
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
        const holder = Number(readFileSync(lock, 'utf8').trim());
        if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && pidAlive(holder)) {
          throw new LocalStateError(
            `${dir} is in use by another npm start (pid ${holder}): stop it, or set GAFFER_LOCAL_STATE to another directory (or "none")`,
          );
        }
        rmSync(lock, {force: true}); // left by a process that is gone
      }
    }
    const state = new LocalState(dir, log);
    state.killLeftoverEmulators();
    return state;
  }

  private killLeftoverEmulators(): void {
    const record = join(this.dir, 'emulators.json');
    if (!existsSync(record)) return;
    let recorded: RecordedEmulator[] = [];
    try {
      recorded = JSON.parse(readFileSync(record, 'utf8')) as RecordedEmulator[];
    } catch {
      // unreadable: nothing we can act on
    }
    for (const emulator of recorded) {
      if (!pidAlive(emulator.pid) || !looksLikeEmulator(emulator.pid)) continue;
      try {
        process.kill(-emulator.pid, 'SIGKILL');
        this.log(`stopped the ${emulator.kind} emulator (${emulator.host}, process group ${emulator.pid}) a previous run left behind`);
      } catch {
        // gone meanwhile
      }
    }
    rmSync(record, {force: true});
  }

  /** The newest complete Firestore snapshot's metadata file, for the emulator's --import-data; undefined: start empty. */
  firestoreImport(): string | undefined {
    const current = join(this.dir, 'firestore', 'current');
    if (!existsSync(current)) return undefined;
    const snapshot = join(this.dir, 'firestore', readFileSync(current, 'utf8').trim());
    const metadata = findMetadata(snapshot);
    if (!metadata) this.log(`WARNING: ${snapshot} holds no Firestore export: starting with an empty database`);
    return metadata;
  }

  /** Remembers the emulators this process started, so a run after a crash can stop them. */
  recordEmulators(emulators: readonly RunningEmulator[]): void {
    this.emulators = [...emulators];
    const recorded: RecordedEmulator[] = emulators.flatMap(e => (e.pid === undefined ? [] : [{kind: e.kind, pid: e.pid, host: e.host}]));
    writeAtomically(join(this.dir, 'emulators.json'), `${JSON.stringify(recorded, null, 2)}\n`);
  }

  /** Recreates the saved topics and subscriptions on a fresh Pub/Sub emulator (messages are not kept). */
  async restorePubSub(pubsubHost: string): Promise<number> {
    const file = join(this.dir, 'pubsub.json');
    if (!existsSync(file)) return 0;
    const saved = JSON.parse(readFileSync(file, 'utf8')) as PubSubConfig;
    let restored = 0;
    for (const resource of [...saved.topics, ...saved.subscriptions]) {
      const {name, ...config} = resource;
      const {status, json} = await request('PUT', `http://${pubsubHost}/v1/${name}`, config);
      if (status === 200) restored++;
      else if (status !== 409) this.log(`WARNING: could not restore ${name}: ${status} ${JSON.stringify(json)}`);
    }
    return restored;
  }

  /** Starts the periodic snapshots of this state project's database and Pub/Sub configuration. */
  start(options: {projectId: string; completionTopic: string; intervalMs: number}): void {
    this.projectId = options.projectId;
    this.completionTopic = options.completionTopic;
    this.timer = setInterval(() => {
      if (this.running) return; // the previous one is still under way
      void this.snapshot().catch(err => this.log(`WARNING: snapshot of the emulators failed: ${(err as Error).message}`));
    }, options.intervalMs);
    this.timer.unref();
  }

  /** One snapshot now (waits for one under way first). */
  async snapshot(): Promise<SnapshotReport | undefined> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.takeSnapshot().finally(() => (this.running = undefined));
    return this.running;
  }

  private async takeSnapshot(): Promise<SnapshotReport | undefined> {
    const firestore = this.emulators.find(e => e.kind === 'firestore');
    if (!firestore || !this.projectId) return undefined;
    const name = `snapshot-${Date.now()}`;
    const directory = join(this.dir, 'firestore', name);
    mkdirSync(directory, {recursive: true});
    const started = Date.now();
    try {
      const {status, json} = await request('POST', `http://${firestore.host}/emulator/v1/projects/${this.projectId}:export`, {
        database: `projects/${this.projectId}/databases/(default)`,
        export_directory: directory,
      });
      if (status !== 200 || !findMetadata(directory)) throw new LocalStateError(`Firestore export answered ${status} ${JSON.stringify(json)}`);
    } catch (err) {
      rmSync(directory, {recursive: true, force: true});
      throw err;
    }
    const firestoreMs = Date.now() - started;
    // Pub/Sub's configuration first: a snapshot is complete once `current` names it.
    const pubsubStarted = Date.now();
    const pubsub = this.emulators.find(e => e.kind === 'pubsub');
    if (pubsub) writeAtomically(join(this.dir, 'pubsub.json'), `${JSON.stringify(await this.pubsubConfig(pubsub.host), null, 2)}\n`);
    const pubsubMs = Date.now() - pubsubStarted;
    writeAtomically(join(this.dir, 'firestore', 'current'), `${name}\n`);
    this.prune(name);
    return {firestoreMs, pubsubMs, snapshot: directory};
  }

  /** Keeps the current snapshot and the one before it; removes older ones and any a crash left unfinished. */
  private prune(current: string): void {
    const snapshots = readdirSync(join(this.dir, 'firestore'))
      .filter(entry => /^snapshot-\d+$/.test(entry))
      .sort((a, b) => Number(a.slice('snapshot-'.length)) - Number(b.slice('snapshot-'.length)));
    const at = snapshots.indexOf(current);
    const keep = new Set(snapshots.slice(Math.max(0, at - 1), at + 1));
    for (const entry of snapshots) {
      if (!keep.has(entry)) rmSync(join(this.dir, 'firestore', entry), {recursive: true, force: true});
    }
  }

  /** The state project's topics (and the completion topic, wherever it is) with every subscription attached to them. */
  private async pubsubConfig(host: string): Promise<PubSubConfig> {
    const base = `http://${host}/v1`;
    const topics = new Map<string, PubSubResource>();
    let pageToken = '';
    do {
      const {json} = await request('GET', `${base}/projects/${this.projectId}/topics?pageSize=1000${pageToken ? `&pageToken=${pageToken}` : ''}`);
      const page = json as {topics?: PubSubResource[]; nextPageToken?: string};
      for (const topic of page.topics ?? []) topics.set(topic.name, topic);
      pageToken = page.nextPageToken ?? '';
    } while (pageToken);
    if (!topics.has(this.completionTopic)) {
      const {status, json} = await request('GET', `${base}/${this.completionTopic}`);
      if (status === 200) topics.set(this.completionTopic, json as PubSubResource);
    }
    const subscriptions: PubSubResource[] = [];
    for (const topic of topics.keys()) {
      const {json} = await request('GET', `${base}/${topic}/subscriptions?pageSize=1000`);
      for (const name of (json as {subscriptions?: string[]}).subscriptions ?? []) {
        const {status, json: subscription} = await request('GET', `${base}/${name}`);
        if (status === 200) subscriptions.push(subscription as PubSubResource);
      }
    }
    return {topics: [...topics.values()], subscriptions};
  }

  /** Stops the timer, takes a last snapshot (while the emulators still run) and releases the directory. */
  async close(): Promise<SnapshotReport | undefined> {
    if (this.closed) return undefined;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      return await this.snapshot();
    } finally {
      rmSync(join(this.dir, 'emulators.json'), {force: true});
      rmSync(join(this.dir, 'lock'), {force: true});
    }
  }
}

/** The `.overall_export_metadata` file of an export directory, if there is one. */
export function findMetadata(directory: string): string | undefined {
  if (!existsSync(directory)) return undefined;
  for (const entry of readdirSync(directory, {withFileTypes: true})) {
    const path = join(directory, entry.name);
    if (entry.isFile() && entry.name.endsWith('.overall_export_metadata')) return path;
    if (entry.isDirectory()) {
      const found = findMetadata(path);
      if (found) return found;
    }
  }
  return undefined;
}
