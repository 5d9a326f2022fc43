/**
 * An RPC as the HTTP layer sees it: its method and path template, the query
 * parameters and body schema it accepts, and a handler that calls the core. One
 * function (httpHandler) serves any set of them: a single one under the functions
 * framework (`--target=<name>`), or all of them in the local server.
 */
import {Caller} from '../core/access';
import {GafferError, invalidArgument} from '../core/errors';
import type {App} from '../app';
import {applyFields, parseFields} from './partialResponse';
import {ErrorFormat, asGafferError, toStatusBody} from './status';
import type {SchemaName} from './validation';

/** The parts of an HTTP request Gaffer reads (express's and the functions framework's fit). */
export interface HttpRequest {
  method: string;
  url: string;
  originalUrl?: string;
  path: string;
  body?: unknown;
  rawBody?: Buffer;
  socket: {remoteAddress?: string};
  headers: Record<string, string | string[] | undefined>;
}

/** The parts of an HTTP response Gaffer uses. */
export interface HttpResponse {
  readonly headersSent: boolean;
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/** What an RPC knows before its body is read. */
export interface RequestHead {
  params: Record<string, string>;
  query: Record<string, string>;
  caller: Caller;
}

export interface RpcContext<Body, Principal = undefined> extends RequestHead {
  body: Body;
  /** What `authorize` established (undefined for RPCs without it). */
  principal: Principal;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

export interface Rpc<Body = unknown, Principal = undefined> {
  /** The function name: `functions/<name>.ts`, `--target=<name>`. */
  name: string;
  method: 'GET' | 'POST';
  /** e.g. "/v2alpha1/projects/{project}/operations/{operation}:cancel" */
  path: string;
  /** Names of the accepted query parameters (besides Google's system parameters). */
  queryParams?: readonly string[];
  /** The schema the JSON body must satisfy (POST only). */
  bodySchema?: SchemaName;
  /**
   * Authenticates and authorizes from the path, query and caller alone, before the body
   * is read or validated: an unauthenticated caller gets 401/403, never a 400 about its body.
   */
  authorize?(head: RequestHead, app: App): Promise<Principal>;
  handle(context: RpcContext<Body, Principal>, app: App): Promise<unknown>;
}

/** Google's system parameters, accepted on every RPC. */
const SYSTEM_PARAMS = new Set([
  '$.xgafv',
  'alt',
  'prettyPrint',
  'fields',
  'key',
  'access_token',
  'oauth_token',
  'quotaUser',
  'callback',
  'upload_protocol',
  'uploadType',
]);

/** Path variables: one segment each; the RPC checks their form (malformed: INVALID_ARGUMENT). */
const VARIABLE = /\{(\w+)\}/g;

/** An RPC of any body and principal type (what the router holds; `handle` is a method, so this accepts every Rpc). */
export type AnyRpc = Rpc<unknown, unknown>;

interface CompiledRoute {
  rpc: AnyRpc;
  pattern: RegExp;
}

function compile(rpc: AnyRpc): CompiledRoute {
  const source = rpc.path
    .split(VARIABLE)
    .map((part, i) => (i % 2 === 1 ? `(?<${part}>[^/]+?)` : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return {rpc, pattern: new RegExp(`^${source}$`)};
}

function errorFormat(query: Record<string, string>): ErrorFormat {
  const value = query['$.xgafv'];
  return value === '1' ? 1 : 2;
}

function singleValuedQuery(req: HttpRequest): Record<string, string> {
  const url = new URL(req.originalUrl ?? req.url, 'http://localhost');
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key in query) throw invalidArgument(key, 'given at most once', 'repeated');
    query[key] = value;
  }
  return query;
}

function checkQuery(rpc: AnyRpc, query: Record<string, string>): void {
  const allowed = new Set(rpc.queryParams ?? []);
  for (const key of Object.keys(query)) {
    if (!allowed.has(key) && !SYSTEM_PARAMS.has(key)) {
      throw new GafferError('INVALID_ARGUMENT', `Invalid request: Unknown name "${key}": Cannot bind query parameter.`, {
        reason: 'UNKNOWN_QUERY_PARAMETER',
        fieldViolations: [{field: key, description: `Unknown name "${key}": Cannot bind query parameter.`}],
      });
    }
  }
  const xgafv = query['$.xgafv'];
  if (xgafv !== undefined && xgafv !== '1' && xgafv !== '2') throw invalidArgument('$.xgafv', '"1" or "2"', xgafv);
  const alt = query.alt;
  if (alt !== undefined && alt !== 'json') throw invalidArgument('alt', '"json"', alt);
}

/** The request body as raw bytes, whichever body parser (if any) ran before us. */
function rawBody(req: HttpRequest): Buffer | undefined {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (Buffer.isBuffer(req.body)) return req.body;
  return undefined;
}

export function requestTooLarge(maxBytes: number): GafferError {
  return new GafferError(
    'INVALID_ARGUMENT',
    `Request payload size exceeds the limit: ${maxBytes} bytes (GAFFER_MAX_REQUEST_BYTES).`,
    {reason: 'REQUEST_TOO_LARGE', metadata: {limitBytes: String(maxBytes)}},
  );
}

function parseJsonBody(raw: Buffer | undefined, maxBytes: number): unknown {
  if (!raw || raw.length === 0) return {};
  if (raw.length > maxBytes) throw requestTooLarge(maxBytes);
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    throw new GafferError('INVALID_ARGUMENT', `Invalid JSON payload received. ${(err as Error).message}`, {
      reason: 'MALFORMED_JSON',
    });
  }
}

export function sendJson(res: HttpResponse, status: number, body: unknown, pretty: boolean): void {
  res.status(status);
  res.setHeader('Content-Type', 'application/json; charset=UTF-8');
  res.end(pretty ? `${JSON.stringify(body, null, 2)}\n` : JSON.stringify(body));
}

export function sendError(res: HttpResponse, err: unknown, format: ErrorFormat): void {
  const error = asGafferError(err);
  if (!res.headersSent) sendJson(res, error.httpStatus, toStatusBody(error, format), true);
  else res.end();
}

export type HttpHandler = (req: HttpRequest, res: HttpResponse) => Promise<void>;

/** One HTTP handler for a set of RPCs; `app` is created on first use and then shared. */
export function httpHandler(rpcs: readonly AnyRpc[], app: () => Promise<App>): HttpHandler {
  const routes = rpcs.map(compile);
  return async (req, res) => {
    let format: ErrorFormat = 2;
    let pretty = true;
    try {
      const query = singleValuedQuery(req);
      format = errorFormat(query);
      pretty = query.prettyPrint !== 'false';
      const path = decodePath(req.path);
      const matching = routes.filter(r => r.pattern.test(path));
      const route = matching.find(r => r.rpc.method === req.method);
      if (!route) throw noRoute(req.method, path, matching);
      checkQuery(route.rpc, query);
      const selection = query.fields ? parseFields(query.fields) : undefined;
      const context = await app();
      const head: RequestHead = {params: {...route.pattern.exec(path)!.groups}, query, caller: callerOf(req)};
      const principal = route.rpc.authorize ? await route.rpc.authorize(head, context) : undefined;
      const parsed = route.rpc.method === 'POST' ? parseJsonBody(rawBody(req), context.config.maxRequestBytes) : {};
      const body = route.rpc.bodySchema ? context.validator.validate(route.rpc.bodySchema, parsed) : parsed;
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      const result = await route.rpc.handle({...head, body, principal, signal: abort.signal}, context);
      sendJson(res, 200, selection ? applyFields(result, selection) : result, pretty);
    } catch (err) {
      sendError(res, err, format);
    }
  };
}

function callerOf(req: HttpRequest): Caller {
  const authorization = req.headers.authorization;
  return {
    remoteAddress: req.socket.remoteAddress,
    authorization: Array.isArray(authorization) ? authorization[0] : authorization,
  };
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new GafferError('INVALID_ARGUMENT', 'The request path has a malformed percent-encoding.', {reason: 'MALFORMED_PATH'});
  }
}

/** Paths may carry a worker's identity token: never echo one back. */
function redactTokens(path: string): string {
  return path.replace(/[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '<token>');
}

function noRoute(method: string, rawPath: string, samePath: CompiledRoute[]): GafferError {
  const path = redactTokens(rawPath);
  if (samePath.length > 0) {
    const allowed = samePath.map(r => r.rpc.method).join(', ');
    return new GafferError('NOT_FOUND', `${path} does not accept ${method}; use ${allowed}.`, {
      reason: 'METHOD_NOT_FOUND',
      metadata: {method, path},
    });
  }
  return new GafferError('NOT_FOUND', `No RPC is served at ${method} ${path}.`, {
    reason: 'RPC_NOT_FOUND',
    metadata: {method, path},
  });
}
