/** Shared by both WorkerMessages paths: authenticate, check every message speaks for its sender, record. */
import {Caller} from '../src/core/access';
import {SendWorkerMessagesRequestJson, WorkerMessagesService, permissionDeniedForOtherWorker} from '../src/core/workerMessages';
import {checkWorkerId} from '../src/core/workerAccess';
import type {App} from '../src/app';
import {invalidArgument} from '../src/core/errors';

export async function sendWorkerMessages(
  app: App,
  caller: Caller,
  projectId: string,
  location: string | undefined,
  body: SendWorkerMessagesRequestJson,
): Promise<unknown> {
  if (location !== undefined && body.location !== undefined && body.location !== location) {
    throw invalidArgument('location', `the location of the path (${location})`, body.location);
  }
  const speaker = await app.workerAuth.speaker(caller, projectId);
  for (const worker of WorkerMessagesService.workersOf(projectId, body)) {
    checkWorkerId(worker.workerId);
    if (speaker && worker.workerId !== speaker.workerId) throw permissionDeniedForOtherWorker(speaker, worker.workerId);
  }
  return app.workerMessages.send(projectId, body);
}
