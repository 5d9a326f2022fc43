/**
 * Operators: what a worker reported through WorkerMessages, newest first:
 * GET /v2alpha1/projects/{project}/workers/{worker}/samples?kind=health&pageSize=
 * or, across the project's workers, GET .../workers/-/samples?code=CODE.
 */
import {invalidArgument} from '../src/core/errors';
import {checkWorkerId} from '../src/core/names';
import {rpc} from '../src/http/rpc';
import {SAMPLE_KINDS, SampleKind} from '../src/wire/workers';
import {parsePageSize} from './paging';
import {onPathProject} from './permissions';

function parseKind(text: string | undefined): SampleKind | undefined {
  if (text === undefined || text === '') return undefined;
  const kind = SAMPLE_KINDS.find(k => k === text);
  if (!kind) throw invalidArgument('kind', `one of ${SAMPLE_KINDS.join(', ')}`, text);
  return kind;
}

export const listWorkerSamples = rpc({
  name: 'listWorkerSamples',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/workers/{worker}/samples',
  queryParams: ['kind', 'code', 'pageSize'],
  authorize: onPathProject('gaffer.workers.get'),
  handle: ({params, query}, {workers}) =>
    workers.samples(params.project, params.worker === '-' ? '-' : checkWorkerId(params.worker), {
      kind: parseKind(query.kind),
      code: query.code || undefined,
      pageSize: parsePageSize(query.pageSize),
    }),
});
