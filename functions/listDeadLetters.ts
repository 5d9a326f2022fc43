/**
 * Operators: GET /v2alpha1/projects/{project}/deadLetters?pageSize=&pageToken=: the
 * project's Pub/Sub messages Gaffer gave up on, newest first, each with its last error.
 */
import {checkProjectId} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {parsePageSize} from './paging';
import {onPathProject} from './permissions';

export const listDeadLetters = rpc({
  name: 'listDeadLetters',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/deadLetters',
  queryParams: ['pageSize', 'pageToken'],
  authorize: onPathProject('gaffer.deadLetters.list'),
  handle: ({params, query}, {deadLetters}) =>
    deadLetters.list(checkProjectId(params.project), {pageSize: parsePageSize(query.pageSize), pageToken: query.pageToken || undefined}),
});
