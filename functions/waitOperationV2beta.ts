/**
 * google.longrunning WaitOperation on v2beta's paths (Google's v2beta had none; Gaffer
 * serves it beside v2alpha1's): POST /v2beta/projects/{project}/locations/{location}/operations/{operation}:wait
 */
import {parseDuration} from '../src/core/time';
import {rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';
import {V2BETA_OPERATION, locationView, operationIdOf} from './v2betaPaths';

export const waitOperationV2beta = rpc({
  name: 'waitOperationV2beta',
  method: 'POST',
  path: `${V2BETA_OPERATION}:wait`,
  bodySchema: 'waitOperationRequest',
  authorize: onPathProject('genomics.operations.get'),
  handle: ({params, body, signal}, {operations}) => {
    const timeoutMs = body.timeout === undefined ? undefined : parseDuration(body.timeout);
    return operations.wait(params.project, operationIdOf(params), timeoutMs, signal, locationView(params.location));
  },
});
