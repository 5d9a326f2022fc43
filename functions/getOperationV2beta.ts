/** Cloud Life Sciences projects.locations.operations.get: GET /v2beta/projects/{project}/locations/{location}/operations/{operation} */
import {rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';
import {V2BETA_OPERATION, locationView, operationIdOf} from './v2betaPaths';

export const getOperationV2beta = rpc({
  name: 'getOperationV2beta',
  method: 'GET',
  path: V2BETA_OPERATION,
  authorize: onPathProject('genomics.operations.get'),
  handle: ({params}, {operations}) => operations.get(params.project, operationIdOf(params), locationView(params.location)),
});
