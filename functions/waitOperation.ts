/** operations.wait (google.longrunning): POST /v2alpha1/projects/{project}/operations/{operation}:wait */
import {checkOperationId} from '../src/core/names';
import {parseDuration} from '../src/core/time';
import {rpc} from '../src/http/rpc';
import {checkNameMatchesPath} from './operationName';
import {onPathProject} from './permissions';

export const waitOperation = rpc({
  name: 'waitOperation',
  method: 'POST',
  path: '/v2alpha1/projects/{project}/operations/{operation}:wait',
  bodySchema: 'waitOperationRequest',
  authorize: onPathProject('genomics.operations.get'),
  async handle({params, body, signal}, {operations}) {
    const id = checkOperationId(params.operation);
    checkNameMatchesPath(body.name, params.project, id);
    const timeoutMs = body.timeout === undefined ? undefined : parseDuration(body.timeout);
    return operations.wait(params.project, id, timeoutMs, signal);
  },
});
