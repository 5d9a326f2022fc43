/**
 * Google's HTTP batch endpoint: `POST /batch` (and the API-specific `/batch/{api}/{version}`),
 * a multipart/mixed body of HTTP requests, answered by a multipart/mixed body of their
 * responses, in order. googleapiclient's BatchHttpRequest uses it (dsub cancels through
 * it) and so do Google's Java clients (Cromwell submits through it).
 *
 * Each part runs through the same handler as a request of its own, as the caller who
 * sent the batch (the part's Authorization header, else the batch's). What clients parse
 * (docs/clients.md, section 3): googleapiclient sends LF line endings and folds its long
 * Content-IDs over two lines, and reads only a CRLF response whose parts carry
 * `Content-ID: <response-ID>` and a status line with a reason phrase; Java clients
 * number their parts and match responses by position.
 */
import {STATUS_CODES} from 'http';
import {randomBytes} from 'crypto';
import {GafferError} from '../core/errors';
import {readBody} from './body';
import type {HttpHandler, HttpRequest, HttpResponse} from './rpc';
import {requestTooLarge, sendError} from './rpc';

/** googleapiclient's limit (MAX_BATCH_LIMIT), and Google's. */
export const MAX_BATCH_PARTS = 1000;
/** Parts answered at once: enough to overlap round trips to Firestore, few enough to be fair. */
const CONCURRENCY = 8;

const BATCH_PATH = /^\/batch(?:\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)?\/?$/;

