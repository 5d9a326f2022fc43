/**
 * Signed identity tokens (JWTs): one verifier, two policies. The verifier checks a
 * token's signature, issuer, audience, algorithm, validity window and lifetime against
 * the issuers configured for a policy, and says exactly what is wrong when it refuses.
 * A policy says whose token it is and what it proves:
 *
 * - workers (this file): the project and worker a check-in or WorkerMessages request
 *   speaks for (GAFFER_WORKER_ISSUERS): Google Compute Engine instance identity tokens,
 *   or any OIDC issuer such as a Kubernetes cluster's service-account token issuer;
 * - callers (callerIdentity.ts): who calls every other RPC, as IAM members
 *   (GAFFER_CALLER_ISSUERS): Google ID tokens, or any OIDC issuer.
 *
 * Only asymmetric signatures are accepted, the token must expire and may not be valid
 * for longer than a configured maximum, and every failure is UNAUTHENTICATED with a
 * reason and a message telling the caller what to fix. The token itself never appears in
 * a message. Behind Cloud Run's IAM check (GAFFER_PLATFORM_AUTH), a Google token in the
 * Authorization header arrives with its signature replaced by Google: the platform
 * verified it, and only then is it accepted without a signature.
 */
import {readFileSync} from 'fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type KeyLike,
  type ProtectedHeaderParameters,
} from 'jose';
import {GafferError} from './errors';
import {PROJECT_ID, WORKER_ID} from './names';

/** Where an issuer's tokens are checked against: its iss, the aud they carry, its keys. */
export interface IssuerKeys {
  /** Required `iss`. */
  issuer: string;
  /** Required `aud` (the token's aud is a string, or an array containing it). */
  audience: string;
  /** Path to a JWKS JSON file, read once when the verifier is created. */
  jwksFile?: string;
  /** JWKS URL, fetched and cached. */
  jwksUri?: string;
}

export interface TrustedIssuer extends IssuerKeys {
  /** 'gce': Google Compute Engine instance identity tokens (iss https://accounts.google.com;
   *  worker = google.compute_engine.instance_name claim, project =
   *  google.compute_engine.project_id; the VM must request the token with format=full).
   *  'oidc': any OIDC issuer (e.g. Kubernetes service-account tokens): worker = the
   *  `workerClaim` (default 'sub'), project = the `projectClaim` if configured, else the
   *  fixed `projectId` of this issuer config. */
  kind: 'gce' | 'oidc';
  /** oidc only: dotted path of the claim naming the worker; a key may itself contain dots
   *  ('kubernetes.io.pod.name' finds {"kubernetes.io": {"pod": {"name": ...}}}). */
  workerClaim?: string;
  /** oidc only: dotted path of the claim naming the project. */
  projectClaim?: string;
  /** oidc only: the project of every worker of this issuer (when there is no projectClaim). */
  projectId?: string;
}

export interface WorkerIdentity {
  projectId: string;
  workerId: string;
  issuer: string;
  subject: string;
  expiresAt: Date;
}

/** How a token reached Gaffer. */
export interface Presentation {
  /**
   * The platform in front of Gaffer (Cloud Run's IAM check, GAFFER_PLATFORM_AUTH) verified
   * this token and replaced its signature; set only for the header the platform checked.
   */
  platformVerified?: boolean;
}

export interface TokenVerifier<Identity> {
  /** Throws UNAUTHENTICATED (missing/malformed/expired/bad signature/unknown issuer/wrong
   *  audience/too long-lived) with a clear message; never logs the token. */
  verify(token: string, presentation?: Presentation): Promise<Identity>;
}

export type WorkerIdentityVerifier = TokenVerifier<WorkerIdentity>;

/** ErrorInfo reasons of the failures verify() raises for worker tokens. */
export const WorkerTokenReason = {
  MISSING: 'WORKER_TOKEN_MISSING',
  MALFORMED: 'WORKER_TOKEN_MALFORMED',
  EXPIRED: 'WORKER_TOKEN_EXPIRED',
  NOT_YET_VALID: 'WORKER_TOKEN_NOT_YET_VALID',
  INVALID_SIGNATURE: 'WORKER_TOKEN_INVALID_SIGNATURE',
  UNKNOWN_ISSUER: 'WORKER_TOKEN_UNKNOWN_ISSUER',
  WRONG_AUDIENCE: 'WORKER_TOKEN_WRONG_AUDIENCE',
  MISSING_CLAIM: 'WORKER_TOKEN_MISSING_CLAIM',
  /** The token is valid for longer than the configured maximum lifetime. */
  LIFETIME_TOO_LONG: 'WORKER_TOKEN_LIFETIME_TOO_LONG',
  /** UNAVAILABLE, not the worker's fault: the issuer's remote JWKS could not be fetched. */
  JWKS_UNAVAILABLE: 'WORKER_JWKS_UNAVAILABLE',
} as const;

