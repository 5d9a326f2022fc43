/* Generated from schemas/cancelOperationRequest.schema.json by scripts/generate-wire-types.mjs: do not edit. */
/* eslint-disable */

/**
 * Body of POST /v2alpha1/projects/{project}/operations/{operation}:cancel. google.genomics.v2alpha1 CancelOperationRequest has no fields; `name` (google.longrunning) is accepted when it repeats the path.
 */
export interface CancelOperationRequest {
  /**
   * The operation's name; must equal the name in the path.
   */
  name?: string;
}
