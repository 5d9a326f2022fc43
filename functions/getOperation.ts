/** operations.get: GET /v2alpha1/projects/{project}/operations/{operation} */
import {checkOperationId} from '../src/core/names';
import type {Rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';

export const getOperation: Rpc = {
  name: 'getOperation',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/operations/{operation}',
  authorize: onPathProject('genomics.operations.get'),
  handle: ({params}, app) => app.operations.get(params.project!, checkOperationId(params.operation!)),
};
