/**
 * dispatchOutbox: delivers Pub/Sub messages left in the outbox (a process died between
 * its commit and the publish, or a topic was failing). Cloud Scheduler calls it with an
 * authenticated POST; `npm start` runs it on an interval. Answers what it delivered.
 */
import {GafferError} from '../src/core/errors';
import {rpc} from '../src/http/rpc';
import {onEveryProject} from './permissions';

export const dispatchOutbox = rpc({
  name: 'dispatchOutbox',
  method: 'POST',
  path: '/',
  authorize: onEveryProject('gaffer.outbox.dispatch'),
  async handle(_context, {outbox}) {
    if (!outbox) {
      throw new GafferError('FAILED_PRECONDITION', 'No Pub/Sub is configured (PUBSUB_EMULATOR_HOST).', {
        reason: 'PUBSUB_NOT_CONFIGURED',
      });
    }
    return outbox.dispatchDue();
  },
});
