import {strict as assert} from 'assert';
import {GafferError} from '../../src/core/errors';
import {applyFields, parseFields} from '../../src/http/partialResponse';

describe('partial response (fields)', () => {
  const op = {
    name: 'projects/p/operations/1',
    done: true,
    metadata: {'@type': 'type.googleapis.com/x.Metadata', labels: {a: 'b'}, events: [{description: 'd', timestamp: 't'}]},
    error: {code: 1, message: 'm'},
  };

  it('selects top-level fields, paths and sub-selections', () => {
    assert.deepEqual(applyFields(op, parseFields('name,done')), {name: op.name, done: true});
    assert.deepEqual(applyFields(op, parseFields('metadata/labels')), {metadata: {labels: {a: 'b'}}});
    assert.deepEqual(applyFields(op, parseFields('metadata(@type,events/description)')), {
      metadata: {'@type': 'type.googleapis.com/x.Metadata', events: [{description: 'd'}]},
    });
    assert.deepEqual(applyFields(op, parseFields('*')), op);
  });

  it('applies a selection to each element of a list and merges repeated paths', () => {
    const page = {operations: [op, {...op, name: 'projects/p/operations/2'}], nextPageToken: 'x'};
    assert.deepEqual(applyFields(page, parseFields('nextPageToken,operations/name,operations/done')), {
      nextPageToken: 'x',
      operations: [
        {name: op.name, done: true},
        {name: 'projects/p/operations/2', done: true},
      ],
    });
  });

  it('refuses malformed selectors, saying where', () => {
    for (const bad of ['', 'a,', 'a(b', 'a)b', 'a//b', '(a)', 'a b']) {
      assert.throws(() => parseFields(bad), (err: GafferError) => err.code === 'INVALID_ARGUMENT' && /position/.test(err.message), bad);
    }
  });

  it('refuses selections nested deeper than 16 levels or longer than 2048 characters, without exhausting the stack', () => {
    assert.deepEqual(parseFields(`${'a/'.repeat(15)}b`).size, 1);
    for (const bad of [`${'a/'.repeat(16)}b`, `${'a('.repeat(5000)}b${')'.repeat(5000)}`, `${'a/'.repeat(100000)}b`, 'a,'.repeat(1100) + 'b']) {
      assert.throws(() => parseFields(bad), (err: GafferError) => err.code === 'INVALID_ARGUMENT' && err.reason === 'INVALID_FIELD_SELECTION', bad.slice(0, 20));
    }
  });
});
