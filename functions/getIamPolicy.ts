/** IAM: POST /v2alpha1/projects/{project}:getIamPolicy (google.iam.v1 GetIamPolicy; the project's own bindings). */
import {checkProjectId} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';

export const getIamPolicy = rpc({
  name: 'getIamPolicy',
  method: 'POST',
  path: '/v2alpha1/projects/{project}:getIamPolicy',
  bodySchema: 'getIamPolicyRequest',
  authorize: onPathProject('gaffer.projects.getIamPolicy'),
  handle: ({params}, {iam}) => iam.getPolicy(checkProjectId(params.project)),
});
