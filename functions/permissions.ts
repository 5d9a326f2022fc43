/**
 * The `authorize` step of RPCs scoped to a project in their path: the project id must be
 * well formed, the caller must authenticate, and must hold `permission` on the project
 * (src/core/access.ts), all before anything about the project is read: a caller who may
 * not gets the same answer whether or not what it names exists. What workers send needs
 * a worker of that project instead (src/core/workerAccess.ts).
 */
import type {Permission, Principal} from '../src/core/access';
import {checkProjectId} from '../src/core/names';
import type {WorkerRef} from '../src/core/worker';
import type {RequestHead} from '../src/http/rpc';
import type {Services} from '../src/http/services';

export function onPathProject(permission: Permission) {
  return async ({params, caller}: RequestHead<`${string}{project}${string}`>, {access}: Services): Promise<Principal> => {
    const principal = await access.authenticate(caller);
    await access.authorize(principal, permission, checkProjectId(params.project));
    return principal;
  };
}

/** For the scheduled sweeps, which act on every project. */
export function onEveryProject(permission: Permission) {
  return async ({caller}: RequestHead<string>, {access}: Services): Promise<Principal> => access.check(caller, permission, '*');
}

/** Authentication alone: for RPCs whose project is in the body (pipelines.run) or that need no permission. */
export function authenticated() {
  return async ({caller}: RequestHead<string>, {access}: Services): Promise<Principal> => access.authenticate(caller);
}

/** Dataflow's WorkerMessages: the caller speaks for workers of the path's projectId. */
export function workerOfPathProject(
  {params, caller}: RequestHead<`${string}{projectId}${string}`>,
  {workerAuth}: Services,
): Promise<WorkerRef | undefined> {
  return workerAuth.speaker(caller, params.projectId);
}
