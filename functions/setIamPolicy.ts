/**
 * IAM: POST /v2alpha1/projects/{project}:setIamPolicy {policy} (google.iam.v1 SetIamPolicy):
 * replaces the project's bindings; a policy carrying a stale etag is ABORTED.
 */
import {checkProjectId} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';

export const setIamPolicy = rpc({
  name: 'setIamPolicy',
  method: 'POST',
  path: '/v2alpha1/projects/{project}:setIamPolicy',
  bodySchema: 'setIamPolicyRequest',
  authorize: onPathProject('gaffer.projects.setIamPolicy'),
  handle: ({params, body}, {iam}) => iam.setPolicy(checkProjectId(params.project), body.policy),
});
