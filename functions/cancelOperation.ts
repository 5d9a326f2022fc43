/** operations.cancel: POST /v2alpha1/projects/{project}/operations/{operation}:cancel */
import {checkOperationId, checkProjectId} from '../src/core/names';
import type {Rpc} from '../src/http/rpc';
import {checkNameMatchesPath} from './names';

export const cancelOperation: Rpc<{name?: string}> = {
  name: 'cancelOperation',
  method: 'POST',
  path: '/v2alpha1/projects/{project}/operations/{operation}:cancel',
  bodySchema: 'cancelOperationRequest',
  async handle({params, body, caller}, app) {
    const projectId = checkProjectId(params.project!);
    const id = checkOperationId(params.operation!);
    checkNameMatchesPath(body.name, projectId, id);
    await app.access.check(caller, 'genomics.operations.cancel', projectId);
    return app.operations.cancel(projectId, id);
  },
};
