/**
 * google.rpc error model: one table of codes, one error class that knows its code,
 * and one builder for every invalid-argument message, so each message names the
 * field and what was expected (AIP-193).
 */

import {RpcCode, RpcCodeName, codeName} from '../wire/proto3';

export {RpcCode, codeName};
export type {RpcCodeName};

/** The HTTP status each google.rpc code maps to (google/rpc/code.proto). */
const HTTP_STATUS: Record<RpcCodeName, number> = {
  OK: 200,
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

export function httpStatusOf(code: RpcCodeName): number {
  return HTTP_STATUS[code];
}

/** The ErrorInfo domain for every error Gaffer raises. */
export const ERROR_DOMAIN = 'gaffer';

/** One bad field of a request (google.rpc.BadRequest.FieldViolation). */
export interface FieldViolation {
  field: string;
  description: string;
}

export interface GafferErrorOptions {
  /** ErrorInfo.reason: UPPER_SNAKE_CASE, stable, machine-readable. */
  reason: string;
  /** ErrorInfo.metadata: short facts a client may act on. */
  metadata?: Record<string, string>;
  fieldViolations?: FieldViolation[];
  /** google.rpc.RetryInfo: how long the client should wait before it retries (and the Retry-After header). */
  retryDelayMs?: number;
}

/** An expected failure, carrying its google.rpc code. Anything else is INTERNAL. */
export class GafferError extends Error {
  readonly code: RpcCodeName;
  readonly reason: string;
  readonly metadata: Record<string, string>;
  readonly fieldViolations: FieldViolation[];
  readonly retryDelayMs?: number;

  constructor(code: RpcCodeName, message: string, options: GafferErrorOptions) {
    super(message);
    this.name = 'GafferError';
    this.code = code;
    this.reason = options.reason;
    this.metadata = options.metadata ?? {};
    this.fieldViolations = options.fieldViolations ?? [];
    if (options.retryDelayMs !== undefined) this.retryDelayMs = options.retryDelayMs;
  }

  get httpStatus(): number {
    return httpStatusOf(this.code);
  }
}

/** INVALID_ARGUMENT naming the field: "<field> must be <expected>, but was: <actual>". */
export function invalidArgument(
  field: string,
  expected: string,
  actual?: unknown,
  reason = 'INVALID_ARGUMENT',
): GafferError {
  const shown = actual === undefined ? '' : `, but was: ${describeValue(actual)}`;
  const description = `${field} must be ${expected}${shown}`;
  return new GafferError('INVALID_ARGUMENT', description, {
    reason,
    metadata: {field},
    fieldViolations: [{field, description}],
  });
}

export function notFound(what: string, name: string, reason: string): GafferError {
  return new GafferError('NOT_FOUND', `${what} ${JSON.stringify(name)} was not found.`, {
    reason,
    metadata: {name},
  });
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
