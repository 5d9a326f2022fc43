/** A worker as Gaffer keeps it: who it is, what it holds, and what it last reported. */

/** v2alpha1 WorkerStatus, as the worker sent it. */
export type WorkerStatusJson = Record<string, unknown>;

export interface WorkerRecord {
  projectId: string;
  workerId: string;
  /** The operation held, with the lease epoch granted; absent when idle. */
  operationId?: string;
  leaseEpoch?: number;
  lastCheckInTime?: Date;
  status?: WorkerStatusJson;
  statusTime?: Date;
}

export function workerName(projectId: string, workerId: string): string {
  return `projects/${projectId}/workers/${workerId}`;
}
