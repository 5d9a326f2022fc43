/**
 * The JSON the dashboard reads: src/wire's shapes, the module every client of the server
 * shares (type-only imports: nothing of the server is bundled).
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
export type {LogEntryJson, ListLogsResponseJson as ListLogsResponse} from '../../src/wire/logs';

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
