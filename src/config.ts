/**
 * All configuration, parsed once from the environment that is passed in (tests hand in
 * their own). Each option declares its variable, default and validator in one place;
 * nothing else in Gaffer reads process.env.
 */
import {readFileSync} from 'fs';
import {CallerIssuer, parseCallerIssuers} from './core/callerIdentity';
import {IamBinding, parseInheritedPolicy, parseMembers} from './core/iam';
import {TrustedIssuer, parseTrustedIssuers} from './core/identity';
import {parseDuration} from './core/time';

/**
 * `iam`: callers authenticate with ID tokens of GAFFER_CALLER_ISSUERS and are authorized by
 * each project's IAM policy; `loopback` (development mode): no caller issuer is
 * configured, and loopback clients may do everything, everyone else nothing.
 */
export type AccessMode = 'loopback' | 'iam';

export interface Config {
  /** Port of the local all-in-one server (`npm start`); always bound to 127.0.0.1. */
  port: number;
  /** The Google Cloud project whose Firestore and Pub/Sub Gaffer uses for its own state. */
  stateProjectId: string;
  /** host:port of the Firestore emulator, or undefined for real Firestore. */
  firestoreEmulatorHost?: string;
  /** host:port of the Pub/Sub emulator, or undefined for real Pub/Sub. */
  pubsubEmulatorHost?: string;
  /** Secret for page tokens; when unset one is generated once and kept in Firestore. */
  pageTokenSecret?: string;
  /** Largest request body accepted, in bytes. */
  maxRequestBytes: number;
  /** operations.wait: timeout used when the request gives none, and the most it may ask for. */
  waitDefaultTimeoutMs: number;
  waitMaxTimeoutMs: number;
  /** Who may call: `iam` when caller issuers are configured, else `loopback` (development mode). */
  accessMode: AccessMode;
  /** Issuers of callers' ID tokens Gaffer trusts; empty: development mode (loopback callers only). */
  callerIssuers: CallerIssuer[];
  /** The platform in front (Cloud Run's IAM check) verified the Authorization token and removed its signature. */
  platformAuth: boolean;
  /** Members holding roles/genomics.admin on every project (the first admins). */
  admins: string[];
  /** Bindings every project inherits (and the only ones that grant on every project at once: the sweeps). */
  inheritedBindings: IamBinding[];
  /** How long a project's IAM policy, once read, is reused by an instance for checks. */
  policyCacheTtlMs: number;
  /** Longest validity (exp - iat) of an identity token, worker's or caller's. */
  maxTokenLifetimeMs: number;
  /** Topics a RunPipelineRequest's pubSubTopic may name (`*`: any run but "/", `{project}`: the operation's). */
  pubSubTopics: string[];
  /** How long a pipelines.run request id is remembered (a retry within it returns the first operation). */
  requestIdTtlMs: number;
  /** How long a failing Pub/Sub message is retried before it becomes a dead letter. */
  outboxMaxRetryMs: number;
  /** After a grant, how long reports without `?lease=` about it are answered UNAVAILABLE (fencing of unfenced workers). */
  unfencedReportDelayMs: number;
  /** Timeout of a pipeline that sets none, queue time included. */
  defaultPipelineTimeoutMs: number;
  /** How long a lease lasts after each check-in of its worker. */
  leaseDurationMs: number;
  /** Extra time after a lease's deadline before the sweep takes the operation back (clock skew, a slow check-in). */
  leaseGraceMs: number;
  /** How often a worker holding an operation should check in (told to it in every response). */
  checkInIntervalMs: number;
  /** How soon an idle worker should ask again for work. */
  idleCheckInIntervalMs: number;
  /** An idle worker's check-in is recorded (last check-in time, status) at most this often. */
  idleRecordIntervalMs: number;
  /** How often `npm start` runs expireLeases (Cloud Scheduler does it when deployed). */
  sweepIntervalMs: number;
  /** How long an idle worker's check-in may wait for work to be queued before it is answered (0: at once). */
  checkInWaitMs: number;
  /** How long one FIFO-window read serves an instance's later check-ins (0: each reads its own). */
  sharedWindowMs: number;
  /** The operation label whose values share a project's workers round-robin ('' : none). */
  fairShareLabel: string;
  /** Most operations a project runs at once: per project, and '*' for every other one (absent: no cap). */
  maxRunning: RunningCaps;
  /** Assignments a preemptible pipeline may get in all, before it ends UNAVAILABLE. */
  maxPreemptibleAttempts: number;
  /** Issuers of worker identity tokens Gaffer trusts; empty: none (development mode on loopback). */
  workerIssuers: TrustedIssuer[];
  /** Topic (id in the state project, or a full projects/../topics/.. name) every completion is published to. */
  completionTopic: string;
  /** How often `npm start` sweeps the outbox for undelivered messages (Cloud Scheduler does it when deployed). */
  outboxIntervalMs: number;
  /** Health report interval answered to workers that ask for none, and the range a request is clamped to. */
  healthReportIntervalMs: number;
  healthReportMinIntervalMs: number;
  healthReportMaxIntervalMs: number;
  /** How long worker samples (health history, metrics, message codes, lifecycle events) are kept (Firestore TTL). */
  workerHistoryTtlMs: number;
  /** How long what actions printed is kept after it was appended (Firestore TTL). */
  logTtlMs: number;
  /** `npm start` with emulators of its own: directory their state is kept in across restarts; undefined: in memory only. */
  localStateDir?: string;
  /** How often `npm start` snapshots that state (a crash loses at most this much, plus one snapshot's time). */
  localStateIntervalMs: number;
  /** The v2beta locations projects.locations.list answers. */
  locations: string[];
  /** How often queue statistics are recorded (`npm start`; Cloud Scheduler's period when deployed). */
  queueStatsIntervalMs: number;
  /** How long queue statistics are kept (Firestore TTL). */
  queueStatsTtlMs: number;
}

