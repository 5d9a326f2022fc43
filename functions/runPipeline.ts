/**
 * pipelines.run: POST /v2alpha1/pipelines:run. A request id (AIP-155), as the `requestId`
 * query parameter or the `Idempotency-Key` header for clients that can't add one, makes
 * a retry return the operation the first request created instead of running it again.
 */
import {GafferError, invalidArgument} from '../src/core/errors';
import {REQUEST_ID} from '../src/core/operations';
import {rpc} from '../src/http/rpc';
import {authenticated} from './permissions';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export const runPipeline = rpc({
  name: 'runPipeline',
  method: 'POST',
  path: '/v2alpha1/pipelines:run',
  queryParams: ['requestId'],
  bodySchema: 'runPipelineRequest',
  // Who is calling is known before the body is read; the project is in the body, so the
  // permission is checked once the body is valid, before anything is read or written.
  authorize: authenticated(),
  async handle({body, principal, query, header}, {access, operations}) {
    await access.authorize(principal, 'genomics.operations.create', body.pipeline.resources.projectId);
    const requestId = requestIdOf(query.requestId, header(IDEMPOTENCY_HEADER));
    return operations.run(body, {submitter: principal.member, requestId});
  },
});

function requestIdOf(param: string | undefined, header: string | undefined): string | undefined {
  const fromQuery = param === '' ? undefined : param;
  const fromHeader = header === '' ? undefined : header?.trim();
  if (fromQuery !== undefined && fromHeader !== undefined && fromQuery !== fromHeader) {
    throw new GafferError('INVALID_ARGUMENT', `requestId (${JSON.stringify(fromQuery)}) and the ${IDEMPOTENCY_HEADER} header (${JSON.stringify(fromHeader)}) differ; send one.`, {
      reason: 'REQUEST_ID_MISMATCH',
      fieldViolations: [{field: 'requestId', description: `differs from the ${IDEMPOTENCY_HEADER} header`}],
    });
  }
  const id = fromQuery ?? fromHeader;
  if (id !== undefined && !REQUEST_ID.test(id)) {
    throw invalidArgument('requestId', 'a request id of 1-128 letters, digits, ".", "_", "~", ":" or "-" (a UUID, say)', id);
  }
  return id;
}
