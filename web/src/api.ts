/**
 * Every RPC the dashboard makes, one function each, on the same origin as the page and
 * with the caller's ID token: the dashboard is a client like any other. Failures are
 * ApiErrors carrying the server's google.rpc status and message, shown as worded.
 */
import {idToken} from './session';
import type {
  ListLogsResponse,
  ListOperationsResponse,
  ListSamplesResponse,
  ListWorkersResponse,
  OperationJson,
  QueueStatsResponse,
  SampleKind,
  WorkerJson,
} from './wire';

export class ApiError extends Error {
  constructor(
    /** The HTTP status (0: the request never got an answer). */
    readonly httpStatus: number,
    /** The google.rpc code name, e.g. "PERMISSION_DENIED". */
    readonly status: string,
    message: string,
    /** ErrorInfo.reason, when the server gave one. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get unauthenticated(): boolean {
    return this.httpStatus === 401;
  }

  get permissionDenied(): boolean {
    return this.httpStatus === 403;
  }
}

/** The error if it is the server's 400 (INVALID_ARGUMENT: a bad filter, say). */
export function badRequest(error: unknown): ApiError | undefined {
  return error instanceof ApiError && error.httpStatus === 400 ? error : undefined;
}

interface StatusBody {
  error?: {code?: number; message?: string; status?: string; details?: Array<{'@type'?: string; reason?: string}>};
}

async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const {error} = JSON.parse(text) as StatusBody;
    if (error?.message !== undefined) {
      const reason = error.details?.find(d => d['@type']?.endsWith('google.rpc.ErrorInfo'))?.reason;
      return new ApiError(res.status, error.status ?? `HTTP ${res.status}`, error.message, reason);
    }
  } catch {
    // not a google.rpc.Status body (a proxy's page, say): fall through
  }
  return new ApiError(res.status, `HTTP ${res.status}`, text.trim().slice(0, 500) || res.statusText || `HTTP ${res.status}`);
}

type Query = Record<string, string | number | undefined>;

function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

async function call<T>(
  method: 'GET' | 'POST',
  path: string,
  options: {query?: Query; body?: unknown; signal?: AbortSignal} = {},
): Promise<T> {
  const headers: Record<string, string> = {Accept: 'application/json'};
  const token = idToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url(path, options.query), {
      method,
      headers,
      ...(options.body !== undefined ? {body: JSON.stringify(options.body)} : {}),
      ...(options.signal ? {signal: options.signal} : {}),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new ApiError(0, 'UNAVAILABLE', `The server did not answer (${(err as Error).message}).`);
  }
  if (!res.ok) throw await toApiError(res);
  return (await res.json()) as T;
}

const enc = encodeURIComponent;

/** What the operations table needs: no event payloads, no pipeline beyond images. */
const LIST_FIELDS =
  'operations(name,done,error,metadata(labels,createTime,startTime,endTime,events(details(@type)),pipeline(actions(imageUri)))),nextPageToken';

export interface ListRequest {
  filter?: string;
  pageSize?: number;
  pageToken?: string;
}

/** A page of a project's `collection`; with `fields`, only those (a partial response). */
function list<T>(project: string, collection: string, request: ListRequest, signal?: AbortSignal, fields?: string): Promise<T> {
  return call('GET', `/v2alpha1/projects/${enc(project)}/${collection}`, {
    query: {filter: request.filter, pageSize: request.pageSize, pageToken: request.pageToken, fields},
    ...(signal ? {signal} : {}),
  });
}

export function listOperations(project: string, request: ListRequest, signal?: AbortSignal): Promise<ListOperationsResponse> {
  return list(project, 'operations', request, signal, LIST_FIELDS);
}

/** `name`: projects/{project}/operations/{id} */
export function getOperation(name: string, signal?: AbortSignal): Promise<OperationJson> {
  return call('GET', `/v2alpha1/${name}`, signal ? {signal} : {});
}

/** The operation once done, or its latest state after `timeoutSeconds`. */
export function waitOperation(name: string, timeoutSeconds: number, signal?: AbortSignal): Promise<OperationJson> {
  return call('POST', `/v2alpha1/${name}:wait`, {body: {timeout: `${timeoutSeconds}s`}, ...(signal ? {signal} : {})});
}

export function cancelOperation(name: string): Promise<Record<string, never>> {
  return call('POST', `/v2alpha1/${name}:cancel`, {body: {}});
}

export function listWorkers(project: string, request: ListRequest, signal?: AbortSignal): Promise<ListWorkersResponse> {
  return list(project, 'workers', request, signal);
}

/** `name`: projects/{project}/workers/{worker} */
export function getWorker(name: string, signal?: AbortSignal): Promise<WorkerJson> {
  return call('GET', `/v2alpha1/${name}`, signal ? {signal} : {});
}

/**
 * An RPC the server may not serve yet: a 404 is "not available" (with the server's
 * words), not an error.
 */
export type Optional<T> = {available: true; value: T} | {available: false; message: string};

async function optional<T>(request: Promise<T>): Promise<Optional<T>> {
  try {
    return {available: true, value: await request};
  } catch (err) {
    if (err instanceof ApiError && err.httpStatus === 404) return {available: false, message: err.message};
    throw err;
  }
}

/** GET .../operations/{operation}/logs?action=N&pageToken= (what the actions printed, oldest first). */
export function listLogs(
  operationName: string,
  actionId: number,
  pageToken?: string,
  signal?: AbortSignal,
): Promise<Optional<ListLogsResponse>> {
  return optional(call('GET', `/v2alpha1/${operationName}/logs`, {query: {action: actionId, pageToken}, ...(signal ? {signal} : {})}));
}

/** GET .../workers/{worker}/samples?kind=&pageSize= (what the worker reported, newest first). */
export function listSamples(
  workerName: string,
  kind: SampleKind,
  pageSize: number,
  signal?: AbortSignal,
): Promise<Optional<ListSamplesResponse>> {
  return optional(call('GET', `/v2alpha1/${workerName}/samples`, {query: {kind, pageSize}, ...(signal ? {signal} : {})}));
}

/** GET /v2alpha1/projects/{project}/queueStats: the queue's depth over time (a 404 from an older server says "not available"). */
export function queueStats(project: string, signal?: AbortSignal): Promise<Optional<QueueStatsResponse>> {
  return optional(call('GET', `/v2alpha1/projects/${enc(project)}/queueStats`, signal ? {signal} : {}));
}
