/**
 * Cloud Life Sciences projects.locations.operations.list:
 * GET /v2beta/projects/{project}/locations/{location}/operations?filter=&pageSize=&pageToken=
 * (the operations filed under that location; "-" lists every location's).
 */
import {rpc} from '../src/http/rpc';
import {LIST_PARAMS, listRequest} from './paging';
import {onPathProject} from './permissions';
import {locationView} from './v2betaPaths';

export const listOperationsV2beta = rpc({
  name: 'listOperationsV2beta',
  method: 'GET',
  path: '/v2beta/projects/{project}/locations/{location}/operations',
  queryParams: LIST_PARAMS,
  authorize: onPathProject('genomics.operations.list'),
  handle: ({params, query}, {operations}) => operations.list(params.project, listRequest(query), locationView(params.location)),
});
