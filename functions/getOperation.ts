/** operations.get: GET /v2alpha1/projects/{project}/operations/{operation} */
import {checkOperationId} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';

export const getOperation = rpc({
  name: 'getOperation',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/operations/{operation}',
  authorize: onPathProject('genomics.operations.get'),
  handle: ({params}, {operations}) => operations.get(params.project, checkOperationId(params.operation)),
});
