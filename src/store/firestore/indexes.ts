/**
 * The index a fixed query needs, declared beside the query in firestore.indexes.json's
 * terms; test/unit/indexCoverage.test.ts checks each is in that file.
 */
export type IndexOrder = 'ASCENDING' | 'DESCENDING';
export type QueryScope = 'COLLECTION' | 'COLLECTION_GROUP';

export interface CompositeIndex {
  kind: 'composite';
  collectionGroup: string;
  queryScope: QueryScope;
  fields: ReadonlyArray<{fieldPath: string; order: IndexOrder}>;
}

export interface SingleFieldIndex {
  kind: 'singleField';
  collectionGroup: string;
  fieldPath: string;
  order: IndexOrder;
  queryScope: QueryScope;
}

/** A composite index: `fields` as [path, order] pairs, in query order. */
export function composite(collectionGroup: string, queryScope: QueryScope, ...fields: Array<[string, IndexOrder]>): CompositeIndex {
  return {kind: 'composite', collectionGroup, queryScope, fields: fields.map(([fieldPath, order]) => ({fieldPath, order}))};
}

/** One field's automatic (or declared) single-field index. */
export function singleField(collectionGroup: string, fieldPath: string, queryScope: QueryScope, order: IndexOrder = 'ASCENDING'): SingleFieldIndex {
  return {kind: 'singleField', collectionGroup, fieldPath, order, queryScope};
}
