/** dataflow projects.workerMessages: POST /v1b3/projects/{projectId}/WorkerMessages */
import type {WorkerRef} from '../src/core/checkIn';
import type {SendWorkerMessagesRequestJson} from '../src/core/workerMessages';
import type {Rpc} from '../src/http/rpc';
import {sendWorkerMessages} from './workerMessagesHandler';

export const workerMessages: Rpc<SendWorkerMessagesRequestJson, WorkerRef | undefined> = {
  name: 'workerMessages',
  method: 'POST',
  path: '/v1b3/projects/{projectId}/WorkerMessages',
  bodySchema: 'sendWorkerMessagesRequest',
  authorize: ({params, caller}, app) => app.workerAuth.speaker(caller, params.projectId!),
  handle: ({params, body, principal}, app) => sendWorkerMessages(app, principal, params.projectId!, undefined, body),
};
