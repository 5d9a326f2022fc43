/** Operators: POST /v2alpha1/projects/{project}/deadLetters/{deadLetter}:retry: back to the outbox, delivered now. */
import {checkOperationId, checkProjectId} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';

export const retryDeadLetter = rpc({
  name: 'retryDeadLetter',
  method: 'POST',
  path: '/v2alpha1/projects/{project}/deadLetters/{deadLetter}:retry',
  authorize: onPathProject('gaffer.deadLetters.retry'),
  handle: ({params}, {deadLetters}) => deadLetters.retry(checkProjectId(params.project), checkOperationId(params.deadLetter)),
});
