/**
 * gaffer-worker: checks in to a Gaffer server, takes operations and runs their actions.
 *
 *   gaffer-worker --server http://127.0.0.1:8080 --project my-project --local
 *
 * Options: --server URL (GAFFER_SERVER), --project ID (GAFFER_PROJECT), --worker-id ID
 * (default: the host name), --slots N (N operations at once, slots are ID-1..ID-N),
 * --local (run actions as host processes when no Docker engine is reachable),
 * identity: --token-file PATH | --token-command CMD | --gce-audience AUD (default: none,
 * for a server in development mode).
 */
import {hostname} from 'os';
import {parseArgs} from 'util';
import {GafferWorkerApi, TokenSource} from './api';
import {DockerExecutor, Executor, LocalExecutor} from './executor';
import {gceIdentity, noIdentity, tokenCommand, tokenFile} from './identity';
import {WorkerSlot} from './worker';

const USAGE =
  'usage: gaffer-worker --project ID [--server URL] [--worker-id ID] [--slots N] [--local] [--token-file PATH | --token-command CMD | --gce-audience AUD]';

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
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
  const project = values.project ?? env.GAFFER_PROJECT;
  const server = (values.server ?? env.GAFFER_SERVER ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const slots = Number(values.slots ?? '1');
  if (!project || !Number.isInteger(slots) || slots < 1) {
    console.error(USAGE);
    return 64;
  }
  const workerId = (values['worker-id'] ?? hostname()).toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  const identity: TokenSource = values['token-file']
    ? tokenFile(values['token-file'])
    : values['token-command']
      ? tokenCommand(values['token-command'])
      : values['gce-audience']
        ? gceIdentity(values['gce-audience'])
        : noIdentity;

  let executor: Executor;
  if (await DockerExecutor.available()) executor = new DockerExecutor();
  else if (values.local) executor = new LocalExecutor();
  else {
    console.error('No Docker engine is reachable; start with --local to run actions as host processes.');
    return 69;
  }

  const api = new GafferWorkerApi(server, project, identity);
  const ids = slots === 1 ? [workerId] : Array.from({length: slots}, (_, i) => `${workerId}-${i + 1}`);
  const workers = ids.map(
    id => new WorkerSlot({api, workerId: id, executor, log: message => console.error(`[gaffer-worker ${id}] ${message}`)}),
  );
  console.error(`[gaffer-worker] ${ids.join(', ')} checking in to ${server} for project ${project} (${executor.kind} executor)`);

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

export function run(): void {
  main(process.argv.slice(2)).then(
    code => process.exit(code),
    err => {
      console.error(`[gaffer-worker] ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
