/**
 * Worker identity: verifies the signed JWT a worker presents when it checks in
 * (`workers/{token}:checkIn`, or `Authorization: Bearer <token>`), and says which
 * project and worker it speaks for.
 *
 * Trust is configured per issuer (GAFFER_WORKER_ISSUERS): Google Compute Engine
 * instance identity tokens, or any OIDC issuer such as a Kubernetes cluster's
 * service-account token issuer. Only asymmetric signatures are accepted, the token
 * must expire, and every failure is UNAUTHENTICATED with a reason and a message
 * telling the worker what to fix. The token itself never appears in a message.
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

export interface TrustedIssuer {
  /** 'gce': Google Compute Engine instance identity tokens (iss https://accounts.google.com;
   *  worker = google.compute_engine.instance_name claim, project =
   *  google.compute_engine.project_id; the VM must request the token with format=full).
   *  'oidc': any OIDC issuer (e.g. Kubernetes service-account tokens): worker = the
   *  `workerClaim` (default 'sub'), project = the `projectClaim` if configured, else the
   *  fixed `projectId` of this issuer config. */
  kind: 'gce' | 'oidc';
  /** Required `iss` (gce default 'https://accounts.google.com'). */
  issuer: string;
  /** Required `aud` (the token's aud is a string, or an array containing it). */
  audience: string;
  /** Path to a JWKS JSON file, read once when the verifier is created. */
  jwksFile?: string;
  /** JWKS URL, fetched and cached. gce default: https://www.googleapis.com/oauth2/v3/certs. */
  jwksUri?: string;
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

export interface WorkerIdentityVerifier {
  /** Throws UNAUTHENTICATED (missing/malformed/expired/bad signature/unknown issuer/wrong
   *  audience) with a clear message; never logs the token. */
  verify(token: string): Promise<WorkerIdentity>;
}

/** ErrorInfo reasons of the failures verify() raises. */
export const WorkerTokenReason = {
  MISSING: 'WORKER_TOKEN_MISSING',
  MALFORMED: 'WORKER_TOKEN_MALFORMED',
  EXPIRED: 'WORKER_TOKEN_EXPIRED',
  NOT_YET_VALID: 'WORKER_TOKEN_NOT_YET_VALID',
  INVALID_SIGNATURE: 'WORKER_TOKEN_INVALID_SIGNATURE',
  UNKNOWN_ISSUER: 'WORKER_TOKEN_UNKNOWN_ISSUER',
  WRONG_AUDIENCE: 'WORKER_TOKEN_WRONG_AUDIENCE',
  MISSING_CLAIM: 'WORKER_TOKEN_MISSING_CLAIM',
  /** UNAVAILABLE, not the worker's fault: the issuer's remote JWKS could not be fetched. */
  JWKS_UNAVAILABLE: 'WORKER_JWKS_UNAVAILABLE',
} as const;

export const GCE_ISSUER = 'https://accounts.google.com';
export const GCE_JWKS_URI = 'https://www.googleapis.com/oauth2/v3/certs';
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256', 'EdDSA'] as const;
/** Longest token accepted; real identity tokens are 1-2 KB. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

const CONFIG_SOURCE = 'GAFFER_WORKER_ISSUERS';
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
const GCE_WORKER_PATH = ['google', 'compute_engine', 'instance_name'];
const GCE_PROJECT_PATH = ['google', 'compute_engine', 'project_id'];
const ISSUER_KEYS: ReadonlySet<string> = new Set([
  'kind',
  'issuer',
  'audience',
  'jwksFile',
  'jwksUri',
  'workerClaim',
  'projectClaim',
  'projectId',
]);

// ---------------------------------------------------------------------------------------
// Configuration

/** Parses the GAFFER_WORKER_ISSUERS value: a JSON array of TrustedIssuer, or
 *  `@/path/to/file.json` to read it from a file. Throws Error with a precise message on any
 *  problem (unknown keys, missing audience, both/neither of jwksFile/jwksUri, gce with
 *  projectClaim, ...). Messages read after the variable's name ("GAFFER_WORKER_ISSUERS ..."). */
