/**
 * Caller identity: the second policy of the token verifier (identity.ts). Every RPC but
 * check-in and worker messages is called with `Authorization: Bearer <ID token>`; a valid
 * token proves IAM members: `user:EMAIL` (or `serviceAccount:EMAIL` for a Google service
 * account), `domain:DOMAIN` (a Google Workspace token's `hd`), `group:NAME` (from a
 * configured groups claim). Trusted issuers come from GAFFER_CALLER_ISSUERS:
 *
 * - `google`: Google ID tokens (iss https://accounts.google.com or accounts.google.com,
 *   Google's keys): what `gcloud auth print-identity-token` prints, what a service account
 *   or a VM mints for an audience, and what Cloud Run's IAM check verified. The e-mail
 *   must be verified (`email_verified: true`).
 * - `oidc`: any OIDC issuer, keys from `jwksFile` or `jwksUri`; the e-mail is `emailClaim`
 *   (default "email", verified unless `trustUnverifiedEmail`), groups are `groupsClaim`
 *   (default "groups"), a domain `domainClaim` (default none).
 */
import type {JWTPayload} from 'jose';
import {
  GCE_JWKS_URI,
  GOOGLE_ISSUERS,
  IssuerKeys,
  TokenPolicy,
  TokenVerifier,
  VerifierOptions,
  checkClaimPath,
  claimAtPath,
  createTokenVerifier,
  describeShort,
  issuerEntry,
  issuerKeysOf,
  parseIssuerList,
  truncate,
} from './identity';

export interface CallerIssuer extends IssuerKeys {
  kind: 'google' | 'oidc';
  /** oidc: dotted path of the claim holding the caller's e-mail (default "email"). */
  emailClaim?: string;
  /** Dotted path of a claim listing the caller's groups (`group:` members); oidc default "groups", google none. */
  groupsClaim?: string;
  /** oidc: dotted path of a claim naming the caller's domain (`domain:` member); google uses `hd`. */
  domainClaim?: string;
  /** oidc: accept an e-mail the issuer does not mark verified (`email_verified`); default false. */
  trustUnverifiedEmail?: boolean;
}

/** Who a caller's token proves it is. */
export interface CallerIdentity {
  /** The member that acts and is recorded: user:EMAIL or serviceAccount:EMAIL. */
  member: string;
  /** Every member the caller is: the member itself, its domain and groups. */
  members: string[];
  issuer: string;
  subject: string;
  expiresAt: Date;
}

export type CallerIdentityVerifier = TokenVerifier<CallerIdentity>;

/** ErrorInfo reasons of the refusals of callers' ID tokens. */
export const CallerTokenReason = {
  MISSING: 'ID_TOKEN_MISSING',
  MALFORMED: 'ID_TOKEN_MALFORMED',
  EXPIRED: 'ID_TOKEN_EXPIRED',
  NOT_YET_VALID: 'ID_TOKEN_NOT_YET_VALID',
  INVALID_SIGNATURE: 'ID_TOKEN_INVALID_SIGNATURE',
  UNKNOWN_ISSUER: 'ID_TOKEN_UNKNOWN_ISSUER',
  WRONG_AUDIENCE: 'ID_TOKEN_WRONG_AUDIENCE',
  MISSING_CLAIM: 'ID_TOKEN_MISSING_CLAIM',
  LIFETIME_TOO_LONG: 'ID_TOKEN_LIFETIME_TOO_LONG',
  JWKS_UNAVAILABLE: 'ID_TOKEN_JWKS_UNAVAILABLE',
} as const;

export const CALLER_CONFIG_SOURCE = 'GAFFER_CALLER_ISSUERS';
const GOOGLE_ISSUER = 'https://accounts.google.com';
const KEYS: ReadonlySet<string> = new Set([
  'kind',
  'issuer',
  'audience',
  'jwksFile',
  'jwksUri',
  'emailClaim',
  'groupsClaim',
  'domainClaim',
  'trustUnverifiedEmail',
]);
const SERVICE_ACCOUNT_DOMAIN = /\.gserviceaccount\.com$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const MAX_GROUPS = 200;

/** Parses GAFFER_CALLER_ISSUERS: a JSON array of CallerIssuer, or `@/path/to/file.json`. */
export function parseCallerIssuers(text: string): CallerIssuer[] {
  return parseIssuerList(text, validateCallerIssuer);
}