/** The reasons a policy's refusals carry, one per kind of failure. */
export type TokenReasons = {readonly [K in keyof typeof WorkerTokenReason]: string};
export type TokenFailure = Exclude<keyof TokenReasons, 'JWKS_UNAVAILABLE'>;

export const GCE_ISSUER = 'https://accounts.google.com';
export const GCE_JWKS_URI = 'https://www.googleapis.com/oauth2/v3/certs';
/** The `iss` values of Google-signed ID tokens. */
export const GOOGLE_ISSUERS: readonly string[] = ['https://accounts.google.com', 'accounts.google.com'];
/** What Google's front end puts in place of the signature of a token it verified. */
export const SIGNATURE_REMOVED_BY_GOOGLE = 'SIGNATURE_REMOVED_BY_GOOGLE';
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256', 'EdDSA'] as const;
/** Longest token accepted; real identity tokens are 1-2 KB. */
export const MAX_TOKEN_LENGTH = 16 * 1024;
/** Longest validity (exp - iat) accepted unless configured: GCE and Google ID tokens last an hour. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 4 * 3600;

const WORKER_CONFIG_SOURCE = 'GAFFER_WORKER_ISSUERS';
const LIFETIME_SOURCE = 'GAFFER_MAX_TOKEN_LIFETIME';
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
const GCE_WORKER_PATH = ['google', 'compute_engine', 'instance_name'];
const GCE_PROJECT_PATH = ['google', 'compute_engine', 'project_id'];
const KEY_FIELDS = ['issuer', 'audience', 'jwksFile', 'jwksUri'] as const;
const WORKER_ISSUER_KEYS: ReadonlySet<string> = new Set(['kind', ...KEY_FIELDS, 'workerClaim', 'projectClaim', 'projectId']);

// ---------------------------------------------------------------------------------------
// Configuration, shared by both policies

/**
 * Parses a list of issuers: a JSON array, or `@/path/to/file.json` to read it from a file;
 * each entry checked by `validate`. Throws Error with a precise message on any problem;
 * messages read after the variable's name ("GAFFER_WORKER_ISSUERS ...").
 */
export function parseIssuerList<T extends IssuerKeys>(text: string, validate: (entry: unknown) => T): T[] {
  let json = text.trim();
  let where = '';
  if (json.startsWith('@')) {
    const path = json.slice(1).trim();
    if (path === '') throw new Error('must name a file after "@", as in "@/etc/gaffer/issuers.json"');
    try {
      json = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`names file ${JSON.stringify(path)}, which cannot be read: ${(err as Error).message}`, {cause: err});
    }
    where = ` (in file ${JSON.stringify(path)})`;
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(
      `must be a JSON array of trusted issuers, or "@" and the path of a file holding one${where}: ${
        (err as Error).message
      }`,
      {cause: err},
    );
  }
  if (!Array.isArray(value)) {
    throw new Error(`must be a JSON array of trusted issuers${where}, but the JSON is ${describeJsonType(value)}`);
  }
  if (value.length === 0) throw new Error(`must list at least one trusted issuer${where}`);
  const issuers = value.map((entry, index) => {
    try {
      return validate(entry);
    } catch (err) {
      throw new Error(`entry [${index}]${where}: ${(err as Error).message}`, {cause: err});
    }
  });
  checkDuplicates(issuers, where);
  return issuers;
}

/** An issuer entry as read: its keys checked against `allowed`, strings read strictly. */
export interface IssuerEntry {
  raw: Record<string, unknown>;
  /** A non-empty string without surrounding spaces, or undefined when absent. */
  str: (key: string) => string | undefined;
}

export function issuerEntry(entry: unknown, allowed: ReadonlySet<string>): IssuerEntry {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new Error(`must be a JSON object, but is ${describeJsonType(entry)}`);
  }
  const raw = entry as Record<string, unknown>;
  const unknown = Object.keys(raw).filter(key => !allowed.has(key));
  if (unknown.length > 0) {
    throw new Error(
      `has unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map(k => JSON.stringify(k)).join(', ')}; ` +
        `allowed keys: ${[...allowed].join(', ')}`,
    );
  }
  const str = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '' || v !== v.trim()) {
      throw new Error(`"${key}" must be a non-empty string without surrounding spaces, but is ${describeShort(v)}`);
    }
    return v;
  };
  return {raw, str};
}

