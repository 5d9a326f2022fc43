/**
 * Gaffer's public HTTP API over fetch: JSON in, JSON out, and google.rpc errors turned
 * into ApiError. Nothing here knows about Firestore or the server's code.
 */
import {randomUUID} from 'crypto';
import type {OperationJson} from '../wire/genomics';
import type {ListLogsResponseJson} from '../wire/logs';
import type {DeadLetterJson, ListDeadLettersResponseJson, PolicyJson} from '../wire/iam';
import type {WorkerJson} from '../wire/workers';
import {CliError} from './io';

/** The caller's ID token for each request, or undefined to send none (a server in development mode). */
export type TokenSource = () => Promise<string | undefined>;

/** How often, and how long apart, pipelines.run is retried after a transport error or a busy server. */
export interface RetryPolicy {
  attempts: number;
  delayMs: number;
}

/** A google.rpc.Status the server answered with. */
export class ApiError extends CliError {
  constructor(readonly status: string, readonly detail: string, readonly httpStatus: number) {
    super(`${status}: ${detail}`);
    this.name = 'ApiError';
  }
}

/** What each of a project's collections lists (operations.list, workers.list). */
export interface Listed {
  operations: OperationJson;
  workers: WorkerJson;
}

/** A page of a collection: its items in the field named after it, and the next page's token. */
export type ListPage<Collection extends keyof Listed> = {[field in Collection]?: Listed[Collection][]} & {nextPageToken?: string};

export interface PageRequest {
  filter?: string;
  pageSize?: number;
  pageToken?: string;
}

/** projects/{project}/operations/{id}, split. */
export interface OperationRef {
  project: string;
  id: string;
}

export function operationPath(ref: OperationRef): string {
  return `/v2alpha1/projects/${segment(ref.project)}/operations/${segment(ref.id)}`;
}

/** Ordinary calls give up after this long; :wait calls after their own timeout plus this. */
const REQUEST_TIMEOUT_MS = 60_000;

type Query = Record<string, string | undefined>;

export class GafferClient {
  private readonly root: string;

  constructor(
    readonly server: string,
    private readonly token: TokenSource = async () => undefined,
    private readonly retry: RetryPolicy = {attempts: 4, delayMs: 1000},
  ) {
    this.root = server.replace(/\/+$/, '');
  }

