/**
 * IAM: POST /v2alpha1/projects/{project}:testIamPermissions {permissions} (google.iam.v1
 * TestIamPermissions): which of them the caller holds. Like Google's, it needs no
 * permission of its own, only an authenticated caller.
 */
import {checkProjectId} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {authenticated} from './permissions';

export const testIamPermissions = rpc({
  name: 'testIamPermissions',
  method: 'POST',
  path: '/v2alpha1/projects/{project}:testIamPermissions',
  bodySchema: 'testIamPermissionsRequest',
  authorize: authenticated(),
  handle: ({params, body, principal}, {iam}) => iam.test(principal, checkProjectId(params.project), body.permissions),
});
