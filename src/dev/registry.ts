/**
 * An image registry on loopback, for tests of real pulls (the worker runs `docker pull`
 * for every image, and nothing else is reachable here) and of `credentials` for private
 * images: Debian's docker-registry (distribution 2.8) with htpasswd auth (bcrypt,
 * written by apache2-utils' htpasswd: the registry accepts nothing else). Docker treats
 * 127.0.0.0/8 as an insecure registry by default, so plain HTTP and `docker login` work
 * against it with no daemon configuration.
 */
import {ChildProcess, execFileSync, spawn} from 'child_process';
import {closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import {freePort} from './emulators';
import {findExecutable} from './docker';

export interface RunningRegistry {
  /** host:port, the prefix of image names in it: `${address}/private/busybox:1`. */
  readonly address: string;
  /** What `docker login` needs; undefined for an open registry. */
  readonly credentials?: {username: string; password: string};
  stop(): Promise<void>;
}

export function registryPrerequisites(auth = true): string | undefined {
  if (!findExecutable('docker-registry')) return 'no docker-registry binary (apt-get install docker-registry)';
  if (auth && !findExecutable('htpasswd')) return 'no htpasswd (apt-get install apache2-utils)';
  return undefined;
}

const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;

function killAndRemove(child: ChildProcess, dir: string): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  rmSync(dir, {recursive: true, force: true});
}

export async function startRegistry(
  options: {auth?: boolean; username?: string; password?: string; quiet?: boolean; readyTimeoutMs?: number} = {},
): Promise<RunningRegistry> {
  const auth = options.auth ?? true;
  const missing = registryPrerequisites(auth);
  if (missing) throw new Error(`cannot start a registry: ${missing}`);
  const username = options.username ?? 'gaffer';
  const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}`;
  const dir = mkdtempSync(join(tmpdir(), 'gaffer-registry-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  // -B: bcrypt, the only scheme distribution's htpasswd backend accepts.
  if (auth) writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', username, password], {encoding: 'utf8'}));
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "${address}", secret: "gaffer-test-${port}"}`,
      auth ? `auth: {htpasswd: {realm: gaffer-test, path: ${join(dir, 'htpasswd')}}}` : '',
      '',
    ].join('\n'),
  );
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => running.forEach((d, child) => killAndRemove(child, d)));
  }
  const logPath = join(dir, 'registry.log');
  const log = openSync(logPath, 'a');
  const child = spawn(findExecutable('docker-registry') as string, ['serve', join(dir, 'config.yml')], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  running.set(child, dir);
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode})`);
      try {
        // 401 is the answer of a registry that is up and wants credentials.
        if ((await fetch(`http://${address}/v2/`)).status === (auth ? 401 : 200)) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`docker-registry not answering on ${address}`);
      await new Promise(r => setTimeout(r, 50));
    }
  } catch (err) {
    const tail = existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-2000) : '';
    running.delete(child);
    killAndRemove(child, dir);
    throw new Error(`${(err as Error).message}\n${tail}`, {cause: err});
  }
  if (!options.quiet) console.error(`[gaffer] registry on ${address} (${auth ? `user ${username}` : 'open'})`);
  return {
    address,
    credentials: auth ? {username, password} : undefined,
    async stop() {
      if (!running.has(child)) return;
      running.delete(child);
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise(r => setTimeout(r, 3000))]);
      killAndRemove(child, dir);
    },
  };
}
