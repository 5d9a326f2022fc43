/**
 * The long-running operations API (pipelines.run and google.longrunning.Operations),
 * free of HTTP and of Firestore: it validates what the schema can't, decides through
 * the state machine, and keeps state through an OperationStore.
 */
import {randomBytes} from 'crypto';
import {planOperationQuery} from './filter';
import {invalidArgument, notFound} from './errors';
import {OperationRecord, RunPipelineRequestJson, isDone, operationName} from './model';
import {PageTokenCodec} from './pageToken';
import {cancel} from './stateMachine';
import {Clock, parseDuration} from './time';
import {OperationJson, operationToJson} from './wire';
import type {OperationStore} from '../store/operationStore';

export const MAX_PAGE_SIZE = 256;

export interface ListOperationsRequest {
  filter?: string;
  pageSize?: number;
  pageToken?: string;
}

export interface ListOperationsResponse {
  operations: OperationJson[];
  nextPageToken?: string;
}

export interface OperationsServiceOptions {
  store: OperationStore;
  clock: Clock;
  pageTokens: () => Promise<PageTokenCodec>;
  waitDefaultTimeoutMs: number;
  waitMaxTimeoutMs: number;
  /** Timeout of a pipeline that sets none (Google's default: 7 days). */
  defaultPipelineTimeoutMs: number;
  newId?: () => string;
}

/** Random, not monotonic: sequential keys hot-spot Firestore. Decimal, like Google's. */
export function randomOperationId(): string {
  return randomBytes(8).readBigUInt64BE().toString(10);
}

export class OperationsService {
  private readonly newId: () => string;

  constructor(private readonly options: OperationsServiceOptions) {
    this.newId = options.newId ?? randomOperationId;
  }

  async run(request: RunPipelineRequestJson): Promise<OperationJson> {
    const projectId = request.pipeline.resources.projectId;
    const now = this.options.clock.now();
    const op: OperationRecord = {
      projectId,
      id: this.newId(),
      state: 'QUEUED',
      createTime: now,
      request,
      labels: request.labels ?? {},
      events: [],
      eventCount: 0,
      eventTypes: [],
      cancelRequested: false,
      leaseEpoch: 0,
      attempts: 0,
      timeoutTime: new Date(now.getTime() + this.pipelineTimeoutMs(request)),
      recentEventKeys: [],
    };
    await this.options.store.create(op);
    return operationToJson(op);
  }

  /** pipeline.timeout, or the default; counted from creation, queue time included. */
  private pipelineTimeoutMs(request: RunPipelineRequestJson): number {
    const timeout = request.pipeline.timeout;
    const parsed = typeof timeout === 'string' ? parseDuration(timeout) : undefined;
    return parsed && parsed > 0 ? parsed : this.options.defaultPipelineTimeoutMs;
  }

  async get(projectId: string, id: string): Promise<OperationJson> {
    return operationToJson(await this.require(projectId, id));
  }

  async list(projectId: string, request: ListOperationsRequest): Promise<ListOperationsResponse> {
    const pageSize = effectivePageSize(request.pageSize);
    const plan = planOperationQuery(request.filter ?? '', projectId);
    const codec = await this.options.pageTokens();
    const scope = PageTokenCodec.scope(['operations', projectId, plan.canonical]);
    const after = request.pageToken ? codec.decode(scope, request.pageToken) : undefined;
    const page = await this.options.store.list(projectId, plan, pageSize, after);
    const response: ListOperationsResponse = {operations: page.operations.map(operationToJson)};
    if (page.next) response.nextPageToken = codec.encode(scope, page.next);
    return response;
  }

  /** The codec sealing page tokens (shared with other listings). */
  pageTokenCodec(): Promise<PageTokenCodec> {
    return this.options.pageTokens();
  }

  /** google.longrunning CancelOperation: returns Empty. */
  async cancel(projectId: string, id: string): Promise<Record<string, never>> {
    const now = this.options.clock.now();
    await this.options.store.update(projectId, id, op => {
      const outcome = cancel(op, now);
      return {transition: outcome.kind === 'alreadyRequested' ? undefined : outcome.transition, result: outcome};
    });
    return {};
  }

  /**
   * google.longrunning WaitOperation: the operation as soon as it is done (pushed by a
   * store listener, not polled), or its latest state when the timeout passes or the
   * caller goes away.
   */
  async wait(projectId: string, id: string, timeoutMs: number | undefined, signal?: AbortSignal): Promise<OperationJson> {
    const limit = this.waitTimeout(timeoutMs);
    const first = await this.require(projectId, id);
    if (isDone(first.state) || limit === 0 || signal?.aborted) return operationToJson(first);

    await new Promise<void>(resolve => {
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', settle);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(settle, limit);
      signal?.addEventListener('abort', settle);
      const unsubscribe = this.options.store.watch(projectId, id, op => {
        if (!op || isDone(op.state)) settle();
      });
    });
    return operationToJson(await this.require(projectId, id));
  }

  /** Unset: the default; longer than the maximum: capped (the caller can wait again). */
  private waitTimeout(requestedMs: number | undefined): number {
    const {waitDefaultTimeoutMs, waitMaxTimeoutMs} = this.options;
    return Math.min(requestedMs ?? waitDefaultTimeoutMs, waitMaxTimeoutMs);
  }

  private async require(projectId: string, id: string): Promise<OperationRecord> {
    const op = await this.options.store.get(projectId, id);
    if (!op) throw notFound('Operation', operationName(projectId, id), 'OPERATION_NOT_FOUND');
    return op;
  }
}

/** AIP-158: unset or 0 means the default; larger than the maximum is capped; negative is an error. */
export function effectivePageSize(requested: number | undefined): number {
  if (requested === undefined || requested === 0) return MAX_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 0) {
    throw invalidArgument('pageSize', `a non-negative integer (at most ${MAX_PAGE_SIZE})`, requested);
  }
  return Math.min(requested, MAX_PAGE_SIZE);
}
