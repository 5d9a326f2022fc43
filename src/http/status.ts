/**
 * The wire form of errors: google.rpc.Status inside {"error": ...}, with the HTTP status
 * of its code, an ErrorInfo detail (AIP-193) and, for bad fields, a BadRequest detail.
 * `$.xgafv=1` asks for the older v1 format, which adds the `errors[]` array.
 */
import {ERROR_DOMAIN, GafferError, RpcCode} from '../core/errors';

export type ErrorFormat = 1 | 2;

export interface StatusBody {
  error: {
    code: number;
    message: string;
    status: string;
    details: Array<Record<string, unknown>>;
    errors?: Array<{message: string; domain: string; reason: string}>;
  };
}

/** v1 `errors[].reason` words, as Google's ESF wrote them. */
const V1_REASONS: Record<string, string> = {
  INVALID_ARGUMENT: 'badRequest',
  FAILED_PRECONDITION: 'failedPrecondition',
  OUT_OF_RANGE: 'outOfRange',
  UNAUTHENTICATED: 'required',
  PERMISSION_DENIED: 'forbidden',
  NOT_FOUND: 'notFound',
  ALREADY_EXISTS: 'alreadyExists',
  ABORTED: 'aborted',
  RESOURCE_EXHAUSTED: 'rateLimitExceeded',
  CANCELLED: 'cancelled',
  UNIMPLEMENTED: 'notImplemented',
  UNAVAILABLE: 'backendError',
  DEADLINE_EXCEEDED: 'deadlineExceeded',
};

export function toStatusBody(err: GafferError, format: ErrorFormat): StatusBody {
  const details: Array<Record<string, unknown>> = [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: err.reason,
      domain: ERROR_DOMAIN,
      metadata: err.metadata,
    },
  ];
  if (err.retryDelayMs !== undefined) {
    details.push({'@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.ceil(err.retryDelayMs / 1000)}s`});
  }
  if (err.fieldViolations.length > 0) {
    details.push({'@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: err.fieldViolations});
  }
  const body: StatusBody = {
    error: {code: err.httpStatus, message: err.message, status: err.code, details},
  };
  if (format === 1) {
    body.error.errors = [{message: err.message, domain: 'global', reason: V1_REASONS[err.code] ?? 'backendError'}];
  }
  return body;
}

/** Anything that is not a GafferError is a bug or an outage: INTERNAL, logged, details hidden. */
export function asGafferError(err: unknown): GafferError {
  if (err instanceof GafferError) return err;
  const grpcCode = (err as {code?: unknown} | null)?.code;
  // Firestore contention and unavailability are worth a retry by the client.
  if (grpcCode === RpcCode.ABORTED || grpcCode === RpcCode.UNAVAILABLE || grpcCode === RpcCode.DEADLINE_EXCEEDED) {
    return new GafferError('UNAVAILABLE', 'The service is busy; retry the request with backoff.', {
      reason: 'BACKEND_UNAVAILABLE',
    });
  }
  console.error('Internal error:', err);
  return new GafferError('INTERNAL', 'Internal error. The request may be retried.', {reason: 'INTERNAL'});
}
