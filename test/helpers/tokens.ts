/**
 * Worker identity tokens for integration tests: signing keys this test process makes,
 * JWKS files for them, the issuers Gaffer is told to trust, and the claims of a GCE
 * instance identity token and of a Kubernetes projected service-account token.
 *
 * Gaffer's verifier uses the real clock, so claims are made around Date.now().
 */
import {mkdtempSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import {exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike} from 'jose';
import type {CallerIssuer} from '../../src/core/callerIdentity';
import type {TrustedIssuer} from '../../src/core/identity';

export const GCE_ISS = 'https://accounts.google.com';
export const GCE_AUD = 'https://gaffer.test';
export const K8S_ISS = 'https://kubernetes.default.svc';
export const K8S_AUD = 'gaffer';

/** A signing key and its public JWK (with kid, alg and use). */
export interface KeyPair {
  privateKey: KeyLike;
  publicJwk: JWK;
}

export async function keyPair(alg: 'RS256' | 'ES256', kid: string): Promise<KeyPair> {
  const {privateKey, publicKey} = await generateKeyPair(alg);
  return {privateKey, publicJwk: {...(await exportJWK(publicKey)), kid, alg, use: 'sig'}};
}

/** A compact JWS of `claims` by `key`; the header names the key's alg and kid, plus `header` (typ JWT unless told). */
export function sign(key: KeyPair, claims: JWTPayload, header: {typ?: string} = {typ: 'JWT'}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({alg: key.publicJwk.alg!, kid: key.publicJwk.kid!, ...header})
    .sign(key.privateKey);
}

/** Writes a JWKS file of the keys' public halves. */
export function writeJwks(file: string, keys: KeyPair[]): void {
  writeFileSync(file, JSON.stringify({keys: keys.map(k => k.publicJwk)}));
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A GCE instance identity token's claims (format=full) for instance `worker` of `project`. */
export function gceClaims(project: string, worker: string, overrides: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return {
    iss: GCE_ISS,
    aud: GCE_AUD,
    sub: '112233445566778899',
    azp: '112233445566778899',
    iat: now - 5,
    exp: now + 3595,
    google: {
      compute_engine: {
        project_id: project,
        project_number: 123456789012,
        zone: 'us-central1-a',
        instance_id: '1234567890123456789',
        instance_name: worker,
        instance_creation_timestamp: now - 600,
      },
    },
    ...overrides,
  };
}

export const K8S_POD_UID = '5e9b1b0f-0000-4000-8000-000000000001';

/** A Kubernetes projected service-account token's claims for pod `pod`. */
export function k8sClaims(pod: string, overrides: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return {
    iss: K8S_ISS,
    aud: [K8S_AUD],
    sub: 'system:serviceaccount:batch:gaffer-worker',
    iat: now - 5,
    nbf: now - 5,
    exp: now + 600,
    'kubernetes.io': {
      namespace: 'batch',
      pod: {name: pod, uid: K8S_POD_UID},
      serviceaccount: {name: 'gaffer-worker', uid: '5e9b1b0f-0000-4000-8000-000000000002'},
    },
    ...overrides,
  };
}

/** The Kubernetes (OIDC) issuer Gaffer trusts: the pod name is the worker, every worker is of `projectId`. */
export function k8sIssuer(jwksFile: string, projectId: string): TrustedIssuer {
  return {
    kind: 'oidc',
    issuer: K8S_ISS,
    audience: K8S_AUD,
    jwksFile,
    workerClaim: 'kubernetes.io.pod.name',
    projectId,
  };
}

/** A GCE issuer and a Kubernetes issuer, their keys, impostor keys and the issuers' config. */
export interface TestIssuers {
  /** A fresh temporary directory holding the JWKS files; the test removes it. */
  dir: string;
  gceKey: KeyPair;
  /** Same kid as gceKey, another key. */
  gceImpostor: KeyPair;
  k8sKey: KeyPair;
  /** Same kid as k8sKey, another key. */
  k8sImpostor: KeyPair;
  workerIssuers: TrustedIssuer[];
}

/**
 * Makes the keys (RS256 "gce-key-1" and ES256 "k8s-key-1", each with an impostor of the
 * same kid), writes the genuine keys' JWKS files into a new temporary directory named
 * after `dirPrefix`, and returns the trusted issuers: GCE, and Kubernetes of `k8sProject`.
 */
export async function makeTestIssuers(dirPrefix: string, k8sProject: string): Promise<TestIssuers> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const gceKey = await keyPair('RS256', 'gce-key-1');
  const gceImpostor = await keyPair('RS256', 'gce-key-1');
  const k8sKey = await keyPair('ES256', 'k8s-key-1');
  const k8sImpostor = await keyPair('ES256', 'k8s-key-1');
  const gceJwks = join(dir, 'gce-jwks.json');
  const k8sJwks = join(dir, 'k8s-jwks.json');
  writeJwks(gceJwks, [gceKey]);
  writeJwks(k8sJwks, [k8sKey]);
  const workerIssuers: TrustedIssuer[] = [
    {kind: 'gce', issuer: GCE_ISS, audience: GCE_AUD, jwksFile: gceJwks},
    k8sIssuer(k8sJwks, k8sProject),
  ];
  return {dir, gceKey, gceImpostor, k8sKey, k8sImpostor, workerIssuers};
}

/** A token a worker endpoint must refuse with 401 `reason`. */
export interface BadToken {
  title: string;
  reason: string;
  /** The token, for the worker it claims to be. */
  make(project: string, worker: string): Promise<string> | string;
  /** Of the Kubernetes issuer, so its worker is of the issuer's project. */
  k8s?: boolean;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * The bad tokens, by name, made with the keys `keys()` returns when a test makes one (the
 * keys are made in a before hook, after the tests are declared).
 */
export function badTokens(keys: () => Pick<TestIssuers, 'gceKey' | 'gceImpostor' | 'k8sKey' | 'k8sImpostor'>) {
  return {
    expiredGce: {
      title: 'an expired GCE token',
      reason: 'WORKER_TOKEN_EXPIRED',
      make: (p, w) => sign(keys().gceKey, gceClaims(p, w, {iat: nowSeconds() - 7200, exp: nowSeconds() - 3600})),
    },
    expiredK8s: {
      title: 'an expired Kubernetes token',
      reason: 'WORKER_TOKEN_EXPIRED',
      k8s: true,
      make: (_p, w) => sign(keys().k8sKey, k8sClaims(w, {iat: nowSeconds() - 7200, nbf: nowSeconds() - 7200, exp: nowSeconds() - 600})),
    },
    notYetValid: {
      title: 'a token not yet valid (nbf an hour ahead)',
      reason: 'WORKER_TOKEN_NOT_YET_VALID',
      make: (p, w) => sign(keys().gceKey, gceClaims(p, w, {nbf: nowSeconds() + 3600, exp: nowSeconds() + 7200})),
    },
    issuedInFuture: {
      title: 'a token issued in the future (iat an hour ahead)',
      reason: 'WORKER_TOKEN_NOT_YET_VALID',
      make: (p, w) => sign(keys().gceKey, gceClaims(p, w, {iat: nowSeconds() + 3600, exp: nowSeconds() + 7200})),
    },
    forgedGce: {
      title: 'a forged GCE token (another key with the same kid)',
      reason: 'WORKER_TOKEN_INVALID_SIGNATURE',
      make: (p, w) => sign(keys().gceImpostor, gceClaims(p, w)),
    },
    forgedK8s: {
      title: 'a forged Kubernetes token (another key with the same kid)',
      reason: 'WORKER_TOKEN_INVALID_SIGNATURE',
      k8s: true,
      make: (_p, w) => sign(keys().k8sImpostor, k8sClaims(w)),
    },
    k8sSignedByGce: {
      title: 'a Kubernetes-issuer token signed with the GCE issuer\'s key',
      reason: 'WORKER_TOKEN_INVALID_SIGNATURE',
      k8s: true,
      make: (_p, w) => sign(keys().gceKey, k8sClaims(w)),
    },
    alteredPayload: {
      title: 'a valid token whose payload was altered (another instance)',
      reason: 'WORKER_TOKEN_INVALID_SIGNATURE',
      make: async (p, w) => {
        const [header, , signature] = (await sign(keys().gceKey, gceClaims(p, 'someone-else'))).split('.');
        return `${header}.${b64(gceClaims(p, w))}.${signature}`;
      },
    },
    unsigned: {
      title: 'an unsigned token (alg none)',
      reason: 'WORKER_TOKEN_INVALID_SIGNATURE',
      make: (p, w) => `${b64({alg: 'none', typ: 'JWT'})}.${b64(gceClaims(p, w))}.`,
    },
    wrongAudienceGce: {
      title: 'a GCE token for another audience',
      reason: 'WORKER_TOKEN_WRONG_AUDIENCE',
      make: (p, w) => sign(keys().gceKey, gceClaims(p, w, {aud: 'https://other-service.test'})),
    },
    wrongAudienceK8s: {
      title: 'a Kubernetes token for the API server only',
      reason: 'WORKER_TOKEN_WRONG_AUDIENCE',
      k8s: true,
      make: (_p, w) => sign(keys().k8sKey, k8sClaims(w, {aud: ['https://kubernetes.default.svc']})),
    },
    centuryGce: {
      title: 'a GCE token valid for 100 years',
      reason: 'WORKER_TOKEN_LIFETIME_TOO_LONG',
      make: (p, w) => sign(keys().gceKey, gceClaims(p, w, {exp: nowSeconds() + 100 * 365 * 86_400})),
    },
    dayLongK8s: {
      title: 'a Kubernetes token valid for a day (over the 4-hour maximum)',
      reason: 'WORKER_TOKEN_LIFETIME_TOO_LONG',
      k8s: true,
      make: (_p, w) => sign(keys().k8sKey, k8sClaims(w, {exp: nowSeconds() + 86_400})),
    },
    unknownIssuer: {
      title: 'a token of an unknown issuer',
      reason: 'WORKER_TOKEN_UNKNOWN_ISSUER',
      make: (p, w) => sign(keys().gceKey, gceClaims(p, w, {iss: 'https://issuer.evil.test'})),
    },
    standardFormat: {
      title: 'a GCE token in the standard format (no google.compute_engine claims)',
      reason: 'WORKER_TOKEN_MISSING_CLAIM',
      make: (p, w) => sign(keys().gceKey, gceClaims(p, w, {google: undefined})),
    },
    malformed: {
      title: 'a malformed string',
      reason: 'WORKER_TOKEN_MALFORMED',
      make: () => 'not-a-jwt',
    },
    notJson: {
      title: 'three segments that are not base64url JSON',
      reason: 'WORKER_TOKEN_MALFORMED',
      make: () => 'abc.def.ghi',
    },
  } satisfies Record<string, BadToken>;
}

// ---------------------------------------------------------------------------------------
// Callers' ID tokens

/** An OIDC identity provider of the tests: its iss and the audience Gaffer is told to accept. */
export const CALLER_ISS = 'https://idp.gaffer.test';
export const CALLER_AUD = 'gaffer-callers';
/** The audience of the Google issuer the tests configure (tokens signed with a local key). */
export const GOOGLE_CALLER_AUD = 'https://gaffer.test/callers';

/** Callers' issuers for tests: an OIDC provider with groups, and "Google" with a local key. */
export interface TestCallers {
  dir: string;
  key: KeyPair;
  /** Same kid as `key`, another key. */
  impostor: KeyPair;
  googleKey: KeyPair;
  callerIssuers: CallerIssuer[];
  /** A valid ID token of the OIDC provider for `email` (claims overridable). */
  token(email: string, overrides?: JWTPayload): Promise<string>;
  /** A valid Google ID token for `email` (signed by the test's "Google" key). */
  googleToken(email: string, overrides?: JWTPayload): Promise<string>;
}

export function callerClaims(email: string, overrides: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return {
    iss: CALLER_ISS,
    aud: CALLER_AUD,
    sub: `sub-${email}`,
    email,
    email_verified: true,
    iat: now - 5,
    exp: now + 3595,
    ...overrides,
  };
}

export function googleCallerClaims(email: string, overrides: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return {
    iss: 'https://accounts.google.com',
    aud: GOOGLE_CALLER_AUD,
    azp: '32555940559.apps.googleusercontent.com',
    sub: '109876543210987654321',
    email,
    email_verified: true,
    iat: now - 5,
    exp: now + 3595,
    ...overrides,
  };
}

export async function makeTestCallers(dirPrefix: string): Promise<TestCallers> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const key = await keyPair('ES256', 'caller-key-1');
  const impostor = await keyPair('ES256', 'caller-key-1');
  const googleKey = await keyPair('RS256', 'google-key-1');
  const jwks = join(dir, 'caller-jwks.json');
  const googleJwks = join(dir, 'google-jwks.json');
  writeJwks(jwks, [key]);
  writeJwks(googleJwks, [googleKey]);
  return {
    dir,
    key,
    impostor,
    googleKey,
    callerIssuers: [
      {kind: 'oidc', issuer: CALLER_ISS, audience: CALLER_AUD, jwksFile: jwks, groupsClaim: 'groups'},
      {kind: 'google', issuer: 'https://accounts.google.com', audience: GOOGLE_CALLER_AUD, jwksFile: googleJwks},
    ],
    token: (email, overrides) => sign(key, callerClaims(email, overrides)),
    googleToken: (email, overrides) => sign(googleKey, googleCallerClaims(email, overrides)),
  };
}

/** `Authorization: Bearer <token>` */
export function bearer(token: string): Record<string, string> {
  return {Authorization: `Bearer ${token}`};
}
