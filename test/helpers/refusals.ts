/**
 * Checking Gaffer's refusals as integration tests see them through `call` (see gaffer.ts):
 * the HTTP status, the google.rpc Status body and its ErrorInfo, and that a refused token
 * is never echoed back.
 */
import {strict as assert} from 'assert';

type Json = Record<string, unknown>;

/** A google.rpc.Status as Gaffer sends it under `error`. */
export interface ErrorJson {
  code: number;
  message: string;
  status: string;
  details: Array<
    Json & {
      reason?: string;
      domain?: string;
      metadata?: Record<string, string>;
      fieldViolations?: Array<{field: string; description: string}>;
    }
  >;
}

/**
 * Checks a refusal's HTTP status, google.rpc status, ErrorInfo reason (domain gaffer), and
 * that the token is not echoed; `absent` names top-level response fields a refusal must not
 * carry. Returns the Status.
 */
export function assertRefused(
  res: {status: number; json: Json},
  httpStatus: number,
  status: string,
  reason: string,
  token?: string,
  absent: string[] = [],
): ErrorJson {
  assert.equal(res.status, httpStatus, JSON.stringify(res.json));
  const error = res.json.error as ErrorJson;
  assert.ok(error, `no error in ${JSON.stringify(res.json)}`);
  for (const field of absent) assert.equal(res.json[field], undefined);
  assert.equal(error.code, httpStatus);
  assert.equal(error.status, status);
  const info = error.details.find(d => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo');
  assert.ok(info, `no ErrorInfo in ${JSON.stringify(error)}`);
  assert.equal(info.reason, reason, error.message);
  assert.equal(info.domain, 'gaffer');
  assert.ok(error.message.length > 0);
  if (token && token.length > 20) {
    const body = JSON.stringify(res.json);
    for (const segment of token.split('.')) {
      if (segment.length > 20) assert.ok(!body.includes(segment), 'the error must not echo the token');
    }
  }
  return error;
}
