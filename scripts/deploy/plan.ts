/**
 * What `npm run deploy` does, as data: a list of steps, each one command (an argv array,
 * never a shell string) or a create-or-update pair. Building the plan runs nothing, so a
 * dry run prints it and tests read it.
 *
 * Every step is safe to repeat: a resource that may already exist is described first and
 * only created when absent (or updated when present), and the rest are commands that are
 * idempotent by nature (functions deploy, services enable, add-iam-policy-binding,
 * firebase deploy).
 */
import {DEPLOYABLES, Deployable, ROOT_FUNCTION} from '../../functions/deployment';
import type {DeployOptions} from './options';

/** A value known only while deploying (a function's URL, the database's location). */
export interface Ref {
  readonly ref: string;
}
export type Part = string | Ref;
/** One argv element: a literal, or literals and refs joined. */
export type Arg = string | readonly Part[];

export type Program = 'gcloud' | 'firebase';

export interface Command {
  program: Program;
  args: readonly Arg[];
}

/** Something the deploy writes on this machine before any command runs. */
export type LocalAction = 'stage-source' | 'write-env-file' | 'write-hosting-config';

export type Step =
  | {kind: 'local'; title: string; action: LocalAction}
  | {kind: 'run'; title: string; command: Command; /** retried on errors IAM's propagation delays cause */ retries?: number}
  | {kind: 'ensure'; title: string; probe: Command; create: Command; update?: Command}
  | {kind: 'resolve'; title: string; ref: string; command: Command; transform?: 'eventarc-location'}
  | {kind: 'parallel'; title: string; steps: readonly Step[]};

export const ref = (name: string): Ref => ({ref: name});
export const join = (...parts: Part[]): readonly Part[] => parts;

/** Where the deploy stages what it uploads, relative to the repository root. */
export const STAGE_DIR = 'build/deploy';
export const SOURCE_DIR = `${STAGE_DIR}/source`;
export const ENV_FILE = `${STAGE_DIR}/env.yaml`;
/** With --public, the root function's environment (it verifies tokens itself: no platform check in front). */
export const PUBLIC_ENV_FILE = `${STAGE_DIR}/env-public.yaml`;
export const HOSTING_CONFIG = `${STAGE_DIR}/firebase.json`;

/** Cloud Functions runtime: nodejs20 was decommissioned on 2026-10-30 (no new deploys). */
export const RUNTIME = 'nodejs22';

/** The APIs everything below uses. */
export const APIS = [
  'artifactregistry.googleapis.com',
  'cloudbuild.googleapis.com',
  'cloudfunctions.googleapis.com',
  'cloudscheduler.googleapis.com',
  'eventarc.googleapis.com',
  'firebaserules.googleapis.com',
  'firestore.googleapis.com',
  'iam.googleapis.com',
  'logging.googleapis.com',
  'pubsub.googleapis.com',
  'run.googleapis.com',
] as const;

export interface ServiceAccount {
  id: string;
  displayName: string;
  description: string;
  /** Project-level roles; narrower grants are made on the resources themselves. */
  projectRoles: readonly string[];
}

/** Least privilege: each identity holds what its job needs and nothing else. */
export const SERVICE_ACCOUNTS = {
  runtime: {
    id: 'gaffer-runtime',
    displayName: 'Gaffer functions',
    description: 'Identity of every Gaffer function: reads and writes Firestore, publishes completions',
    // Firestore reads, writes and queries (no index or database administration).
    projectRoles: ['roles/datastore.user'],
  },
  scheduler: {
    id: 'gaffer-scheduler',
    displayName: 'Gaffer sweeps (Cloud Scheduler)',
    description: 'Cloud Scheduler calls the scheduled functions (expireLeases, dispatchOutbox, recordQueueStats) as this account, and nothing else',
    // Only roles/run.invoker on the two sweep functions, granted on them.
    projectRoles: [],
  },
  events: {
    id: 'gaffer-events',
    displayName: 'Gaffer outbox trigger (Eventarc)',
    description: 'Eventarc delivers outbox document events to dispatchOutboxOnWrite as this account',
    // Receiving Eventarc events; roles/run.invoker on dispatchOutboxOnWrite only.
    projectRoles: ['roles/eventarc.eventReceiver'],
  },
  build: {
    id: 'gaffer-build',
    displayName: 'Gaffer function builds (Cloud Build)',
    description: 'Cloud Build builds the function containers as this account',
    // What Cloud Run documents for a user-specified build service account.
    projectRoles: ['roles/logging.logWriter', 'roles/artifactregistry.writer', 'roles/storage.objectAdmin'],
  },
} as const satisfies Record<string, ServiceAccount>;

/** A service account's e-mail (domain-scoped projects, "example.com:proj", included). */
export function serviceAccountEmail(id: string, project: string): string {
  const colon = project.indexOf(':');
  const host = colon === -1 ? project : `${project.slice(colon + 1)}.${project.slice(0, colon)}`;
  return `${id}@${host}.iam.gserviceaccount.com`;
}

