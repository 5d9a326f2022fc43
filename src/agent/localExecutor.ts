/**
 * Actions as host processes, for development: the imageUri is recorded but not pulled,
 * `entrypoint` (if any) is the program and `commands` its arguments (else commands[0]
 * is the program), the environment is the worker's PATH and HOME plus the action's, and
 * the working directory is the operation's own (work/ in its workspace). Each action is
 * its own process group, so a stop reaches what it started.
 *
 * Where the machine allows it (root, `unshare`), each action runs in a private mount
 * namespace where the operation's disks are bind-mounted at their mount paths and its
 * logs at /google/logs (read-only), so actions see their operation's storage and not
 * the host's, and BLOCK_EXTERNAL_NETWORK gets a network namespace with only loopback.
 * The mount points are created on the host if missing (empty directories, left there:
 * removing one another operation uses as a mount point would detach its mount). Where it
 * does not, pipelines with mounts are refused (pipeline.ts) and actions get no /google/logs.
 */
import {ChildProcess, execFile, spawn} from 'child_process';
import {existsSync} from 'fs';
import {appendFile, readFile} from 'fs/promises';
import {constants} from 'os';
import {ActionExit, ActionSpec, Executor, KILL_GRACE_SECONDS, OperationContext, RunningAction} from './executor';
import type {ActionOutput} from './output';
import {recordedProcesses} from './workspace';

export interface LocalFeatures {
  /** `unshare --mount` works here: actions get mounts of their own. */
  privateMounts: boolean;
  /** `unshare --net` works here: actions can be cut off the network. */
  privateNetwork: boolean;
  unshare?: string;
}

const SH = '/bin/sh';

export class LocalExecutor implements Executor {
  readonly kind = 'local';

  constructor(readonly features: LocalFeatures = {privateMounts: false, privateNetwork: false}) {}

  /** What this machine allows: tries `unshare` (root only). */
  static async detect(): Promise<LocalFeatures> {
    if (process.getuid?.() !== 0) return {privateMounts: false, privateNetwork: false};
    const unshare = ['/usr/bin/unshare', '/bin/unshare'].find(path => existsSync(path));
    if (!unshare) return {privateMounts: false, privateNetwork: false};
    const works = (args: string[]) =>
      new Promise<boolean>(resolve => execFile(unshare, [...args, '--', SH, '-c', 'true'], {timeout: 5000}, err => resolve(!err)));
    const privateMounts = await works(['--mount', '--propagation', 'private']);
    const privateNetwork = privateMounts && (await works(['--mount', '--propagation', 'private', '--net']));
    return {privateMounts, privateNetwork, unshare};
  }

  async start(op: OperationContext, spec: ActionSpec, output: ActionOutput): Promise<RunningAction> {
    const argv = spec.entrypoint ? [spec.entrypoint, ...spec.commands] : spec.commands;
    if (argv.length === 0) {
      output.stderr(Buffer.from(`action ${spec.actionId} has no commands or entrypoint: the local executor can't run an image's default command\n`));
      return {exited: Promise.resolve({exitStatus: 127, killed: false}), kill: () => undefined};
    }
    const [program, ...args] = this.wrap(spec, argv) as [string, ...string[]];
    const child: ChildProcess = spawn(program, args, {
      env: {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', ...spec.environment},
      cwd: op.workspace.workDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a stop reaches what it started (sh -c ...).
      detached: true,
    });
    // Watched at once: a quick process may end while the pid is being recorded.
    const running = supervise(child, output);
    if (child.pid !== undefined) await recordProcess(op.workspace.pidsFile, child.pid);
    return running;
  }

  /** The command line, inside private namespaces when the machine allows and the action needs them. */
  private wrap(spec: ActionSpec, argv: string[]): string[] {
    const {privateMounts, unshare} = this.features;
    if (!privateMounts || !unshare) return argv;
    const steps = spec.mounts.map(m => {
      const bind = `mkdir -p ${quote(m.path)} && mount --bind ${quote(m.hostPath)} ${quote(m.path)}`;
      return m.readOnly ? `${bind} && mount -o remount,bind,ro ${quote(m.path)}` : bind;
    });
    if (spec.blockNetwork) steps.push('(ip link set lo up 2>/dev/null || true)');
    steps.push('exec "$@"');
    const namespaces = ['--mount', '--propagation', 'private', ...(spec.blockNetwork ? ['--net'] : [])];
    return [unshare, ...namespaces, '--', SH, '-c', steps.join(' && '), `gaffer-action-${spec.actionId}`, ...argv];
  }

  /** Stops the process groups a crashed run of this worker left (recorded with their start times). */
  async recoverWorkspace(pidsFile: string): Promise<string[]> {
    const stopped: string[] = [];
    for (const {pgid, startTime} of await recordedProcesses(pidsFile)) {
      // Only if that pid is still the process we started (pids are reused).
      if ((await processStartTime(pgid)) !== startTime) continue;
      try {
        process.kill(-pgid, 'SIGKILL');
        stopped.push(`process group ${pgid}`);
      } catch {
        // gone meanwhile
      }
    }
    return stopped;
  }
}

/** Watches a child process: output, exit status, stop. */
function supervise(child: ChildProcess, output: ActionOutput): RunningAction {
  let killed = false;
  child.stdout?.on('data', (chunk: Buffer) => output.stdout(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.stderr(chunk));
  const signal = (name: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, name);
    } catch {
      // already gone
    }
  };
  // A program that could not be started exits as a shell reports it: 127 not found, 126 not runnable.
  let spawnFailure: number | undefined;
  const exited = new Promise<ActionExit>(resolve => {
    child.on('error', err => {
      output.stderr(Buffer.from(`${err.message}\n`));
      const code = (err as NodeJS.ErrnoException).code;
      spawnFailure = code === 'EACCES' || code === 'EPERM' ? 126 : 127;
    });
    child.on('close', (code, sig) => {
      const exitStatus = spawnFailure ?? (code !== null && code >= 0 ? code : sig ? 128 + (constants.signals[sig] ?? 1) : 1);
      resolve({exitStatus, killed});
    });
  });
  return {
    exited,
    kill() {
      if (killed) return;
      killed = true;
      signal('SIGTERM');
      setTimeout(() => signal('SIGKILL'), KILL_GRACE_SECONDS * 1000).unref();
    },
  };
}

async function recordProcess(pidsFile: string, pid: number): Promise<void> {
  const start = await processStartTime(pid);
  if (start) await appendFile(pidsFile, `${pid} ${start}\n`);
}

/** Field 22 of /proc/PID/stat: when the process started (identifies it, unlike its pid). */
async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
