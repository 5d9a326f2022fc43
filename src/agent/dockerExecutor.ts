/**
 * Actions as Docker containers, through the `docker` CLI (DOCKER_HOST etc. from the
 * worker's environment). Each operation gets a user-defined network of its own
 * (`gaffer-<run>`), on which each action is reachable by its `name` (network alias and
 * hostname). An action is `docker create`d with its mounts, environment (values passed
 * through the client's environment, never on its command line), labels, published
 * ports, pid namespace, FUSE and GPUs, then `docker start -a`ttached, so its standard
 * output and error stream to the worker separately; `docker wait` gives its exit status
 * and `docker rm` removes it. Everything carries the labels dev.gaffer.worker and
 * dev.gaffer.run, so the worker's release (and a restarted worker's recovery) finds it.
 */
import {ChildProcess, execFile, spawn} from 'child_process';
import {mkdir, writeFile} from 'fs/promises';
import {networkInterfaces} from 'os';
import {join} from 'path';
import {sleep} from '../lib/sleep';
import {ActionExit, ActionSpec, Executor, KILL_GRACE_SECONDS, OperationContext, RegistryCredentials, RunningAction} from './executor';
import type {ActionOutput} from './output';

export interface DockerExecutorOptions {
  /** The docker client (default: `docker` on PATH). */
  docker?: string;
  /** Environment of the docker client (default: the worker's). */
  env?: NodeJS.ProcessEnv;
  /** Host address published ports bind to (default 0.0.0.0: every interface). */
  publishAddress?: string;
  /** The address ContainerStartedEvent gives (default: publishAddress, or the host's first external IPv4 address). */
  advertiseAddress?: string;
}

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Labels Gaffer puts on what it creates. */
export const WORKER_LABEL = 'dev.gaffer.worker';
export const RUN_LABEL = 'dev.gaffer.run';
export const OPERATION_LABEL = 'dev.gaffer.operation';
export const ACTION_LABEL = 'dev.gaffer.action';

