/**
 * `?lease=OPERATION:EPOCH`: the fencing token a worker presents on check-in (Gaffer
 * returns it in CheckInResponse.features.lease). It names the operation as well as the
 * epoch, because epochs count per operation. Gaffer's own worker always sends it.
 */
import {invalidArgument} from '../src/core/errors';
import type {PresentedLease} from '../src/core/checkIn';

export function parseLease(text: string | undefined): PresentedLease | undefined {
  if (text === undefined || text === '') return undefined;
  const match = /^([A-Za-z0-9_-]{1,64}):(\d{1,15})$/.exec(text);
  if (!match) throw invalidArgument('lease', 'OPERATION_ID:EPOCH, as given in features.lease', text);
  const [, operationId = '', epoch = ''] = match;
  return {operationId, epoch: Number(epoch)};
}
