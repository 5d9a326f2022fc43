/**
 * Who is checking in. The token form carries a signed identity token in the path; the
 * named form names the worker in the path and proves it with a bearer token verified
 * the same way. A worker may speak only for itself. With no trusted issuer configured,
 * development mode takes named workers at their word, but only from a loopback peer
 * address (the socket's, never a header); anyone else is UNAUTHENTICATED. `npm start`
 * says so loudly.
 */
import {Caller, isLoopback, notLoopback, presentedToken} from './access';
import {GafferError} from './errors';
import {WorkerIdentityVerifier, WorkerTokenReason} from './identity';
import {checkProjectId, checkWorkerId, workerName} from './names';
import type {WorkerRef} from './worker';

export class WorkerAuthenticator {
  /**
   * @param verifier undefined when no trusted issuer is configured.
   * @param developmentMode accept named workers without a token from loopback peers.
   * @param platformAuth tokens verified by Cloud Run's IAM check are trusted without their signature.
   */
  constructor(
    private readonly verifier: WorkerIdentityVerifier | undefined,
    readonly developmentMode: boolean,
    private readonly platformAuth = false,
  ) {}

  /** The named form: the bearer token must identify exactly this worker of this project. */
  async named(caller: Caller, projectId: string, workerId: string): Promise<WorkerRef> {
    const claimed = {projectId: checkProjectId(projectId), workerId: checkWorkerId(workerId)};
    const presented = presentedToken(caller, this.platformAuth, WorkerTokenReason);
    if (!presented) {
      if (this.developmentMode) return this.loopbackOnly(caller, claimed);
      throw new GafferError(
        'UNAUTHENTICATED',
        `Worker ${workerName(projectId, workerId)} must send its identity token as "Authorization: Bearer <token>".`,
        {reason: 'WORKER_TOKEN_MISSING'},
      );
    }
    const identity = await this.verify(presented.token, presented.presentation);
    if (identity.projectId !== claimed.projectId || identity.workerId !== claimed.workerId) {
      throw new GafferError(
        'PERMISSION_DENIED',
        `The token identifies worker ${workerName(identity.projectId, identity.workerId)}; it can't check in as ${workerName(projectId, workerId)}.`,
        {reason: 'WORKER_IDENTITY_MISMATCH', metadata: {tokenWorker: workerName(identity.projectId, identity.workerId)}},
      );
    }
    return claimed;
  }

  /**
   * Who is sending worker messages for `projectId`: the worker its bearer token names, or
   * (development mode, no token) undefined, meaning the messages' labels are taken as said.
   */
  async speaker(caller: Caller, projectId: string): Promise<WorkerRef | undefined> {
    checkProjectId(projectId, 'projectId');
    const presented = presentedToken(caller, this.platformAuth, WorkerTokenReason);
    if (!presented) {
      if (this.developmentMode) return this.loopbackOnly(caller, undefined);
      throw new GafferError('UNAUTHENTICATED', 'A worker must send its identity token as "Authorization: Bearer <token>".', {
        reason: 'WORKER_TOKEN_MISSING',
      });
    }
    const identity = await this.verify(presented.token, presented.presentation);
    if (identity.projectId !== projectId) {
      throw new GafferError(
        'PERMISSION_DENIED',
        `The token identifies a worker of project ${identity.projectId}; it can't send messages for project ${projectId}.`,
        {reason: 'WORKER_IDENTITY_MISMATCH', metadata: {tokenWorker: workerName(identity.projectId, identity.workerId)}},
      );
    }
    return identity;
  }

  /** The token form: the worker is whoever the token says (a path is never verified by the platform). */
  async byToken(token: string): Promise<WorkerRef> {
    return this.verify(token, {});
  }

  /** Development mode trusts a worker's word only from a loopback peer. */
  private loopbackOnly<T>(caller: Caller, trusted: T): T {
    if (isLoopback(caller.remoteAddress)) return trusted;
    throw notLoopback(caller.remoteAddress, 'workers', 'GAFFER_WORKER_ISSUERS', 'DEVELOPMENT_MODE_LOOPBACK_ONLY');
  }

  private async verify(token: string, presentation: {platformVerified?: boolean}): Promise<WorkerRef> {
    if (!this.verifier) {
      throw new GafferError(
        'UNAUTHENTICATED',
        'This Gaffer trusts no worker identity issuer yet; configure GAFFER_WORKER_ISSUERS to accept worker tokens.',
        {reason: 'WORKER_TOKEN_UNKNOWN_ISSUER'},
      );
    }
    const {projectId, workerId} = await this.verifier.verify(token, {platformVerified: presentation.platformVerified});
    return {projectId, workerId};
  }
}
