/**
 * The long-running operations API (pipelines.run and google.longrunning.Operations),
 * free of HTTP and of Firestore: it validates what the schema can't, decides through
 * the state machine, and keeps state through the store ports.
 */
import {randomBytes} from 'crypto';
import type {OperationJson, RunPipelineRequestJson} from '../wire/genomics';
import {ChangeCommitter} from './changes';
import {planOperationQuery} from './filter';
import {locationOfRequest, v2betaOperationName} from './lifesciences';
import {OperationRecord, Placement, isDone, newOperation} from './model';
import {operationName} from './names';
import {OperationView, V2ALPHA1_VIEW, inView} from './operationJson';
import {PageTokens, Position, effectivePageSize} from './pageToken';
import type {Clock, OperationStore} from './ports';
import {retryOnConflict} from './retry';
import {GafferError, notFound} from './errors';
import {canonicalRunRequest} from './requests';
import {cancel} from './stateMachine';
import {parseDuration} from './time';

export interface ListRequest {
  filter?: string;
  pageSize?: number;
  pageToken?: string;
}

export interface OperationsDeps {
  operations: OperationStore;
  changes: ChangeCommitter;
  clock: Clock;
  pageTokens: PageTokens;
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

/** An operations listing's position: the (createTime in µs, id) of the last document read. */
function isOperationPosition(position: Position): position is [number, string] {
  return position.length === 2 && typeof position[0] === 'number' && typeof position[1] === 'string';
}

export class OperationsService {
  private readonly newId: () => string;

  constructor(private readonly deps: OperationsDeps) {
    this.newId = deps.newId ?? randomOperationId;
  }

  /**
   * pipelines.run. `placement`: the location and API of a v2beta run (its request already
   * translated to v2alpha1's shape, lifesciences.ts); a v2alpha1 run by default.
   */
  async run<Json = OperationJson>(
    request: RunPipelineRequestJson,
    placement?: Placement,
    view: OperationView<Json> = defaultView(),
  ): Promise<Json> {
    // A random id that is taken (Conflict) is drawn again.
    return retryOnConflict(
      this.deps.clock,
      async () => view.render(await this.create(request, placement)),
      () => {
        throw new GafferError('ABORTED', 'Could not find a free operation id; retry.', {reason: 'CONCURRENT_MODIFICATION'});
      },
    );
  }

  private async create(submitted: RunPipelineRequestJson, placement?: Placement): Promise<OperationRecord> {
    const request = canonicalRunRequest(submitted);
    const projectId = request.pipeline.resources.projectId;
    const now = this.deps.clock.now();
    const timeoutTime = new Date(now.getTime() + this.pipelineTimeoutMs(request));
    const where = placement ?? {location: locationOfRequest(request), apiVersion: 'v2alpha1'};
    const op = newOperation(projectId, this.newId(), request, now, timeoutTime, where);
    await this.deps.operations.create(op);
    return op;
  }

  /** pipeline.timeout, or the default; counted from creation, queue time included. */
  private pipelineTimeoutMs(request: RunPipelineRequestJson): number {
    const timeout = request.pipeline.timeout;
    const parsed = timeout === undefined ? undefined : parseDuration(timeout);
    return parsed && parsed > 0 ? parsed : this.deps.defaultPipelineTimeoutMs;
  }

  async get<Json = OperationJson>(projectId: string, id: string, view: OperationView<Json> = defaultView()): Promise<Json> {
    return view.render(await this.require(projectId, id, view));
  }

  async list<Json = OperationJson>(
    projectId: string,
    request: ListRequest,
    view: OperationView<Json> = defaultView(),
  ): Promise<{operations: Json[]; nextPageToken?: string}> {
    const pageSize = effectivePageSize(request.pageSize);
    const location = view.location === '-' ? undefined : view.location;
    const plan = planOperationQuery(request.filter ?? '', projectId, location);
    const listing = ['operations', projectId, location ?? '', plan.canonical];
    const after = request.pageToken
      ? await this.deps.pageTokens.decode(listing, request.pageToken, isOperationPosition)
      : undefined;
    const page = await this.deps.operations.list(
      projectId,
      plan,
      pageSize,
      after ? {createTimeMicros: after[0], id: after[1]} : undefined,
    );
    const response: {operations: Json[]; nextPageToken?: string} = {operations: page.operations.map(op => view.render(op))};
    if (page.next) response.nextPageToken = await this.deps.pageTokens.encode(listing, [page.next.createTimeMicros, page.next.id]);
    return response;
  }

  /** google.longrunning CancelOperation: returns Empty. */
  async cancel(projectId: string, id: string, view: OperationView<unknown> = defaultView()): Promise<Record<string, never>> {
    const {clock} = this.deps;
    await retryOnConflict(
      clock,
      async () => {
        const read = await this.deps.operations.read(projectId, id);
        if (!read || !inView(view, read.value)) throw operationNotFound(projectId, id, view);
        const outcome = cancel(read.value, clock.now());
        if (outcome.kind !== 'alreadyRequested') await this.deps.changes.commit([{kind: 'operation', read, transition: outcome.transition}]);
      },
      () => {
        throw new GafferError('ABORTED', `Operation ${operationName(projectId, id)} is being changed by others; retry.`, {
          reason: 'CONCURRENT_MODIFICATION',
        });
      },
    );
    return {};
  }

  /**
   * google.longrunning WaitOperation: the operation as soon as it is done (pushed by a
   * store listener, not polled), or its latest state when the timeout passes or the
   * caller goes away.
   */
  async wait<Json = OperationJson>(
    projectId: string,
    id: string,
    timeoutMs: number | undefined,
    signal?: AbortSignal,
    view: OperationView<Json> = defaultView(),
  ): Promise<Json> {
    const limit = this.waitTimeout(timeoutMs);
    const first = await this.require(projectId, id, view);
    if (isDone(first.state) || limit === 0 || signal?.aborted) return view.render(first);

    const settled = new AbortController();
    const unsubscribe = this.deps.operations.watch(projectId, id, op => {
      if (!op || isDone(op.state)) settled.abort();
    });
    const abort = () => settled.abort();
    signal?.addEventListener('abort', abort);
    try {
      await this.deps.clock.sleep(limit, settled.signal);
    } finally {
      signal?.removeEventListener('abort', abort);
      unsubscribe();
    }
    return view.render(await this.require(projectId, id, view));
  }

  /** Unset: the default; longer than the maximum: capped (the caller can wait again). */
  private waitTimeout(requestedMs: number | undefined): number {
    const {waitDefaultTimeoutMs, waitMaxTimeoutMs} = this.deps;
    return Math.min(requestedMs ?? waitDefaultTimeoutMs, waitMaxTimeoutMs);
  }

  private async require(projectId: string, id: string, view: OperationView<unknown>): Promise<OperationRecord> {
    const op = await this.deps.operations.get(projectId, id);
    if (!op || !inView(view, op)) throw operationNotFound(projectId, id, view);
    return op;
  }
}

/** The v2alpha1 view, as the default of methods generic in the view's JSON. */
function defaultView<Json>(): OperationView<Json> {
  // Json defaults to OperationJson wherever no view is passed.
  return V2ALPHA1_VIEW as OperationView<unknown> as OperationView<Json>;
}

function operationNotFound(projectId: string, id: string, view: OperationView<unknown>) {
  const name = view.location === undefined ? operationName(projectId, id) : v2betaOperationName(projectId, view.location, id);
  return notFound('Operation', name, 'OPERATION_NOT_FOUND');
}
