/**
 * The one seam through which every RPC asks "who is calling, and may they do this on this
 * project". Callers authenticate with an ID token (callerIdentity.ts) and are authorized
 * by the project's IAM policy (iam.ts), with Google's permission names.
 *
 * Development mode: with no caller issuer configured (GAFFER_CALLER_ISSUERS), a caller
 * whose connection comes from a loopback address may do everything, and every other
 * caller is UNAUTHENTICATED. The address is the socket's peer address, never a header.
 */
import type {CallerIdentityVerifier} from './callerIdentity';
import {CALLER_CONFIG_SOURCE, CallerTokenReason} from './callerIdentity';
import {GafferError} from './errors';
import type {IamService, Permission, Principal} from './iam';
import type {Presentation, TokenReasons} from './identity';

export type {Permission, Principal} from './iam';

/** What Gaffer knows of who is calling; no HTTP types. */
export interface Caller {
  /** The peer address of the connection (the socket's, never a forwarded header). */
  remoteAddress?: string;
  /** The Authorization header, if any. */
  authorization?: string;
  /** X-Serverless-Authorization: the header Cloud Run's IAM check verified when a caller sends both. */
  serverlessAuthorization?: string;
}

export interface AccessPolicy {
  /** Who is calling; UNAUTHENTICATED if that can't be established. */
  authenticate(caller: Caller): Promise<Principal>;
  /** Resolves if `principal` holds `permission` on the project ("*": every project); PERMISSION_DENIED otherwise. */
  authorize(principal: Principal, permission: Permission, projectId: string): Promise<void>;
  /** authenticate, then authorize. */
  check(caller: Caller, permission: Permission, projectId: string): Promise<Principal>;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** The development principal of a loopback caller. */
export function developmentPrincipal(address: string | undefined): Principal {
  const member = `loopback:${address ?? 'unknown'}`;
  return {member, members: [member], development: true};
}

/** A bearer token from an Authorization-style header; undefined when the header is absent. */
export function bearerToken(header: string | undefined, reasons: Pick<TokenReasons, 'MALFORMED'>): string | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new GafferError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>".', {reason: reasons.MALFORMED});
  }
  return match[1];
}

/**
 * The token a caller presents, and whether the platform verified it. Behind Cloud Run's
 * IAM check (`platformAuth`) the checked header is X-Serverless-Authorization when sent
 * (Authorization then passes through unchecked and must carry its own signature), else
 * Authorization.
 */
export function presentedToken(
  caller: Caller,
  platformAuth: boolean,
  reasons: Pick<TokenReasons, 'MALFORMED'>,
): {token: string; presentation: Presentation} | undefined {
  const token = bearerToken(caller.authorization, reasons);
  if (!platformAuth) return token === undefined ? undefined : {token, presentation: {}};
  const serverless = bearerToken(caller.serverlessAuthorization, reasons);
  if (serverless !== undefined) {
    return token !== undefined ? {token, presentation: {}} : {token: serverless, presentation: {platformVerified: true}};
  }
  return token === undefined ? undefined : {token, presentation: {platformVerified: true}};
}

export function notLoopback(address: string | undefined, what: string, source: string, reason: string): GafferError {
  return new GafferError(
    'UNAUTHENTICATED',
    `This Gaffer authenticates no ${what} (${source} is not set), so it serves only loopback clients in development ` +
      `mode, and ${address ?? 'this caller'} is not one.`,
    {reason},
  );
}

/** Callers' identity: ID tokens of the configured issuers, or development mode. */
export class CallerAuthenticator {
  /**
   * @param verifier undefined when no caller issuer is configured (development mode).
   * @param platformAuth tokens verified by Cloud Run's IAM check are trusted without their signature.
   */
  constructor(
    private readonly verifier: CallerIdentityVerifier | undefined,
    private readonly platformAuth = false,
  ) {}

  get developmentMode(): boolean {
    return this.verifier === undefined;
  }

  async authenticate(caller: Caller): Promise<Principal> {
    if (!this.verifier) {
      if (isLoopback(caller.remoteAddress)) return developmentPrincipal(caller.remoteAddress);
      throw notLoopback(caller.remoteAddress, 'callers', CALLER_CONFIG_SOURCE, 'DEVELOPMENT_MODE_LOOPBACK_ONLY');
    }
    const presented = presentedToken(caller, this.platformAuth, CallerTokenReason);
    if (!presented) {
      throw new GafferError(
        'UNAUTHENTICATED',
        'This RPC needs the caller\'s identity: send an ID token as "Authorization: Bearer <token>" (e.g. `gcloud auth print-identity-token`).',
        {reason: CallerTokenReason.MISSING},
      );
    }
    const {member, members} = await this.verifier.verify(presented.token, presented.presentation);
    return {member, members};
  }
}

/** Authentication, then the project's IAM policy. */
export class AccessControl implements AccessPolicy {
  constructor(
    private readonly callers: CallerAuthenticator,
    private readonly iam: IamService,
  ) {}

  authenticate(caller: Caller): Promise<Principal> {
    return this.callers.authenticate(caller);
  }

  authorize(principal: Principal, permission: Permission, projectId: string): Promise<void> {
    return this.iam.authorize(principal, permission, projectId);
  }

  async check(caller: Caller, permission: Permission, projectId: string): Promise<Principal> {
    const principal = await this.authenticate(caller);
    await this.authorize(principal, permission, projectId);
    return principal;
  }
}
