/**
 * Operators: the queue's depth over time, GET /v2alpha1/projects/{project}/queueStats?window=86400s
 * (points oldest first, the last one counted as it is asked).
 */
import {invalidArgument} from '../src/core/errors';
import {rpc} from '../src/http/rpc';
import {parseDuration} from '../src/wire/proto3';
import {onPathProject} from './permissions';

function parseWindow(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) throw invalidArgument('window', 'a duration such as "3600s"', text);
  return ms;
}

export const getQueueStats = rpc({
  name: 'getQueueStats',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/queueStats',
  queryParams: ['window'],
  authorize: onPathProject('genomics.operations.list'),
  handle: ({params, query}, {queueStats}) => queueStats.read(params.project, parseWindow(query.window)),
});
