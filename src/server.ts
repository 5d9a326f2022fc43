/**
 * The local all-in-one server (`npm start`): every RPC on 127.0.0.1:$PORT at Google's
 * paths. Uses the emulators named by FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST,
 * or starts them itself and stops them on exit, keeping their state in GAFFER_LOCAL_STATE
 * (default .gaffer/) across restarts.
 */
import express from 'express';
import {Server} from 'http';
import {AddressInfo} from 'net';
import {resolve} from 'path';
import {App, AppOverrides, createApp} from './app';
import {Config, ConfigError, completionTopicName, parseConfig} from './config';
import {RunningEmulator, startEmulator} from './dev/emulators';
import {LocalState, LocalStateError} from './dev/localState';
import {HttpRequest, HttpResponse, httpHandler, requestTooLarge, sendError} from './http/rpc';
import {RPCS} from '../functions/rpcs';
import {withBatch} from './http/batch';
import {DashboardResponse, withDashboard} from './http/dashboard';

export interface LocalServer {
  app: App;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

/** Serves every RPC on 127.0.0.1:config.port (0: any free port). */
export interface LocalServerOptions {
  /** Run expireLeases, the outbox sweep and the queue statistics recorder on their intervals (default true). */
  sweep?: boolean;
}

export async function startLocalServer(
  config: Config,
  overrides: AppOverrides = {},
  options: LocalServerOptions = {},
): Promise<LocalServer> {
  const app = createApp(config, overrides);
  await app.initialize();
  // Google's batch endpoint and the web dashboard at /dashboard/ beside every RPC.
  const handler = withDashboard(withBatch(httpHandler(RPCS, async () => app), async () => app.maxRequestBytes));
  const server = express();
  server.disable('x-powered-by');
  server.set('etag', false);
  // Raw bytes, whatever the content type: the handler parses JSON itself so that
  // malformed bodies get a google.rpc error like everything else.
  server.use(express.raw({type: () => true, limit: config.maxRequestBytes}));
  server.use((req, res) => void handler(req as HttpRequest, res as DashboardResponse));
  server.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const tooLarge = (err as {type?: string}).type === 'entity.too.large';
    sendError(res as HttpResponse, tooLarge ? requestTooLarge(config.maxRequestBytes) : err, 2);
  });
  const http: Server = await new Promise((resolve, reject) => {
    const listening = server.listen(config.port, '127.0.0.1', () => resolve(listening));
    listening.on('error', reject);
  });
  const {port} = http.address() as AddressInfo;
  // Locally, the lease sweep runs here; deployed, Cloud Scheduler calls expireLeases.
  const sweeping = options.sweep === false ? undefined : setInterval(() => {
    app.services.leases.expireLeases().catch(err => console.error('[gaffer] expireLeases failed:', err));
  }, config.sweepIntervalMs);
  sweeping?.unref();
  // Outbox messages whose delivery at commit time did not happen (a crash, a failing topic).
  const {outbox} = app.services;
  const delivering = options.sweep === false || !outbox ? undefined : setInterval(() => {
    outbox.dispatchDue().catch(err => console.error('[gaffer] outbox sweep failed:', err));
  }, config.outboxIntervalMs);
  delivering?.unref();
  // Deployed, Cloud Scheduler calls recordQueueStats.
  const recording = options.sweep === false ? undefined : setInterval(() => {
    app.services.queueStats.record().catch(err => console.error('[gaffer] recording queue statistics failed:', err));
  }, config.queueStatsIntervalMs);
  recording?.unref();
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (sweeping) clearInterval(sweeping);
      if (delivering) clearInterval(delivering);
      if (recording) clearInterval(recording);
      http.closeAllConnections();
      await new Promise<void>(resolve => http.close(() => resolve()));
      await app.close();
    },
  };
}

async function main(): Promise<void> {
  let config = parseConfig(process.env);
  const emulators: RunningEmulator[] = [];
  const stopEmulators = () => Promise.all(emulators.map(e => e.stop()));
  // With emulators of its own, npm start keeps their state across restarts (GAFFER_LOCAL_STATE).
  let local: LocalState | undefined;
  try {
    if (!config.firestoreEmulatorHost) {
      local = config.localStateDir ? LocalState.open(resolve(config.localStateDir)) : undefined;
      const importData = local?.firestoreImport();
      if (importData) console.error(`[gaffer] loading the Firestore emulator from ${importData}`);
      const [firestore, pubsub] = await Promise.all([
        startEmulator('firestore', {importData}),
        config.pubsubEmulatorHost ? undefined : startEmulator('pubsub'),
      ]);
      emulators.push(firestore, ...(pubsub ? [pubsub] : []));
      local?.recordEmulators(emulators);
      if (pubsub && local) await local.restorePubSub(pubsub.host);
      config = {...config, firestoreEmulatorHost: firestore.host, pubsubEmulatorHost: config.pubsubEmulatorHost ?? pubsub?.host};
    } else if (!config.pubsubEmulatorHost) {
      console.error('[gaffer] FIRESTORE_EMULATOR_HOST is set but PUBSUB_EMULATOR_HOST is not: Pub/Sub messages wait in the outbox.');
    }
    const server = await startLocalServer(config);
    local?.start({projectId: config.stateProjectId, completionTopic: completionTopicName(config), intervalMs: config.localStateIntervalMs});
    console.error(
      local
        ? `[gaffer] state kept in ${local.dir}, saved every ${config.localStateIntervalMs / 1000} s and at exit (GAFFER_LOCAL_STATE=none: in memory only)`
        : '[gaffer] state in memory only: gone when this stops',
    );
    console.error(
      `[gaffer] serving on ${server.url} (Firestore ${config.firestoreEmulatorHost}, Pub/Sub ${config.pubsubEmulatorHost ?? 'none'}, project ${config.stateProjectId}, completion topic ${completionTopicName(config)})`,
    );
    if (config.accessMode === 'loopback') {
      console.error('[gaffer] access: every loopback caller may do everything (GAFFER_ACCESS=loopback)');
    }
    if (server.app.services.workerAuth.developmentMode) {
      console.error(
        '[gaffer] WARNING: DEVELOPMENT MODE: no GAFFER_WORKER_ISSUERS configured; named workers check in WITHOUT authentication (loopback only).',
      );
    }
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.error(`[gaffer] ${signal}: stopping`);
      await server.close().catch(err => console.error(err));
      await local?.close().catch(err => console.error('[gaffer] the last snapshot failed:', err));
      await stopEmulators();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  } catch (err) {
    await local?.close().catch(() => undefined);
    await stopEmulators();
    throw err;
  }
}

if (require.main === module) {
  main().catch(err => {
    console.error(
      err instanceof ConfigError ? `[gaffer] configuration: ${err.message}` : err instanceof LocalStateError ? `[gaffer] ${err.message}` : err,
    );
    process.exit(1);
  });
}
