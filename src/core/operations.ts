/**
 * The long-running operations API (pipelines.run and google.longrunning.Operations),
 * free of HTTP and of Firestore: it validates what the schema can't, decides through
 * the state machine, and keeps state through the store ports.
 */
import {queueClassOf} from './requirements';
import {createHash, randomBytes} from 'crypto';
import type {OperationJson, RunPipelineRequestJson} from '../wire/genomics';
import {ChangeCommitter, holderChange} from './changes';
import {planOperationQuery} from './filter';
import {locationOfRequest, v2betaOperationName} from './lifesciences';
import {OperationRecord, Placement, isDone, newOperation} from './model';
import {operationName} from './names';
import {OperationView, V2ALPHA1_VIEW, inView} from './operationJson';
import {PageTokens, Position, effectivePageSize} from './pageToken';
import {Conflict, type Clock, type OperationStore, type RequestIdRecord, type WorkerStore} from './ports';
import {retryOnConflict} from './retry';
import {GafferError, invalidArgument, notFound} from './errors';
import {canonicalRunRequest} from './requests';
import {canonicalJson} from '../lib/canonicalJson';
import {cancel} from './stateMachine';
import {parseDuration} from './time';
import {MAX_DURATION_SECONDS, MAX_TIMESTAMP_MS} from '../wire/proto3';

export interface ListRequest {
  filter?: string;
  pageSize?: number;
  pageToken?: string;
}

export interface OperationsDeps {
  operations: OperationStore;
  /** Read and written when a cancel must reach the worker holding the operation. */
  workers: WorkerStore;
  changes: ChangeCommitter;
  clock: Clock;
  pageTokens: PageTokens;
  waitDefaultTimeoutMs: number;
  waitMaxTimeoutMs: number;
  /** Timeout of a pipeline that sets none (Google's default: 7 days). */
  defaultPipelineTimeoutMs: number;
  /**
   * The topics a request's pubSubTopic may name: full names, `*` standing for any run of
   * characters but "/", `{project}` for the operation's project.
   */
  pubSubTopics: readonly string[];
  /** The label whose values share the project's workers round-robin ('' : none); part of each operation's queue class. */
  fairShareLabel: string;
  /** How long a pipelines.run request id is remembered. */
  requestIdTtlMs: number;
  newId?: () => string;
}

/** Who runs a pipeline, and the request id (AIP-155) that makes a retry of it safe. */
export interface RunOptions {
  /** The caller's IAM member, recorded as the operation's submitter. */
  submitter?: string;
  requestId?: string;
  /** Where a v2beta run was submitted; unset: a v2alpha1 run. */
  placement?: Placement;
}

/** The default pubSubTopic allow-list: topics of the operation's own project. */
export const OWN_PROJECT_TOPICS = 'projects/{project}/topics/*';

