/**
 * The emulator does not enforce composite indexes, so this is the check that production
 * Firestore would serve every query Gaffer can issue: each query shape the planner can
 * emit has its composite index in firestore.indexes.json, and no declared index is
 * unused (each one costs a write per document).
 */
import {strict as assert} from 'assert';
import {readFileSync} from 'fs';
import {join} from 'path';
import {IndexShape, allIndexShapes, planOperationQuery, shapeOf} from '../../src/core/filter';
import {FIXED_QUERY_INDEXES} from '../../src/store/firestore';

interface IndexField {
  fieldPath: string;
  order?: 'ASCENDING' | 'DESCENDING';
  arrayConfig?: 'CONTAINS';
}
interface CompositeIndex {
  collectionGroup: string;
  queryScope: 'COLLECTION' | 'COLLECTION_GROUP';
  fields: IndexField[];
}
interface IndexFile {
  indexes: CompositeIndex[];
  fieldOverrides: Array<{
    collectionGroup: string;
    fieldPath: string;
    indexes: Array<{order?: string; arrayConfig?: string; queryScope: string}>;
    ttl?: boolean;
  }>;
}

const indexFile = JSON.parse(
  readFileSync(join(__dirname, '../../../firestore.indexes.json'), 'utf8'),
) as IndexFile;

/** The composite index a list query of this shape needs: equalities, array-contains, createTime DESC. */
function requiredIndex(shape: IndexShape): CompositeIndex {
  return {
    collectionGroup: 'operations',
    queryScope: 'COLLECTION',
    fields: [
      ...shape.equalityFields.map(fieldPath => ({fieldPath, order: 'ASCENDING' as const})),
      ...(shape.arrayField ? [{fieldPath: shape.arrayField, arrayConfig: 'CONTAINS' as const}] : []),
      {fieldPath: 'createTime', order: 'DESCENDING' as const},
    ],
  };
}

/** A shape with no condition is served by the automatic single-field index on createTime. */
function needsComposite(shape: IndexShape): boolean {
  return shape.equalityFields.length > 0 || shape.arrayField !== undefined;
}

const key = (index: CompositeIndex) => JSON.stringify(index);

describe('firestore.indexes.json', () => {
  const declared = new Set(indexFile.indexes.map(key));

  it('has a composite index for every query shape the planner can emit', () => {
    for (const shape of allIndexShapes().filter(needsComposite)) {
      assert.ok(declared.has(key(requiredIndex(shape))), `no index for ${JSON.stringify(shape)}`);
    }
  });

  it("has the index of each of the store's fixed queries (queue window, lease and timeout sweeps)", () => {
    for (const [name, index] of Object.entries(FIXED_QUERY_INDEXES)) {
      if (index.kind === 'composite') {
        const {kind: _kind, ...composite} = index;
        assert.ok(declared.has(JSON.stringify(composite)), `${name}: no composite index ${JSON.stringify(composite)}`);
      } else {
        const override = indexFile.fieldOverrides.find(
          o => o.collectionGroup === index.collectionGroup && o.fieldPath === index.fieldPath,
        );
        assert.ok(
          override?.indexes.some(i => i.order === index.order && i.queryScope === index.queryScope),
          `${name}: no ${index.queryScope} ${index.order} index on ${index.collectionGroup}.${index.fieldPath}`,
        );
      }
    }
  });

  it('declares no composite index that no query uses', () => {
    const required = new Set(allIndexShapes().filter(needsComposite).map(s => key(requiredIndex(s))));
    for (const index of Object.values(FIXED_QUERY_INDEXES)) {
      if (index.kind === 'composite') {
        const {kind: _kind, ...composite} = index;
        required.add(JSON.stringify(composite));
      }
    }
    for (const index of declared) assert.ok(required.has(index), `unused index ${index}`);
  });

  it('covers the shapes of real filters, including ORs, NOTs and residual checks', () => {
    const filters = [
      'done = true',
      'status = RUNNING AND labels.color = red',
      'error = 3 OR events:FailedEvent',
      'labels.a = x AND labels.b = y AND createTime > 1700000000',
      'done = false AND -labels.a = x',
      'labels.color:* AND error >= 2',
      '(status = QUEUED OR status = RUNNING) AND labels.team = "genomics"',
      'events:WorkerAssignedEvent AND NOT events:FailedEvent',
      'error != 0 AND labels.k = v',
    ];
    for (const filter of filters) {
      for (const conjunct of planOperationQuery(filter, 'my-project').disjuncts) {
        const shape = shapeOf(conjunct);
        if (needsComposite(shape)) {
          assert.ok(declared.has(key(requiredIndex(shape))), `${filter}: no index for ${JSON.stringify(shape)}`);
        }
      }
    }
  });

  it('exempts from indexing the fields no query uses', () => {
    const exempt = new Set(
      indexFile.fieldOverrides.filter(o => o.indexes.length === 0).map(o => `${o.collectionGroup}.${o.fieldPath}`),
    );
    for (const field of ['request', 'recentEvents', 'labels', 'error', 'eventCount', 'queueClassInfo']) {
      assert.ok(exempt.has(`operations.${field}`), `operations.${field} should be exempt from indexing`);
    }
    assert.ok(exempt.has('events.event'));
  });
});
