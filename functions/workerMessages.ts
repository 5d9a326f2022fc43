/** dataflow projects.workerMessages: POST /v1b3/projects/{projectId}/WorkerMessages */
import type {SendWorkerMessagesRequestJson} from '../src/core/workerMessages';
import type {Rpc} from '../src/http/rpc';
import {sendWorkerMessages} from './workerMessagesHandler';

export const workerMessages: Rpc<SendWorkerMessagesRequestJson> = {
  name: 'workerMessages',
  method: 'POST',
  path: '/v1b3/projects/{projectId}/WorkerMessages',
  bodySchema: 'sendWorkerMessagesRequest',
  handle: ({params, body, caller}, app) => sendWorkerMessages(app, caller, params.projectId!, undefined, body),
};
