/** Operators: GET /v2alpha1/projects/{project}/workers/{worker} (latest status, health, held operation, last check-in). */
import {checkWorkerId} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';

export const getWorker = rpc({
  name: 'getWorker',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/workers/{worker}',
  authorize: onPathProject('gaffer.workers.get'),
  handle: ({params}, {workers}) => workers.get(params.project, checkWorkerId(params.worker)),
});
