/**
 * A private Docker engine for tests: Debian's dockerd (docker.io 20.10) started directly
 * as root, with everything it owns under one temp dir (data root, exec root, socket,
 * pidfile, a daemon.json of its own so /etc/docker is never read), its own bridge in
 * 198.18.0.0/15 (the benchmarking range, never docker's default private ranges), its own
 * cgroup parent and its own client config (DOCKER_CONFIG, so `docker login` never
 * touches ~/.docker). It changes nothing host-wide: no iptables rules, no ip_forward.
 * Nothing is shared with a system dockerd or with other engines
 * started the same way (other engineers run their own on the same machine).
 *
 * stop() leaves nothing behind: containers, user-defined networks and their br-*
 * bridges, dockerd and its containerd and shims, the nsfs/overlay mounts under the
 * dir, the cgroup, the bridge, the dir. If the process dies instead, an exit hook does
 * the same synchronously, and a detached watchdog (this file run as a program) does it
 * when the process is killed by a signal that skips exit hooks (SIGTERM, SIGKILL).
 */
import {ChildProcess, execFile, execFileSync, spawn} from 'child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  rmdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'fs';
import {request} from 'http';
import {Socket} from 'net';
import {tmpdir} from 'os';
import {delimiter, join} from 'path';

/**
 * The client pinned for the private engine: Debian's docker.io client, the same build as
 * the daemon (API 1.41). A newer client may come first on PATH (/usr/local/bin/docker 28.x
 * on these machines); it negotiates down and works too, but CI installs only docker.io.
 */
export const DEBIAN_DOCKER_CLI = '/usr/bin/docker';
/** busybox-static puts a statically linked busybox here; the image needs nothing else. */
export const BUSYBOX_STATIC = '/bin/busybox';
/** Prefix of every engine dir, so a leftover is easy to recognise. */
const DIR_PREFIX = 'gaffer-docker-';
/** User-defined networks (`docker network create` without --subnet) get /24s from here. */
const NETWORK_POOL = 'base=198.19.0.0/16,size=24';
/** This engine's default bridge takes one 198.18.N.0/24 that no route on the host uses. */
const BRIDGE_NET_PREFIX = '198.18.';