function validateCallerIssuer(entry: unknown): CallerIssuer {
  const read = issuerEntry(entry, KEYS);
  const {raw, str} = read;
  const kind = raw.kind;
  if (kind !== 'google' && kind !== 'oidc') {
    throw new Error(
      kind === undefined ? '"kind" is required: "google" or "oidc"' : `"kind" must be "google" or "oidc", but is ${describeShort(kind)}`,
    );
  }
  const keys = issuerKeysOf(read, {
    kind,
    tokens: 'callers\' ID tokens',
    ...(kind === 'google' ? {defaultIssuer: GOOGLE_ISSUER, defaultJwksUri: GCE_JWKS_URI} : {}),
  });
  if (kind === 'google' && !GOOGLE_ISSUERS.includes(keys.issuer)) {
    throw new Error(`"issuer" of kind "google" must be one of ${GOOGLE_ISSUERS.join(', ')} (or left out)`);
  }
  const claims: Partial<Record<'emailClaim' | 'groupsClaim' | 'domainClaim', string>> = {};
  for (const key of ['emailClaim', 'groupsClaim', 'domainClaim'] as const) {
    const path = str(key);
    if (path === undefined) continue;
    if (kind === 'google' && key !== 'groupsClaim') {
      throw new Error(`"${key}" applies only to kind "oidc"; Google ID tokens carry "email" and "hd"`);
    }
    checkClaimPath(key, path, 'https://example.com/groups');
    claims[key] = path;
  }
  const trust = raw.trustUnverifiedEmail;
  if (trust !== undefined && typeof trust !== 'boolean') throw new Error(`"trustUnverifiedEmail" must be true or false, but is ${describeShort(trust)}`);
  if (kind === 'google' && trust !== undefined) throw new Error('"trustUnverifiedEmail" applies only to kind "oidc": Google\'s e-mails must be verified');
  return {
    kind,
    ...keys,
    ...claims,
    ...(kind === 'oidc' && claims.groupsClaim === undefined ? {groupsClaim: 'groups'} : {}),
    ...(trust ? {trustUnverifiedEmail: true} : {}),
  };
}

const CALLER_POLICY: TokenPolicy<CallerIssuer, CallerIdentity> = {
  noun: 'ID token',
  holder: 'caller',
  reasons: CallerTokenReason,
  configSource: CALLER_CONFIG_SOURCE,
  missing:
    'This RPC needs the caller\'s identity: send an ID token as "Authorization: Bearer <token>" ' +
    '(e.g. `gcloud auth print-identity-token`).',
  requiredClaims: ['sub'],
  identify(payload, config, fail) {
    const meta = {issuer: truncate(config.issuer)};
    const emailPath = config.kind === 'google' ? 'email' : config.emailClaim ?? 'email';
    const email = claimAtPath(payload, emailPath);
    if (typeof email !== 'string' || !EMAIL.test(email)) {
      throw fail(
        'MISSING_CLAIM',
        `The ID token has no e-mail ("${emailPath}" claim)` +
          (config.kind === 'google'
            ? '; mint it with the e-mail included (gcloud auth print-identity-token --include-email for a service account, ' +
              'format=full on a VM).'
            : `; configure "emailClaim" for issuer ${JSON.stringify(config.issuer)} (${CALLER_CONFIG_SOURCE}).`),
        {...meta, claim: emailPath},
      );
    }
    if (payload.email_verified !== true && !(config.kind === 'oidc' && config.trustUnverifiedEmail)) {
      throw fail('MISSING_CLAIM', `The ID token's e-mail ${JSON.stringify(email)} is not verified ("email_verified" is not true).`, {
        ...meta,
        claim: 'email_verified',
      });
    }
    const address = email.toLowerCase();
    const member = config.kind === 'google' && SERVICE_ACCOUNT_DOMAIN.test(address) ? `serviceAccount:${address}` : `user:${address}`;
    const members = [member];
    const domain = config.kind === 'google' ? payload.hd : config.domainClaim ? claimAtPath(payload, config.domainClaim) : undefined;
    if (typeof domain === 'string' && domain !== '') members.push(`domain:${domain.toLowerCase()}`);
    if (config.groupsClaim) members.push(...groupsOf(payload, config.groupsClaim));
    return {
      member,
      members,
      issuer: String(payload.iss),
      subject: String(payload.sub),
      expiresAt: new Date(Number(payload.exp) * 1000),
    };
  },
};

function groupsOf(payload: JWTPayload, path: string): string[] {
  const value = claimAtPath(payload, path);
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  return list
    .filter((g): g is string => typeof g === 'string' && g !== '' && !/\s/.test(g))
    .slice(0, MAX_GROUPS)
    .map(g => `group:${g.toLowerCase()}`);
}

/** The callers' verifier: Google issuers accept both spellings of Google's `iss`. */
export function createCallerIdentityVerifier(issuers: readonly CallerIssuer[], options: VerifierOptions = {}): CallerIdentityVerifier {
  const prepared = issuers.map(config =>
    config.kind === 'google' ? {...config, alsoIssuers: GOOGLE_ISSUERS.filter(i => i !== config.issuer)} : config,
  );
  return createTokenVerifier(prepared, CALLER_POLICY, options);
}
