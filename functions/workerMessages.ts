/** dataflow projects.workerMessages: POST /v1b3/projects/{projectId}/WorkerMessages */
import {rpc} from '../src/http/rpc';
import {workerOfPathProject} from './permissions';

export const workerMessages = rpc({
  name: 'workerMessages',
  method: 'POST',
  path: '/v1b3/projects/{projectId}/WorkerMessages',
  bodySchema: 'sendWorkerMessagesRequest',
  authorize: workerOfPathProject,
  handle: ({params, body, principal, age}, {workerMessages}) => workerMessages.send(principal, params.projectId, undefined, body, {ageMs: age()}),
});
