/** operations.cancel: POST /v2alpha1/projects/{project}/operations/{operation}:cancel */
import {checkOperationId, checkProjectId} from '../src/core/names';
import type {Rpc} from '../src/http/rpc';
import {checkNameMatchesPath} from './names';

export const cancelOperation: Rpc<{name?: string}> = {
  name: 'cancelOperation',
  method: 'POST',
  path: '/v2alpha1/projects/{project}/operations/{operation}:cancel',
  bodySchema: 'cancelOperationRequest',
  async authorize({params, caller}, app) {
    await app.access.check(caller, 'genomics.operations.cancel', checkProjectId(params.project!));
    return undefined;
  },
  async handle({params, body}, app) {
    const id = checkOperationId(params.operation!);
    checkNameMatchesPath(body.name, params.project!, id);
    return app.operations.cancel(params.project!, id);
  },
};
