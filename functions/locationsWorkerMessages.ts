/** dataflow projects.locations.workerMessages: POST /v1b3/projects/{projectId}/locations/{location}/WorkerMessages */
import type {SendWorkerMessagesRequestJson} from '../src/core/workerMessages';
import type {Rpc} from '../src/http/rpc';
import {sendWorkerMessages} from './workerMessagesHandler';

export const locationsWorkerMessages: Rpc<SendWorkerMessagesRequestJson> = {
  name: 'locationsWorkerMessages',
  method: 'POST',
  path: '/v1b3/projects/{projectId}/locations/{location}/WorkerMessages',
  bodySchema: 'sendWorkerMessagesRequest',
  handle: ({params, body, caller}, app) => sendWorkerMessages(app, caller, params.projectId!, params.location!, body),
};
