/**
 * `?leaseEpoch=N`: the fencing token a worker may present on check-in (Gaffer returns it
 * in CheckInResponse.features.leaseEpoch). When given, it must be the epoch the worker
 * holds; Gaffer's own worker always sends it.
 */
import {invalidArgument} from '../src/core/errors';

export function parseLeaseEpoch(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,15}$/.test(text)) throw invalidArgument('leaseEpoch', 'a positive integer', text);
  return Number(text);
}
