/**
 * Gaffer extension: what actions printed. A worker appends it while its actions run
 * (`POST /v2alpha1/projects/{project}/workers/{worker}:appendLogs?lease=OPERATION:EPOCH`);
 * anyone who may read the operation reads it
 * (`GET /v2alpha1/projects/{project}/operations/{operation}/logs?action=N&pageToken=`).
 */
import type {AppendLogsRequest, LogChunk} from './generated/appendLogsRequest';

export type AppendLogsRequestJson = AppendLogsRequest;
export type LogChunkJson = LogChunk;
export type LogStream = LogChunk['stream'];

/** The answer to an append: nothing to say (a refused one is an error). */
export type AppendLogsResponseJson = Record<string, never>;

/** One line (or, for a line longer than a chunk, a piece of one) an action printed. */
export interface LogEntryJson {
  actionId: number;
  stream: LogStream;
  /** When the worker read it (RFC 3339). */
  timestamp: string;
  /** The text, ending with "\n" unless the line was cut. */
  text: string;
}

/**
 * A page of an operation's logs, oldest first. While the operation runs, `nextPageToken`
 * is always set (more may come: call again with it); once it is done, it is empty on the
 * last page.
 */
export interface ListLogsResponseJson {
  entries: LogEntryJson[];
  nextPageToken?: string;
}
