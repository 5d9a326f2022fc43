/** operations.cancel: POST /v2alpha1/projects/{project}/operations/{operation}:cancel */
import {checkOperationId} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {checkNameMatchesPath} from './operationName';
import {onPathProject} from './permissions';

export const cancelOperation = rpc({
  name: 'cancelOperation',
  method: 'POST',
  path: '/v2alpha1/projects/{project}/operations/{operation}:cancel',
  bodySchema: 'cancelOperationRequest',
  authorize: onPathProject('genomics.operations.cancel'),
  async handle({params, body, principal}, {operations}) {
    const id = checkOperationId(params.operation);
    checkNameMatchesPath(body.name, params.project, id);
    return operations.cancel(params.project, id, principal.member);
  },
});
