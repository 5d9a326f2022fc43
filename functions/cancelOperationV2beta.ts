/** Cloud Life Sciences projects.locations.operations.cancel: POST /v2beta/projects/{project}/locations/{location}/operations/{operation}:cancel */
import {rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';
import {V2BETA_OPERATION, locationView, operationIdOf} from './v2betaPaths';

export const cancelOperationV2beta = rpc({
  name: 'cancelOperationV2beta',
  method: 'POST',
  path: `${V2BETA_OPERATION}:cancel`,
  bodySchema: 'cancelOperationRequest',
  authorize: onPathProject('genomics.operations.cancel'),
  handle: ({params, principal}, {operations}) =>
    operations.cancel(params.project, operationIdOf(params), principal.member, locationView(params.location)),
});
