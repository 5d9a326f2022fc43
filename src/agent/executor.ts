/**
 * Runs one action. With a Docker engine, as a container (image pulled first); with the
 * local executor, as a host process: imageUri is recorded but not pulled, `entrypoint`
 * (if any) is the program and `commands` its arguments, otherwise commands[0] is the
 * program; environment is applied on top of the worker's PATH and HOME only.
 */
import {ChildProcess, execFile, spawn} from 'child_process';
import {constants} from 'os';
import {promisify} from 'util';

export interface ActionSpec {
  /** 1-based, as Google's were. */
  actionId: number;
  imageUri: string;
  commands: string[];
  entrypoint?: string;
  environment: Record<string, string>;
  timeoutMs?: number;
  /** A name unique on this host, for the container. */
  containerName: string;
}

export interface ActionExit {
  exitStatus: number;
  /** The last bytes the action wrote to standard error. */
  stderrTail: string;
  /** Killed because its timeout passed. */
  timedOut: boolean;
  /** Killed because the run was cancelled or ended. */
  killed: boolean;
}

export interface RunningAction {
  exited: Promise<ActionExit>;
  kill(): void;
}

export interface Executor {
  readonly kind: 'local' | 'docker';
  /** Pulls the image (docker only). */
  pull?(imageUri: string): Promise<void>;
  start(spec: ActionSpec): RunningAction;
}

const STDERR_TAIL = 4096;
const KILL_GRACE_MS = 3000;

/** Watches a child process: exit status, stderr tail, timeout, kill. */
function supervise(child: ChildProcess, timeoutMs: number | undefined, killProcess: (signal: NodeJS.Signals) => void): RunningAction {
  let stderrTail = '';
  let timedOut = false;
  let killed = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });
  child.stdout?.resume();
  const stop = () => {
    killProcess('SIGTERM');
    setTimeout(() => killProcess('SIGKILL'), KILL_GRACE_MS).unref();
  };
  const timer = timeoutMs ? setTimeout(() => ((timedOut = true), stop()), timeoutMs) : undefined;
  // A program that could not be started exits as a shell reports it: 127 not found, 126 not runnable.
  let spawnFailure: number | undefined;
  const exited = new Promise<ActionExit>(resolve => {
    child.on('error', err => {
      stderrTail = (stderrTail + `\n${err.message}`).slice(-STDERR_TAIL);
      const code = (err as NodeJS.ErrnoException).code;
      spawnFailure = code === 'ENOENT' ? 127 : code === 'EACCES' || code === 'EPERM' ? 126 : 127;
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const exitStatus =
        spawnFailure ?? (code !== null && code >= 0 ? code : signal ? 128 + signalNumber(signal) : 1);
      resolve({exitStatus, stderrTail, timedOut, killed});
    });
  });
  return {
    exited,
    kill() {
      if (killed) return;
      killed = true;
      stop();
    },
  };
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 1;
}

export class LocalExecutor implements Executor {
  readonly kind = 'local';

  start(spec: ActionSpec): RunningAction {
    const argv = spec.entrypoint ? [spec.entrypoint, ...spec.commands] : spec.commands;
    if (argv.length === 0) {
      return {
        exited: Promise.resolve({
          exitStatus: 127,
          stderrTail: `action ${spec.actionId} has no commands or entrypoint: the local executor can't run an image's default command`,
          timedOut: false,
          killed: false,
        }),
        kill: () => undefined,
      };
    }
    const [program, ...args] = argv as [string, ...string[]];
    const child = spawn(program, args, {
      env: {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', ...spec.environment},
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a kill reaches what it started (sh -c ...).
      detached: true,
    });
    return supervise(child, spec.timeoutMs, signal => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    });
  }
}

const run = promisify(execFile);

export class DockerExecutor implements Executor {
  readonly kind = 'docker';

  /** True when a Docker engine answers (not just the client being installed). */
  static async available(): Promise<boolean> {
    try {
      await run('docker', ['info', '--format', '{{.ServerVersion}}'], {timeout: 5000});
      return true;
    } catch {
      return false;
    }
  }

  async pull(imageUri: string): Promise<void> {
    await run('docker', ['pull', '--quiet', imageUri], {timeout: 30 * 60_000});
  }

  start(spec: ActionSpec): RunningAction {
    const args = ['run', '--rm', '--name', spec.containerName];
    for (const [key, value] of Object.entries(spec.environment)) args.push('-e', `${key}=${value}`);
    if (spec.entrypoint) args.push('--entrypoint', spec.entrypoint);
    args.push(spec.imageUri, ...spec.commands);
    const child = spawn('docker', args, {stdio: ['ignore', 'pipe', 'pipe']});
    return supervise(child, spec.timeoutMs, signal => {
      execFile('docker', ['kill', '--signal', signal, spec.containerName], () => undefined);
    });
  }
}
