/**
 * The local all-in-one server (`npm start`): every RPC on 127.0.0.1:$PORT at Google's
 * paths. Uses the emulators named by FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST,
 * or starts them itself and stops them on exit, keeping their state in GAFFER_LOCAL_STATE
 * (default .gaffer/) across restarts.
 */
import express from 'express';
import {Server, createServer} from 'http';
import type {Duplex} from 'stream';
import {AddressInfo} from 'net';
import {resolve} from 'path';
import {App, AppOverrides, createApp} from './app';
import {Config, ConfigError, completionTopicName, parseConfig} from './config';
import {RunningEmulator, startEmulator} from './dev/emulators';
import {LocalState, LocalStateError} from './dev/localState';
import {ARRIVAL, HttpRequest, HttpResponse, headersTooLarge, httpHandler, requestTooLarge, sendError} from './http/rpc';
import {toStatusBody} from './http/status';
import {GafferError} from './core/errors';
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
  // When a request arrived, before its body is read (fencing compares it with lease grants).
  server.use((req, _res, next) => {
    (req as unknown as Record<symbol, number>)[ARRIVAL] = performance.now();
    next();
  });
  // Raw bytes, whatever the content type: the handler parses JSON itself so that
  // malformed bodies get a google.rpc error like everything else.
  server.use(express.raw({type: () => true, limit: config.maxRequestBytes}));
  server.use((req, res) => void handler(req as HttpRequest, res as DashboardResponse));
  server.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    sendError(res as HttpResponse, bodyError(err, config.maxRequestBytes), 2);
  });
  // Headers up to 64 KiB reach Gaffer, which refuses those over 16 KiB as google.rpc errors;
  // beyond that, and for anything Node can't parse as HTTP, clientError answers the same way.
  const http: Server = createServer({maxHeaderSize: 64 * 1024}, server);
  http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, '127.0.0.1', () => resolve());
  });
  const {port} = http.address() as AddressInfo;
  // Locally, the lease sweep runs here; deployed, Cloud Scheduler calls expireLeases.
  const sweeping = options.sweep === false ? undefined : setInterval(() => {
    app.services.leases.expireLeases().catch(err => console.error('[gaffer] expireLeases failed:', err));
    app.services.delays.explain().catch(err => console.error('[gaffer] explaining delays failed:', err));
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

/** What the body parser refused (too large, an encoding or charset it can't read, a broken stream) as a google.rpc error. */
function bodyError(err: unknown, maxBytes: number): unknown {
  const e = err as {type?: unknown; status?: unknown; message?: unknown};
  if (e.type === 'entity.too.large') return requestTooLarge(maxBytes);
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new GafferError('INVALID_ARGUMENT', `The request body could not be read: ${String(e.message)}.`, {
      reason: 'UNREADABLE_BODY',
      metadata: {type: typeof e.type === 'string' ? e.type : ''},
    });
  }
  return err;
}

/** A request Node could not parse (headers too large, not HTTP): a google.rpc error, then the connection closes. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (err as {code?: string}).code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const error = tooLarge
    ? headersTooLarge()
    : new GafferError('INVALID_ARGUMENT', 'The request is not valid HTTP/1.1.', {reason: 'MALFORMED_REQUEST', metadata: {parser: String(err.code ?? '')}});
  const body = JSON.stringify(toStatusBody(error, 2));
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
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
      console.error(
        '[gaffer] WARNING: DEVELOPMENT MODE: no GAFFER_CALLER_ISSUERS configured; every loopback caller may do everything, anyone else gets 401.',
      );
    } else {
      const issuers = [...new Set(config.callerIssuers.map(i => i.issuer))].join(', ');
      const admins = [...config.admins, ...config.inheritedBindings.flatMap(b => b.members)];
      console.error(
        `[gaffer] callers authenticate with ID tokens of ${issuers}; each project's IAM policy authorizes them; ` +
          `first admins: ${admins.length > 0 ? [...new Set(admins)].join(', ') : 'none (set GAFFER_ADMINS)'}`,
      );
    }
    if (server.app.services.workerAuth.developmentMode) {
      console.error(
        '[gaffer] WARNING: DEVELOPMENT MODE: no GAFFER_WORKER_ISSUERS configured; named workers check in WITHOUT authentication (loopback peers only).',
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