/** The issuer, audience and keys of an entry; `defaults` fill in a well-known issuer's. */
export function issuerKeysOf(
  {str}: IssuerEntry,
  what: {kind: string; tokens: string; defaultIssuer?: string; defaultJwksUri?: string},
): IssuerKeys {
  const issuer = str('issuer') ?? what.defaultIssuer;
  if (issuer === undefined) throw new Error(`"issuer" is required for kind "${what.kind}": the "iss" the tokens carry`);
  const audience = str('audience');
  if (audience === undefined) throw new Error(`"audience" is required: the "aud" the ${what.tokens} carry`);
  let jwksFile = str('jwksFile');
  let jwksUri = str('jwksUri');
  if (jwksFile !== undefined && jwksUri !== undefined) {
    throw new Error('set "jwksFile" or "jwksUri", not both');
  }
  if (jwksFile === undefined && jwksUri === undefined) {
    if (what.defaultJwksUri === undefined) {
      throw new Error('needs the issuer\'s keys: set "jwksFile" (a JWKS JSON file) or "jwksUri"');
    }
    jwksUri = what.defaultJwksUri;
  }
  if (jwksUri !== undefined) checkJwksUri(jwksUri);
  if (jwksFile !== undefined) jwksFile = jwksFile.trim();
  return {issuer, audience, ...(jwksFile ? {jwksFile} : {jwksUri})};
}

/** Parses the GAFFER_WORKER_ISSUERS value: a JSON array of TrustedIssuer, or
 *  `@/path/to/file.json` to read it from a file. Throws Error with a precise message on any
 *  problem (unknown keys, missing audience, both/neither of jwksFile/jwksUri, gce with
 *  projectClaim, ...). Messages read after the variable's name ("GAFFER_WORKER_ISSUERS ..."). */
export function parseTrustedIssuers(text: string): TrustedIssuer[] {
  return parseIssuerList(text, validateIssuer);
}

/** Validates and normalizes one worker issuer config (defaults filled in). */
function validateIssuer(entry: unknown): TrustedIssuer {
  const read = issuerEntry(entry, WORKER_ISSUER_KEYS);
  const {raw, str} = read;
  const kind = raw.kind;
  if (kind !== 'gce' && kind !== 'oidc') {
    throw new Error(
      kind === undefined
        ? '"kind" is required: "gce" or "oidc"'
        : `"kind" must be "gce" or "oidc", but is ${describeShort(kind)}`,
    );
  }
  const keys = issuerKeysOf(read, {
    kind,
    tokens: 'worker tokens',
    ...(kind === 'gce' ? {defaultIssuer: GCE_ISSUER, defaultJwksUri: GCE_JWKS_URI} : {}),
  });
  const workerClaim = str('workerClaim');
  const projectClaim = str('projectClaim');
  const projectId = str('projectId');
  if (kind === 'gce') {
    const set = (['workerClaim', 'projectClaim', 'projectId'] as const).filter(k => raw[k] !== undefined);
    if (set.length > 0) {
      throw new Error(
        `${set.map(k => `"${k}"`).join(', ')} ${set.length === 1 ? 'applies' : 'apply'} only to kind "oidc"; kind "gce" takes the worker from ` +
          'google.compute_engine.instance_name and the project from google.compute_engine.project_id',
      );
    }
    return {kind, ...keys};
  }
  for (const [key, path] of [
    ['workerClaim', workerClaim],
    ['projectClaim', projectClaim],
  ] as const) {
    if (path !== undefined) checkClaimPath(key, path, 'kubernetes.io.pod.name');
  }
  if (projectClaim !== undefined && projectId !== undefined) {
    throw new Error('set "projectClaim" (the claim naming the project) or "projectId" (a fixed project), not both');
  }
  if (projectClaim === undefined && projectId === undefined) {
    throw new Error('needs the workers\' project: set "projectId" (a fixed project) or "projectClaim" (the claim naming it)');
  }
  if (projectId !== undefined && !PROJECT_ID.test(projectId)) {
    throw new Error(`"projectId" must be a Google Cloud project ID such as "my-project", but is ${JSON.stringify(projectId)}`);
  }
  return {
    kind,
    ...keys,
    workerClaim: workerClaim ?? 'sub',
    ...(projectClaim !== undefined ? {projectClaim} : {projectId}),
  };
}

export function checkClaimPath(key: string, path: string, example: string): void {
  if (path.split('.').some(part => part === '')) {
    throw new Error(`"${key}" must be a dotted claim path such as "${example}", but is ${JSON.stringify(path)}`);
  }
}

function checkJwksUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Error(`"jwksUri" must be an absolute URL, but is ${JSON.stringify(uri)}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`"jwksUri" must be an https URL (http only for localhost), but is ${JSON.stringify(uri)}`);
  }
}

function checkDuplicates(issuers: readonly IssuerKeys[], where = ''): void {
  const seen = new Set<string>();
  for (const [index, {issuer, audience}] of issuers.entries()) {
    const key = JSON.stringify([issuer, audience]);
    if (seen.has(key)) {
      throw new Error(
        `entry [${index}]${where}: issuer ${JSON.stringify(issuer)} with audience ${JSON.stringify(audience)} ` +
          'is listed twice; each issuer and audience pair may appear once',
      );
    }
    seen.add(key);
  }
}

// ---------------------------------------------------------------------------------------
// Policies

/** Builds a policy's refusal: UNAUTHENTICATED with the policy's reason for `failure`. */
export type Fail = (failure: TokenFailure, message: string, metadata?: Record<string, string>) => GafferError;

/** Whose tokens a verifier checks, and what a valid token proves. */
export interface TokenPolicy<Config extends IssuerKeys, Identity> {
  /** "worker token", "ID token": how messages name the token. */
  noun: string;
  /** "worker", "caller": whose clock a message suggests checking. */
  holder: string;
  reasons: TokenReasons;
  /** The option that lists the trusted issuers (messages point at it). */
  configSource: string;
  /** The message when no token was presented. */
  missing: string;
  /** Claims every token must carry (besides exp, always required). */
  requiredClaims: readonly string[];
  /** The identity a verified token proves; refuses with `fail` when it proves none. */
  identify(payload: JWTPayload, config: Config, fail: Fail): Identity;
}

const WORKER_POLICY: TokenPolicy<TrustedIssuer, WorkerIdentity> = {
  noun: 'worker token',
  holder: 'worker',
  reasons: WorkerTokenReason,
  configSource: WORKER_CONFIG_SOURCE,
  missing:
    'No worker token was presented: send the worker\'s identity token (a signed JWT) in the check-in URL ' +
    '(workers/{token}:checkIn) or as "Authorization: Bearer <token>".',
  requiredClaims: ['sub'],
  identify(payload, config, fail) {
    const workerPath = config.kind === 'gce' ? GCE_WORKER_PATH : config.workerClaim ?? 'sub';
    const projectPath = config.kind === 'gce' ? GCE_PROJECT_PATH : config.projectClaim;
    const workerId = readIdClaim(payload, workerPath, 'worker id', WORKER_ID, config, fail);
    const projectId = projectPath ? readIdClaim(payload, projectPath, 'Google Cloud project ID', PROJECT_ID, config, fail) : config.projectId;
    // validateIssuer made every oidc issuer have a projectClaim or a projectId.
    if (projectId === undefined) throw new Error(`issuer ${config.issuer} has neither projectClaim nor projectId`);
    return {projectId, workerId, issuer: String(payload.iss), subject: String(payload.sub), expiresAt: new Date(Number(payload.exp) * 1000)};
  },
};

// ---------------------------------------------------------------------------------------
// Verification

export interface VerifierOptions {
  clockToleranceSeconds?: number;
  now?: () => Date;
  /** Longest validity (exp - iat, or exp - nbf) a token may have; default 4 hours. */
  maxLifetimeSeconds?: number;
}

interface PreparedIssuer<Config extends IssuerKeys> {
  config: Config;
  getKey: JWTVerifyGetKey;
}

interface Prepared<Config extends IssuerKeys, Identity> {
  policy: TokenPolicy<Config, Identity>;
  byIssuer: ReadonlyMap<string, Array<PreparedIssuer<Config>>>;
  tolerance: number;
  maxLifetime: number;
  now: () => Date;
}

/** Thrown by the key getter when the issuer's key set itself failed (not the token). */
class KeySetFailure extends Error {
  constructor(readonly original: unknown) {
    super('key set failure');
  }
}

/**
 * The verifier of one policy over `issuers` (already validated; each may list several
 * `issuer` values through `alsoIssuers`). Reads every jwksFile now; throws Error (a
 * startup configuration problem) when a JWKS file is unreadable or not a public key set.
 */
export function createTokenVerifier<Config extends IssuerKeys, Identity>(
  issuers: ReadonlyArray<Config & {alsoIssuers?: readonly string[]}>,
  policy: TokenPolicy<Config, Identity>,
  options: VerifierOptions = {},
): TokenVerifier<Identity> {
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 600) {
    throw new Error(`clockToleranceSeconds must be within [0, 600], but was ${tolerance}`);
  }
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  if (!Number.isFinite(maxLifetime) || maxLifetime < 60) {
    throw new Error(`maxLifetimeSeconds must be at least 60, but was ${maxLifetime}`);
  }
  const byIssuer = new Map<string, Array<PreparedIssuer<Config>>>();
  for (const config of issuers) {
    const prepared: PreparedIssuer<Config> = {config, getKey: wrapKeySet(keySetOf(config))};
    for (const iss of [config.issuer, ...(config.alsoIssuers ?? [])]) {
      const list = byIssuer.get(iss) ?? [];
      list.push(prepared);
      byIssuer.set(iss, list);
    }
  }
  const prepared: Prepared<Config, Identity> = {policy, byIssuer, tolerance, maxLifetime, now: options.now ?? (() => new Date())};
  return {verify: (token, presentation) => verifyToken(token, prepared, presentation ?? {})};
}

/** Creates the worker verifier. Reads every jwksFile now; throws Error (a startup configuration
 *  problem) when a config is invalid or a JWKS file is unreadable or not a public key set. */
export function createWorkerIdentityVerifier(issuers: readonly TrustedIssuer[], options: VerifierOptions = {}): WorkerIdentityVerifier {
  const normalized = issuers.map((entry, index) => {
    try {
      return validateIssuer(entry);
    } catch (err) {
      throw new Error(`trusted issuer [${index}]: ${(err as Error).message}`, {cause: err});
    }
  });
  checkDuplicates(normalized);
  return createTokenVerifier(normalized, WORKER_POLICY, options);
}

const remoteKeySets = new Map<string, JWTVerifyGetKey>();

/** One cached remote key set per URL (jose caches the keys and rate-limits refetches). */
function remoteKeySet(uri: string): JWTVerifyGetKey {
  let set = remoteKeySets.get(uri);
  if (!set) {
    set = createRemoteJWKSet(new URL(uri));
    remoteKeySets.set(uri, set);
  }
  return set;
}

/** The issuer's keys: its JWKS file, or its JWKS URL (validateIssuer required one of them). */
function keySetOf(config: IssuerKeys): JWTVerifyGetKey {
  if (config.jwksFile !== undefined) return loadJwksFile(config.jwksFile);
  if (config.jwksUri !== undefined) return remoteKeySet(config.jwksUri);
  throw new Error(`issuer ${config.issuer} has neither jwksFile nor jwksUri`);
}

function loadJwksFile(path: string): JWTVerifyGetKey {
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`jwksFile ${JSON.stringify(path)} cannot be read as JSON: ${(err as Error).message}`, {cause: err});
  }
  const keys = (jwks as {keys?: unknown} | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new Error(`jwksFile ${JSON.stringify(path)} must hold a JSON Web Key Set: {"keys": [...]} with at least one key`);
  }
  for (const [index, key] of keys.entries()) {
    const jwk = key as JWK | null;
    if (jwk === null || typeof jwk !== 'object' || typeof jwk.kty !== 'string') {
      throw new Error(`jwksFile ${JSON.stringify(path)}: keys[${index}] is not a JSON Web Key`);
    }
    if (jwk.kty === 'oct') {
      throw new Error(`jwksFile ${JSON.stringify(path)}: keys[${index}] is a symmetric key; only public keys are accepted`);
    }
    if (jwk.d !== undefined) {
      throw new Error(
        `jwksFile ${JSON.stringify(path)}: keys[${index}] is a private key; publish only the public part`,
      );
    }
  }
  return createLocalJWKSet(jwks as {keys: JWK[]});
}

/** Marks key-set failures (fetch errors, invalid sets) so they are not blamed on the token. */
function wrapKeySet(getKey: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await getKey(header, token);
    } catch (err) {
      const code = joseCode(err);
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw err;
      throw new KeySetFailure(err);
    }
  };
}


async function verifyToken<Config extends IssuerKeys, Identity>(
  input: string,
  {policy, byIssuer, tolerance, maxLifetime, now}: Prepared<Config, Identity>,
  presentation: Presentation,
): Promise<Identity> {
  const {noun} = policy;
  const Noun = `The ${noun}`;
  const fail: Fail = (failure, message, metadata = {}) =>
    new GafferError('UNAUTHENTICATED', message, {reason: policy.reasons[failure], metadata});
  if (typeof input !== 'string' || input.trim() === '') throw fail('MISSING', policy.missing);
  const token = input.trim();
  if (token.length > MAX_TOKEN_LENGTH) {
    throw fail('MALFORMED', `${Noun} is ${token.length} characters long; identity tokens are at most ${MAX_TOKEN_LENGTH}.`);
  }
  const segments = token.split('.');
  if (segments.length !== 3) {
    throw fail(
      'MALFORMED',
      `${Noun} is not a signed JWT: it has ${segments.length} segment${segments.length === 1 ? '' : 's'}, ` +
        'but a signed JWT has three base64url segments, header.payload.signature.',
    );
  }
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    throw fail('MALFORMED', `${Noun} is not a signed JWT: its header and payload must be base64url-encoded JSON objects.`);
  }

  const alg = header.alg;
  if (!(ALLOWED_ALGORITHMS as readonly unknown[]).includes(alg)) {
    throw fail(
      'INVALID_SIGNATURE',
      `${Noun}'s "alg" is ${describeShort(alg)}; Gaffer accepts only tokens signed with an asymmetric ` +
        `key: ${ALLOWED_ALGORITHMS.join(', ')}.`,
      {alg: String(alg)},
    );
  }

  const iss = claims.iss;
  if (typeof iss !== 'string' || iss === '') {
    throw fail('MISSING_CLAIM', `${Noun} has no "iss" (issuer) claim.`, {claim: 'iss'});
  }
  const candidates = byIssuer.get(iss);
  const fallback = candidates?.[0];
  if (!candidates || !fallback) {
    throw fail(
      'UNKNOWN_ISSUER',
      `${Noun}'s issuer is ${describeShort(iss)}; this Gaffer trusts ${[...byIssuer.keys()]
        .map(i => JSON.stringify(i))
        .join(', ')} (${policy.configSource}).`,
      {issuer: truncate(iss)},
    );
  }

  // Several configs may share an issuer with different audiences: pick by the unverified aud;
  // when none matches, still verify the signature first so a forgery is reported as one.
  const tokenAudiences = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  const chosen = candidates.find(c => tokenAudiences.includes(c.config.audience)) ?? fallback;
  const accepted = candidates.map(c => c.config.audience);
  const currentDate = now();
  const nowSeconds = Math.floor(currentDate.getTime() / 1000);
  const meta = {issuer: truncate(iss)};

  let payload: JWTPayload;
  if (segments[2] === SIGNATURE_REMOVED_BY_GOOGLE) {
    payload = acceptPlatformVerified(claims, {noun: Noun, iss, presentation, nowSeconds, currentDate, tolerance, fail, meta});
  } else {
    const verifyOptions: JWTVerifyOptions = {
      issuer: iss,
      audience: accepted,
      algorithms: [...ALLOWED_ALGORITHMS],
      requiredClaims: ['exp', ...policy.requiredClaims],
      clockTolerance: tolerance,
      currentDate,
    };
    try {
      payload = await verifyWithKeySet(token, chosen.getKey, verifyOptions);
    } catch (err) {
      throw translate(err, {policy, fail, iss, header, claims, accepted, currentDate, tolerance});
    }
  }

  if (typeof payload.iat === 'number' && payload.iat > nowSeconds + tolerance) {
    throw fail(
      'NOT_YET_VALID',
      `${Noun} was issued at ${isoSeconds(payload.iat)}, after Gaffer's clock (${currentDate.toISOString()}, ` +
        `tolerance ${tolerance}s); check the ${policy.holder}'s clock.`,
      meta,
    );
  }
  const exp = payload.exp as number;
  const start = typeof payload.nbf === 'number' ? payload.nbf : payload.iat;
  if (typeof start === 'number' && start >= exp) {
    throw fail('MALFORMED', `${Noun}'s "exp" is not after its "nbf"/"iat".`, meta);
  }
  // A token valid for a century is a standing credential, not an identity token.
  const lifetime = exp - (typeof start === 'number' ? start : nowSeconds);
  if (lifetime > maxLifetime) {
    throw fail(
      'LIFETIME_TOO_LONG',
      `${Noun} is valid for ${formatSeconds(lifetime)} (${typeof start === 'number' ? `from ${isoSeconds(start)} ` : ''}until ` +
        `${isoSeconds(exp)}); Gaffer accepts tokens valid for at most ${formatSeconds(maxLifetime)} (${LIFETIME_SOURCE}): ` +
        'use a short-lived token, as GCE (1 hour) and Kubernetes projected tokens (expirationSeconds) are.',
      {...meta, lifetimeSeconds: String(lifetime), maxLifetimeSeconds: String(maxLifetime)},
    );
  }
  for (const claim of policy.requiredClaims) {
    const value = payload[claim];
    if (typeof value !== 'string' || value === '') {
      throw fail('MISSING_CLAIM', `${Noun}'s "${claim}" claim must be a non-empty string.`, {...meta, claim});
    }
  }
  return policy.identify(payload, chosen.config, fail);
}

