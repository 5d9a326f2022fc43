/**
 * What the benchmark's scripts and modules share: the progress log, the way a bench
 * script runs and exits, the clock they time with, the pipeline they submit, and a
 * Gaffer of their own on the emulators.
 */
import {performance} from 'perf_hooks';
import type {AppOverrides} from '../../src/app';
import {Config, parseConfig} from '../../src/config';
import {LocalServer, LocalServerOptions, startLocalServer} from '../../src/server';
import type {RunPipelineRequestJson} from '../../src/wire/genomics';
import {BenchClient} from './http';

/** Progress, on stderr (the tables go to stdout). */
export function log(message: string): void {
  console.error(`[bench] ${message}`);
}

/**
 * Runs a bench script's main and exits: 0 when it is done, 1 when it failed. Ctrl-C and
 * kill exit normally too, so that the exit hooks kill the emulators' JVMs and the workers.
 */
export function runMain(main: () => Promise<void>): void {
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  main().then(
    () => process.exit(0),
    err => {
      console.error('[bench] failed:', err);
      process.exit(1);
    },
  );
}

/** Milliseconds since the epoch, with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A minimal valid RunPipelineRequest: one `alpine` action running `commands`. */
export function pipelineRequest(projectId: string, commands: string[], labels?: Record<string, string>): RunPipelineRequestJson {
  const resources = {projectId, regions: ['us-central1']};
  return {pipeline: {actions: [{imageUri: 'alpine', commands}], resources}, labels};
}

/** What a module that starts a Gaffer of its own is given. */
export interface ModuleContext {
  firestoreHost: string;
  /** When given, completions are also published (as in a real deployment). */
  pubsubHost?: string;
  /** Gaffer's state project for the module's server (default: the module's own). */
  stateProject?: string;
  log?: (message: string) => void;
}

/** Where a Gaffer of the bench's own keeps its state and publishes. */
export interface GafferSetup {
  firestoreHost: string;
  /** When given, completions are also published (as in a real deployment). */
  pubsubHost?: string;
  /** Gaffer's state project: each module uses its own, so its counts are its own. */
  stateProject: string;
  /** More of Gaffer's environment (intervals, durations). */
  env?: Record<string, string>;
  overrides?: AppOverrides;
  options?: LocalServerOptions;
}

/** The configuration of a Gaffer on the emulators, on any free port. */
export function benchConfig(setup: GafferSetup): Config {
  return parseConfig({
    FIRESTORE_EMULATOR_HOST: setup.firestoreHost,
    PUBSUB_EMULATOR_HOST: setup.pubsubHost,
    GAFFER_STATE_PROJECT: setup.stateProject,
    PORT: '0',
    // The bench's workers report right after they are given work, without ?lease=: the
    // quarantine of leaseless reports (docs/design.md) would refuse them for 120 s.
    GAFFER_UNFENCED_REPORT_DELAY: '0s',
    ...setup.env,
  });
}

/** Runs `body` with a Gaffer of its own (see GafferSetup), and closes it afterwards, also on error. */
export async function withServer<T>(setup: GafferSetup, body: (server: LocalServer) => Promise<T>): Promise<T> {
  const server = await startLocalServer(benchConfig(setup), setup.overrides, setup.options);
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

/** withServer, with a bench client of `maxSockets` sockets to it (closed before the server). */
export function withGaffer<T>(
  setup: GafferSetup,
  maxSockets: number,
  body: (server: LocalServer, client: BenchClient) => Promise<T>,
): Promise<T> {
  return withServer(setup, async server => {
    const client = new BenchClient(server.url, maxSockets);
    try {
      return await body(server, client);
    } finally {
      client.close();
    }
  });
}
