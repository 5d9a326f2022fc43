/**
 * Gaffer extension: GET /v2alpha1/projects/{project}/operations/{operation}/logs?action=N&pageToken=
 * what the operation's actions printed, one line per entry, oldest first (every action's
 * without `action`). While the operation runs there is always a nextPageToken: more may come.
 */
import {invalidArgument} from '../src/core/errors';
import {checkOperationId} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';

function parseAction(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1) throw invalidArgument('action', 'a 1-based action id', text);
  return Number(text);
}

export const listLogs = rpc({
  name: 'listLogs',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/operations/{operation}/logs',
  queryParams: ['action', 'pageToken'],
  authorize: onPathProject('genomics.operations.get'),
  handle: ({params, query}, {logs}) =>
    logs.list(params.project, checkOperationId(params.operation), {actionId: parseAction(query.action), pageToken: query.pageToken || undefined}),
});
