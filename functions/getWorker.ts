/** Operators: GET /v2alpha1/projects/{project}/workers/{worker} (latest status, health, held operation, last check-in). */
import {notFound} from '../src/core/errors';
import {checkWorkerId} from '../src/core/workerAccess';
import {workerName, workerToJson} from '../src/core/worker';
import type {Rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';

export const getWorker: Rpc = {
  name: 'getWorker',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/workers/{worker}',
  authorize: onPathProject('gaffer.workers.get'),
  async handle({params}, app) {
    const projectId = params.project!;
    const workerId = checkWorkerId(params.worker!);
    const worker = await app.store.getWorker(projectId, workerId);
    if (!worker) throw notFound('Worker', workerName(projectId, workerId), 'WORKER_NOT_FOUND');
    return workerToJson(worker);
  },
};
