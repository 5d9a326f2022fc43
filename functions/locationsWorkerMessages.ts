/** dataflow projects.locations.workerMessages: POST /v1b3/projects/{projectId}/locations/{location}/WorkerMessages */
import {rpc} from '../src/http/rpc';
import {workerOfPathProject} from './permissions';

export const locationsWorkerMessages = rpc({
  name: 'locationsWorkerMessages',
  method: 'POST',
  path: '/v1b3/projects/{projectId}/locations/{location}/WorkerMessages',
  bodySchema: 'sendWorkerMessagesRequest',
  authorize: workerOfPathProject,
  handle: ({params, body, principal}, {workerMessages}) =>
    workerMessages.send(principal, params.projectId, params.location, body),
});
