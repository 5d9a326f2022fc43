/** operations.get: GET /v2alpha1/projects/{project}/operations/{operation} */
import {checkOperationId, checkProjectId} from '../src/core/names';
import type {Rpc} from '../src/http/rpc';

export const getOperation: Rpc = {
  name: 'getOperation',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/operations/{operation}',
  async authorize({params, caller}, app) {
    await app.access.check(caller, 'genomics.operations.get', checkProjectId(params.project!));
    return undefined;
  },
  handle: ({params}, app) => app.operations.get(params.project!, checkOperationId(params.operation!)),
};
