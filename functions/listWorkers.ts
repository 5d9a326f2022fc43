/** Operators: GET /v2alpha1/projects/{project}/workers?filter=&pageSize=&pageToken= (by worker id). */
import {rpc} from '../src/http/rpc';
import {LIST_PARAMS, listRequest} from './paging';
import {onPathProject} from './permissions';

export const listWorkers = rpc({
  name: 'listWorkers',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/workers',
  queryParams: LIST_PARAMS,
  authorize: onPathProject('gaffer.workers.list'),
  handle: ({params, query}, {workers}) => workers.list(params.project, listRequest(query)),
});
