/**
 * Every function Gaffer deploys, declared once: its name (the functions-framework target,
 * the Cloud Function's name and its entry point), its trigger and its resources.
 * `npm run deploy` deploys exactly this list, and a test checks that functions/index.ts
 * registers exactly these names with the functions framework, so neither can drift.
 *
 * The per-RPC functions come from the RPC registry (functions/rpcs.ts), never typed out
 * here: an RPC added there is deployed too.
 */
import {dispatchOutbox} from './dispatchOutbox';
import {expireLeases} from './expireLeases';
import {recordQueueStats} from './recordQueueStats';
import {RPCS} from './rpcs';

/** An HTTPS endpoint; the platform's IAM check decides who may invoke it (GAFFER_ACCESS=invoker). */
export interface HttpTrigger {
  kind: 'http';
}

/** An HTTPS endpoint that a Cloud Scheduler job calls (POST, OIDC token of the scheduler's service account). */
export interface ScheduledHttpTrigger {
  kind: 'scheduled-http';
  /** unix-cron, in UTC. */
  schedule: string;
  /** The Cloud Scheduler job's id. */
  job: string;
}

/** An Eventarc trigger on Firestore document events (Cloud Firestore event types, v1). */
export interface FirestoreTrigger {
  kind: 'firestore-trigger';
  eventType:
    | 'google.cloud.firestore.document.v1.created'
    | 'google.cloud.firestore.document.v1.updated'
    | 'google.cloud.firestore.document.v1.deleted'
    | 'google.cloud.firestore.document.v1.written';
  /** Document path pattern in the (default) database, e.g. "outbox/{id}". */
  document: string;
}

export type Trigger = HttpTrigger | ScheduledHttpTrigger | FirestoreTrigger;

export interface Deployable {
  name: string;
  description: string;
  trigger: Trigger;
  /** Request timeout; for the functions that serve operations.wait, longer than its longest wait. */
  timeoutSeconds: number;
  /** Cloud Run memory limit, e.g. "512Mi". */
  memory: string;
  /** vCPUs; below 1 Cloud Run allows only one request at a time. */
  cpu: string;
  /** Requests one instance serves at once (Node.js is asynchronous: long waits cost no CPU). */
  concurrency: number;
  /** Upper bound on instances, so a runaway client cannot run up an unbounded bill. */
  maxInstances: number;
}

/**
 * The functions framework's own settings every function gets, so that requests reach Gaffer
 * rather than being answered by the framework (docs/design.md, "The functions framework and
 * request bodies"): no routes of its own (it answers /favicon.ico and /robots.txt with an empty
 * 404 unless told that no route is ignored, which a blank IGNORED_ROUTES says), headers up to
 * 64 KiB through Node's parser (Gaffer refuses those over 16 KiB itself, as a google.rpc error),
 * and production mode (Express's own error pages carry no stack trace).
 */
export const FRAMEWORK_ENV: Readonly<Record<string, string>> = {
  IGNORED_ROUTES: ' ',
  NODE_OPTIONS: '--max-http-header-size=65536',
  NODE_ENV: 'production',
};

/** The function that serves every RPC at one URL: the root URL clients use. */
export const ROOT_FUNCTION = 'gaffer';

/**
 * The longest operations.wait the deployed functions allow (GAFFER_WAIT_MAX_TIMEOUT's
 * default); functions that serve it get this plus WAIT_MARGIN_SECONDS as their timeout.
 */
export const WAIT_MAX_SECONDS = 300;
export const WAIT_MARGIN_SECONDS = 10;

const SERVING = {memory: '512Mi', cpu: '1', concurrency: 80, maxInstances: 100} as const;
const SWEEP = {timeoutSeconds: 120, memory: '512Mi', cpu: '0.333', concurrency: 1, maxInstances: 2} as const;

/** Long-polling RPCs (google.longrunning's WaitOperation) hold a request for up to WAIT_MAX_SECONDS. */
function waits(rpc: {path: string}): boolean {
  return rpc.path.endsWith(':wait');
}

const LONG_TIMEOUT = WAIT_MAX_SECONDS + WAIT_MARGIN_SECONDS;

export const DEPLOYABLES: readonly Deployable[] = [
  ...RPCS.map(
    (rpc): Deployable => ({
      name: rpc.name,
      description: `${rpc.method} ${rpc.path}`,
      trigger: {kind: 'http'},
      timeoutSeconds: waits(rpc) ? LONG_TIMEOUT : 60,
      ...SERVING,
    }),
  ),
  {
    name: ROOT_FUNCTION,
    description: 'every RPC at one URL (the root URL clients use)',
    trigger: {kind: 'http'},
    timeoutSeconds: RPCS.some(waits) ? LONG_TIMEOUT : 60,
    ...SERVING,
  },
  {
    name: expireLeases.name,
    description: 'the lease and pipeline-timeout sweep',
    trigger: {kind: 'scheduled-http', schedule: '* * * * *', job: 'gaffer-expire-leases'},
    ...SWEEP,
  },
  {
    name: dispatchOutbox.name,
    description: 'the outbox sweep: Pub/Sub messages a crash or a failing topic left behind',
    trigger: {kind: 'scheduled-http', schedule: '* * * * *', job: 'gaffer-dispatch-outbox'},
    ...SWEEP,
  },
  {
    name: recordQueueStats.name,
    // Every minute: GAFFER_QUEUE_STATS_INTERVAL's default, which the points' spacing assumes.
    description: "the queue statistics recorder: each project's queued and running operations, once a minute",
    trigger: {kind: 'scheduled-http', schedule: '* * * * *', job: 'gaffer-record-queue-stats'},
    ...SWEEP,
  },
  {
    name: 'dispatchOutboxOnWrite',
    description: 'delivers an outbox message within seconds of its commit if the committing process did not',
    trigger: {kind: 'firestore-trigger', eventType: 'google.cloud.firestore.document.v1.created', document: 'outbox/{id}'},
    timeoutSeconds: 60,
    memory: '512Mi',
    cpu: '1',
    concurrency: 80,
    maxInstances: 10,
  },
];

/** The deployable named `name`; throws if there is none (a typo in a caller, never user input). */
export function deployable(name: string): Deployable {
  const found = DEPLOYABLES.find(d => d.name === name);
  if (!found) throw new Error(`no deployable function named ${name}`);
  return found;
}
