/** The JSON shapes of Dataflow v1b3 WorkerMessages on the wire (requests generated from schemas/). */
import type {
  DataflowV1B3SendWorkerMessagesRequest,
  WorkerHealthReport,
  WorkerMessage,
} from './generated/sendWorkerMessagesRequest';

export type SendWorkerMessagesRequestJson = DataflowV1B3SendWorkerMessagesRequest;
export type WorkerMessageJson = WorkerMessage;
export type WorkerHealthReportJson = WorkerHealthReport;

export interface WorkerMessageResponseJson {
  workerHealthReportResponse?: {reportInterval: string};
  workerMetricsResponse?: Record<string, never>;
  workerShutdownNoticeResponse?: Record<string, never>;
  workerThreadScalingReportResponse?: {recommendedThreadCount: number};
  streamingScalingReportResponse?: Record<string, never>;
}

export interface SendWorkerMessagesResponseJson {
  workerMessageResponses: WorkerMessageResponseJson[];
}

/** The label naming the worker a message is about (required by Gaffer). */
export const WORKER_ID_LABEL = 'WORKER_ID';
/** The label naming the job (for Gaffer: the operation) a message is about. */
export const JOB_ID_LABEL = 'JOB_ID';
