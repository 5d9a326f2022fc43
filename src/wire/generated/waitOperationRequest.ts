/* Generated from schemas/waitOperationRequest.schema.json by scripts/generate-wire-types.mjs: do not edit. */
/* eslint-disable */

/**
 * Body of POST /v2alpha1/projects/{project}/operations/{operation}:wait (google.longrunning.WaitOperationRequest).
 */
export interface WaitOperationRequest {
  /**
   * The operation's name; must equal the name in the path.
   */
  name?: string;
  /**
   * The longest time to wait, a google.protobuf.Duration such as "30s". Unset: the server's default (GAFFER_WAIT_DEFAULT_TIMEOUT, 60s); longer than GAFFER_WAIT_MAX_TIMEOUT (300s): capped to it.
   */
  timeout?: string;
}
