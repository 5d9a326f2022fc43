/**
 * Who is checking in. The token form carries a signed identity token in the path; the
 * named form names the worker in the path and proves it with a bearer token verified
 * the same way. A worker may speak only for itself. With no trusted issuer configured
 * and loopback access, development mode takes named workers at their word (and
 * `npm start` says so loudly).
 */
import {Caller} from './access';
import {GafferError} from './errors';
import {WorkerIdentityVerifier} from './identity';
import {checkProjectId, checkWorkerId, workerName} from './names';
import type {WorkerRef} from './worker';

export class WorkerAuthenticator {
  /**
   * @param verifier undefined when no trusted issuer is configured.
   * @param developmentMode accept named workers without a token (loopback only).
   */
  constructor(
    private readonly verifier: WorkerIdentityVerifier | undefined,
    readonly developmentMode: boolean,
  ) {}

  /** The named form: the bearer token must identify exactly this worker of this project. */
  async named(caller: Caller, projectId: string, workerId: string): Promise<WorkerRef> {
    const claimed = {projectId: checkProjectId(projectId), workerId: checkWorkerId(workerId)};
    const token = bearerToken(caller.authorization);
    if (!token) {
      if (this.developmentMode) return claimed;
      throw new GafferError(
        'UNAUTHENTICATED',
        `Worker ${workerName(projectId, workerId)} must send its identity token as "Authorization: Bearer <token>".`,
        {reason: 'WORKER_TOKEN_MISSING'},
      );
    }
    const identity = await this.verify(token);
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
    const token = bearerToken(caller.authorization);
    if (!token) {
      if (this.developmentMode) return undefined;
      throw new GafferError('UNAUTHENTICATED', 'A worker must send its identity token as "Authorization: Bearer <token>".', {
        reason: 'WORKER_TOKEN_MISSING',
      });
    }
    const identity = await this.verify(token);
    if (identity.projectId !== projectId) {
      throw new GafferError(
        'PERMISSION_DENIED',
        `The token identifies a worker of project ${identity.projectId}; it can't send messages for project ${projectId}.`,
        {reason: 'WORKER_IDENTITY_MISMATCH', metadata: {tokenWorker: workerName(identity.projectId, identity.workerId)}},
      );
    }
    return identity;
  }

  /** The token form: the worker is whoever the token says. */
  async byToken(token: string): Promise<WorkerRef> {
    return this.verify(token);
  }

  private async verify(token: string): Promise<WorkerRef> {
    if (!this.verifier) {
      throw new GafferError(
        'UNAUTHENTICATED',
        'This Gaffer trusts no worker identity issuer yet; configure GAFFER_WORKER_ISSUERS to accept worker tokens.',
        {reason: 'WORKER_TOKEN_UNKNOWN_ISSUER'},
      );
    }
    const {projectId, workerId} = await this.verifier.verify(token);
    return {projectId, workerId};
  }
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new GafferError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>".', {
      reason: 'WORKER_TOKEN_MALFORMED',
    });
  }
  return match[1];
}
