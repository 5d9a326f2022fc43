/**
 * gaffer-worker: checks in to a Gaffer server, takes operations and runs their actions.
 *
 *   gaffer-worker --server http://127.0.0.1:8080 --project my-project [--local]
 *   gaffer-worker encrypt --secret-key FILE < plaintext      (prints a Secret's cipherText)
 *
 * Every option is in USAGE (and README.md's gaffer-worker section). Before it checks in,
 * the worker removes what a crashed run of itself left behind (containers, networks,
 * processes, directories labelled or named with its worker id).
 */
import {homedir, hostname} from 'os';
import {join} from 'path';
import {parseArgs} from 'util';
import {GafferWorkerApi, TokenSource} from './api';
import {DockerExecutor, Executor, LocalExecutor} from './executor';
import {WorkerFacts, gceFacts, hostCapabilities} from './host';
import {gceIdentity, noIdentity, tokenCommand, tokenFile} from './identity';
import type {LocalFeatures} from './localExecutor';
import type {WorkerProfile} from './pipeline';
import {GpuPool} from './runner';
import {Decryptor, KmsDecryptor, LocalKeyDecryptor, encryptWithLocalKey, readLocalKey} from './secrets';
import {WorkerSlot} from './worker';
import {Workspaces} from './workspace';
import {existsSync} from 'fs';
import {readdir} from 'fs/promises';
import {parseDuration} from '../wire/proto3';

