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
 * The two RPCs below are not served yet; these are the shapes the dashboard assumes.
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

/** GET /v2alpha1/projects/{project}/queueStats */
export interface QueuePointJson {
  time: string;
  queued: number;
  running: number;
}

export interface QueueStatsResponse {
  points?: QueuePointJson[];
}