interface PlatformContext {
  noun: string;
  iss: string;
  presentation: Presentation;
  nowSeconds: number;
  currentDate: Date;
  tolerance: number;
  fail: Fail;
  meta: Record<string, string>;
}

/**
 * A token whose signature Google's front end replaced after verifying it (Cloud Run's IAM
 * check): accepted only where the platform checked it (GAFFER_PLATFORM_AUTH, and the header
 * it checked), only for Google's issuer, and only while valid. The audience is the
 * platform's to check: it admitted the token for this very service.
 */
function acceptPlatformVerified(claims: JWTPayload, ctx: PlatformContext): JWTPayload {
  const {noun, fail, meta, nowSeconds, tolerance, currentDate} = ctx;
  if (!ctx.presentation.platformVerified) {
    throw fail(
      'INVALID_SIGNATURE',
      `${noun} carries no signature: Google's front end removed it after Cloud Run's IAM check. Gaffer accepts such ` +
        'a token only in the Authorization header of a deployment behind that check (GAFFER_PLATFORM_AUTH=true); ' +
        'anywhere else it must be signed.',
      meta,
    );
  }
  if (!GOOGLE_ISSUERS.includes(ctx.iss)) {
    throw fail('INVALID_SIGNATURE', `${noun} carries no signature, and only Google's own tokens are verified by the platform.`, meta);
  }
  if (typeof claims.exp !== 'number') {
    throw fail('MISSING_CLAIM', `${noun} has no "exp" claim; Gaffer accepts only tokens that expire.`, {...meta, claim: 'exp'});
  }
  if (claims.exp + tolerance <= nowSeconds) {
    throw fail('EXPIRED', `${noun} expired at ${isoSeconds(claims.exp)} (Gaffer's clock: ${currentDate.toISOString()}, tolerance ${tolerance}s).`, meta);
  }
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds + tolerance) {
    throw fail('NOT_YET_VALID', `${noun} is not valid before ${isoSeconds(claims.nbf)}.`, meta);
  }
  return claims;
}

