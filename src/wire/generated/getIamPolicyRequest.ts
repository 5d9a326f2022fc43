/* Generated from schemas/getIamPolicyRequest.schema.json by scripts/generate-wire-types.mjs: do not edit. */
/* eslint-disable */

/**
 * Body of POST /v2alpha1/projects/{project}:getIamPolicy (google.iam.v1.GetIamPolicyRequest, resource from the path).
 */
export interface GetIamPolicyRequest {
  /**
   * google.iam.v1.GetPolicyOptions.
   */
  options?: {
    /**
     * The policy version asked for; Gaffer's policies are version 1 (no conditions), whatever is asked.
     */
    requestedPolicyVersion?: 0 | 1 | 3;
  };
}