export interface BatchPart {
  contentId?: string;
  method: string;
  /** Path and query, e.g. /v2beta/projects/p/locations/l/operations/1:cancel?alt=json */
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

interface PartResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function badBatch(detail: string): GafferError {
  return new GafferError('INVALID_ARGUMENT', `Invalid batch request: ${detail}.`, {reason: 'INVALID_BATCH'});
}

/** A handler that answers batch requests itself and passes everything else to `next`. */
export function withBatch(next: HttpHandler, maxRequestBytes: () => Promise<number>): HttpHandler {
  return async (req, res) => {
    if (!BATCH_PATH.test(req.path)) return next(req, res);
    try {
      if (req.method !== 'POST') throw new GafferError('NOT_FOUND', `${req.path} accepts only POST.`, {reason: 'METHOD_NOT_FOUND'});
      const limit = await maxRequestBytes();
      const parts = parseBatch(header(req, 'content-type') ?? '', await readBody(req, limit, requestTooLarge));
      const responses = await mapPooled(parts, CONCURRENCY, part => answer(next, req, part));
      const boundary = `batch_${randomBytes(12).toString('hex')}`;
      res.status(200);
      res.setHeader('Content-Type', `multipart/mixed; boundary=${boundary}`);
      res.end(formatBatchResponse(boundary, parts, responses));
    } catch (err) {
      sendError(res, err, 2);
    }
  };
}

function header(req: Pick<HttpRequest, 'headers'>, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Splits a multipart/mixed batch body into the requests it carries. */
export function parseBatch(contentType: string, body: Buffer): BatchPart[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!/^multipart\/mixed/i.test(contentType.trim()) || !boundary) {
    throw badBatch('the Content-Type must be multipart/mixed with a boundary');
  }
  const delimiter = `--${boundary[1] ?? boundary[2] ?? ''}`;
  const text = body.toString('latin1');
  const sections = text.split(delimiter);
  // Before the first delimiter: a preamble; after the closing "--": an epilogue.
  const parts = sections.slice(1).filter(section => !section.startsWith('--'));
  if (parts.length === 0) throw badBatch('it holds no parts');
  if (parts.length > MAX_BATCH_PARTS) throw badBatch(`it holds ${parts.length} parts; at most ${MAX_BATCH_PARTS} are allowed`);
  return parts.map((part, i) => parsePart(part.replace(/^\r?\n/, ''), i));
}

/** Header lines (folded ones unfolded) and what follows the blank line after them. */
function splitHead(text: string): {headers: Record<string, string>; firstLine?: string; rest: string} {
  const end = /\r?\n\r?\n/.exec(text);
  const head = end ? text.slice(0, end.index) : text;
  const rest = end ? text.slice(end.index + end[0].length) : '';
  const lines = head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  const headers: Record<string, string> = {};
  let firstLine: string | undefined;
  for (const [i, line] of lines.entries()) {
    const colon = line.indexOf(':');
    if (i === 0 && (colon === -1 || /^[A-Z]+ \S+ HTTP\//.test(line))) {
      firstLine = line;
      continue;
    }
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {headers, firstLine, rest};
}

function parsePart(text: string, index: number): BatchPart {
  const outer = splitHead(text);
  const inner = splitHead(outer.rest);
  const requestLine = inner.firstLine ? /^([A-Z]+) (\S+) HTTP\/\d(?:\.\d)?$/.exec(inner.firstLine.trim()) : null;
  if (!requestLine) throw badBatch(`part ${index + 1} does not hold an HTTP request line ("GET /path HTTP/1.1")`);
  const [, method = '', target = ''] = requestLine;
  // Java clients send an absolute URL; googleapiclient sends a path.
  const url = target.startsWith('/') ? target : (() => {
    try {
      const parsed = new URL(target);
      return `${parsed.pathname}${parsed.search}`;
    } catch {
      throw badBatch(`part ${index + 1} has a request target that is neither a path nor a URL`);
    }
  })();
  const contentId = outer.headers['content-id'];
  const body = Buffer.from(inner.rest.replace(/\r?\n$/, ''), 'latin1');
  return {...(contentId !== undefined ? {contentId} : {}), method, url, headers: inner.headers, body};
}

/** Runs one part through the handler, as a request of the batch's caller. */
async function answer(handler: HttpHandler, batch: HttpRequest, part: BatchPart): Promise<PartResponse> {
  const url = new URL(part.url, 'http://batch');
  const headers = {...part.headers};
  const authorization = header(batch, 'authorization');
  if (headers.authorization === undefined && authorization !== undefined) headers.authorization = authorization;
  const request: HttpRequest = {
    method: part.method,
    url: part.url,
    path: url.pathname,
    rawBody: part.body,
    readableEnded: true,
    socket: {remoteAddress: batch.socket.remoteAddress},
    headers,
  };
  if (BATCH_PATH.test(url.pathname)) {
    return errorPart(new GafferError('INVALID_ARGUMENT', 'A batch may not hold another batch.', {reason: 'NESTED_BATCH'}));
  }
  const response = new CapturedResponse();
  await handler(request, response);
  return response.result();
}

function errorPart(err: GafferError): PartResponse {
  const captured = new CapturedResponse();
  sendError(captured, err, 2);
  return captured.result();
}

/** A response a part's handler writes into, kept to be written into the batch's. */
class CapturedResponse implements HttpResponse {
  headersSent = false;
  private code = 200;
  private readonly headers: Record<string, string> = {};
  private body = '';

  status(code: number): this {
    this.code = code;
    return this;
  }

  setHeader(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }

  end(body?: string): this {
    this.headersSent = true;
    this.body = body ?? '';
    return this;
  }

  on(): this {
    // A part's client can't go away on its own: it goes with the batch.
    return this;
  }

  result(): PartResponse {
    return {status: this.code, headers: this.headers, body: this.body};
  }
}

/** The multipart/mixed answer: one part per request, in order, CRLF throughout. */
export function formatBatchResponse(boundary: string, parts: readonly BatchPart[], responses: readonly PartResponse[]): string {
  const out: string[] = [];
  responses.forEach((response, i) => {
    const id = parts[i]?.contentId;
    out.push(`--${boundary}`, 'Content-Type: application/http');
    if (id !== undefined) out.push(`Content-ID: ${responseId(id)}`);
    out.push('', `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? 'Unknown'}`);
    for (const [name, value] of Object.entries(response.headers)) out.push(`${name}: ${value}`);
    out.push(`Content-Length: ${Buffer.byteLength(response.body)}`, '', response.body);
  });
  out.push(`--${boundary}--`, '');
  return out.join('\r\n');
}

/** "<x + y>" answers as "<response-x + y>", as Google's batch service did. */
function responseId(contentId: string): string {
  const inner = /^<(.*)>$/.exec(contentId)?.[1] ?? contentId;
  return `<response-${inner}>`;
}

async function mapPooled<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const item = items[i] as T;
      results[i] = await work(item);
    }
  };
  await Promise.all(Array.from({length: Math.min(width, items.length)}, worker));
  return results;
}
