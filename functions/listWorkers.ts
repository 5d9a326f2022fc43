/** Operators: GET /v2alpha1/projects/{project}/workers?filter=&pageSize=&pageToken= (by worker id). */
import {effectivePageSize} from '../src/core/operations';
import {PageTokenCodec} from '../src/core/pageToken';
import {planWorkerQuery} from '../src/core/workerFilter';
import {workerToJson} from '../src/core/worker';
import type {Rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';
import {parsePageSize} from './listOperations';

export const listWorkers: Rpc = {
  name: 'listWorkers',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/workers',
  queryParams: ['filter', 'pageSize', 'pageToken'],
  authorize: onPathProject('gaffer.workers.list'),
  async handle({params, query}, app) {
    const projectId = params.project!;
    const pageSize = effectivePageSize(parsePageSize(query.pageSize));
    const plan = planWorkerQuery(query.filter ?? '');
    const codec = await app.operations.pageTokenCodec();
    const scope = PageTokenCodec.scope(['workers', projectId, plan.canonical]);
    // Workers are listed by id: the cursor's id is the last worker of the previous page.
    const after = query.pageToken ? codec.decode(scope, query.pageToken).id : undefined;
    if (plan.matchesNothing) return {workers: []};
    const page = await app.store.listWorkers(projectId, plan, pageSize, after);
    return {
      workers: page.workers.map(workerToJson),
      ...(page.next ? {nextPageToken: codec.encode(scope, {createTimeMicros: 0, id: page.next})} : {}),
    };
  },
};
