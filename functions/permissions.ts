/**
 * The `authorize` step of RPCs scoped to a project in their path: the project id must be
 * well formed, and the caller must hold `permission` on it (src/core/access.ts), or, for
 * what workers send, be a worker of that project (src/core/workerAccess.ts).
 */
import type {Permission} from '../src/core/access';
import {checkProjectId} from '../src/core/names';
import type {WorkerRef} from '../src/core/worker';
import type {RequestHead} from '../src/http/rpc';
import type {Services} from '../src/http/services';

export function onPathProject(permission: Permission) {
  return async ({params, caller}: RequestHead<`${string}{project}${string}`>, {access}: Services): Promise<undefined> => {
    await access.check(caller, permission, checkProjectId(params.project));
    return undefined;
  };
}

/** For the scheduled sweeps, which act on every project. */
export function onEveryProject(permission: Permission) {
  return async ({caller}: RequestHead<string>, {access}: Services): Promise<undefined> => {
    await access.check(caller, permission, '*');
    return undefined;
  };
}

/** Dataflow's WorkerMessages: the caller speaks for workers of the path's projectId. */
export function workerOfPathProject(
  {params, caller}: RequestHead<`${string}{projectId}${string}`>,
  {workerAuth}: Services,
): Promise<WorkerRef | undefined> {
  return workerAuth.speaker(caller, params.projectId);
}
