/* Generated from schemas/appendLogsRequest.schema.json by scripts/generate-wire-types.mjs: do not edit. */
/* eslint-disable */

/**
 * Gaffer extension. Body of POST /v2alpha1/projects/{project}/workers/{worker}:appendLogs?lease=OPERATION:EPOCH: what the actions of the operation the worker holds printed, in the order the worker read it. Only the worker holding that lease may append (the lease is checked in the same transaction as the write). The server keeps about the first 64 KiB and the last 192 KiB of each action's output (both streams together) and says how much it dropped in between.
 */
export interface AppendLogsRequest {
  /**
   * The number of this request among this writer's appends under this lease, from 1, one more each time. A retried request repeats its number and is applied once.
   */
  batch: number;
  /**
   * Chunks of output, oldest first.
   *
   * @minItems 1
   * @maxItems 32
   */
  entries: LogChunk[];
  /**
   * Who counts the batches: an id the worker picks each time it starts uploading for an operation (a worker restarted under the same lease counts from 1 again as a new writer). Unset: one writer per lease.
   */
  writer?: string;
}
/**
 * A piece of one action's standard output or standard error.
 */
export interface LogChunk {
  /**
   * The action (1-based).
   */
  actionId: number;
  /**
   * Which stream it was written to.
   */
  stream: 'stdout' | 'stderr';
  /**
   * When the worker read its first byte (RFC 3339).
   */
  timestamp: string;
  /**
   * The text (UTF-8; invalid bytes replaced).
   */
  text: string;
}
