/**
 * expireLeases: the lease sweep, run by Cloud Scheduler (at most once a minute) with an
 * authenticated POST; `npm start` runs it on an interval instead. Answers what it did.
 */
import type {Rpc} from '../src/http/rpc';

export const expireLeases: Rpc = {
  name: 'expireLeases',
  method: 'POST',
  path: '/',
  async authorize({caller}, app) {
    await app.access.check(caller, 'gaffer.leases.expire', '*');
    return undefined;
  },
  handle: (_context, app) => app.checkIns.expireLeases(),
};