/** Variables the docker client needs for itself: passed as -e K=V instead of through its environment. */
const CLIENT_VARIABLES = /^(PATH|HOME|DOCKER_.*|TMPDIR|HTTPS?_PROXY|NO_PROXY)$/i;
const HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export class DockerExecutor implements Executor {
  readonly kind = 'docker';
  private readonly cli: string;
  private readonly env: NodeJS.ProcessEnv;
  /** Per run: pid namespace name -> the running container that holds it. */
  private readonly pidOwners = new Map<string, Map<string, string>>();

  constructor(private readonly options: DockerExecutorOptions = {}) {
    this.cli = options.docker ?? 'docker';
    this.env = options.env ?? process.env;
  }

  /** True when a Docker engine answers (not just the client being installed). */
  static async available(options: DockerExecutorOptions = {}): Promise<boolean> {
    const result = await new DockerExecutor(options).docker(['info', '--format', '{{.ServerVersion}}'], {timeoutMs: 5000});
    return result.code === 0;
  }

  /** Runs the docker client; never rejects on a non-zero exit. */
  docker(args: string[], options: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<DockerResult> {
    return new Promise(resolve => {
      execFile(this.cli, args, {env: options.env ?? this.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024}, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({code, stdout: String(stdout), stderr: String(stderr || (err && code !== 0 && !stderr ? err.message : ''))});
      });
    });
  }

  private networkName(op: OperationContext): string {
    return `gaffer-${op.runId}`;
  }

  private labelArgs(labels: Record<string, string>): string[] {
    return Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
  }

  async prepare(op: OperationContext): Promise<void> {
    const result = await this.docker(['network', 'create', ...this.labelArgs(op.labels), this.networkName(op)]);
    if (result.code !== 0 && !/already exists/.test(result.stderr)) {
      throw new Error(`docker network create ${this.networkName(op)} failed: ${result.stderr.trim()}`);
    }
    this.pidOwners.set(op.runId, new Map());
  }

  async hasImage(imageUri: string): Promise<boolean> {
    return (await this.docker(['image', 'inspect', '--format', '{{.Id}}', imageUri])).code === 0;
  }

  async pull(op: OperationContext, imageUri: string, credentials?: RegistryCredentials): Promise<void> {
    const args = ['pull', '--quiet', imageUri];
    if (credentials) {
      // A client config of the operation's own, removed with its workspace: never the worker's.
      const dir = op.workspace.dockerConfigDir;
      await mkdir(dir, {recursive: true, mode: 0o700});
      const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
      await writeFile(join(dir, 'config.json'), JSON.stringify({auths: {[registryOf(imageUri)]: {auth}}}), {mode: 0o600});
      args.unshift('--config', dir);
    }
    const result = await this.docker(args, {timeoutMs: 30 * 60_000});
    if (result.code !== 0) throw new Error(result.stderr.trim().split('\n').pop() || `docker pull exited ${result.code}`);
  }

  async start(op: OperationContext, spec: ActionSpec, output: ActionOutput): Promise<RunningAction> {
    const {args, env} = this.createArgs(op, spec);
    const created = await this.docker(args, {env});
    if (created.code !== 0) {
      // What docker said is the action's standard error; 125 is docker run's status for it.
      output.stderr(Buffer.from(`${created.stderr.replace(/^WARNING: IPv4 forwarding is disabled.*\n?/m, '').trim()}\n`));
      return {exited: Promise.resolve({exitStatus: 125, killed: false}), kill: () => undefined};
    }
    const owners = this.pidOwners.get(op.runId);
    if (spec.pidNamespace && owners && !owners.has(spec.pidNamespace)) owners.set(spec.pidNamespace, spec.containerName);

    const attached: ChildProcess = spawn(this.cli, ['start', '--attach', spec.containerName], {env: this.env, stdio: ['ignore', 'pipe', 'pipe']});
    attached.stdout?.on('data', (chunk: Buffer) => output.stdout(chunk));
    attached.stderr?.on('data', (chunk: Buffer) => output.stderr(chunk));
    const detached = new Promise<void>(resolve => {
      attached.on('close', () => resolve());
      attached.on('error', () => resolve());
    });
    let killed = false;
    const exited = (async (): Promise<ActionExit> => {
      await detached;
      // The attached client may end before the container (it can be killed alone): wait for the container.
      const waited = await this.docker(['wait', spec.containerName], {timeoutMs: 7 * 24 * 3600_000});
      const exitStatus = waited.code === 0 && /^\d+$/.test(waited.stdout.trim()) ? Number(waited.stdout.trim()) : 125;
      if (waited.code !== 0) output.stderr(Buffer.from(`gaffer-worker: docker wait ${spec.containerName}: ${waited.stderr.trim()}\n`));
      if (owners && spec.pidNamespace && owners.get(spec.pidNamespace) === spec.containerName) owners.delete(spec.pidNamespace);
      await this.docker(['rm', '--force', '--volumes', spec.containerName]);
      return {exitStatus, killed};
    })();
    const running: RunningAction = {
      exited,
      kill: () => {
        if (killed) return;
        killed = true;
        // docker stop: SIGTERM, then SIGKILL after the grace period; the attached client then ends.
        void this.docker(['stop', '--time', String(KILL_GRACE_SECONDS), spec.containerName]);
      },
    };
    const published = await this.published(spec.containerName, exited);
    if (published && Object.keys(published).length > 0) {
      running.portMappings = published;
      if (!op.privateAddress) running.ipAddress = this.advertisedAddress();
    }
    return running;
  }

  /** The host ports its container ports got, once it runs (undefined if it ended first). */
  private async published(name: string, exited: Promise<ActionExit>): Promise<Record<string, number> | undefined> {
    let done = false;
    void exited.then(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) {
      const result = await this.docker(['inspect', '--format', '{{.State.Status}} {{json .NetworkSettings.Ports}}', name]);
      if (result.code !== 0) return undefined;
      const [status, ...rest] = result.stdout.trim().split(' ');
      if (status === 'running') return portMap(rest.join(' '));
      if (status !== 'created') return undefined;
      await sleep(50);
    }
    return undefined;
  }

  private advertisedAddress(): string {
    const configured = this.options.advertiseAddress ?? this.options.publishAddress;
    if (configured && configured !== '0.0.0.0') return configured;
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
    }
    return '127.0.0.1';
  }

  /** `docker create` arguments, and the client environment holding the action's variables. */
  createArgs(op: OperationContext, spec: ActionSpec): {args: string[]; env: NodeJS.ProcessEnv} {
    const args = ['create', '--name', spec.containerName, '--pull', 'never'];
    args.push(...this.labelArgs({...spec.labels, ...op.labels, [ACTION_LABEL]: String(spec.actionId)}));
    if (spec.blockNetwork) args.push('--network', 'none');
    else {
      args.push('--network', this.networkName(op));
      if (spec.name) args.push('--network-alias', spec.name);
    }
    if (spec.name && HOSTNAME.test(spec.name)) args.push('--hostname', spec.name);
    for (const mount of spec.mounts) args.push('--volume', `${mount.hostPath}:${mount.path}${mount.readOnly ? ':ro' : ''}`);
    const env: NodeJS.ProcessEnv = {...this.env};
    for (const [key, value] of Object.entries(spec.environment)) {
      // `-e NAME` takes the value from the client's environment: secrets stay off the command line.
      if (CLIENT_VARIABLES.test(key)) args.push('--env', `${key}=${value}`);
      else {
        env[key] = value;
        args.push('--env', key);
      }
    }
    const address = this.options.publishAddress ?? '0.0.0.0';
    for (const [containerPort, hostPort] of Object.entries(spec.portMappings)) {
      args.push('--publish', `${address}:${hostPort > 0 ? hostPort : ''}:${containerPort}`);
    }
    if (spec.publishExposedPorts) args.push('--publish-all');
    const owner = spec.pidNamespace ? this.pidOwners.get(op.runId)?.get(spec.pidNamespace) : undefined;
    if (owner) args.push('--pid', `container:${owner}`);
    if (spec.fuse) args.push('--cap-add', 'SYS_ADMIN', '--device', '/dev/fuse');
    if (spec.gpus.length > 0) args.push('--gpus', `"device=${spec.gpus.join(',')}"`);
    if (spec.entrypoint !== undefined) args.push('--entrypoint', spec.entrypoint);
    args.push(spec.imageUri, ...spec.commands);
    return {args, env};
  }

  async release(op: OperationContext): Promise<void> {
    const listed = await this.docker(['ps', '--all', '--quiet', '--filter', `label=${RUN_LABEL}=${op.runId}`, '--filter', `label=${WORKER_LABEL}=${op.workerId}`]);
    const ids = listed.stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await this.docker(['rm', '--force', '--volumes', ...ids]);
    await this.docker(['network', 'rm', this.networkName(op)]);
    this.pidOwners.delete(op.runId);
  }

  async recover(workerId: string): Promise<string[]> {
    const removed: string[] = [];
    const containers = await this.docker(['ps', '--all', '--filter', `label=${WORKER_LABEL}=${workerId}`, '--format', '{{.Names}}']);
    const names = containers.stdout.split('\n').filter(Boolean);
    if (names.length > 0) {
      await this.docker(['rm', '--force', '--volumes', ...names]);
      removed.push(...names.map(n => `container ${n}`));
    }
    const networks = await this.docker(['network', 'ls', '--filter', `label=${WORKER_LABEL}=${workerId}`, '--format', '{{.Name}}']);
    for (const name of networks.stdout.split('\n').filter(Boolean)) {
      const result = await this.docker(['network', 'rm', name]);
      if (result.code === 0) removed.push(`network ${name}`);
    }
    return removed;
  }
}

/** The registry an image reference names, as docker's config.json keys it. */
export function registryOf(imageUri: string): string {
  const first = imageUri.split('/')[0] ?? '';
  const hasRegistry = imageUri.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasRegistry ? first : 'https://index.docker.io/v1/';
}

/** docker inspect's NetworkSettings.Ports as containerPort -> hostPort. */
function portMap(json: string): Record<string, number> {
  const ports = JSON.parse(json || 'null') as Record<string, Array<{HostPort?: string}> | null> | null;
  const mapped: Record<string, number> = {};
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const host = bindings?.[0]?.HostPort;
    if (host) mapped[key.replace(/\/tcp$/, '')] = Number(host);
  }
  return mapped;
}