/** Eventarc has no multi-region: Firestore's nam5 and eur3 map to these regions. */
export function eventarcLocation(firestoreLocation: string): string {
  const mapped: Record<string, string> = {nam5: 'us-central1', eur3: 'europe-west4'};
  return mapped[firestoreLocation] ?? firestoreLocation;
}

export const functionUrlRef = (name: string): string => `url:${name}`;
const FIRESTORE_EVENTS_LOCATION = 'firestore-events-location';

/** The plan of one deploy; `deployables` is a parameter only so tests can vary it. */
export function planDeployment(options: DeployOptions, deployables: readonly Deployable[] = DEPLOYABLES): Step[] {
  const {project, region} = options;
  const gcloud = (...args: Arg[]): Command => ({program: 'gcloud', args: [...args, `--project=${project}`, '--quiet']});
  const firebase = (...args: Arg[]): Command => ({
    program: 'firebase',
    args: [...args, '--project', project, '--non-interactive'],
  });
  const email = (account: ServiceAccount) => serviceAccountEmail(account.id, project);
  const member = (account: ServiceAccount) => `serviceAccount:${email(account)}`;
  const {runtime, scheduler, events, build} = SERVICE_ACCOUNTS;
  const accounts: ServiceAccount[] = [runtime, scheduler, events, build];
  const steps: Step[] = [];

  steps.push(
    {kind: 'local', title: 'Stage the function source (compiled code, schemas, production dependencies)', action: 'stage-source'},
    {kind: 'local', title: 'Write the functions\' environment', action: 'write-env-file'},
    {kind: 'run', title: 'Enable the APIs Gaffer uses', command: gcloud('services', 'enable', ...APIS)},
    {
      kind: 'ensure',
      title: 'Firestore database (default)',
      probe: gcloud('firestore', 'databases', 'describe', '--database=(default)', '--format=value(name)'),
      create: gcloud(
        'firestore',
        'databases',
        'create',
        '--database=(default)',
        `--location=${options.firestoreLocation}`,
        '--type=firestore-native',
      ),
    },
    {
      kind: 'resolve',
      title: 'Where the database\'s document events are delivered',
      ref: FIRESTORE_EVENTS_LOCATION,
      command: gcloud('firestore', 'databases', 'describe', '--database=(default)', '--format=value(locationId)'),
      transform: 'eventarc-location',
    },
    {
      kind: 'run',
      title: 'Firestore composite indexes, field overrides, TTL policies and security rules',
      command: firebase('deploy', '--only', 'firestore:indexes,firestore:rules', '--config', 'firebase.json'),
    },
  );

  for (const account of accounts) {
    steps.push({
      kind: 'ensure',
      title: `Service account ${account.id}`,
      probe: gcloud('iam', 'service-accounts', 'describe', email(account), '--format=value(email)'),
      create: gcloud(
        'iam',
        'service-accounts',
        'create',
        account.id,
        `--display-name=${account.displayName}`,
        `--description=${account.description}`,
      ),
    });
  }
  for (const account of accounts) {
    for (const role of account.projectRoles) {
      steps.push({
        kind: 'run',
        title: `Grant ${role} to ${account.id}`,
        command: gcloud('projects', 'add-iam-policy-binding', project, `--member=${member(account)}`, `--role=${role}`, '--condition=None', '--format=none'),
        retries: 3,
      });
    }
  }

  const topic = options.completionTopic;
  steps.push(
    {
      kind: 'ensure',
      title: `Pub/Sub topic ${topic}`,
      probe: gcloud('pubsub', 'topics', 'describe', topic, '--format=value(name)'),
      create: gcloud('pubsub', 'topics', 'create', topic),
    },
    {
      kind: 'run',
      title: `Let ${runtime.id} publish to ${topic} (and no other topic)`,
      command: gcloud('pubsub', 'topics', 'add-iam-policy-binding', topic, `--member=${member(runtime)}`, '--role=roles/pubsub.publisher', '--format=none'),
      retries: 3,
    },
  );

  steps.push({
    kind: 'parallel',
    title: `Deploy ${deployables.length} functions`,
    steps: deployables.map(d => ({
      kind: 'run' as const,
      title: `Function ${d.name} (${triggerSummary(d)})`,
      command: gcloud('functions', 'deploy', d.name, ...functionFlags(d, options, email(runtime), email(build), email(events))),
    })),
  });

  const invoke = (name: string, who: string): Step => ({
    kind: 'run',
    title: `Let ${who} invoke ${name}`,
    command: gcloud('functions', 'add-invoker-policy-binding', name, `--region=${region}`, `--member=${who}`, '--format=none'),
    retries: 3,
  });
  for (const d of deployables) {
    if (d.trigger.kind === 'scheduled-http') steps.push(invoke(d.name, member(scheduler)));
    if (d.trigger.kind === 'firestore-trigger') steps.push(invoke(d.name, member(events)));
    if (d.trigger.kind === 'http') for (const who of options.invokers) steps.push(invoke(d.name, who));
  }
  if (options.public) steps.push(invoke(ROOT_FUNCTION, 'allUsers'));

  const urlOf = (name: string): Step => ({
    kind: 'resolve',
    title: `URL of ${name}`,
    ref: functionUrlRef(name),
    command: gcloud('functions', 'describe', name, `--region=${region}`, '--format=value(serviceConfig.uri)'),
  });
  for (const d of deployables) {
    if (d.trigger.kind !== 'scheduled-http') continue;
    const url = ref(functionUrlRef(d.name));
    const job = [
      `--location=${region}`,
      `--schedule=${d.trigger.schedule}`,
      '--time-zone=Etc/UTC',
      join('--uri=', url),
      '--http-method=POST',
      `--oidc-service-account-email=${email(scheduler)}`,
      join('--oidc-token-audience=', url),
      `--attempt-deadline=${d.timeoutSeconds}s`,
      `--description=Gaffer: calls ${d.name} (${d.description})`,
    ];
    steps.push(urlOf(d.name), {
      kind: 'ensure',
      title: `Cloud Scheduler job ${d.trigger.job} (${d.trigger.schedule}: ${d.name})`,
      probe: gcloud('scheduler', 'jobs', 'describe', d.trigger.job, `--location=${region}`, '--format=value(name)'),
      create: gcloud('scheduler', 'jobs', 'create', 'http', d.trigger.job, ...job),
      update: gcloud('scheduler', 'jobs', 'update', 'http', d.trigger.job, ...job),
    });
  }

  if (!deployables.some(d => d.name === ROOT_FUNCTION)) return steps;
  steps.push(urlOf(ROOT_FUNCTION));
  if (options.public) {
    steps.push(
      {kind: 'local', title: 'Write the Firebase Hosting configuration (every path to the gaffer function)', action: 'write-hosting-config'},
      {
        kind: 'run',
        title: 'Firebase Hosting: the public root URL',
        command: firebase('deploy', '--only', 'hosting', '--config', HOSTING_CONFIG),
      },
    );
  }
  return steps;
}

