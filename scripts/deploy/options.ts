/**
 * `npm run deploy` options: parsed once from the command line, validated, and turned
 * into everything the plan needs. Unknown flags, positional arguments and malformed
 * values are refused with a message that names the flag and what it expects.
 */
import {readFileSync} from 'fs';
import {FRAMEWORK_ENV, ROOT_FUNCTION, WAIT_MAX_SECONDS} from '../../functions/deployment';
import {Config, ConfigError, OPTIONS, completionTopicName, parseConfig} from '../../src/config';
import {parseDuration} from '../../src/core/time';
import {serviceAccountEmail} from './plan';

/** The gaffer function's cloudfunctions.net URL: an audience Cloud Run functions accept for it, known before it exists. */
export function rootFunctionUrl(project: string, region: string): string {
  return `https://${region}-${project.replace(':', '.')}.cloudfunctions.net/${ROOT_FUNCTION}`;
}

/** The default Firebase Hosting site of a project (domain-scoped projects: the part after ":"). */
function hostingSite(project: string): string {
  return project.slice(project.indexOf(':') + 1);
}

export interface DeployOptions {
  project: string;
  region: string;
  /** Location for a Firestore database the deploy must create (an existing one keeps its own). */
  firestoreLocation: string;
  /** Print every command, run none. */
  dryRun: boolean;
  /** Principals granted roles/run.invoker on every HTTP function, e.g. "user:ann@example.com". */
  invokers: string[];
  /** The first admins: roles/genomics.admin on every project (GAFFER_ADMINS); they grant the rest. */
  admins: string[];
  /** Environment of every function, validated by the same parser the functions use. */
  env: Record<string, string>;
  /** With --public, the root function's environment: Gaffer verifies its callers' tokens itself. */
  publicEnv?: Record<string, string>;
  /** The parsed configuration the functions will see. */
  config: Config;
  /** The completion topic's full name (projects/../topics/..). */
  completionTopic: string;
  /** Serve the root URL through Firebase Hosting (the gaffer function must then be public). */
  public: boolean;
  /** Function deploys run at once. */
  jobs: number;
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm run deploy -- --project PROJECT --region REGION [options]

Creates or updates everything Gaffer needs on a Google Cloud project you own, then
prints the root URL. Safe to re-run.

