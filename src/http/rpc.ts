/**
 * An RPC as the HTTP layer sees it: its method and path template, the query
 * parameters and body schema it accepts, and a handler that calls a core service. One
 * function (httpHandler) serves any set of them: a single one under the functions
 * framework (`--target=<name>`), or all of them in the local server.
 */
import type {Caller} from '../core/access';
import {GafferError, invalidArgument} from '../core/errors';
import {readBody} from './body';
import {applyFields, parseFields} from './partialResponse';
import type {Services} from './services';
import {ErrorFormat, asGafferError, toStatusBody} from './status';
import {withoutNulls} from '../wire/proto3';
import {RequestValidator, SchemaBodies, SchemaName, nullIsUnset} from './validation';

/** The parts of an HTTP request Gaffer reads (express's and the functions framework's fit). */
export interface HttpRequest {
  method: string;
  url: string;
  originalUrl?: string;
  path: string;
  body?: unknown;
  rawBody?: Buffer;
  readableEnded?: boolean;
  /** The body stream, when no body parser read it first (a Node request is one). */
  [Symbol.asyncIterator]?(): AsyncIterator<Buffer | string>;
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

/** `{name}` variables of a path template, as an object type: a typo in a name does not compile. */
export type PathParams<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}`
  ? {readonly [K in Name]: string} & PathParams<Rest>
  : Record<never, string>;

/** What an RPC knows before its body is read. */
export interface RequestHead<Path extends string> {
  params: PathParams<Path>;
  query: Readonly<Record<string, string>>;
  caller: Caller;
  /** A request header's value (the first, if repeated); names are case-insensitive. */
  header: (name: string) => string | undefined;
  /** Milliseconds since the request arrived at this process (fencing compares arrival with lease grants). */
  age: () => number;
}

export interface RpcContext<Path extends string, Body, Principal> extends RequestHead<Path> {
  body: Body;
  /** What `authorize` established (undefined for RPCs without it). */
  principal: Principal;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/** The body an RPC's handler receives: its schema's type, or nothing. */
export type BodyOf<Schema extends SchemaName | undefined> = Schema extends SchemaName ? SchemaBodies[Schema] : Record<string, never>;

export interface Rpc<Path extends string, Schema extends SchemaName | undefined, Principal> {
  /** The function name: `functions/<name>.ts`, `--target=<name>`. */
  name: string;
  method: 'GET' | 'POST';
  /** e.g. "/v2alpha1/projects/{project}/operations/{operation}:cancel" */
  path: Path;
  /** Names of the accepted query parameters (besides Google's system parameters). */
  queryParams?: readonly string[];
  /** The schema the JSON body must satisfy (POST only). */
  bodySchema?: Schema;
  /**
   * Authenticates and authorizes from the path, query and caller alone, before the body
   * is read or validated: an unauthenticated caller gets 401/403, never a 400 about its body.
   */
  authorize?(head: RequestHead<NoInfer<Path>>, services: Services): Promise<Principal>;
  handle(context: RpcContext<NoInfer<Path>, BodyOf<Schema>, Principal>, services: Services): Promise<unknown>;
}

/** An RPC of any path, body and principal (what the router holds). */
export type AnyRpc = Rpc<string, SchemaName | undefined, unknown>;

/**
 * Declares an RPC. Its path parameters, body and principal types follow from `path`,
 * `bodySchema` and `authorize`; the result is what the router takes.
 */
export function rpc<const Path extends string, Schema extends SchemaName | undefined = undefined, Principal = undefined>(
  definition: Rpc<Path, Schema, Principal>,
): AnyRpc {
  // Methods are bivariant in their parameters: the typed definition is an AnyRpc.
  return definition;
}

/** What httpHandler needs from the composition root. */
export interface HttpContext {
  services: Services;
  validator: RequestValidator;
  maxRequestBytes: number;
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
  return query['$.xgafv'] === '1' ? 1 : 2;
}

function singleValuedQuery(req: HttpRequest): Record<string, string> {
  let url: URL;
  try {
    url = new URL(req.originalUrl ?? req.url, 'http://localhost');
  } catch {
    throw new GafferError('INVALID_ARGUMENT', 'The request URL is malformed.', {reason: 'MALFORMED_PATH'});
  }
  // No prototype: a parameter named "__proto__" or "constructor" is a parameter like any other.
  const query = Object.create(null) as Record<string, string>;
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
  const pretty = query.prettyPrint;
  if (pretty !== undefined && pretty !== 'true' && pretty !== 'false') throw invalidArgument('prettyPrint', '"true" or "false"', pretty);
  if (query.callback !== undefined) throw invalidArgument('callback', 'absent: Gaffer answers JSON only, not JSONP', query.callback);
}

/** Request headers Gaffer reads, in all: what Google's front end allows, far beyond any real client's. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Refuses a request whose headers are larger than MAX_HEADER_BYTES (when the server lets it through). */
function checkHeaderSize(req: HttpRequest): void {
  const raw = (req as {rawHeaders?: string[]}).rawHeaders;
  const size = raw ? raw.reduce((sum, part) => sum + part.length + 2, 0) : 0;
  if (size > MAX_HEADER_BYTES) throw headersTooLarge(size);
}

export function headersTooLarge(size?: number): GafferError {
  return new GafferError(
    'INVALID_ARGUMENT',
    `Request headers ${size === undefined ? 'are' : `are ${size} bytes,`} larger than Gaffer reads (${MAX_HEADER_BYTES} bytes).`,
    {reason: 'HEADERS_TOO_LARGE', metadata: {limitBytes: String(MAX_HEADER_BYTES)}},
  );
}

export function requestTooLarge(maxBytes: number): GafferError {
  return new GafferError(
    'INVALID_ARGUMENT',
    `Request payload size exceeds the limit: ${maxBytes} bytes (GAFFER_MAX_REQUEST_BYTES).`,
    {reason: 'REQUEST_TOO_LARGE', metadata: {limitBytes: String(maxBytes)}},
  );
}

/** How deep a request body may nest (Firestore stores at most 20 levels; no request needs more). */
export const MAX_BODY_DEPTH = 20;

/** The body as JSON; with `nullIsUnset`, nulls read as unset, as proto3 JSON reads a message field's null. */
function parseJsonBody(raw: Buffer, nullIsUnset: boolean): unknown {
  if (raw.length === 0) return {};
  let text: string;
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(raw);
  } catch {
    throw new GafferError('INVALID_ARGUMENT', 'Invalid JSON payload received. The body is not UTF-8.', {reason: 'MALFORMED_JSON'});
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw new GafferError('INVALID_ARGUMENT', `Invalid JSON payload received. ${(err as Error).message}`, {
      reason: 'MALFORMED_JSON',
    });
  }
  const depth = depthOf(value);
  if (depth > MAX_BODY_DEPTH) {
    throw new GafferError('INVALID_ARGUMENT', `Invalid JSON payload received. The body nests ${depth > 1000 ? 'more than 1000' : depth} levels deep; the limit is ${MAX_BODY_DEPTH}.`, {
      reason: 'MALFORMED_JSON',
    });
  }
  // Within MAX_BODY_DEPTH, so withoutNulls never finds it too deep.
  return nullIsUnset ? withoutNulls(value) : value;
}

/** The nesting depth of a JSON value, without recursion (a body may nest deeper than the stack). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > 1000) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** An RPC without a body schema takes no body: anything but nothing or {} is refused, not ignored. */
function noBody(parsed: unknown): Record<string, never> {
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && Object.keys(parsed).length === 0) return {};
  throw new GafferError('INVALID_ARGUMENT', 'Invalid request: this RPC takes no request body (send none, or {}).', {
    reason: 'INVALID_REQUEST_BODY',
    fieldViolations: [{field: '', description: 'this RPC takes no request body'}],
  });
}

export function sendJson(res: HttpResponse, status: number, body: unknown, pretty: boolean): void {
  res.status(status);
  res.setHeader('Content-Type', 'application/json; charset=UTF-8');
  res.end(pretty ? `${JSON.stringify(body, null, 2)}\n` : JSON.stringify(body));
}

export function sendError(res: HttpResponse, err: unknown, format: ErrorFormat): void {
  const error = asGafferError(err);
  if (!res.headersSent && error.retryDelayMs !== undefined) res.setHeader('Retry-After', String(Math.ceil(error.retryDelayMs / 1000)));
  if (!res.headersSent) sendJson(res, error.httpStatus, toStatusBody(error, format), true);
  else res.end();
}

export type HttpHandler = (req: HttpRequest, res: HttpResponse) => Promise<void>;

/** One HTTP handler for a set of RPCs; the context is created on first use and then shared. */
export function httpHandler(rpcs: readonly AnyRpc[], context: () => Promise<HttpContext>): HttpHandler {
  const routes = rpcs.map(compile);
  return async (req, res) => {
    const arrival = arrivalOf(req);
    let format: ErrorFormat = 2;
    try {
      checkHeaderSize(req);
      const query = singleValuedQuery(req);
      format = errorFormat(query);
      const pretty = query.prettyPrint !== 'false';
      const path = decodePath(req.path);
      const matching = routes.filter(r => r.pattern.test(path));
      const route = matching.find(r => r.rpc.method === req.method);
      if (!route) throw noRoute(req.method, path, matching);
      checkQuery(route.rpc, query);
      const selection = query.fields ? parseFields(query.fields) : undefined;
      const {services, validator, maxRequestBytes} = await context();
      const head: RequestHead<string> = {
        params: {...route.pattern.exec(path)?.groups},
        query,
        caller: callerOf(req),
        header: name => headerOf(req, name),
        age: () => performance.now() - arrival,
      };
      const principal = route.rpc.authorize ? await route.rpc.authorize(head, services) : undefined;
      const schema = route.rpc.bodySchema;
      const parsed = route.rpc.method === 'POST' ? parseJsonBody(await readBody(req, maxRequestBytes, requestTooLarge), !schema || nullIsUnset(schema)) : {};
      const body = schema ? validator.validate(schema, parsed) : noBody(parsed);
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      const result = await route.rpc.handle({...head, body, principal, signal: abort.signal}, services);
      sendJson(res, 200, selection ? applyFields(result, selection) : result, pretty);
    } catch (err) {
      sendError(res, err, format);
    }
  };
}

function headerOf(req: HttpRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Who is calling: the socket's peer address (never X-Forwarded-For or any other header) and the credentials. */
function callerOf(req: HttpRequest): Caller {
  return {
    remoteAddress: req.socket.remoteAddress,
    authorization: headerOf(req, 'authorization'),
    serverlessAuthorization: headerOf(req, 'x-serverless-authorization'),
  };
}

/** Where a server that sees requests before their bodies are read notes their arrival (performance.now()). */
export const ARRIVAL = Symbol.for('gaffer.arrival');

/** When the request arrived: as noted by the server before its body was read, else now. */
function arrivalOf(req: HttpRequest): number {
  const noted = (req as unknown as Record<symbol, unknown>)[ARRIVAL];
  return typeof noted === 'number' ? noted : performance.now();
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