function triggerSummary(d: Deployable): string {
  switch (d.trigger.kind) {
    case 'http':
      return 'HTTP';
    case 'scheduled-http':
      return `HTTP, Cloud Scheduler ${d.trigger.schedule}`;
    case 'firestore-trigger':
      return `Firestore ${d.trigger.eventType.split('.').pop()} ${d.trigger.document}`;
  }
}

function functionFlags(d: Deployable, options: DeployOptions, runtimeSa: string, buildSa: string, eventsSa: string): Arg[] {
  const flags: Arg[] = [
    '--gen2',
    `--region=${options.region}`,
    `--runtime=${RUNTIME}`,
    `--source=${SOURCE_DIR}`,
    `--entry-point=${d.name}`,
    `--service-account=${runtimeSa}`,
    `--build-service-account=projects/${options.project}/serviceAccounts/${buildSa}`,
    `--env-vars-file=${options.publicEnv && d.name === ROOT_FUNCTION ? PUBLIC_ENV_FILE : ENV_FILE}`,
    `--timeout=${d.timeoutSeconds}s`,
    `--memory=${d.memory}`,
    `--cpu=${d.cpu}`,
    `--concurrency=${d.concurrency}`,
    '--min-instances=0',
    `--max-instances=${d.maxInstances}`,
  ];
  switch (d.trigger.kind) {
    case 'http':
    case 'scheduled-http':
      // Private: Cloud Run's IAM check admits only principals holding roles/run.invoker.
      flags.push('--trigger-http', '--no-allow-unauthenticated');
      break;
    case 'firestore-trigger':
      flags.push(
        `--trigger-event-filters=type=${d.trigger.eventType}`,
        '--trigger-event-filters=database=(default)',
        `--trigger-event-filters-path-pattern=document=${d.trigger.document}`,
        join('--trigger-location=', ref(FIRESTORE_EVENTS_LOCATION)),
        `--trigger-service-account=${eventsSa}`,
      );
      break;
  }
  return flags;
}

/** Every command of a plan, in order (parallel steps flattened). */
export function commandsOf(steps: readonly Step[]): Command[] {
  return steps.flatMap((step): Command[] => {
    switch (step.kind) {
      case 'local':
        return [];
      case 'run':
      case 'resolve':
        return [step.command];
      case 'ensure':
        return [step.probe, step.create, ...(step.update ? [step.update] : [])];
      case 'parallel':
        return commandsOf(step.steps);
    }
  });
}
