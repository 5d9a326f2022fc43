/**
 * Google's generated Node client (`googleapis`), unchanged and with no auth, pointed at an
 * in-process Gaffer by rootUrl, and the GaxiosErrors its calls fail with.
 */
import {strict as assert} from 'assert';
import {Common, dataflow_v1b3, genomics_v2alpha1, google} from 'googleapis';
import {LocalServer} from '../../src/server';

/** The google.rpc Status body of a refusal, as the client hands it over in err.response.data. */
export interface StatusJson {
  error: {
    code: number;
    message: string;
    status: string;
    details: Array<Record<string, unknown> & {reason?: string; fieldViolations?: Array<{field: string; description: string}>}>;
    /** The v1 errors[] ($.xgafv=1 only). */
    errors?: Array<{message: string; domain: string; reason: string}>;
  };
}

/** The genomics v2alpha1 client for `server`. */
export function genomicsClient(server: LocalServer): genomics_v2alpha1.Genomics {
  return google.genomics({version: 'v2alpha1', rootUrl: `${server.url}/`});
}

/** The dataflow v1b3 client for `server`. */
export function dataflowClient(server: LocalServer): dataflow_v1b3.Dataflow {
  return google.dataflow({version: 'v1b3', rootUrl: `${server.url}/`});
}

/** The GaxiosError a client call fails with (and fails the test if it succeeds). */
export async function failure(call: Promise<unknown>): Promise<Common.GaxiosError<StatusJson>> {
  let result: unknown;
  try {
    result = await call;
  } catch (err) {
    assert.ok(err instanceof Common.GaxiosError, `expected a GaxiosError, got ${String(err)}`);
    return err as Common.GaxiosError<StatusJson>;
  }
  return assert.fail(`expected the call to fail, got ${JSON.stringify((result as {data?: unknown}).data)}`);
}

/** Checks a failed call's HTTP status (response and error) and its google.rpc code and status; returns the Status. */
export function assertHttpStatus(err: Common.GaxiosError<StatusJson>, httpStatus: number, status: string): StatusJson['error'] {
  assert.ok(err.response, `no response on ${err.message}`);
  assert.equal(err.response.status, httpStatus, JSON.stringify(err.response.data));
  assert.equal(err.status, httpStatus);
  const error = err.response.data.error;
  assert.equal(error.code, httpStatus);
  assert.equal(error.status, status);
  return error;
}

/** The parts of a refusal a client relies on: HTTP status, google.rpc status, reason, message. */
export function assertStatus(err: Common.GaxiosError<StatusJson>, httpStatus: number, status: string, reason: string): StatusJson['error'] {
  const error = assertHttpStatus(err, httpStatus, status);
  assert.equal(error.details.find(d => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo')?.reason, reason);
  assert.ok(error.message.length > 0);
  assert.equal(err.message, error.message, 'the client surfaces the server\'s message as err.message');
  return error;
}
