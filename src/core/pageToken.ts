/**
 * Opaque page tokens (AIP-158). A token is a position in one listing: the sort key of
 * the last document a page read, bound to the listing's scope (project + filter).
 * It is sealed with AES-256-GCM, so clients can neither read it nor forge one, and a
 * token from one filter can't be replayed against another.
 */
import {createCipheriv, createDecipheriv, createHash, createHmac, randomBytes} from 'crypto';
import {GafferError} from './errors';

/** Where the next page starts: after this (createTime, id) in newest-first order. */
export interface ListCursor {
  createTimeMicros: number;
  id: string;
}

interface TokenPayload {
  v: 1;
  /** Hash of the scope the token was issued for. */
  s: string;
  t: number;
  i: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

function invalidToken(detail: string): GafferError {
  return new GafferError(
    'INVALID_ARGUMENT',
    `pageToken ${detail}. Pass back the nextPageToken of the previous page, with the same filter, unchanged.`,
    {reason: 'INVALID_PAGE_TOKEN', fieldViolations: [{field: 'pageToken', description: detail}]},
  );
}

export class PageTokenCodec {
  private readonly key: Buffer;

  constructor(secret: Buffer | string) {
    // Derive a purpose-bound key, so the stored secret can serve other uses later.
    this.key = createHmac('sha256', secret).update('gaffer/page-token/v1').digest();
  }

  static randomSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  /** The scope a listing's tokens are bound to. */
  static scope(parts: readonly string[]): string {
    return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 22);
  }

  encode(scope: string, cursor: ListCursor): string {
    const payload: TokenPayload = {v: 1, s: scope, t: cursor.createTimeMicros, i: cursor.id};
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  decode(scope: string, token: string): ListCursor {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalidToken('is not a token this service issued');
    const raw = Buffer.from(token, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) throw invalidToken('is not a token this service issued');
    let payload: unknown;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
        decipher.final(),
      ]);
      payload = JSON.parse(plain.toString('utf8'));
    } catch {
      throw invalidToken('is not a token this service issued');
    }
    if (!isPayload(payload)) throw invalidToken('is not a token this service issued');
    if (payload.s !== scope) {
      throw invalidToken('was issued for a different filter or project');
    }
    return {createTimeMicros: payload.t, id: payload.i};
  }
}

function isPayload(value: unknown): value is TokenPayload {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return p.v === 1 && typeof p.s === 'string' && Number.isSafeInteger(p.t) && typeof p.i === 'string';
}