/** The completion topic's full name. */
export function completionTopicName(config: Pick<Config, 'completionTopic' | 'stateProjectId'>): string {
  return config.completionTopic.startsWith('projects/')
    ? config.completionTopic
    : `projects/${config.stateProjectId}/topics/${config.completionTopic}`;
}

type Env = Readonly<Record<string, string | undefined>>;

/** GAFFER_MAX_RUNNING: project id (or '*', every other project) -> most operations it runs at once. */
export type RunningCaps = Readonly<Record<string, number>>;

/** "100" (every project) or "proj-a=10,proj-b=50,*=100". */
export function parseRunningCaps(text: string): RunningCaps {
  const caps: Record<string, number> = {};
  for (const part of text.split(',').map(p => p.trim()).filter(Boolean)) {
    const match = /^(?:([a-z][a-z0-9-]{0,62}|\*)=)?(\d{1,9})$/.exec(part);
    if (!match?.[2]) throw new Error('must be N or PROJECT=N,...,*=N (N a whole number)');
    caps[match[1] ?? '*'] = Number(match[2]);
  }
  return caps;
}

/** The running cap of a project under these caps (undefined: none). */
export function runningCapOf(caps: RunningCaps, projectId: string): number | undefined {
  return caps[projectId] ?? caps['*'];
}

interface Option<T> {
  env: string;
  defaultValue: T;
  parse(text: string): T;
  describe: string;
}

function option<T>(env: string, defaultValue: T, describe: string, parse: (text: string) => T): Option<T> {
  return {env, defaultValue, parse, describe};
}

function integerIn(min: number, max: number): (text: string) => number {
  return text => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new Error(`must be an integer within [${min}, ${max}]`);
    }
    return value;
  };
}

function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error('must be a duration such as "30s" or "2.5s"');
  return ms;
}

function nonEmpty(text: string): string {
  if (text.trim() === '') throw new Error('must not be empty');
  return text;
}

function hostPort(text: string): string {
  if (!/^[\w.-]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(text)) throw new Error('must be host:port');
  return text;
}

