/**
 * recordQueueStats: counts every project's queued and running operations and keeps a
 * point for each, run by Cloud Scheduler every minute with an authenticated POST;
 * `npm start` runs it on an interval instead. Answers what it did.
 */
import {rpc} from '../src/http/rpc';
import {onEveryProject} from './permissions';

export const recordQueueStats = rpc({
  name: 'recordQueueStats',
  method: 'POST',
  path: '/',
  authorize: onEveryProject('gaffer.queueStats.record'),
  handle: (_context, {queueStats}) => queueStats.record(),
});
