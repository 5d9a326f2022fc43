/** operations.get: GET /v2alpha1/projects/{project}/operations/{operation} */
import {checkOperationId, checkProjectId} from '../src/core/names';
import type {Rpc} from '../src/http/rpc';

export const getOperation: Rpc = {
  name: 'getOperation',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/operations/{operation}',
  async handle({params, caller}, app) {
    const projectId = checkProjectId(params.project!);
    const id = checkOperationId(params.operation!);
    await app.access.check(caller, 'genomics.operations.get', projectId);
    return app.operations.get(projectId, id);
  },
};
