/**
 * `?lease=OPERATION:EPOCH`: the fencing token a worker presents on check-in (Gaffer
 * returns it in CheckInResponse.features.lease). It names the operation as well as the
 * epoch, because epochs count per operation. Gaffer's own worker always sends it; a worker
 * whose client can't add it to the URL may send it as the body's "lease" instead.
 */
import {GafferError, invalidArgument} from '../src/core/errors';
import type {PresentedLease} from '../src/core/checkIn';

export function parseLease(text: string | undefined): PresentedLease | undefined {
  if (text === undefined || text === '') return undefined;
  const match = /^([A-Za-z0-9_-]{1,64}):(\d{1,15})$/.exec(text);
  if (!match) throw invalidArgument('lease', 'OPERATION_ID:EPOCH, as given in features.lease', text);
  const [, operationId = '', epoch = ''] = match;
  return {operationId, epoch: Number(epoch)};
}

/** The lease a check-in presents, as ?lease= or the body's "lease" (the same one if both). */
export function presentedLease(query: string | undefined, body: string | undefined): PresentedLease | undefined {
  const fromQuery = parseLease(query);
  const fromBody = parseLease(body);
  if (fromQuery && fromBody && (fromQuery.operationId !== fromBody.operationId || fromQuery.epoch !== fromBody.epoch)) {
    throw new GafferError('INVALID_ARGUMENT', `?lease=${query ?? ''} and the body's "lease" (${body ?? ''}) name different leases; send one.`, {
      reason: 'LEASE_MISMATCH',
      fieldViolations: [{field: 'lease', description: 'differs from the ?lease= query parameter'}],
    });
  }
  return fromQuery ?? fromBody;
}
