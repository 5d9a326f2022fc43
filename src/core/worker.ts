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
  /** Latest health report (Dataflow WorkerHealthReport) and what it said. */
  health?: {report: Record<string, unknown>; time: Date; healthy: boolean; broken: boolean};
  lastMessageTime?: Date;
}

/** A worker as operators read it (GET /v2alpha1/projects/{project}/workers/{worker}). */
export interface WorkerJson {
  name: string;
  /** The operation held, if any. */
  operation?: string;
  leaseEpoch?: string;
  lastCheckInTime?: string;
  /** The v2alpha1 WorkerStatus of its last check-in that sent one. */
  status?: WorkerStatusJson;
  statusTime?: string;
  /** false once the worker reported vmIsHealthy=false or vmIsBroken; true otherwise. */
  healthy: boolean;
  holding: boolean;
  health?: Record<string, unknown>;
  healthTime?: string;
  lastMessageTime?: string;
}

export function workerToJson(worker: WorkerRecord): WorkerJson {
  const json: WorkerJson = {
    name: workerName(worker.projectId, worker.workerId),
    healthy: worker.health?.healthy ?? true,
    holding: worker.operationId !== undefined,
  };
  if (worker.operationId) json.operation = `projects/${worker.projectId}/operations/${worker.operationId}`;
  if (worker.leaseEpoch !== undefined) json.leaseEpoch = String(worker.leaseEpoch);
  if (worker.lastCheckInTime) json.lastCheckInTime = worker.lastCheckInTime.toISOString();
  if (worker.status) json.status = worker.status;
  if (worker.statusTime) json.statusTime = worker.statusTime.toISOString();
  if (worker.health) {
    json.health = worker.health.report;
    json.healthTime = worker.health.time.toISOString();
  }
  if (worker.lastMessageTime) json.lastMessageTime = worker.lastMessageTime.toISOString();
  return json;
}

export function workerName(projectId: string, workerId: string): string {
  return `projects/${projectId}/workers/${workerId}`;
}