export interface DockerEngine {
  /** For DOCKER_HOST: unix:///tmp/gaffer-docker-XXXX/docker.sock */
  readonly host: string;
  /** The docker client to use with it (see DEBIAN_DOCKER_CLI). */
  readonly cli: string;
  /** A dir holding `docker` (a link to `cli`): put it first on PATH for code that runs `docker`. */
  readonly binDir: string;
  /** The client config dir (DOCKER_CONFIG) where `docker login` stores credentials. */
  readonly configDir: string;
  /** The engine's own default bridge, or undefined when started with network 'none'. */
  readonly bridge?: {name: string; subnet: string; gateway: string};
  /** `base` plus DOCKER_HOST, DOCKER_CONFIG and PATH with binDir first. */
  env(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Runs the pinned client against this engine; never rejects on a non-zero exit. */
  docker(args: string[], options?: {timeoutMs?: number; input?: string}): Promise<CommandResult>;
  stop(): Promise<void>;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DockerEngineOptions {
  /** 'bridge' (default): a bridge of the engine's own for `docker run` without --network. */
  network?: 'bridge' | 'none';
  quiet?: boolean;
  readyTimeoutMs?: number;
  /** Where the engine dir goes (default: the OS temp dir). Unix socket paths must stay short. */
  parentDir?: string;
  /** More dockerd flags, after the harness's own. */
  daemonArgs?: string[];
}

/** What the dir's reaper needs to know, written before anything is created. */
interface EngineState {
  dir: string;
  cli: string;
  bridge?: string;
  cgroupParent: string;
  ownerPid: number;
}

/** Why a private engine can't start on this machine, or undefined when it can. */
export function dockerPrerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root (dockerd needs root)';
  if (!findExecutable('dockerd')) return 'no dockerd binary (apt-get install docker.io)';
  if (!findExecutable('containerd')) return 'no containerd binary (apt-get install docker.io)';
  if (!dockerCli()) return 'no docker client (apt-get install docker.io)';
  if (!findExecutable('ip')) return 'no `ip` command (apt-get install iproute2)';
  return undefined;
}

export function dockerCli(): string | undefined {
  return existsSync(DEBIAN_DOCKER_CLI) ? DEBIAN_DOCKER_CLI : findExecutable('docker');
}

/** PATH lookup that also tries the sbin dirs, which a non-login root PATH may lack. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  const dirs = [...path.split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const live = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const dir of live) reapSync(dir);
  });
}

export async function startDockerEngine(options: DockerEngineOptions = {}): Promise<DockerEngine> {
  const missing = dockerPrerequisites();
  if (missing) throw new Error(`cannot start a private Docker engine: ${missing}`);
  const cli = dockerCli() as string;
  const dockerd = findExecutable('dockerd') as string;
  const started = Date.now();
  // Engines whose owner died before its watchdog could reap them (e.g. the machine's own
  // kill of a whole process tree): only dirs whose recorded owner pid is gone.
  for (const stale of staleEngineDirs(options.parentDir)) reapSync(stale);
  const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), DIR_PREFIX));
  const suffix = dir.slice(dir.lastIndexOf(DIR_PREFIX) + DIR_PREFIX.length);
  const state: EngineState = {
    dir,
    cli,
    cgroupParent: `/${DIR_PREFIX}${suffix}`,
    ownerPid: process.pid,
    // Interface names are at most 15 characters.
    bridge: options.network === 'none' ? undefined : `gfd-${suffix}`.slice(0, 15),
  };
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  live.add(dir);
  installExitHook();
  const watchdog = startWatchdog(dir);
  const binDir = join(dir, 'bin');
  const configDir = join(dir, 'config');
  mkdirSync(binDir);
  mkdirSync(configDir);
  symlinkSync(cli, join(binDir, 'docker'));
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  let bridge: DockerEngine['bridge'];
  let daemon: ChildProcess | undefined;
  const logPath = join(dir, 'dockerd.log');
  try {
    if (state.bridge) bridge = createBridge(state.bridge);
    const args = [
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'dockerd.pid')}`,
      `--config-file=${join(dir, 'daemon.json')}`,
      `-H`,
      host,
      '--iptables=false',
      '--ip6tables=false',
      // dockerd would otherwise turn on net.ipv4.ip_forward for the whole host, and with no
      // NAT (no iptables) containers' packets for other networks would leave the machine
      // with their 198.18/15 source. Nothing here needs forwarding: containers reach each
      // other on their bridge, and the host (and docker-proxy) reach them directly.
      '--ip-forward=false',
      // No resolver is reachable from a container anyway: point them at one that fails at
      // once (no 10-15 s of DNS timeouts on the default bridge, no queries sent toward the
      // host's resolver). Names on user-defined networks still resolve (embedded DNS).
      '--dns=127.0.0.1',
      `--bridge=${state.bridge ?? 'none'}`,
      `--default-address-pool=${NETWORK_POOL}`,
      `--cgroup-parent=${state.cgroupParent}`,
      '--log-level=warn',
      ...(options.daemonArgs ?? []),
    ];
    const log = openSync(logPath, 'a');
    // Its own process group: a Ctrl-C at the terminal reaches the tests, and stop() decides
    // the order in which things go away.
    daemon = spawn(dockerd, args, {detached: true, stdio: ['ignore', log, log]});
    closeSync(log);
    daemon.unref();
    await waitForPing(socket, daemon, logPath, options.readyTimeoutMs ?? 30_000);
  } catch (err) {
    reapSync(dir);
    live.delete(dir);
    watchdog.release();
    throw err;
  }
  if (!options.quiet) {
    console.error(`[gaffer] private dockerd ready in ${Date.now() - started} ms at ${host}${bridge ? ` (bridge ${bridge.name} ${bridge.subnet})` : ''}`);
  }
  const env = (base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => ({
    ...base,
    DOCKER_HOST: host,
    DOCKER_CONFIG: configDir,
    PATH: [binDir, base.PATH ?? ''].filter(Boolean).join(delimiter),
  });
  let stopped: Promise<void> | undefined;
  return {
    host,
    cli,
    binDir,
    configDir,
    bridge,
    env,
    docker: (args, opts = {}) => runCommand(cli, args, {env: env(), timeoutMs: opts.timeoutMs, input: opts.input}),
    stop() {
      stopped ??= (async () => {
        // Remove containers and networks while the daemon still answers: fast (SIGKILL,
        // no 10 s stop timeout per container) and it deletes the networks' br-* bridges.
        await removeEverything(cli, env());
        reapSync(dir);
        live.delete(dir);
        watchdog.release();
      })();
      return stopped;
    },
  };
}

/**
 * Builds (once per engine; a no-op when `tag` exists) a busybox image without any
 * registry: a rootfs of the static busybox and its applet links, imported with PATH=/bin.
 * Run it with `--pull never`. Caveat (busybox 1.35 static): `wget -T` segfaults; use
 * wget without -T (or `timeout N wget`), or `nc`.
 */
export async function ensureBusyboxImage(dockerHost: string, tag: string, cli = dockerCli() ?? 'docker'): Promise<void> {
  const env = {...process.env, DOCKER_HOST: dockerHost};
  if ((await runCommand(cli, ['image', 'inspect', '--format', '{{.Id}}', tag], {env})).code === 0) return;
  if (!existsSync(BUSYBOX_STATIC)) throw new Error(`${BUSYBOX_STATIC} is missing (apt-get install busybox-static)`);
  if (!isStaticElf(BUSYBOX_STATIC)) throw new Error(`${BUSYBOX_STATIC} is dynamically linked: install busybox-static, not busybox`);
  const work = mkdtempSync(join(tmpdir(), 'gaffer-busybox-'));
  try {
    const root = join(work, 'rootfs');
    for (const sub of ['bin', 'etc', 'root', 'tmp']) mkdirSync(join(root, sub), {recursive: true});
    execFileSync('cp', [BUSYBOX_STATIC, join(root, 'bin/busybox')]);
    const applets = execFileSync(BUSYBOX_STATIC, ['--list'], {encoding: 'utf8'}).split('\n').filter(Boolean);
    for (const applet of applets) if (applet !== 'busybox') symlinkSync('busybox', join(root, 'bin', applet));
    // Enough of /etc for `id`, `ps` and `--user nobody` to name users.
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    execFileSync('chmod', ['1777', join(root, 'tmp')]);
    const tar = join(work, 'rootfs.tar');
    execFileSync('tar', ['-C', root, '--numeric-owner', '-cf', tar, '.']);
    const result = await runCommand(cli, ['import', '-c', 'ENV PATH=/bin', '-c', 'CMD ["sh"]', tar, tag], {env, timeoutMs: 60_000});
    if (result.code !== 0) throw new Error(`docker import ${tag} failed (${result.code}): ${result.stderr}`);
  } finally {
    rmSync(work, {recursive: true, force: true});
  }
}

/** True when the ELF file has no PT_INTERP program header, i.e. needs no dynamic loader. */
export function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2) return false; // ELF64 only
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