  --project PROJECT          Google Cloud project id (required)
  --region REGION            region of the functions and Cloud Scheduler jobs, e.g. us-central1 (required)
  --firestore-location LOC   location of the Firestore database if it must be created (default: REGION)
  --admin MEMBER             a first admin: roles/genomics.admin on every project, who grants the rest
                             roles with \`gaffer policy\` (repeatable; required); also an --invoker
  --invoker MEMBER           may reach the API through Cloud Run's IAM check, e.g. user:ann@example.com,
                             group:team@example.com, serviceAccount:worker@PROJECT.iam.gserviceaccount.com
                             (repeatable); what they may do there is each project's IAM policy
  --set-env NAME=VALUE       a Gaffer option for the functions, e.g. GAFFER_WORKER_ISSUERS=@issuers.json
                             (repeatable; @FILE values are read here and inlined)
  --public                   root URL on Firebase Hosting, open to everyone: Gaffer verifies callers' Google
                             ID tokens itself (GAFFER_CALLER_ISSUERS) and authorizes them per project
  --jobs N                   function deploys at once (default 4)
  --dry-run                  print every command, run none
  --help                     this text`;

/** Options the deploy sets itself, or that only mean something to `npm start`. */
const MANAGED: Record<string, string> = {
  [OPTIONS.stateProjectId.env]: 'the deploy sets it to --project',
  [OPTIONS.port.env]: 'Cloud Run sets it',
  [OPTIONS.firestoreEmulatorHost.env]: 'deployed functions use Firestore itself',
  [OPTIONS.pubsubEmulatorHost.env]: 'deployed functions use Pub/Sub itself',
  [OPTIONS.sweepIntervalMs.env]: 'only for npm start (deployed, Cloud Scheduler runs the sweep every minute)',
  [OPTIONS.outboxIntervalMs.env]: 'only for npm start (deployed, Cloud Scheduler runs the sweep every minute)',
  [OPTIONS.localStateDir.env]: 'only for npm start (deployed, the state is in Firestore)',
  [OPTIONS.localStateIntervalMs.env]: 'only for npm start (deployed, the state is in Firestore)',
  [OPTIONS.accessMode.env]: 'the deploy sets it to iam (callers authenticate, each project\'s IAM policy authorizes them)',
  [OPTIONS.platformAuth.env]:
    'the deploy sets it: true behind Cloud Run\'s IAM check (which verifies the token and removes its signature), false for the public root of --public',
  [OPTIONS.admins.env]: 'use --admin',
};

/**
 * GAFFER_ACCESS modes in which Gaffer authenticates every caller itself. Only with one of
 * these may the root function be public, as Firebase Hosting needs: `iam` verifies each
 * caller's ID token (GAFFER_CALLER_ISSUERS) and authorizes it with the project's policy.
 */
export const SELF_AUTHENTICATING_ACCESS: readonly string[] = ['iam'];

/** gcloud's OAuth client: the audience of `gcloud auth print-identity-token` for a user account. */
export const GCLOUD_CLIENT_AUDIENCE = '32555940559.apps.googleusercontent.com';

const PROJECT = /^(?:[a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]+(?:-[a-z]+)+[0-9]+$/;
/** Firestore locations: a region, or a multi-region such as nam5 or eur3. */
const FIRESTORE_LOCATION = /^(?:[a-z]+(?:-[a-z]+)+[0-9]+|[a-z]+[0-9]+)$/;
const MEMBER = /^(?:user|group|serviceAccount):[^@\s]+@[^@\s]+\.[^@\s]+$|^domain:[a-z0-9.-]+\.[a-z]+$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

interface Flag {
  takesValue: boolean;
  repeatable?: boolean;
}

const FLAGS: Record<string, Flag> = {
  '--project': {takesValue: true},
  '--region': {takesValue: true},
  '--firestore-location': {takesValue: true},
  '--invoker': {takesValue: true, repeatable: true},
  '--admin': {takesValue: true, repeatable: true},
  '--set-env': {takesValue: true, repeatable: true},
  '--public': {takesValue: false},
  '--jobs': {takesValue: true},
  '--dry-run': {takesValue: false},
  '--help': {takesValue: false},
};

/** argv split into flags and their values; refuses what is not a known flag. */
function readFlags(argv: readonly string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: every option is a --flag`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const flag = FLAGS[name];
    if (!flag) throw new UsageError(`unknown option ${name}`);
    let value = '';
    if (flag.takesValue) {
      if (eq !== -1) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i] ?? '';
      else throw new UsageError(`${name} needs a value`);
    } else if (eq !== -1) {
      throw new UsageError(`${name} takes no value`);
    }
    const values = seen.get(name) ?? [];
    if (values.length > 0 && !flag.repeatable) throw new UsageError(`${name} given more than once`);
    seen.set(name, [...values, value]);
  }
  return seen;
}

function single(flags: Map<string, string[]>, name: string): string | undefined {
  return flags.get(name)?.[0];
}

function checked(name: string, value: string | undefined, pattern: RegExp, expected: string): string {
  if (value === undefined) throw new UsageError(`${name} is required (${expected})`);
  if (!pattern.test(value)) throw new UsageError(`${name} must be ${expected}, but was: ${JSON.stringify(value)}`);
  return value;
}

/** NAME=VALUE pairs of --set-env: known Gaffer options only, @FILE read and inlined. */
function userEnv(pairs: readonly string[], readFile: (path: string) => string): Record<string, string> {
  const known = new Set(Object.values(OPTIONS).map(o => o.env));
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    if (eq === -1 || !ENV_NAME.test(name)) throw new UsageError(`--set-env must be NAME=VALUE, but was: ${JSON.stringify(pair)}`);
    if (MANAGED[name]) throw new UsageError(`--set-env ${name}: not settable here: ${MANAGED[name]}`);
    if (!known.has(name)) throw new UsageError(`--set-env ${name}: not a Gaffer option (see src/config.ts OPTIONS)`);
    if (name in env) throw new UsageError(`--set-env ${name} given more than once`);
    let value = pair.slice(eq + 1);
    if (value.startsWith('@')) {
      try {
        value = readFile(value.slice(1));
      } catch (err) {
        throw new UsageError(`--set-env ${name}: cannot read ${value.slice(1)}: ${(err as Error).message}`);
      }
    }
    env[name] = value;
  }
  return env;
}

/** The longest wait a function behind Firebase Hosting can serve (Hosting ends requests at 60 s). */
export const HOSTING_WAIT_MAX = '50s';

export function parseDeployArgs(
  argv: readonly string[],
  readFile: (path: string) => string = path => readFileSync(path, 'utf8'),
): DeployOptions | 'help' {
  const flags = readFlags(argv);
  if (flags.has('--help')) return 'help';
  const project = checked('--project', single(flags, '--project'), PROJECT, 'a project id (6 to 30 lowercase letters, digits, hyphens)');
  const region = checked('--region', single(flags, '--region'), REGION, 'a region such as us-central1');
  const firestoreLocation = checked(
    '--firestore-location',
    single(flags, '--firestore-location') ?? region,
    FIRESTORE_LOCATION,
    'a Firestore location such as us-central1, nam5 or eur3',
  );
  const admins = flags.get('--admin') ?? [];
  for (const [flag, members] of [['--invoker', flags.get('--invoker') ?? []], ['--admin', admins]] as const) {
    for (const member of members) {
      if (!MEMBER.test(member)) {
        throw new UsageError(
          `${flag} must be user:EMAIL, group:EMAIL, serviceAccount:EMAIL or domain:DOMAIN, but was: ${JSON.stringify(member)}`,
        );
      }
    }
  }
  if (admins.length === 0) {
    throw new UsageError(
      '--admin is required: the first admins (e.g. --admin user:you@example.com) hold roles/genomics.admin on every ' +
        'project and grant everyone else their roles (gaffer policy add-binding).',
    );
  }
  const invokers = [...new Set([...(flags.get('--invoker') ?? []), ...admins])];
  const jobsText = single(flags, '--jobs') ?? '4';
  const jobs = Number(jobsText);
  if (!/^\d+$/.test(jobsText) || jobs < 1 || jobs > 16) throw new UsageError(`--jobs must be an integer within [1, 16], but was: ${jobsText}`);
  const isPublic = flags.has('--public');
  const user = userEnv(flags.get('--set-env') ?? [], readFile);
  // The scheduler's account may run the sweeps (on every project), and nothing else.
  let inherited: Array<{role: string; members: string[]}> = [];
  try {
    inherited = user[OPTIONS.inheritedBindings.env] ? (JSON.parse(user[OPTIONS.inheritedBindings.env] ?? '') as {bindings: typeof inherited}).bindings : [];
  } catch {
    // parseConfig below names the problem.
  }
  const sweeper = `serviceAccount:${serviceAccountEmail('gaffer-scheduler', project)}`;
  const env: Record<string, string> = {
    ...FRAMEWORK_ENV,
    ...user,
    [OPTIONS.accessMode.env]: 'iam',
    // Behind Cloud Run's IAM check, which verified the caller's Google ID token and removed its signature.
    [OPTIONS.platformAuth.env]: 'true',
    [OPTIONS.callerIssuers.env]: user[OPTIONS.callerIssuers.env] ?? JSON.stringify([{kind: 'google', audience: rootFunctionUrl(project, region)}]),
    [OPTIONS.admins.env]: admins.join(','),
    [OPTIONS.inheritedBindings.env]: JSON.stringify({bindings: [...(Array.isArray(inherited) ? inherited : []), {role: 'roles/gaffer.sweeper', members: [sweeper]}]}),
    [OPTIONS.stateProjectId.env]: project,
  };
  let publicEnv: Record<string, string> | undefined;
  if (isPublic) {
    // A public function is invoked by anyone: Gaffer itself must tell callers apart.
    if (!SELF_AUTHENTICATING_ACCESS.includes(env[OPTIONS.accessMode.env] ?? '')) {
      throw new UsageError('--public: Firebase Hosting can only reach a function that everyone may invoke: Gaffer must authenticate callers itself.');
    }
    // Hosting ends every request at 60 s: operations.wait must answer before.
    env[OPTIONS.waitMaxTimeoutMs.env] ??= HOSTING_WAIT_MAX;
    if (!env[OPTIONS.waitDefaultTimeoutMs.env]) env[OPTIONS.waitDefaultTimeoutMs.env] = HOSTING_WAIT_MAX;
    // The public root: nothing in front checks tokens, so every token must carry its signature;
    // Google ID tokens of gcloud users, and of service accounts minted for the Hosting URL.
    publicEnv = {
      ...env,
      [OPTIONS.platformAuth.env]: 'false',
      [OPTIONS.callerIssuers.env]:
        user[OPTIONS.callerIssuers.env] ??
        JSON.stringify([
          {kind: 'google', audience: GCLOUD_CLIENT_AUDIENCE},
          {kind: 'google', audience: `https://${hostingSite(project)}.web.app`},
        ]),
    };
    try {
      parseConfig(publicEnv);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(`--set-env: ${err.message}`);
      throw err;
    }
  }
  let config: Config;
  try {
    config = parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`--set-env: ${err.message}`);
    throw err;
  }
  const longestWait = isPublic ? parseDuration(HOSTING_WAIT_MAX) ?? 0 : WAIT_MAX_SECONDS * 1000;
  if (config.waitMaxTimeoutMs > longestWait || config.waitDefaultTimeoutMs > longestWait) {
    throw new UsageError(
      `--set-env: ${OPTIONS.waitMaxTimeoutMs.env} and ${OPTIONS.waitDefaultTimeoutMs.env} must not exceed ${longestWait / 1000}s ` +
        (isPublic ? '(Firebase Hosting ends requests at 60 s)' : '(the functions\' request timeout leaves room for no more)'),
    );
  }
  return {
    project,
    region,
    firestoreLocation,
    dryRun: flags.has('--dry-run'),
    invokers,
    admins,
    env,
    ...(publicEnv ? {publicEnv} : {}),
    config,
    completionTopic: completionTopicName(config),
    public: isPublic,
    jobs,
  };
}
