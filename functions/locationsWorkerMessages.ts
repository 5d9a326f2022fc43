/** dataflow projects.locations.workerMessages: POST /v1b3/projects/{projectId}/locations/{location}/WorkerMessages */
import {checkLocation} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {workerOfPathProject} from './permissions';

export const locationsWorkerMessages = rpc({
  name: 'locationsWorkerMessages',
  method: 'POST',
  path: '/v1b3/projects/{projectId}/locations/{location}/WorkerMessages',
  bodySchema: 'sendWorkerMessagesRequest',
  authorize: workerOfPathProject,
  handle: ({params, body, principal, age}, {workerMessages}) =>
    workerMessages.send(principal, params.projectId, checkLocation(params.location), body, {ageMs: age()}),
});
