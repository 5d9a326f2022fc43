/** operations.wait (google.longrunning): POST /v2alpha1/projects/{project}/operations/{operation}:wait */
import {checkOperationId} from '../src/core/names';
import {parseDuration} from '../src/core/time';
import type {Rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';
import {checkNameMatchesPath} from './names';

export const waitOperation: Rpc<{name?: string; timeout?: string}> = {
  name: 'waitOperation',
  method: 'POST',
  path: '/v2alpha1/projects/{project}/operations/{operation}:wait',
  bodySchema: 'waitOperationRequest',
  authorize: onPathProject('genomics.operations.get'),
  async handle({params, body, signal}, app) {
    const id = checkOperationId(params.operation!);
    checkNameMatchesPath(body.name, params.project!, id);
    const timeoutMs = body.timeout === undefined ? undefined : parseDuration(body.timeout);
    return app.operations.wait(params.project!, id, timeoutMs, signal);
  },
};
