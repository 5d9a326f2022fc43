/** dataflow projects.workerMessages: POST /v1b3/projects/{projectId}/WorkerMessages */
import {rpc} from '../src/http/rpc';

export const workerMessages = rpc({
  name: 'workerMessages',
  method: 'POST',
  path: '/v1b3/projects/{projectId}/WorkerMessages',
  bodySchema: 'sendWorkerMessagesRequest',
  authorize: ({params, caller}, {workerAuth}) => workerAuth.speaker(caller, params.projectId),
  handle: ({params, body, principal, age}, {workerMessages}) => workerMessages.send(principal, params.projectId, undefined, body, {ageMs: age()}),
});
