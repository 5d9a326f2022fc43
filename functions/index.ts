/**
 * Entry point for the functions framework: each RPC is its own HTTP function
 * (`functions-framework --target=getOperation`), named as its file; `gaffer` serves
 * every RPC at one URL. All share one App per instance, created on first request.
 */
import * as functions from '@google-cloud/functions-framework';
import {App, createApp} from '../src/app';
import {parseConfig} from '../src/config';
import {withBatch} from '../src/http/batch';
import {withDashboard} from '../src/http/dashboard';
import {httpHandler} from '../src/http/rpc';
import {dispatchOutbox} from './dispatchOutbox';
import {expireLeases} from './expireLeases';
import {recordQueueStats} from './recordQueueStats';
import {RPCS} from './rpcs';

let app: Promise<App> | undefined;
const sharedApp = (): Promise<App> => (app ??= Promise.resolve().then(() => createApp(parseConfig(process.env))));

for (const rpc of RPCS) functions.http(rpc.name, httpHandler([rpc], sharedApp));
// Every RPC at one URL, Google's batch endpoint (/batch), and the web dashboard at /dashboard/.
functions.http('gaffer', withDashboard(withBatch(httpHandler(RPCS, sharedApp), async () => (await sharedApp()).maxRequestBytes)));
// Not a Google API path: Cloud Scheduler calls the function's own URL.
functions.http(expireLeases.name, httpHandler([expireLeases], sharedApp));
functions.http(dispatchOutbox.name, httpHandler([dispatchOutbox], sharedApp));
functions.http(recordQueueStats.name, httpHandler([recordQueueStats], sharedApp));

/**
 * Firestore trigger on outbox documents (deploy with --trigger-event-filters on
 * `outbox/{id}` writes): a message whose publish at commit time did not happen is
 * delivered within seconds rather than at the next scheduled sweep. The event payload
 * is not needed: the sweep finds every due message, in order.
 */
functions.cloudEvent('dispatchOutboxOnWrite', async () => {
  const {services} = await sharedApp();
  await services.outbox?.dispatchDue();
});
