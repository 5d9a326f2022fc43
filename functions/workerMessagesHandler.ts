/** Shared by both WorkerMessages paths: check every message speaks for its (authenticated) sender, record. */
import type {WorkerRef} from '../src/core/checkIn';
import {SendWorkerMessagesRequestJson, WorkerMessagesService, permissionDeniedForOtherWorker} from '../src/core/workerMessages';
import {WORKER_ID} from '../src/core/workerAccess';
import type {App} from '../src/app';
import {invalidArgument} from '../src/core/errors';

/** `speaker`: the worker the token named, or undefined in development mode (labels taken as said). */
export async function sendWorkerMessages(
  app: App,
  speaker: WorkerRef | undefined,
  projectId: string,
  location: string | undefined,
  body: SendWorkerMessagesRequestJson,
): Promise<unknown> {
  if (location !== undefined && body.location !== undefined && body.location !== location) {
    throw invalidArgument('location', `the location of the path (${location})`, body.location);
  }
  WorkerMessagesService.workersOf(projectId, body).forEach((worker, i) => {
    if (!WORKER_ID.test(worker.workerId)) {
      throw invalidArgument(
        `workerMessages[${i}].labels.WORKER_ID`,
        'a worker id of 1-128 letters, digits, ".", "_" or "-" (starting with a letter or digit)',
        worker.workerId,
        'INVALID_WORKER_ID',
      );
    }
    if (speaker && worker.workerId !== speaker.workerId) throw permissionDeniedForOtherWorker(speaker, worker.workerId);
  });
  return app.workerMessages.send(projectId, body);
}
