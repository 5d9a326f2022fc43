/**
 * The one seam through which every RPC asks "may this caller do this on this project".
 * Permission names are Google's IAM permissions for the corresponding RPCs.
 */
import {GafferError} from './errors';

/** `loopback`: every local caller may do everything; `invoker`: the platform's IAM check decided. */
export type AccessMode = 'loopback' | 'invoker';

export type Permission =
  | 'genomics.operations.create'
  | 'genomics.operations.get'
  | 'genomics.operations.list'
  | 'genomics.operations.cancel'
  /** Running the lease sweep (Cloud Scheduler's job). */
  | 'gaffer.leases.expire'
  /** Running the outbox sweep (Cloud Scheduler's job). */
  | 'gaffer.outbox.dispatch'
  /** Recording queue statistics (Cloud Scheduler's job). */
  | 'gaffer.queueStats.record'
  /** Reading workers (operators). */
  | 'gaffer.workers.get'
  | 'gaffer.workers.list';

/** What Gaffer knows of who is calling; no HTTP types. */
export interface Caller {
  /** The peer address of the connection (loopback for local callers). */
  remoteAddress?: string;
  /** The Authorization header, if any. */
  authorization?: string;
}

export interface AccessPolicy {
  /** Resolves if allowed; throws PERMISSION_DENIED or UNAUTHENTICATED otherwise. */
  check(caller: Caller, permission: Permission, projectId: string): Promise<void>;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * Until Gaffer has its own access control: every loopback caller may do everything,
 * anyone else nothing.
 */
export const loopbackOnly: AccessPolicy = {
  async check(caller, permission, projectId) {
    if (isLoopback(caller.remoteAddress)) return;
    throw new GafferError(
      'PERMISSION_DENIED',
      `Permission '${permission}' denied on project ${projectId}: this Gaffer serves only loopback callers (GAFFER_ACCESS=loopback).`,
      {reason: 'IAM_PERMISSION_DENIED', metadata: {permission, projectId}},
    );
  },
};

/**
 * Deployed behind Cloud Functions' own IAM check (deployed without
 * --allow-unauthenticated): whoever the platform let in holds every permission.
 */
export const platformInvoker: AccessPolicy = {
  async check() {
    return;
  },
};

export function accessPolicyFor(mode: AccessMode): AccessPolicy {
  return mode === 'loopback' ? loopbackOnly : platformInvoker;
}