export function parseTrustedIssuers(text: string): TrustedIssuer[] {
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
      return validateIssuer(entry);
    } catch (err) {
      throw new Error(`entry [${index}]${where}: ${(err as Error).message}`, {cause: err});
    }
  });
  checkDuplicates(issuers, where);
  return issuers;
}

/** Validates and normalizes one issuer config (defaults filled in). */
function validateIssuer(entry: unknown): TrustedIssuer {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new Error(`must be a JSON object, but is ${describeJsonType(entry)}`);
  }
  const raw = entry as Record<string, unknown>;
  const unknown = Object.keys(raw).filter(key => !ISSUER_KEYS.has(key));
  if (unknown.length > 0) {
    throw new Error(
      `has unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map(k => JSON.stringify(k)).join(', ')}; ` +
        `allowed keys: ${[...ISSUER_KEYS].join(', ')}`,
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
  const kind = raw.kind;
  if (kind !== 'gce' && kind !== 'oidc') {
    throw new Error(
      kind === undefined
        ? '"kind" is required: "gce" or "oidc"'
        : `"kind" must be "gce" or "oidc", but is ${describeShort(kind)}`,
    );
  }
  const issuer = str('issuer') ?? (kind === 'gce' ? GCE_ISSUER : undefined);
  if (issuer === undefined) throw new Error('"issuer" is required for kind "oidc": the "iss" the tokens carry');
  const audience = str('audience');
  if (audience === undefined) throw new Error('"audience" is required: the "aud" the worker tokens carry');

  let jwksFile = str('jwksFile');
  let jwksUri = str('jwksUri');
  if (jwksFile !== undefined && jwksUri !== undefined) {
    throw new Error('set "jwksFile" or "jwksUri", not both');
  }
  if (jwksFile === undefined && jwksUri === undefined) {
    if (kind !== 'gce') throw new Error('needs the issuer\'s keys: set "jwksFile" (a JWKS JSON file) or "jwksUri"');
    jwksUri = GCE_JWKS_URI;
  }
  if (jwksUri !== undefined) checkJwksUri(jwksUri);
  if (jwksFile !== undefined) jwksFile = jwksFile.trim();

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
    return {kind, issuer, audience, ...(jwksFile ? {jwksFile} : {jwksUri})};
  }
  for (const [key, path] of [
    ['workerClaim', workerClaim],
    ['projectClaim', projectClaim],
  ] as const) {
    if (path !== undefined && path.split('.').some(part => part === '')) {
      throw new Error(`"${key}" must be a dotted claim path such as "kubernetes.io.pod.name", but is ${JSON.stringify(path)}`);
    }
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
    issuer,
    audience,
    ...(jwksFile ? {jwksFile} : {jwksUri}),
    workerClaim: workerClaim ?? 'sub',
    ...(projectClaim !== undefined ? {projectClaim} : {projectId}),
  };
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

function checkDuplicates(issuers: readonly TrustedIssuer[], where = ''): void {
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
// Verification

interface PreparedIssuer {
  config: TrustedIssuer;
  getKey: JWTVerifyGetKey;
  workerPath: string | readonly string[];
  projectPath?: string | readonly string[];
}

/** Thrown by the key getter when the issuer's key set itself failed (not the token). */
class KeySetFailure extends Error {
  constructor(readonly original: unknown) {
    super('key set failure');
  }
}

/** Creates the verifier. Reads every jwksFile now; throws Error (a startup configuration
 *  problem) when a config is invalid or a JWKS file is unreadable or not a public key set. */
export function createWorkerIdentityVerifier(
  issuers: readonly TrustedIssuer[],
  options: {clockToleranceSeconds?: number; now?: () => Date} = {},
): WorkerIdentityVerifier {
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 600) {
    throw new Error(`clockToleranceSeconds must be within [0, 600], but was ${tolerance}`);
  }
  const now = options.now ?? (() => new Date());
  const normalized = issuers.map((entry, index) => {
    try {
      return validateIssuer(entry);
    } catch (err) {
      throw new Error(`trusted issuer [${index}]: ${(err as Error).message}`, {cause: err});
    }
  });
  checkDuplicates(normalized);

  const byIssuer = new Map<string, PreparedIssuer[]>();
  for (const config of normalized) {
    const prepared: PreparedIssuer = {
      config,
      getKey: wrapKeySet(keySetOf(config)),
      workerPath: config.kind === 'gce' ? GCE_WORKER_PATH : config.workerClaim ?? 'sub',
      projectPath: config.kind === 'gce' ? GCE_PROJECT_PATH : config.projectClaim,
    };
    const list = byIssuer.get(config.issuer) ?? [];
    list.push(prepared);
    byIssuer.set(config.issuer, list);
  }
  return {verify: token => verifyToken(token, byIssuer, tolerance, now)};
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
function keySetOf(config: TrustedIssuer): JWTVerifyGetKey {
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

async function verifyToken(
  input: string,
  byIssuer: ReadonlyMap<string, PreparedIssuer[]>,
  tolerance: number,
  now: () => Date,
): Promise<WorkerIdentity> {
  if (typeof input !== 'string' || input.trim() === '') {
    throw unauthenticated(
      'MISSING',
      'No worker token was presented: send the worker\'s identity token (a signed JWT) in the check-in URL ' +
        '(workers/{token}:checkIn) or as "Authorization: Bearer <token>".',
    );
  }
  const token = input.trim();
  if (token.length > MAX_TOKEN_LENGTH) {
    throw unauthenticated(
      'MALFORMED',
      `The worker token is ${token.length} characters long; identity tokens are at most ${MAX_TOKEN_LENGTH}.`,
    );
  }
  const segments = token.split('.');
  if (segments.length !== 3) {
    throw unauthenticated(
      'MALFORMED',
      `The worker token is not a signed JWT: it has ${segments.length} segment${segments.length === 1 ? '' : 's'}, ` +
        'but a signed JWT has three base64url segments, header.payload.signature.',
    );
  }
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    throw unauthenticated(
      'MALFORMED',
      'The worker token is not a signed JWT: its header and payload must be base64url-encoded JSON objects.',
    );
  }

  const alg = header.alg;
  if (!(ALLOWED_ALGORITHMS as readonly unknown[]).includes(alg)) {
    throw unauthenticated(
      'INVALID_SIGNATURE',
      `The worker token's "alg" is ${describeShort(alg)}; Gaffer accepts only tokens signed with an asymmetric ` +
        `key: ${ALLOWED_ALGORITHMS.join(', ')}.`,
      {alg: String(alg)},
    );
  }

  const iss = claims.iss;
  if (typeof iss !== 'string' || iss === '') {
    throw unauthenticated('MISSING_CLAIM', 'The worker token has no "iss" (issuer) claim.', {claim: 'iss'});
  }
  const candidates = byIssuer.get(iss);
  const fallback = candidates?.[0];
  if (!candidates || !fallback) {
    throw unauthenticated(
      'UNKNOWN_ISSUER',
      `The worker token's issuer is ${describeShort(iss)}; this Gaffer trusts ${[...byIssuer.keys()]
        .map(i => JSON.stringify(i))
        .join(', ')} (${CONFIG_SOURCE}).`,
      {issuer: truncate(iss)},
    );
  }

  // Several configs may share an issuer with different audiences: pick by the unverified aud;
  // when none matches, still verify the signature first so a forgery is reported as one.
  const tokenAudiences = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  const chosen = candidates.find(c => tokenAudiences.includes(c.config.audience)) ?? fallback;
  const accepted = candidates.map(c => c.config.audience);
  const currentDate = now();
  const verifyOptions: JWTVerifyOptions = {
    issuer: iss,
    audience: accepted,
    algorithms: [...ALLOWED_ALGORITHMS],
    requiredClaims: ['exp', 'sub'],
    clockTolerance: tolerance,
    currentDate,
  };

  let payload: JWTPayload;
  try {
    payload = await verifyWithKeySet(token, chosen.getKey, verifyOptions);
  } catch (err) {
    throw translate(err, {iss, header, claims, accepted, currentDate, tolerance});
  }

  const nowSeconds = Math.floor(currentDate.getTime() / 1000);
  if (typeof payload.iat === 'number' && payload.iat > nowSeconds + tolerance) {
    throw unauthenticated(
      'NOT_YET_VALID',
      `The worker token was issued at ${isoSeconds(payload.iat)}, after Gaffer's clock (${currentDate.toISOString()}, ` +
        `tolerance ${tolerance}s); check the worker's clock.`,
      {issuer: iss},
    );
  }
  const exp = payload.exp as number;
  const start = typeof payload.nbf === 'number' ? payload.nbf : payload.iat;
  if (typeof start === 'number' && start >= exp) {
    throw unauthenticated('MALFORMED', 'The worker token\'s "exp" is not after its "nbf"/"iat".', {issuer: iss});
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw unauthenticated('MISSING_CLAIM', 'The worker token\'s "sub" claim must be a non-empty string.', {
      issuer: iss,
      claim: 'sub',
    });
  }

  const {config} = chosen;
  const workerId = readIdClaim(payload, chosen.workerPath, 'worker id', WORKER_ID, config);
  const projectId = chosen.projectPath
    ? readIdClaim(payload, chosen.projectPath, 'Google Cloud project ID', PROJECT_ID, config)
    : config.projectId;
  // validateIssuer made every oidc issuer have a projectClaim or a projectId.
  if (projectId === undefined) throw new Error(`issuer ${config.issuer} has neither projectClaim nor projectId`);
  return {projectId, workerId, issuer: iss, subject: payload.sub, expiresAt: new Date(exp * 1000)};
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
  iss: string;
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
  accepted: string[];
  currentDate: Date;
  tolerance: number;
}

function translate(err: unknown, ctx: FailureContext): GafferError {
  const {iss} = ctx;
  const meta = {issuer: truncate(iss)};
  if (err instanceof KeySetFailure) {
    return new GafferError(
      'UNAVAILABLE',
      `Gaffer could not load the signing keys of issuer ${JSON.stringify(iss)}; retry later.`,
      {reason: WorkerTokenReason.JWKS_UNAVAILABLE, metadata: meta},
    );
  }
  const clock = `Gaffer's clock: ${ctx.currentDate.toISOString()}, tolerance ${ctx.tolerance}s`;
  const e = err as {code?: unknown; claim?: unknown; reason?: unknown};
  switch (joseCode(err)) {
    case 'ERR_JWKS_NO_MATCHING_KEY': {
      const kid = typeof ctx.header.kid === 'string' ? `kid ${describeShort(ctx.header.kid)}` : 'no kid';
      return unauthenticated(
        'INVALID_SIGNATURE',
        `No key of issuer ${JSON.stringify(iss)} matches the worker token (${kid}, alg ${ctx.header.alg}); ` +
          'the token was not signed by this issuer, or its keys have rotated since Gaffer loaded them.',
        meta,
      );
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return unauthenticated(
        'INVALID_SIGNATURE',
        `The worker token's signature does not verify against the keys of issuer ${JSON.stringify(iss)}.`,
        meta,
      );
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
    case 'ERR_JWK_INVALID':
      return unauthenticated(
        'INVALID_SIGNATURE',
        `The worker token's signature (alg ${describeShort(ctx.header.alg)}) cannot be verified with the keys of ` +
          `issuer ${JSON.stringify(iss)}.`,
        meta,
      );
    case 'ERR_JWT_EXPIRED': {
      const exp = typeof ctx.claims.exp === 'number' ? ` at ${isoSeconds(ctx.claims.exp)}` : '';
      return unauthenticated(
        'EXPIRED',
        `The worker token expired${exp} (${clock}); fetch a fresh token from ${JSON.stringify(iss)}.`,
        meta,
      );
    }
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = typeof e.claim === 'string' ? e.claim : '';
      if (e.reason === 'missing') {
        return unauthenticated(
          'MISSING_CLAIM',
          claim === 'exp'
            ? 'The worker token has no "exp" claim; Gaffer accepts only tokens that expire.'
            : `The worker token has no ${JSON.stringify(claim)} claim.`,
          {...meta, claim},
        );
      }
      if (claim === 'aud') {
        return unauthenticated(
          'WRONG_AUDIENCE',
          `The worker token's audience is ${describeShort(ctx.claims.aud)}; this Gaffer accepts ` +
            `${ctx.accepted.map(a => JSON.stringify(a)).join(' or ')} for issuer ${JSON.stringify(iss)} (${CONFIG_SOURCE}).`,
          meta,
        );
      }
      if (claim === 'nbf' && e.reason === 'check_failed' && typeof ctx.claims.nbf === 'number') {
        return unauthenticated(
          'NOT_YET_VALID',
          `The worker token is not valid before ${isoSeconds(ctx.claims.nbf)} (${clock}); check the worker's clock.`,
          meta,
        );
      }
      return unauthenticated(
        'MALFORMED',
        `The worker token's ${JSON.stringify(claim)} claim is invalid: ${(err as Error).message}.`,
        {...meta, claim},
      );
    }
    default:
      return unauthenticated('MALFORMED', `The worker token could not be verified: it is not a valid signed JWT.`, meta);
  }
}

function readIdClaim(
  payload: JWTPayload,
  path: string | readonly string[],
  what: string,
  pattern: RegExp,
  config: TrustedIssuer,
): string {
  const name = typeof path === 'string' ? path : path.join('.');
  const value = typeof path === 'string' ? claimAtPath(payload, path) : claimAtSegments(payload, path);
  const meta = {issuer: truncate(config.issuer), claim: name};
  if (value === undefined) {
    const hint =
      config.kind === 'gce'
        ? '; request the instance identity token with format=full ' +
          '(metadata: instance/service-accounts/default/identity?audience=...&format=full)'
        : ` (the claim named by ${CONFIG_SOURCE} for issuer ${JSON.stringify(config.issuer)})`;
    throw unauthenticated('MISSING_CLAIM', `The worker token has no ${JSON.stringify(name)} claim${hint}.`, meta);
  }
  if (typeof value !== 'string' || !pattern.test(value)) {
    const hint =
      what === 'worker id' && typeof value === 'string' && value.includes(':')
        ? '; for Kubernetes service-account tokens set "workerClaim" to "kubernetes.io.pod.name"'
        : '';
    throw unauthenticated(
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

function claimAtSegments(claims: unknown, segments: readonly string[]): unknown {
  let node = claims;
  for (const key of segments) {
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

// ---------------------------------------------------------------------------------------
// Helpers

function unauthenticated(
  reason: Exclude<keyof typeof WorkerTokenReason, 'JWKS_UNAVAILABLE'>,
  message: string,
  metadata: Record<string, string> = {},
): GafferError {
  return new GafferError('UNAUTHENTICATED', message, {reason: WorkerTokenReason[reason], metadata});
}

function joseCode(err: unknown): string | undefined {
  const code = (err as {code?: unknown} | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

function truncate(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** A claim value for a message: JSON, shortened (claims are not secret; the token is). */
function describeShort(value: unknown): string {
  if (value === undefined) return 'missing';
  return truncate(JSON.stringify(value) ?? typeof value, 120);
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
