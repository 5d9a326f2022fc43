/* Generated from schemas/setIamPolicyRequest.schema.json by scripts/generate-wire-types.mjs: do not edit. */
/* eslint-disable */

/**
 * Body of POST /v2alpha1/projects/{project}:setIamPolicy (google.iam.v1.SetIamPolicyRequest, resource from the path). The policy replaces the project's; with an etag, only if the policy is still at that etag (else ABORTED).
 */
export interface SetIamPolicyRequest {
  /**
   * google.iam.v1.Policy.
   */
  policy: {
    /**
     * 1 (Gaffer has no conditional bindings).
     */
    version?: 0 | 1;
    /**
     * @maxItems 100
     */
    bindings?: {
      /**
       * roles/genomics.viewer, roles/genomics.pipelinesRunner, roles/genomics.editor, roles/genomics.admin or roles/gaffer.sweeper.
       */
      role: string;
      /**
       * user:EMAIL, serviceAccount:EMAIL, group:NAME, domain:DOMAIN or allAuthenticatedUsers.
       *
       * @maxItems 1500
       */
      members: string[];
      /**
       * Not supported: a binding with a condition is refused.
       */
      condition?: {};
    }[];
    /**
     * The etag of the policy this one was read from: a concurrent change is ABORTED, not lost.
     */
    etag?: string;
  };
  /**
   * The fields of the policy to change (bindings, etag); Gaffer always replaces the bindings.
   */
  updateMask?: string;
}