export function runCommand(
  file: string,
  args: string[],
  options: {env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string} = {},
): Promise<CommandResult> {
  return new Promise(resolve => {
    const child = execFile(
      file,
      args,
      {env: options.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8'},
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({code, stdout, stderr: err && typeof err.code !== 'number' ? `${stderr}${err.message}` : stderr});
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

async function removeEverything(cli: string, env: NodeJS.ProcessEnv): Promise<void> {
  const ids = (await runCommand(cli, ['ps', '-aq'], {env, timeoutMs: 10_000})).stdout.split('\n').filter(Boolean);
  if (ids.length) await runCommand(cli, ['rm', '-f', ...ids], {env, timeoutMs: 30_000});
  await runCommand(cli, ['network', 'prune', '-f'], {env, timeoutMs: 10_000});
}

function createBridge(name: string): NonNullable<DockerEngine['bridge']> {
  const used = execFileSync('ip', ['-4', 'route', 'show'], {encoding: 'utf8'});
  const free: number[] = [];
  for (let n = 1; n < 255; n++) if (!used.includes(`${BRIDGE_NET_PREFIX}${n}.`)) free.push(n);
  if (!free.length) throw new Error(`no free /24 left in ${BRIDGE_NET_PREFIX}0.0/16`);
  const n = free[Math.floor(Math.random() * free.length)];
  const subnet = `${BRIDGE_NET_PREFIX}${n}.0/24`;
  const gateway = `${BRIDGE_NET_PREFIX}${n}.1`;
  execFileSync('ip', ['link', 'add', name, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', `${gateway}/24`, 'dev', name]);
  execFileSync('ip', ['link', 'set', name, 'up']);
  return {name, subnet, gateway};
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise(resolve => {
    const req = request({socketPath, path: '/_ping', method: 'GET', timeout: 1000}, res => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

async function waitForPing(socket: string, daemon: ChildProcess, logPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const tail = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-4000) : '');
  let spawnError: Error | undefined;
  daemon.once('error', err => (spawnError = err));
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`dockerd did not start: ${spawnError.message}`);
    if (daemon.exitCode !== null || daemon.signalCode !== null) {
      throw new Error(`dockerd exited (${daemon.exitCode ?? daemon.signalCode}):\n${tail()}`);
    }
    if (await ping(socket)) return;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`dockerd not answering on ${socket} after ${timeoutMs} ms:\n${tail()}`);
}

/**
 * A detached copy of this file that waits for EOF on a pipe from this process: the pipe
 * closes when this process is gone, however it went (SIGKILL included), and the watchdog
 * then reaps the dir. release() closes the pipe on purpose after a clean stop (the reap is
 * then a no-op).
 */
function startWatchdog(dir: string): {release(): void} {
  const child = spawn(process.execPath, [__filename, '--reap-on-eof', dir], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.on('error', () => undefined); // best effort: the exit hook still covers normal exits
  child.unref();
  const stdin = child.stdin;
  if (stdin instanceof Socket) stdin.unref();
  return {release: () => stdin?.destroy()};
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A zombie counts as gone: dockerd is our child, and while a synchronous reap blocks the
 * event loop nobody collects its exit status, so kill(pid, 0) would go on succeeding.
 */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function quietSync(file: string, args: string[], env?: NodeJS.ProcessEnv, timeout = 10_000): string {
  try {
    return execFileSync(file, args, {env, timeout, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']});
  } catch {
    return '';
  }
}

/** Pids of processes whose command line names `dir` (dockerd, its containerd, the shims). */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Every cgroup dir (all v1 controllers and v2) under the engine's cgroup parent, deepest first. */
function cgroupDirs(parent: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    let entries: string[];
    try {
      entries = readdirSync(path, {withFileTypes: true}).filter(e => e.isDirectory()).map(e => join(path, e.name));
    } catch {
      return;
    }
    entries.forEach(walk);
    found.push(path);
  };
  let controllers: string[];
  try {
    controllers = readdirSync('/sys/fs/cgroup').map(c => join('/sys/fs/cgroup', c));
  } catch {
    return found;
  }
  for (const controller of ['/sys/fs/cgroup', ...controllers]) {
    const top = join(controller, parent);
    if (existsSync(top)) walk(top);
  }
  return found;
}

/**
 * Removes everything an engine dir stands for. Synchronous (it runs in exit hooks) and
 * idempotent (stop(), the exit hook and the watchdog may each call it).
 */
export function reapSync(dir: string): void {
  let state: EngineState;
  try {
    state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as EngineState;
  } catch {
    if (existsSync(dir) && statSync(dir).isDirectory() && dir.includes(DIR_PREFIX)) unmountUnder(dir);
    rmSync(dir, {recursive: true, force: true});
    return;
  }
  const socket = join(dir, 'docker.sock');
  const env = {...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, 'config')};
  const bridges = new Set<string>(state.bridge ? [state.bridge] : []);
  let dockerdPid: number | undefined;
  try {
    dockerdPid = Number(readFileSync(join(dir, 'dockerd.pid'), 'utf8').trim()) || undefined;
  } catch {
    // never started
  }
  if (dockerdPid && alive(dockerdPid) && existsSync(socket)) {
    const ids = quietSync(state.cli, ['ps', '-aq'], env, 5000).split('\n').filter(Boolean);
    if (ids.length) quietSync(state.cli, ['rm', '-f', ...ids], env, 20_000);
    for (const id of quietSync(state.cli, ['network', 'ls', '-q', '--no-trunc', '--filter', 'driver=bridge'], env, 5000).split('\n')) {
      if (id) bridges.add(`br-${id.slice(0, 12)}`);
    }
    quietSync(state.cli, ['network', 'prune', '-f'], env, 10_000);
  }
  // dockerd stops its containerd; give it a moment, then kill whatever is left by pid.
  if (dockerdPid && alive(dockerdPid)) {
    kill(dockerdPid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(dockerdPid); i++) sleepSync(50);
  }
  for (let round = 0; round < 3; round++) {
    const pids = processesUsing(dir);
    for (const cgroup of cgroupDirs(state.cgroupParent)) {
      try {
        for (const pid of readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n')) if (pid) pids.push(Number(pid));
      } catch {
        // gone
      }
    }
    if (!pids.length) break;
    pids.forEach(pid => kill(pid, 'SIGKILL'));
    sleepSync(100);
  }
  for (const cgroup of cgroupDirs(state.cgroupParent)) {
    try {
      rmdirSync(cgroup);
    } catch {
      // still busy or already gone
    }
  }
  unmountUnder(dir);
  for (const bridge of bridges) {
    if (existsSync(`/sys/class/net/${bridge}`)) quietSync('ip', ['link', 'delete', bridge]);
  }
  rmSync(dir, {recursive: true, force: true});
}

/** Lazily unmounts every mount point under `dir` (overlays, nsfs, dockerd's own), deepest first. */
function unmountUnder(dir: string): void {
  for (let round = 0; round < 3; round++) {
    const points = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map(line => line.split(' ')[4])
      .filter((point): point is string => !!point && (point === dir || point.startsWith(`${dir}/`)))
      .sort((a, b) => b.length - a.length);
    if (!points.length) return;
    for (const point of points) quietSync('umount', ['-l', point]);
  }
}

/** Leftover engine dirs in `parentDir` whose owner is gone (a run killed before the watchdog existed). */
export function staleEngineDirs(parentDir = tmpdir()): string[] {
  const stale: string[] = [];
  for (const name of readdirSync(parentDir)) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(parentDir, name);
    try {
      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as EngineState;
      if (!alive(state.ownerPid)) stale.push(dir);
    } catch {
      // not ours or half-written
    }
  }
  return stale;
}

// `node docker.js --reap-on-eof DIR`: the watchdog. `node docker.js --reap DIR`: by hand.
if (require.main === module) {
  const [mode, dir] = process.argv.slice(2);
  if (!dir || !dir.includes(DIR_PREFIX)) {
    console.error('usage: docker.js --reap-on-eof|--reap /tmp/gaffer-docker-XXXX');
    process.exit(2);
  }
  if (mode === '--reap') {
    reapSync(dir);
  } else if (mode === '--reap-on-eof') {
    // Ignore the signals a terminal or a test runner sends the group: only EOF counts.
    process.on('SIGINT', () => undefined);
    process.on('SIGHUP', () => undefined);
    let reaped = false;
    const reapOnce = () => {
      if (!reaped) reapSync(dir);
      reaped = true;
    };
    process.stdin.on('data', () => undefined);
    process.stdin.on('end', reapOnce);
    process.stdin.on('close', reapOnce);
    process.stdin.on('error', reapOnce);
  }
}

