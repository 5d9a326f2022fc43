/** Cloud Life Sciences projects.locations.list: GET /v2beta/projects/{project}/locations */
import {rpc} from '../src/http/rpc';
import {LIST_PARAMS, listRequest} from './paging';
import {onPathProject} from './permissions';

export const listLocations = rpc({
  name: 'listLocations',
  method: 'GET',
  path: '/v2beta/projects/{project}/locations',
  queryParams: [...LIST_PARAMS, 'extraLocationTypes'],
  authorize: onPathProject('genomics.operations.list'),
  handle: ({params, query}, {locations}) => locations.list(params.project, listRequest(query)),
});