/** Every option Gaffer reads; README's configuration table lists the same. */
export const OPTIONS = {
  port: option('PORT', 8080, 'port of the local server (0: any free port)', integerIn(0, 65535)),
  stateProjectId: option(
    'GAFFER_STATE_PROJECT',
    '',
    'project of the Firestore database and Pub/Sub topics Gaffer uses (default: GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT, else "gaffer-local")',
    nonEmpty,
  ),
  firestoreEmulatorHost: option<string | undefined>('FIRESTORE_EMULATOR_HOST', undefined, 'Firestore emulator', hostPort),
  pubsubEmulatorHost: option<string | undefined>('PUBSUB_EMULATOR_HOST', undefined, 'Pub/Sub emulator', hostPort),
  pageTokenSecret: option<string | undefined>(
    'GAFFER_PAGE_TOKEN_SECRET',
    undefined,
    'secret for page tokens (at least 32 characters)',
    text => {
      if (text.length < 32) throw new Error('must be at least 32 characters long');
      return text;
    },
  ),
  maxRequestBytes: option('GAFFER_MAX_REQUEST_BYTES', 256 * 1024, 'largest request body', integerIn(1024, 900 * 1024)),
  waitDefaultTimeoutMs: option('GAFFER_WAIT_DEFAULT_TIMEOUT', 60_000, 'operations.wait default timeout', durationMs),
  waitMaxTimeoutMs: option('GAFFER_WAIT_MAX_TIMEOUT', 300_000, 'operations.wait longest timeout', durationMs),
  accessMode: option<AccessMode>('GAFFER_ACCESS', 'loopback', 'who may call: iam (the default with GAFFER_CALLER_ISSUERS) or loopback', text => {
    if (text === 'invoker') {
      throw new Error(
        'no longer exists ("invoker" let everyone the platform admitted do everything): set GAFFER_ACCESS=iam with ' +
          'GAFFER_CALLER_ISSUERS, GAFFER_ADMINS and, behind Cloud Run\'s IAM check, GAFFER_PLATFORM_AUTH=true (README, Access control)',
      );
    }
    if (text !== 'loopback' && text !== 'iam') throw new Error('must be "iam" or "loopback"');
    return text;
  }),
  callerIssuers: option<CallerIssuer[]>('GAFFER_CALLER_ISSUERS', [], 'trusted issuers of callers\' ID tokens (JSON array or @file)', parseCallerIssuers),
  platformAuth: option('GAFFER_PLATFORM_AUTH', false, 'trust tokens Cloud Run\'s IAM check verified (their signature removed)', text => {
    if (text !== 'true' && text !== 'false') throw new Error('must be "true" or "false"');
    return text === 'true';
  }),
  admins: option<string[]>('GAFFER_ADMINS', [], 'members with roles/genomics.admin on every project (comma-separated)', parseMembers),
  inheritedBindings: option<IamBinding[]>('GAFFER_IAM_POLICY', [], 'IAM policy every project inherits (JSON or @file)', text =>
    parseInheritedPolicy(text, path => readFileSync(path, 'utf8')),
  ),
  policyCacheTtlMs: option('GAFFER_POLICY_CACHE_TTL', 10_000, 'how long an instance reuses a project\'s IAM policy', durationMs),
  pubSubTopics: option<string[]>(
    'GAFFER_PUBSUB_TOPICS',
    ['projects/{project}/topics/*'],
    'topics pipelines may name as pubSubTopic (comma-separated; * within a segment, {project}: the operation\'s)',
    text => {
      if (text.trim() === 'none') return [];
      const patterns = text.split(',').map(p => p.trim()).filter(p => p !== '');
      for (const pattern of patterns) {
        if (!/^projects\/[^/,\s]+\/topics\/[^/,\s]+$/.test(pattern)) {
          throw new Error(`must list topic patterns projects/PROJECT/topics/TOPIC ("*" within a segment, "{project}"), but has ${JSON.stringify(pattern)}`);
        }
      }
      return patterns;
    },
  ),
  requestIdTtlMs: option('GAFFER_REQUEST_ID_TTL', 7 * 24 * 3600_000, 'how long a pipelines.run request id is remembered', durationMs),
  outboxMaxRetryMs: option('GAFFER_OUTBOX_MAX_RETRY', 24 * 3600_000, 'how long a failing Pub/Sub message is retried before it is a dead letter', durationMs),
  unfencedReportDelayMs: option('GAFFER_UNFENCED_REPORT_DELAY', 120_000, 'how long after a grant reports without ?lease= are answered UNAVAILABLE (default 120s, at most the lease less two check-in intervals)', durationMs),
  maxTokenLifetimeMs: option('GAFFER_MAX_TOKEN_LIFETIME', 4 * 3600_000, 'longest validity of an identity token', text => {
    const ms = durationMs(text);
    if (ms < 60_000) throw new Error('must be at least "60s"');
    return ms;
  }),
  defaultPipelineTimeoutMs: option('GAFFER_DEFAULT_PIPELINE_TIMEOUT', 7 * 24 * 3600_000, 'timeout of pipelines that set none', durationMs),
  leaseDurationMs: option('GAFFER_LEASE_DURATION', 180_000, 'lease length after each check-in', durationMs),
  leaseGraceMs: option('GAFFER_LEASE_GRACE', 60_000, 'grace after a lease deadline', durationMs),
  checkInIntervalMs: option('GAFFER_CHECK_IN_INTERVAL', 30_000, 'check-in interval of a busy worker', durationMs),
  idleCheckInIntervalMs: option('GAFFER_IDLE_CHECK_IN_INTERVAL', 2_000, 'check-in interval of an idle worker', durationMs),
  idleRecordIntervalMs: option('GAFFER_IDLE_RECORD_INTERVAL', 30_000, 'how often an idle check-in is written', durationMs),
  sweepIntervalMs: option('GAFFER_SWEEP_INTERVAL', 60_000, 'how often npm start runs expireLeases', durationMs),
  checkInWaitMs: option('GAFFER_CHECK_IN_WAIT', 20_000, 'how long an idle check-in waits for work (0s: answer at once; at most 55s)', text => {
    const ms = durationMs(text);
    if (ms > 55_000) throw new Error('must be at most 55s (clients and load balancers time out at 60s)');
    return ms;
  }),
  sharedWindowMs: option('GAFFER_SHARED_WINDOW', 1000, 'how long one FIFO-window read serves an instance\'s later check-ins (0s: each reads its own)', durationMs),
  fairShareLabel: option('GAFFER_FAIR_SHARE_LABEL', 'user-id', 'label whose values take turns at a project\'s workers (none: plain FIFO)', text => {
    if (text === 'none') return '';
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(text)) throw new Error('must be a label key (lowercase letters, digits, _ and -; 63 at most) or none');
    return text;
  }),
  maxRunning: option<RunningCaps>('GAFFER_MAX_RUNNING', {}, 'most operations a project runs at once (N, or PROJECT=N,...,*=N)', parseRunningCaps),
  maxPreemptibleAttempts: option('GAFFER_MAX_PREEMPTIBLE_ATTEMPTS', 3, 'attempts of a preemptible pipeline', integerIn(1, 100)),
  workerIssuers: option<TrustedIssuer[]>('GAFFER_WORKER_ISSUERS', [], 'trusted worker token issuers (JSON array or @file)', parseTrustedIssuers),
  completionTopic: option('GAFFER_COMPLETION_TOPIC', 'gaffer-operations', 'topic of every completion', text => {
    if (!/^(projects\/[^/]+\/topics\/)?[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/.test(text)) {
      throw new Error('must be a topic id or projects/{project}/topics/{topic}');
    }
    return text;
  }),
  outboxIntervalMs: option('GAFFER_OUTBOX_INTERVAL', 10_000, 'how often npm start sweeps the outbox', durationMs),
  healthReportIntervalMs: option('GAFFER_HEALTH_REPORT_INTERVAL', 60_000, 'health report interval by default', durationMs),
  healthReportMinIntervalMs: option('GAFFER_HEALTH_REPORT_MIN_INTERVAL', 10_000, 'shortest health report interval', durationMs),
  healthReportMaxIntervalMs: option('GAFFER_HEALTH_REPORT_MAX_INTERVAL', 600_000, 'longest health report interval', durationMs),
  workerHistoryTtlMs: option('GAFFER_WORKER_HISTORY_TTL', 7 * 24 * 3600_000, 'how long worker samples are kept', durationMs),
  queueStatsIntervalMs: option('GAFFER_QUEUE_STATS_INTERVAL', 60_000, 'how often queue statistics are recorded', durationMs),
  queueStatsTtlMs: option('GAFFER_QUEUE_STATS_TTL', 7 * 24 * 3600_000, 'how long queue statistics are kept', durationMs),
  logTtlMs: option('GAFFER_LOG_TTL', 30 * 24 * 3600_000, 'how long what actions printed is kept', durationMs),
  locations: option('GAFFER_LOCATIONS', ['us-central1', 'europe-west2', 'europe-west4', 'asia-southeast1'], 'v2beta locations listed (comma-separated)', text => {
    const locations = text.split(',').map(l => l.trim());
    if (locations.some(l => !/^[a-z][a-z0-9-]{0,62}$/.test(l))) throw new Error('must be comma-separated locations such as us-central1,europe-west2');
    return locations;
  }),
  localStateDir: option<string | undefined>(
    'GAFFER_LOCAL_STATE',
    '.gaffer',
    'directory (relative to the working directory) where npm start keeps its emulators\' state; "none": start empty, keep nothing',
    text => (text === 'none' ? undefined : nonEmpty(text)),
  ),
  localStateIntervalMs: option('GAFFER_LOCAL_STATE_INTERVAL', 10_000, 'how often npm start snapshots its emulators\' state', text => {
    const ms = durationMs(text);
    if (ms < 1_000) throw new Error('must be at least "1s"');
    return ms;
  }),
} satisfies {[K in keyof Config]-?: Option<Config[K]>};

