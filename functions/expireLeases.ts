/**
 * expireLeases: the lease sweep, run by Cloud Scheduler (at most once a minute) with an
 * authenticated POST; `npm start` runs it on an interval instead. Answers what it did.
 */
import type {Rpc} from '../src/http/rpc';
import {onEveryProject} from './permissions';

export const expireLeases: Rpc = {
  name: 'expireLeases',
  method: 'POST',
  path: '/',
  authorize: onEveryProject('gaffer.leases.expire'),
  handle: (_context, app) => app.checkIns.expireLeases(),
};
