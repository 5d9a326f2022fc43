/**
 * The JSON the dashboard reads. The API's shapes are src/wire's, the module every client
 * of the server shares (type-only imports: nothing of the server is bundled); only the
 * RPCs src/wire does not declare yet are declared here, as the dashboard assumes them.
 */
import type {ListOperationsResponseJson, OperationJson} from '../../src/wire/genomics';

export type {ActionJson, EventJson, OperationJson} from '../../src/wire/genomics';
export type {
  ListSamplesResponseJson as ListSamplesResponse,
  ListWorkersResponseJson as ListWorkersResponse,
  SampleJson,
  SampleKind,
  WorkerJson,
} from '../../src/wire/workers';
export type {QueuePointJson, QueueStatsResponseJson as QueueStatsResponse} from '../../src/wire/queue';

/**
 * T with every field, at any depth, optional: what a partial response (`fields=`) may leave
 * out. Maps (and Anys) stay whole: a field mask selects them or not.
 */
export type DeepPartial<T> = T extends readonly (infer E)[]
  ? DeepPartial<E>[]
  : T extends object
    ? string extends keyof T
      ? T
      : {[K in keyof T]?: DeepPartial<T[K]>}
    : T;

/** An operation as operations.list answers the dashboard: only what its `fields=` asks for, and always its name. */
export type ListedOperationJson = DeepPartial<OperationJson> & Pick<OperationJson, 'name'>;

export type ListOperationsResponse = Omit<DeepPartial<ListOperationsResponseJson>, 'operations'> & {operations?: ListedOperationJson[]};

/*
 * The RPC below is not served yet; this is the shape the dashboard assumes.
 */

/** GET /v2alpha1/projects/{project}/operations/{operation}/logs?action=N&pageToken= */
export interface LogEntryJson {
  actionId: number;
  stream: 'stdout' | 'stderr';
  timestamp: string;
  text: string;
}

export interface ListLogsResponse {
  entries?: LogEntryJson[];
  nextPageToken?: string;
}


