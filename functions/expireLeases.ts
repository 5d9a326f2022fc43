/**
 * expireLeases: the lease sweep, run by Cloud Scheduler (at most once a minute) with an
 * authenticated POST; `npm start` runs it on an interval instead. Then DelayedEvents for
 * what waits with no worker to take it. Answers what it did.
 */
import {rpc} from '../src/http/rpc';
import {onEveryProject} from './permissions';

export const expireLeases = rpc({
  name: 'expireLeases',
  method: 'POST',
  path: '/',
  authorize: onEveryProject('gaffer.leases.expire'),
  handle: async (_context, {leases, delays}) => ({...(await leases.expireLeases()), delayed: (await delays.explain()).recorded}),
});
