/**
 * A request's body as raw bytes, whoever served the request. The local server reads
 * every body as raw bytes; under the functions framework a body parser may already
 * have read it (then `rawBody` holds its bytes), or none matched its content type (no
 * Content-Type at all, say) and the stream is still unread, so it is read here: a body
 * is never silently dropped.
 */
import type {GafferError} from '../core/errors';

interface BodySource {
  body?: unknown;
  rawBody?: Buffer;
  readableEnded?: boolean;
  [Symbol.asyncIterator]?(): AsyncIterator<Buffer | string>;
}

export async function readBody(req: BodySource, maxBytes: number, tooLarge: (maxBytes: number) => GafferError): Promise<Buffer> {
  const raw = Buffer.isBuffer(req.rawBody) ? req.rawBody : Buffer.isBuffer(req.body) ? req.body : await readStream(req, maxBytes, tooLarge);
  if (raw.length > maxBytes) throw tooLarge(maxBytes);
  return raw;
}

async function readStream(req: BodySource, maxBytes: number, tooLarge: (maxBytes: number) => GafferError): Promise<Buffer> {
  const iterate = req[Symbol.asyncIterator];
  if (req.readableEnded || !iterate) return Buffer.alloc(0);
  const stream: AsyncIterable<Buffer | string> = {[Symbol.asyncIterator]: () => iterate.call(req)};
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