const USAGE = `usage: gaffer-worker --project ID [options]
  --server URL              Gaffer (default $GAFFER_SERVER, else http://127.0.0.1:8080)
  --project ID              the project whose operations it runs (or $GAFFER_PROJECT)
  --worker-id ID            its name (default: the host name); with --slots N, ID-1..ID-N
  --slots N                 run N operations at once
  --local                   run actions as host processes when no Docker engine is reachable
  --data-dir DIR            where operations' disks and logs go (default /var/lib/gaffer-worker as root)
  --disk NAME=PATH          an existing disk it provides: a host directory (repeatable)
  --overcommit-disks        take pipelines whose disks are larger than the free space
  --zone Z, --machine-type T, --preemptible, --pool P, --gpus TYPE=COUNT (repeatable),
  --service-account EMAIL   what it reports it is (on GCE the metadata server fills what is not given)
  --ignore-machine-type     run pipelines asking for a larger machine than this one
  --secret-key FILE         decrypt secrets with this local AES-256 key instead of Cloud KMS
  --publish-address ADDR    host address published ports bind to (default 0.0.0.0)
  --advertise-address ADDR  the address ContainerStartedEvent gives (default: the host's)
  --log-interval DURATION   how often action output is uploaded while it runs (default 2s)
  --token-file PATH | --token-command CMD | --gce-audience AUD   its identity (default: none)
usage: gaffer-worker encrypt --secret-key FILE  < plaintext`;

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv[0] === 'encrypt') return encrypt(argv.slice(1));
  let values;
  try {
    ({values} = parseArgs({
      args: argv,
      options: {
        server: {type: 'string'},
        project: {type: 'string'},
        'worker-id': {type: 'string'},
        slots: {type: 'string'},
        local: {type: 'boolean'},
        'data-dir': {type: 'string'},
        disk: {type: 'string', multiple: true},
        'overcommit-disks': {type: 'boolean'},
        zone: {type: 'string'},
        'machine-type': {type: 'string'},
        preemptible: {type: 'boolean'},
        pool: {type: 'string'},
        gpus: {type: 'string', multiple: true},
        'service-account': {type: 'string'},
        'ignore-machine-type': {type: 'boolean'},
        'secret-key': {type: 'string'},
        'publish-address': {type: 'string'},
        'advertise-address': {type: 'string'},
        'log-interval': {type: 'string'},
        'token-file': {type: 'string'},
        'token-command': {type: 'string'},
        'gce-audience': {type: 'string'},
        help: {type: 'boolean'},
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 64;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const usage = (why: string) => {
    console.error(`gaffer-worker: ${why}\n${USAGE}`);
    return 64;
  };
  const project = values.project ?? env.GAFFER_PROJECT;
  const server = (values.server ?? env.GAFFER_SERVER ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const slots = Number(values.slots ?? '1');
  if (!project) return usage('--project is required');
  if (!Number.isInteger(slots) || slots < 1) return usage('--slots must be a positive integer');
  const disks: Record<string, string> = {};
  for (const spec of values.disk ?? []) {
    const [name, path] = splitPair(spec);
    if (!name || !path?.startsWith('/')) return usage(`--disk ${spec}: NAME=/absolute/host/path`);
    disks[name] = path;
  }
  const accelerators: Array<{type: string; count: number}> = [];
  for (const spec of values.gpus ?? []) {
    const [type, count] = splitPair(spec);
    if (!type || !/^\d+$/.test(count ?? '') || Number(count) < 1) return usage(`--gpus ${spec}: TYPE=COUNT, e.g. nvidia-tesla-t4=1`);
    accelerators.push({type, count: Number(count)});
  }
  const logIntervalMs = values['log-interval'] ? parseDuration(values['log-interval']) : 2000;
  if (logIntervalMs === undefined) return usage('--log-interval must be a duration such as "2s"');

  const workerId = (values['worker-id'] ?? hostname()).toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  const identity: TokenSource = values['token-file']
    ? tokenFile(values['token-file'])
    : values['token-command']
      ? tokenCommand(values['token-command'])
      : values['gce-audience']
        ? gceIdentity(values['gce-audience'])
        : noIdentity;
  let decryptor: Decryptor;
  try {
    decryptor = values['secret-key'] ? new LocalKeyDecryptor(readLocalKey(values['secret-key']), `the local key ${values['secret-key']}`) : new KmsDecryptor();
  } catch (err) {
    return usage((err as Error).message);
  }

  let executor: Executor;
  let local: LocalFeatures | undefined;
  const dockerOptions = {publishAddress: values['publish-address'], advertiseAddress: values['advertise-address']};
  if (await DockerExecutor.available(dockerOptions)) executor = new DockerExecutor(dockerOptions);
  else if (values.local) executor = new LocalExecutor((local = await LocalExecutor.detect()));
  else {
    console.error('No Docker engine is reachable; start with --local to run actions as host processes.');
    return 69;
  }

  const dataDir = values['data-dir'] ?? defaultDataDir(env);
  const workspaces = new Workspaces(dataDir, {checkDiskSpace: !values['overcommit-disks']});
  const facts: WorkerFacts = {
    zone: values.zone,
    machineType: values['machine-type'],
    preemptible: values.preemptible,
    pool: values.pool,
    accelerators,
    serviceAccount: values['service-account'],
    anyMachineType: values['ignore-machine-type'],
  };
  // On Compute Engine the metadata server says what the flags did not (in the background: off GCE it never answers).
  if (!facts.zone || !facts.machineType || facts.preemptible === undefined) {
    void gceFacts().then(found => {
      for (const [key, value] of Object.entries(found ?? {})) {
        const k = key as keyof WorkerFacts;
        if (facts[k] === undefined) Object.assign(facts, {[k]: value});
      }
    });
  }
  const fuse = existsSync('/dev/fuse');
  const profile = (): Partial<WorkerProfile> => ({
    privateMounts: executor.kind === 'docker' || (local?.privateMounts ?? false),
    privateNetwork: executor.kind === 'docker' || (local?.privateNetwork ?? false),
    zone: facts.zone,
    machineType: facts.machineType,
    accelerators,
    disks,
    fuse,
    serviceAccount: facts.serviceAccount,
    checkMachineType: !values['ignore-machine-type'],
  });
  const capabilities = () => hostCapabilities(facts, () => workspaces.freeBytes());
  const gpus = new GpuPool(accelerators);

  const api = new GafferWorkerApi(server, project, identity);
  const ids = slots === 1 ? [workerId] : Array.from({length: slots}, (_, i) => `${workerId}-${i + 1}`);
  const log = (id: string) => (message: string) => console.error(`[gaffer-worker ${id}] ${message}`);
  for (const id of ids) {
    const removed = await recover(executor, workspaces, id);
    if (removed.length > 0) log(id)(`removed what an earlier run left: ${removed.join(', ')}`);
  }
  const sized = await capabilities();
  const profileWithSize = (): Partial<WorkerProfile> => ({...profile(), cpuCount: sized.cpuCount, memoryBytes: Number(sized.memoryBytes)});
  const workers = ids.map(
    id =>
      new WorkerSlot({
        api,
        workerId: id,
        executor,
        log: log(id),
        workspaces,
        profile: profileWithSize,
        capabilities,
        decryptor,
        gpus,
        logIntervalMs,
      }),
  );
  const mode = executor.kind === 'local' ? `local executor${local?.privateMounts ? ', private mounts' : ', no private mounts (not root or no unshare)'}` : 'docker executor';
  console.error(`[gaffer-worker] ${ids.join(', ')} checking in to ${server} for project ${project} (${mode}; data in ${dataDir})`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`[gaffer-worker] ${signal}: handing back held operations`);
    void Promise.all(workers.map(w => w.stop()));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await Promise.all(workers.map(w => w.run()));
  return 0;
}

/** What a crashed run of worker `id` left: its containers and networks, its processes, its directories. */
async function recover(executor: Executor, workspaces: Workspaces, id: string): Promise<string[]> {
  const removed = [...((await executor.recover?.(id)) ?? [])];
  if (executor instanceof LocalExecutor) {
    const dir = join(workspaces.root, id);
    const runs = await readdir(dir).catch(() => [] as string[]);
    for (const run of runs) removed.push(...(await executor.recoverWorkspace(join(dir, run, 'pids'))));
  }
  removed.push(...(await workspaces.recover(id)).map(dir => `directory ${dir}`));
  return removed;
}

function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (process.getuid?.() === 0) return '/var/lib/gaffer-worker';
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'gaffer-worker');
}

function splitPair(spec: string): [string | undefined, string | undefined] {
  const at = spec.indexOf('=');
  return at < 0 ? [spec, undefined] : [spec.slice(0, at), spec.slice(at + 1)];
}

/** `gaffer-worker encrypt --secret-key FILE`: stdin encrypted with the local key, as a Secret's cipherText. */
async function encrypt(argv: string[]): Promise<number> {
  const {values} = parseArgs({args: argv, options: {'secret-key': {type: 'string'}}, strict: true});
  if (!values['secret-key']) {
    console.error(USAGE);
    return 64;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  console.log(encryptWithLocalKey(readLocalKey(values['secret-key']), Buffer.concat(chunks)));
  return 0;
}

export function run(): void {
  main(process.argv.slice(2)).then(
    code => process.exit(code),
    err => {
      console.error(`[gaffer-worker] ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
