/** A worker as Gaffer keeps it: who it is, what it holds, and what it last reported. */
import type {WorkerCapabilitiesJson, WorkerStatusJson} from '../wire/genomics';
import type {SampleKind, SampleJson, WorkerJson} from '../wire/workers';
import {operationName, workerName} from './names';

export interface WorkerRef {
  projectId: string;
  workerId: string;
}

/** The latest health report of a worker (Dataflow WorkerHealthReport), kept on the worker. */
export interface WorkerHealth {
  report: Record<string, unknown>;
  time: Date;
  healthy: boolean;
  broken: boolean;
}

export interface WorkerRecord extends WorkerRef {
  /** The operation held, with the lease epoch granted; absent when idle. */
  operationId?: string;
  leaseEpoch?: number;
  /**
   * When the lease on the operation held runs out: renewed by every check-in of the
   * worker, alone on a heartbeat. Absent when idle, and on a lease granted by a Gaffer
   * that kept the deadline on the operation (Lease.legacyExpireTime).
   */
  leaseExpireTime?: Date;
  /** The operation held has a cancel waiting (copied from the operation, so a heartbeat reads only this document). */
  cancelRequested?: boolean;
  lastCheckInTime?: Date;
  status?: WorkerStatusJson;
  statusTime?: Date;
  /** What the worker said it is (zone, machine type, GPUs...), int64 fields as strings. */
  capabilities?: WorkerCapabilitiesJson;
  health?: WorkerHealth;
  lastMessageTime?: Date;
  /**
   * The report that ended the worker's last lease: which lease, and a digest of the
   * request, so that a second delivery of it is recognised and changes nothing.
   */
  lastFinish?: {operationId: string; epoch: number; digest: string};
}

/** One thing a worker reported (a WorkerMessage part), kept for a while as history. */
export interface WorkerSample {
  kind: SampleKind;
  time: Date;
  /** The message part as sent. */
  data: Record<string, unknown>;
  jobId?: string;
  /** workerMessageCode.code, so messages are findable by code. */
  code?: string;
  /** workerLifecycleEvent: events are grouped by the container start they belong to. */
  containerStartTime?: string;
  lifecycleEvent?: string;
}

/** The worker freed of the operation it held. */
export function idle(worker: WorkerRecord): WorkerRecord {
  return {...worker, operationId: undefined, leaseEpoch: undefined, leaseExpireTime: undefined, cancelRequested: undefined};
}

export function workerToJson(worker: WorkerRecord): WorkerJson {
  const json: WorkerJson = {
    name: workerName(worker.projectId, worker.workerId),
    healthy: worker.health?.healthy ?? true,
    holding: worker.operationId !== undefined,
  };
  if (worker.operationId) json.operation = operationName(worker.projectId, worker.operationId);
  if (worker.leaseEpoch !== undefined) json.leaseEpoch = String(worker.leaseEpoch);
  if (worker.leaseExpireTime) json.leaseExpireTime = worker.leaseExpireTime.toISOString();
  if (worker.cancelRequested) json.cancelRequested = true;
  if (worker.lastCheckInTime) json.lastCheckInTime = worker.lastCheckInTime.toISOString();
  if (worker.status) json.status = worker.status;
  if (worker.statusTime) json.statusTime = worker.statusTime.toISOString();
  if (worker.capabilities) json.capabilities = worker.capabilities;
  if (worker.health) {
    json.health = worker.health.report;
    json.healthTime = worker.health.time.toISOString();
  }
  if (worker.lastMessageTime) json.lastMessageTime = worker.lastMessageTime.toISOString();
  return json;
}

export function sampleToJson(projectId: string, workerId: string, sample: WorkerSample): SampleJson {
  return {
    worker: workerName(projectId, workerId),
    kind: sample.kind,
    time: sample.time.toISOString(),
    data: sample.data,
    ...(sample.jobId ? {jobId: sample.jobId} : {}),
  };
}

/** Capabilities as kept and shown: int64 fields as strings (proto3 JSON), whichever form the worker sent. */
export function normalizeCapabilities(sent: WorkerCapabilitiesJson): WorkerCapabilitiesJson {
  const out: WorkerCapabilitiesJson = {...sent};
  if (sent.memoryBytes !== undefined) out.memoryBytes = String(sent.memoryBytes);
  if (sent.freeDiskBytes !== undefined) out.freeDiskBytes = String(sent.freeDiskBytes);
  if (sent.accelerators) out.accelerators = sent.accelerators.map(a => ({type: a.type, count: String(a.count)}));
  return out;
}
