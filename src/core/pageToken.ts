/**
 * Opaque page tokens (AIP-158). A token is a position in one listing (the sort key of
 * the last document a page read), bound to the listing's scope (what is listed, the
 * project and the canonical filter). It is sealed with AES-256-GCM, so clients can
 * neither read nor forge one, and a token from one filter can't be replayed against
 * another. Every listing (operations, workers, samples) pages through this code.
 */
import {createCipheriv, createDecipheriv, createHash, createHmac, randomBytes} from 'crypto';
import {GafferError, invalidArgument} from './errors';

/** A position in a listing: the sort key of the last item read. */
export type Position = ReadonlyArray<string | number>;

interface TokenPayload {
  v: 2;
  /** Hash of the scope the token was issued for. */
  s: string;
  p: Array<string | number>;
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

  encode(scope: string, position: Position): string {
    const payload: TokenPayload = {v: 2, s: scope, p: [...position]};
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  decode(scope: string, token: string): Position {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalidToken('is not a token this service issued');
    const raw = Buffer.from(token, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) throw invalidToken('is not a token this service issued');
    let payload: unknown;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
      payload = JSON.parse(plain.toString('utf8'));
    } catch {
      throw invalidToken('is not a token this service issued');
    }
    if (!isPayload(payload)) throw invalidToken('is not a token this service issued');
    if (payload.s !== scope) throw invalidToken('was issued for a different filter or project');
    return payload.p;
  }
}

function isPayload(value: unknown): value is TokenPayload {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return (
    p.v === 2 &&
    typeof p.s === 'string' &&
    Array.isArray(p.p) &&
    p.p.every(part => typeof part === 'string' || Number.isSafeInteger(part))
  );
}

/** AIP-158 page sizes: unset or 0 means the default; larger than the maximum is capped. */
export const MAX_PAGE_SIZE = 256;

export function effectivePageSize(requested: number | undefined): number {
  if (requested === undefined || requested === 0) return MAX_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 0) {
    throw invalidArgument('pageSize', `a non-negative integer (at most ${MAX_PAGE_SIZE})`, requested);
  }
  return Math.min(requested, MAX_PAGE_SIZE);
}

/**
 * Page tokens for every listing, sealed with one secret (configured, or generated once
 * and kept by the SecretStore so every instance shares it).
 */
export class PageTokens {
  private codec?: Promise<PageTokenCodec>;

  constructor(private readonly secret: () => Promise<string>) {}

  private get(): Promise<PageTokenCodec> {
    this.codec ??= this.secret().then(
      secret => new PageTokenCodec(secret),
      err => {
        this.codec = undefined;
        throw err;
      },
    );
    return this.codec;
  }

  async encode(listing: readonly string[], position: Position): Promise<string> {
    return (await this.get()).encode(PageTokenCodec.scope(listing), position);
  }

  /** The position a token names; `check` says whether it has this listing's shape. */
  async decode<P extends Position>(listing: readonly string[], token: string, check: (position: Position) => position is P): Promise<P> {
    const position = (await this.get()).decode(PageTokenCodec.scope(listing), token);
    if (!check(position)) throw invalidToken('is not a token this service issued');
    return position;
  }
}