  /**
   * pipelines.run with a request id (a new UUID unless given): a connection reset or a busy
   * server is retried with the same id, so the pipeline runs once whatever happens.
   */
  async runPipeline(request: unknown, requestId: string = randomUUID()): Promise<OperationJson> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send<OperationJson>('POST', '/v2alpha1/pipelines:run', {body: request, query: {requestId}});
      } catch (err) {
        const retriable = err instanceof TransportError || (err instanceof ApiError && [429, 502, 503, 504].includes(err.httpStatus));
        if (!retriable || attempt >= this.retry.attempts) throw err;
        await new Promise(resolve => setTimeout(resolve, this.retry.delayMs * attempt));
      }
    }
  }

  getIamPolicy(project: string): Promise<PolicyJson> {
    return this.send('POST', `/v2alpha1/projects/${segment(project)}:getIamPolicy`, {body: {}});
  }

  setIamPolicy(project: string, policy: PolicyJson): Promise<PolicyJson> {
    return this.send('POST', `/v2alpha1/projects/${segment(project)}:setIamPolicy`, {body: {policy}});
  }

  listDeadLetters(project: string, page: PageRequest): Promise<ListDeadLettersResponseJson> {
    return this.send('GET', `/v2alpha1/projects/${segment(project)}/deadLetters`, {
      query: {pageSize: page.pageSize === undefined ? undefined : String(page.pageSize), pageToken: page.pageToken},
    });
  }

  retryDeadLetter(project: string, id: string): Promise<DeadLetterJson> {
    return this.send('POST', `/v2alpha1/projects/${segment(project)}/deadLetters/${segment(id)}:retry`, {body: {}});
  }

  getOperation(ref: OperationRef): Promise<OperationJson> {
    return this.send('GET', operationPath(ref));
  }

  /** One page of the project's `collection`. */
  list<Collection extends keyof Listed>(project: string, collection: Collection, page: PageRequest): Promise<ListPage<Collection>> {
    return this.send('GET', `/v2alpha1/projects/${segment(project)}/${collection}`, {query: pageQuery(page)});
  }

  cancelOperation(ref: OperationRef): Promise<Record<string, unknown>> {
    return this.send('POST', `${operationPath(ref)}:cancel`, {body: {}});
  }

  /** operations.wait: the operation once done, or its latest state after `timeoutMs`. */
  waitOperation(ref: OperationRef, timeoutMs: number): Promise<OperationJson> {
    const body = {timeout: `${(timeoutMs / 1000).toFixed(3)}s`};
    return this.send('POST', `${operationPath(ref)}:wait`, {body, timeoutMs: timeoutMs + REQUEST_TIMEOUT_MS});
  }

  /** What the operation's actions printed (one action's, or every action's), a page at a time. */
  listLogs(ref: OperationRef, actionId: number | undefined, pageToken: string | undefined): Promise<ListLogsResponseJson> {
    return this.send('GET', `${operationPath(ref)}/logs`, {query: {action: actionId === undefined ? undefined : String(actionId), pageToken}});
  }

  private async send<T>(
    method: 'GET' | 'POST',
    path: string,
    options: {query?: Query; body?: unknown; timeoutMs?: number} = {},
  ): Promise<T> {
    const url = new URL(this.root + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const token = await this.token();
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, {
        method,
        headers: {
          ...(options.body === undefined ? {} : {'Content-Type': 'application/json'}),
          ...(token ? {Authorization: `Bearer ${token}`} : {}),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw this.transportError(err, timeoutMs);
    }
    const json = parseJson(text);
    if (status < 200 || status >= 300) throw apiError(status, json, text);
    if (json === undefined) throw new CliError(`Gaffer at ${this.server} answered HTTP ${status} with no JSON body`);
    return json as T;
  }

  private transportError(err: unknown, timeoutMs: number): CliError {
    if (err instanceof Error && err.name === 'TimeoutError') {
      return new TransportError(`Gaffer at ${this.server} did not answer within ${Math.round(timeoutMs / 1000)}s`);
    }
    const cause = causeOf(err);
    return new TransportError(`can't reach Gaffer at ${this.server} (is \`npm start\` running?)${cause ? ` [${cause}]` : ''}`);
  }
}

/** No answer: the request may or may not have reached Gaffer. */
export class TransportError extends CliError {}

function pageQuery(page: PageRequest): Query {
  return {
    filter: page.filter,
    pageSize: page.pageSize === undefined ? undefined : String(page.pageSize),
    pageToken: page.pageToken,
  };
}

/** A path segment; ":" stays as is (legacy "example.com:project" ids). */
function segment(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ':');
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function apiError(httpStatus: number, json: unknown, text: string): CliError {
  const error = (json as {error?: {message?: unknown; status?: unknown}} | undefined)?.error;
  if (error && typeof error.message === 'string') {
    const status = typeof error.status === 'string' ? error.status : `HTTP ${httpStatus}`;
    return new ApiError(status, error.message, httpStatus);
  }
  const snippet = text.trim().slice(0, 200);
  return new ApiError(`HTTP ${httpStatus}`, snippet || 'no error message in the response', httpStatus);
}

/** Why fetch failed: the system error code under its "fetch failed" (ECONNREFUSED, ENOTFOUND, ...) or the cause's message. */
function causeOf(err: unknown): string | undefined {
  let message: string | undefined;
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth++) {
    const {code, message: text} = current as {code?: unknown; message?: unknown};
    if (typeof code === 'string') return code;
    if (depth > 0 && typeof text === 'string' && text) message = text;
    current = (current as {cause?: unknown}).cause;
  }
  return message;
}