export class ConfigError extends Error {}

export function parseConfig(env: Env = process.env): Config {
  const read = <T>(opt: Option<T>): T => {
    const text = env[opt.env];
    if (text === undefined || text === '') return opt.defaultValue;
    try {
      return opt.parse(text);
    } catch (err) {
      throw new ConfigError(`${opt.env} ${(err as Error).message}, but was: ${JSON.stringify(text)}`);
    }
  };
  const config: Config = {
    port: read(OPTIONS.port),
    stateProjectId:
      read(OPTIONS.stateProjectId) || env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT || 'gaffer-local',
    firestoreEmulatorHost: read(OPTIONS.firestoreEmulatorHost),
    pubsubEmulatorHost: read(OPTIONS.pubsubEmulatorHost),
    pageTokenSecret: read(OPTIONS.pageTokenSecret),
    maxRequestBytes: read(OPTIONS.maxRequestBytes),
    waitDefaultTimeoutMs: read(OPTIONS.waitDefaultTimeoutMs),
    waitMaxTimeoutMs: read(OPTIONS.waitMaxTimeoutMs),
    accessMode: read(OPTIONS.accessMode),
    callerIssuers: read(OPTIONS.callerIssuers),
    platformAuth: read(OPTIONS.platformAuth),
    admins: read(OPTIONS.admins),
    inheritedBindings: read(OPTIONS.inheritedBindings),
    policyCacheTtlMs: read(OPTIONS.policyCacheTtlMs),
    maxTokenLifetimeMs: read(OPTIONS.maxTokenLifetimeMs),
    pubSubTopics: read(OPTIONS.pubSubTopics),
    requestIdTtlMs: read(OPTIONS.requestIdTtlMs),
    outboxMaxRetryMs: read(OPTIONS.outboxMaxRetryMs),
    unfencedReportDelayMs: read(OPTIONS.unfencedReportDelayMs),
    defaultPipelineTimeoutMs: read(OPTIONS.defaultPipelineTimeoutMs),
    leaseDurationMs: read(OPTIONS.leaseDurationMs),
    leaseGraceMs: read(OPTIONS.leaseGraceMs),
    checkInIntervalMs: read(OPTIONS.checkInIntervalMs),
    idleCheckInIntervalMs: read(OPTIONS.idleCheckInIntervalMs),
    idleRecordIntervalMs: read(OPTIONS.idleRecordIntervalMs),
    sweepIntervalMs: read(OPTIONS.sweepIntervalMs),
    checkInWaitMs: read(OPTIONS.checkInWaitMs),
    sharedWindowMs: read(OPTIONS.sharedWindowMs),
    fairShareLabel: read(OPTIONS.fairShareLabel),
    maxRunning: read(OPTIONS.maxRunning),
    maxPreemptibleAttempts: read(OPTIONS.maxPreemptibleAttempts),
    workerIssuers: read(OPTIONS.workerIssuers),
    completionTopic: read(OPTIONS.completionTopic),
    outboxIntervalMs: read(OPTIONS.outboxIntervalMs),
    healthReportIntervalMs: read(OPTIONS.healthReportIntervalMs),
    healthReportMinIntervalMs: read(OPTIONS.healthReportMinIntervalMs),
    healthReportMaxIntervalMs: read(OPTIONS.healthReportMaxIntervalMs),
    workerHistoryTtlMs: read(OPTIONS.workerHistoryTtlMs),
    logTtlMs: read(OPTIONS.logTtlMs),
    locations: read(OPTIONS.locations),
    queueStatsIntervalMs: read(OPTIONS.queueStatsIntervalMs),
    queueStatsTtlMs: read(OPTIONS.queueStatsTtlMs),
    localStateDir: read(OPTIONS.localStateDir),
    localStateIntervalMs: read(OPTIONS.localStateIntervalMs),
  };
  const explicitAccess = env[OPTIONS.accessMode.env];
  if (!explicitAccess) config.accessMode = config.callerIssuers.length > 0 ? 'iam' : 'loopback';
  if (config.accessMode === 'iam' && config.callerIssuers.length === 0) {
    throw new ConfigError(`${OPTIONS.accessMode.env}=iam needs ${OPTIONS.callerIssuers.env}: the issuers whose ID tokens identify callers`);
  }
  if (config.accessMode === 'loopback' && config.callerIssuers.length > 0) {
    throw new ConfigError(`${OPTIONS.accessMode.env}=loopback (development mode) contradicts ${OPTIONS.callerIssuers.env}; leave ${OPTIONS.accessMode.env} unset`);
  }
  const {healthReportMinIntervalMs: min, healthReportIntervalMs: mid, healthReportMaxIntervalMs: max} = config;
  if (!(min <= mid && mid <= max)) {
    throw new ConfigError('GAFFER_HEALTH_REPORT_MIN_INTERVAL <= GAFFER_HEALTH_REPORT_INTERVAL <= GAFFER_HEALTH_REPORT_MAX_INTERVAL must hold');
  }
  if (config.checkInIntervalMs * 2 > config.leaseDurationMs) {
    throw new ConfigError(
      `${OPTIONS.leaseDurationMs.env} must be at least twice ${OPTIONS.checkInIntervalMs.env}, so one lost check-in does not lose the lease`,
    );
  }
  if (!env[OPTIONS.unfencedReportDelayMs.env]) {
    // The default, within what the lease leaves: two check-in intervals before it runs out.
    config.unfencedReportDelayMs = Math.max(0, Math.min(config.unfencedReportDelayMs, config.leaseDurationMs - 2 * config.checkInIntervalMs));
  }
  if (config.unfencedReportDelayMs + config.checkInIntervalMs >= config.leaseDurationMs) {
    throw new ConfigError(
      `${OPTIONS.unfencedReportDelayMs.env} plus ${OPTIONS.checkInIntervalMs.env} must be less than ${OPTIONS.leaseDurationMs.env}, ` +
        'so a worker that presents no lease can report before its lease runs out',
    );
  }
  if (config.waitDefaultTimeoutMs > config.waitMaxTimeoutMs) {
    throw new ConfigError(
      `${OPTIONS.waitDefaultTimeoutMs.env} must not exceed ${OPTIONS.waitMaxTimeoutMs.env}`,
    );
  }
  return config;
}
