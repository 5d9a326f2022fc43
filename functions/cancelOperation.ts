/** operations.cancel: POST /v2alpha1/projects/{project}/operations/{operation}:cancel */
import {checkOperationId} from '../src/core/names';
import type {Rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';
import {checkNameMatchesPath} from './names';

export const cancelOperation: Rpc<{name?: string}> = {
  name: 'cancelOperation',
  method: 'POST',
  path: '/v2alpha1/projects/{project}/operations/{operation}:cancel',
  bodySchema: 'cancelOperationRequest',
  authorize: onPathProject('genomics.operations.cancel'),
  async handle({params, body}, app) {
    const id = checkOperationId(params.operation!);
    checkNameMatchesPath(body.name, params.project!, id);
    return app.operations.cancel(params.project!, id);
  },
};
