/**
 * HTTP/1.1 over a plain socket, for requests no well-behaved client sends (bad
 * percent-encoding, huge headers, unknown methods, no Content-Type, raw bytes) and from a
 * chosen local address (a non-loopback peer). One request per connection.
 */
import {connect} from 'net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  /** The body as JSON, or undefined if it is not JSON. */
  json?: Record<string, unknown>;
}

export interface RawRequest {
  method: string;
  /** The request target exactly as sent (not encoded here). */
  target: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send no Content-Length (and no body). */
  noLength?: boolean;
  /** Bytes sent instead of a request built from the fields above. */
  raw?: Buffer | string;
  /** Bind the client socket to this address (e.g. a non-loopback one on lo). */
  localAddress?: string;
}

export function rawRequest(host: string, port: number, request: RawRequest, timeoutMs = 20_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({host, port, ...(request.localAddress ? {localAddress: request.localAddress} : {})});
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${request.method} ${request.target.slice(0, 100)}`));
    }, timeoutMs);
    socket.on('connect', () => {
      // Written, not ended: a half-closed connection may be dropped before the answer.
      if (request.raw !== undefined) {
        socket.write(request.raw);
        return;
      }
      const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
      const headers: Record<string, string> = {Host: `${host}:${port}`, Connection: 'close', ...request.headers};
      if (!request.noLength) headers['Content-Length'] = String(body.length);
      const head = `${request.method} ${request.target} HTTP/1.1\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`;
      socket.write(head);
      socket.write(body);
    });
    socket.on('data', chunk => chunks.push(chunk));
    socket.on('error', err => {
      // A server may close after answering while the request is still being written (huge headers).
      if (chunks.length > 0) return;
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

function parseResponse(data: Buffer): RawResponse {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`not an HTTP response: ${JSON.stringify(data.toString('latin1').slice(0, 200))}`);
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(end + 4);
  if (headers['transfer-encoding']?.includes('chunked')) body = unchunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  const text = body.toString('utf8');
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return {status, headers, body, text, ...(json ? {json} : {})};
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
