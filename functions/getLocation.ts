/** Cloud Life Sciences projects.locations.get: GET /v2beta/projects/{project}/locations/{location} */
import {checkLocationId} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';

export const getLocation = rpc({
  name: 'getLocation',
  method: 'GET',
  path: '/v2beta/projects/{project}/locations/{location}',
  authorize: onPathProject('genomics.operations.list'),
  handle: async ({params}, {locations}) => locations.get(params.project, checkLocationId(params.location)),
});
