/** Operators' view of workers: get one, list them (paged like operations), read their samples. */
import {ListSamplesResponseJson, ListWorkersResponseJson, SAMPLE_KINDS, SampleKind, WorkerJson} from '../wire/workers';
import {invalidArgument, notFound} from './errors';
import {workerName} from './names';
import {PageTokens, Position, effectivePageSize} from './pageToken';
import type {SampleStore, WorkerStore} from './ports';
import {sampleToJson, workerToJson} from './worker';
import {planWorkerQuery} from './workerFilter';
import type {ListRequest} from './operations';

export interface WorkersDeps {
  workers: WorkerStore;
  samples: SampleStore;
  pageTokens: PageTokens;
}

/** A workers listing's position: the id of the last worker read. */
function isWorkerPosition(position: Position): position is [string] {
  return position.length === 1 && typeof position[0] === 'string';
}

export class WorkersService {
  constructor(private readonly deps: WorkersDeps) {}

  async get(projectId: string, workerId: string): Promise<WorkerJson> {
    const {value} = await this.deps.workers.read(projectId, workerId);
    if (!value) throw notFound('Worker', workerName(projectId, workerId), 'WORKER_NOT_FOUND');
    return workerToJson(value);
  }

  async list(projectId: string, request: ListRequest): Promise<ListWorkersResponseJson> {
    const pageSize = effectivePageSize(request.pageSize);
    const plan = planWorkerQuery(request.filter ?? '');
    const listing = ['workers', projectId, plan.canonical];
    const after = request.pageToken ? await this.deps.pageTokens.decode(listing, request.pageToken, isWorkerPosition) : undefined;
    if (plan.matchesNothing) return {workers: []};
    const page = await this.deps.workers.list(projectId, plan, pageSize, after?.[0]);
    const response: ListWorkersResponseJson = {workers: page.workers.map(workerToJson)};
    if (page.next) response.nextPageToken = await this.deps.pageTokens.encode(listing, [page.next]);
    return response;
  }

  /**
   * What a worker reported, newest first: its samples of one kind, or (worker "-", as
   * AIP-159 reads across a collection) the project's worker message codes equal to `code`.
   */
  async samples(projectId: string, workerId: string, query: {kind?: SampleKind; code?: string; pageSize?: number}): Promise<ListSamplesResponseJson> {
    const limit = effectivePageSize(query.pageSize);
    if (workerId === '-') {
      if (!query.code) throw invalidArgument('code', 'given when listing across workers (workers/-): the worker message code to find');
      const found = await this.deps.samples.withCode(projectId, query.code, limit);
      return {samples: found.map(s => sampleToJson(projectId, s.workerId, s))};
    }
    if (!query.kind) throw invalidArgument('kind', `one of ${SAMPLE_KINDS.join(', ')}`);
    const found = await this.deps.samples.ofWorker({projectId, workerId}, query.kind, limit);
    return {samples: found.map(s => sampleToJson(projectId, workerId, s))};
  }
}