/** jwtVerify, trying each candidate key when the token names no kid and several keys fit. */
async function verifyWithKeySet(
  token: string,
  getKey: JWTVerifyGetKey,
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, getKey, options)).payload;
  } catch (err) {
    if (joseCode(err) !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' || !(Symbol.asyncIterator in (err as object))) throw err;
    for await (const key of err as AsyncIterable<KeyLike>) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (inner) {
        if (joseCode(inner) !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw inner;
      }
    }
    throw Object.assign(new Error('no key verified the signature'), {code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'});
  }
}

interface FailureContext {
  policy: TokenPolicy<IssuerKeys, unknown>;
  fail: Fail;
  iss: string;
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
  accepted: string[];
  currentDate: Date;
  tolerance: number;
}

function translate(err: unknown, ctx: FailureContext): GafferError {
  const {iss, policy, fail: unauthenticated} = ctx;
  const Noun = `The ${policy.noun}`;
  const meta = {issuer: truncate(iss)};
  if (err instanceof KeySetFailure) {
    return new GafferError(
      'UNAVAILABLE',
      `Gaffer could not load the signing keys of issuer ${JSON.stringify(iss)}; retry later.`,
      {reason: policy.reasons.JWKS_UNAVAILABLE, metadata: meta},
    );
  }
  const clock = `Gaffer's clock: ${ctx.currentDate.toISOString()}, tolerance ${ctx.tolerance}s`;
  const e = err as {code?: unknown; claim?: unknown; reason?: unknown};
  switch (joseCode(err)) {
    case 'ERR_JWKS_NO_MATCHING_KEY': {
      const kid = typeof ctx.header.kid === 'string' ? `kid ${describeShort(ctx.header.kid)}` : 'no kid';
      return unauthenticated(
        'INVALID_SIGNATURE',
        `No key of issuer ${JSON.stringify(iss)} matches the ${policy.noun} (${kid}, alg ${ctx.header.alg}); ` +
          'the token was not signed by this issuer, or its keys have rotated since Gaffer loaded them.',
        meta,
      );
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return unauthenticated(
        'INVALID_SIGNATURE',
        `${Noun}'s signature does not verify against the keys of issuer ${JSON.stringify(iss)}.`,
        meta,
      );
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
    case 'ERR_JWK_INVALID':
      return unauthenticated(
        'INVALID_SIGNATURE',
        `${Noun}'s signature (alg ${describeShort(ctx.header.alg)}) cannot be verified with the keys of ` +
          `issuer ${JSON.stringify(iss)}.`,
        meta,
      );
    case 'ERR_JWT_EXPIRED': {
      const exp = typeof ctx.claims.exp === 'number' ? ` at ${isoSeconds(ctx.claims.exp)}` : '';
      return unauthenticated(
        'EXPIRED',
        `${Noun} expired${exp} (${clock}); fetch a fresh token from ${JSON.stringify(iss)}.`,
        meta,
      );
    }
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = typeof e.claim === 'string' ? e.claim : '';
      if (e.reason === 'missing') {
        return unauthenticated(
          'MISSING_CLAIM',
          claim === 'exp'
            ? `${Noun} has no "exp" claim; Gaffer accepts only tokens that expire.`
            : `${Noun} has no ${JSON.stringify(claim)} claim.`,
          {...meta, claim},
        );
      }
      if (claim === 'aud') {
        return unauthenticated(
          'WRONG_AUDIENCE',
          `${Noun}'s audience is ${describeShort(ctx.claims.aud)}; this Gaffer accepts ` +
            `${ctx.accepted.map(a => JSON.stringify(a)).join(' or ')} for issuer ${JSON.stringify(iss)} (${policy.configSource}).`,
          meta,
        );
      }
      if (claim === 'nbf' && e.reason === 'check_failed' && typeof ctx.claims.nbf === 'number') {
        return unauthenticated(
          'NOT_YET_VALID',
          `${Noun} is not valid before ${isoSeconds(ctx.claims.nbf)} (${clock}); check the ${policy.holder}'s clock.`,
          meta,
        );
      }
      return unauthenticated(
        'MALFORMED',
        `${Noun}'s ${JSON.stringify(claim)} claim is invalid: ${(err as Error).message}.`,
        {...meta, claim},
      );
    }
    default:
      return unauthenticated('MALFORMED', `${Noun} could not be verified: it is not a valid signed JWT.`, meta);
  }
}

function readIdClaim(
  payload: JWTPayload,
  path: string | readonly string[],
  what: string,
  pattern: RegExp,
  config: TrustedIssuer,
  fail: Fail,
): string {
  const name = typeof path === 'string' ? path : path.join('.');
  const value = typeof path === 'string' ? claimAtPath(payload, path) : claimAtSegments(payload, path);
  const meta = {issuer: truncate(config.issuer), claim: name};
  if (value === undefined) {
    const hint =
      config.kind === 'gce'
        ? '; request the instance identity token with format=full ' +
          '(metadata: instance/service-accounts/default/identity?audience=...&format=full)'
        : ` (the claim named by ${WORKER_CONFIG_SOURCE} for issuer ${JSON.stringify(config.issuer)})`;
    throw fail('MISSING_CLAIM', `The worker token has no ${JSON.stringify(name)} claim${hint}.`, meta);
  }
  if (typeof value !== 'string' || !pattern.test(value)) {
    const hint =
      what === 'worker id' && typeof value === 'string' && value.includes(':')
        ? '; for Kubernetes service-account tokens set "workerClaim" to "kubernetes.io.pod.name"'
        : '';
    throw fail(
      'MISSING_CLAIM',
      `The worker token's ${JSON.stringify(name)} claim must be a ${what}` +
        (what === 'worker id' ? ' (a letter or digit, then up to 127 letters, digits, ".", "_" or "-")' : '') +
        `, but is ${describeShort(value)}${hint}.`,
      meta,
    );
  }
  return value;
}

/** The value at a dotted path, where a key may itself contain dots: at each level the
 *  longest key that exists is tried first, then shorter ones ("kubernetes.io.pod.name"
 *  finds {"kubernetes.io": {"pod": {"name": ...}}}). Own properties only. */
export function claimAtPath(claims: unknown, path: string): unknown {
  return lookup(claims, path.split('.'), 0);
}

function lookup(node: unknown, parts: readonly string[], from: number): unknown {
  if (from === parts.length) return node;
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  for (let to = parts.length; to > from; to--) {
    const key = parts.slice(from, to).join('.');
    if (Object.prototype.hasOwnProperty.call(node, key)) {
      const found = lookup((node as Record<string, unknown>)[key], parts, to);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

export function claimAtSegments(claims: unknown, segments: readonly string[]): unknown {
  let node = claims;
  for (const key of segments) {
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

// ---------------------------------------------------------------------------------------
// Helpers

function joseCode(err: unknown): string | undefined {
  const code = (err as {code?: unknown} | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

export function truncate(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** A claim value for a message: JSON, shortened (claims are not secret; the token is). */
export function describeShort(value: unknown): string {
  if (value === undefined) return 'missing';
  return truncate(JSON.stringify(value) ?? typeof value, 120);
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** 14400 -> "4h", 90 -> "1m30s", 3155760000 -> "876600h". */
function formatSeconds(total: number): string {
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = Math.floor(total % 60);
  return [hours ? `${hours}h` : '', minutes ? `${minutes}m` : '', seconds || total < 60 ? `${seconds}s` : ''].join('');
}
