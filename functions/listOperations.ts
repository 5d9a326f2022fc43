/** operations.list: GET /v2alpha1/projects/{project}/operations?filter=&pageSize=&pageToken= */
import {rpc} from '../src/http/rpc';
import {LIST_PARAMS, listRequest} from './paging';
import {onPathProject} from './permissions';

export const listOperations = rpc({
  name: 'listOperations',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/operations',
  queryParams: LIST_PARAMS,
  authorize: onPathProject('genomics.operations.list'),
  handle: ({params, query}, {operations}) => operations.list(params.project, listRequest(query)),
});
