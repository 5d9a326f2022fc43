/** dataflow projects.locations.workerMessages: POST /v1b3/projects/{projectId}/locations/{location}/WorkerMessages */
import type {WorkerRef} from '../src/core/checkIn';
import type {SendWorkerMessagesRequestJson} from '../src/core/workerMessages';
import type {Rpc} from '../src/http/rpc';
import {sendWorkerMessages} from './workerMessagesHandler';

export const locationsWorkerMessages: Rpc<SendWorkerMessagesRequestJson, WorkerRef | undefined> = {
  name: 'locationsWorkerMessages',
  method: 'POST',
  path: '/v1b3/projects/{projectId}/locations/{location}/WorkerMessages',
  bodySchema: 'sendWorkerMessagesRequest',
  authorize: ({params, caller}, app) => app.workerAuth.speaker(caller, params.projectId!),
  handle: ({params, body, principal}, app) => sendWorkerMessages(app, principal, params.projectId!, params.location!, body),
};
