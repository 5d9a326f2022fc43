/* Generated from schemas/testIamPermissionsRequest.schema.json by scripts/generate-wire-types.mjs: do not edit. */
/* eslint-disable */

/**
 * Body of POST /v2alpha1/projects/{project}:testIamPermissions (google.iam.v1.TestIamPermissionsRequest, resource from the path).
 */
export interface TestIamPermissionsRequest {
  /**
   * Permission names (no wildcards); the answer lists those the caller holds on the project.
   *
   * @maxItems 100
   */
  permissions: string[];
}