/** Request ids: what a UUID or any client-chosen token can be (AIP-155 recommends a UUID). */
export const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._~:-]{0,127}$/;

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
   * pipelines.run. `options.placement`: the location and API of a v2beta run (its request
   * already translated to v2alpha1's shape, lifesciences.ts); a v2alpha1 run by default.
   */
  async run<Json = OperationJson>(
    submitted: RunPipelineRequestJson,
    options: RunOptions = {},
    view: OperationView<Json> = defaultView(),
  ): Promise<Json> {
    const request = canonicalRunRequest(submitted);
    const projectId = request.pipeline.resources.projectId;
    this.checkPubSubTopic(request, projectId);
    const requestId = options.requestId === undefined ? undefined : this.requestKey(projectId, options.submitter ?? '', options.requestId, request);
    if (requestId) {
      const earlier = await this.deps.operations.requestId(projectId, requestId.key);
      if (earlier) return view.render(await this.replay(projectId, earlier, requestId, options.requestId ?? ''));
    }
    // A random id that is taken (Conflict) is drawn again.
    return retryOnConflict(
      this.deps.clock,
      async () => view.render(await this.create(request, options, requestId)),
      () => {
        throw new GafferError('ABORTED', 'Could not find a free operation id; retry.', {reason: 'CONCURRENT_MODIFICATION'});
      },
    );
  }

  private async create(request: RunPipelineRequestJson, options: RunOptions, requestId: RequestIdRecord | undefined): Promise<OperationRecord> {
    const projectId = request.pipeline.resources.projectId;
    const now = this.deps.clock.now();
    // A timeout past the end of Firestore's time never comes: it is the end of time.
    const timeoutTime = new Date(Math.min(now.getTime() + this.pipelineTimeoutMs(request), MAX_TIMESTAMP_MS));
    const where = options.placement ?? {location: locationOfRequest(request), apiVersion: 'v2alpha1'};
    const op: OperationRecord = {
      ...newOperation(projectId, this.newId(), request, now, timeoutTime, where),
      queueClass: queueClassOf(request, this.deps.fairShareLabel || undefined),
      ...(options.submitter ? {submitter: options.submitter} : {}),
    };
    const record = requestId && {...requestId, operationId: op.id, createTime: now, expireTime: new Date(now.getTime() + this.deps.requestIdTtlMs)};
    try {
      await this.deps.operations.create(op, record);
    } catch (err) {
      // A retry of the same request raced this one and created its operation first.
      const earlier = err instanceof Conflict && record ? await this.deps.operations.requestId(projectId, record.key) : undefined;
      if (earlier && record) return this.replay(projectId, earlier, record, '');
      throw err;
    }
    return op;
  }

  /** The record of a request id (its operation not yet known), keyed per project and caller. */
  private requestKey(projectId: string, submitter: string, requestId: string, request: RunPipelineRequestJson): RequestIdRecord {
    const key = createHash('sha256').update(`${projectId}\u0000${submitter}\u0000${requestId}`).digest('hex').slice(0, 40);
    const bodyDigest = createHash('sha256').update(canonicalJson(request)).digest('hex');
    const epoch = new Date(0);
    return {key, operationId: '', bodyDigest, createTime: epoch, expireTime: epoch};
  }

  /** A retried request: the operation the first one created, if it is the same request. */
  private async replay(projectId: string, earlier: RequestIdRecord, now: RequestIdRecord, requestId: string): Promise<OperationRecord> {
    if (earlier.bodyDigest !== now.bodyDigest) {
      throw new GafferError(
        'ALREADY_EXISTS',
        `Request id ${JSON.stringify(requestId)} was already used by this caller for a different pipelines.run request ` +
          `(operation ${operationName(projectId, earlier.operationId)}); use a new request id for a new request.`,
        {reason: 'REQUEST_ID_REUSED', metadata: {operation: operationName(projectId, earlier.operationId)}},
      );
    }
    return this.require(projectId, earlier.operationId, defaultView());
  }

  /** A pubSubTopic must be one the allow-list lets this project's pipelines publish to. */
  private checkPubSubTopic(request: RunPipelineRequestJson, projectId: string): void {
    const topic = request.pubSubTopic;
    if (topic === undefined) return;
    if (!/^projects\/[^/]+\/topics\/[^/]+$/.test(topic)) {
      throw invalidArgument('pubSubTopic', 'a topic name, projects/{project}/topics/{topic}', topic);
    }
    const allowed = this.deps.pubSubTopics.map(pattern => pattern.replace(/\{project\}/g, projectId));
    if (allowed.some(pattern => topicMatches(pattern, topic))) return;
    throw new GafferError(
      'PERMISSION_DENIED',
      `pubSubTopic ${JSON.stringify(topic)} is not a topic pipelines of project ${projectId} may publish to; allowed: ` +
        `${allowed.join(', ') || 'none'} (GAFFER_PUBSUB_TOPICS).`,
      {
        reason: 'PUBSUB_TOPIC_NOT_ALLOWED',
        metadata: {topic, allowed: allowed.join(',')},
        fieldViolations: [{field: 'pubSubTopic', description: `not an allowed topic (${allowed.join(', ') || 'none'})`}],
      },
    );
  }

  /** pipeline.timeout, or the default; counted from creation, queue time included. */
  private pipelineTimeoutMs(request: RunPipelineRequestJson): number {
    const timeout = request.pipeline.timeout;
    if (timeout === undefined) return this.deps.defaultPipelineTimeoutMs;
    const parsed = parseDuration(timeout);
    if (parsed === undefined || parsed > MAX_DURATION_SECONDS * 1000) {
      throw invalidArgument('pipeline.timeout', `a Duration of at most ${MAX_DURATION_SECONDS}s (10,000 years)`, timeout);
    }
    return parsed > 0 ? parsed : this.deps.defaultPipelineTimeoutMs;
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

  /** google.longrunning CancelOperation: returns Empty. `by`: who cancels (recorded on the operation). */
  async cancel(projectId: string, id: string, by?: string, view: OperationView<unknown> = defaultView()): Promise<Record<string, never>> {
    const {clock} = this.deps;
    await retryOnConflict(
      clock,
      async () => {
        const read = await this.deps.operations.read(projectId, id);
        if (!read || !inView(view, read.value)) throw operationNotFound(projectId, id, view);
        const outcome = cancel(read.value, clock.now(), by);
        if (outcome.kind === 'alreadyRequested') return;
        // A running operation's worker learns of the cancel from its own document (heartbeats read only that).
        const holder = outcome.kind === 'cancelRequested' ? await holderChange(this.deps.workers, read.value, w => ({...w, cancelRequested: true})) : [];
        await this.deps.changes.commit([{kind: 'operation', read, transition: outcome.transition}, ...holder]);
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

/** `*` matches any run of characters but "/". */
function topicMatches(pattern: string, topic: string): boolean {
  const source = pattern.split('*').map(part => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  return new RegExp(`^${source}$`).test(topic);
}
