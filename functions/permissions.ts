/**
 * The `authorize` step of RPCs scoped to a project in their path: the project id must be
 * well formed, and the caller must hold `permission` on it (src/core/access.ts).
 */
import type {Permission} from '../src/core/access';
import {checkProjectId} from '../src/core/names';
import type {App} from '../src/app';
import type {RequestHead} from '../src/http/rpc';

export function onPathProject(permission: Permission, param = 'project') {
  return async ({params, caller}: RequestHead, app: App): Promise<undefined> => {
    await app.access.check(caller, permission, checkProjectId(params[param] ?? ''));
    return undefined;
  };
}

/** For the scheduled sweeps, which act on every project. */
export function onEveryProject(permission: Permission) {
  return async ({caller}: RequestHead, app: App): Promise<undefined> => {
    await app.access.check(caller, permission, '*');
    return undefined;
  };
}
