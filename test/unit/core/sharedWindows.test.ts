/** One window read serves an instance's concurrent check-ins; what one takes, the others look past. */
import {strict as assert} from 'assert';
import {newOperation} from '../../../src/core/model';
import type {Versioned} from '../../../src/core/ports';
import type {OperationRecord} from '../../../src/core/model';
import {SharedWindows} from '../../../src/core/sharedWindows';
import {TestClock, pipelineRequest} from '../../helpers/core';

const op = (id: string): Versioned<OperationRecord> => ({value: newOperation('p', id, pipelineRequest('p'), new Date(0)), version: 'v1'});

describe('SharedWindows', () => {
  it('reads once for concurrent check-ins, leaves out what one took, and reads again when all is taken or it is stale', async () => {
    const clock = new TestClock(0, false);
    const windows = new SharedWindows(clock, 1000);
    let queue = ['a', 'b', 'c'];
    const limits: number[] = [];
    const read = async (limit: number) => {
      limits.push(limit);
      await new Promise(resolve => setImmediate(resolve));
      return queue.slice(0, limit).map(op);
    };
    const looks = await Promise.all([1, 2, 3].map(() => windows.window('p', ['k'], 2, read)));
    assert.deepEqual(limits, [2], 'one read for three concurrent looks');
    assert.deepEqual(looks.map(w => w.map(o => o.value.id)), [['a', 'b'], ['a', 'b'], ['a', 'b']]);
    windows.take(op('a').value);
    assert.deepEqual((await windows.window('p', ['k'], 2, read)).map(o => o.value.id), ['b']);
    windows.take(op('b').value);
    // All taken: read again, past what is being taken.
    queue = ['c', 'd'];
    assert.deepEqual((await windows.window('p', ['k'], 2, read)).map(o => o.value.id), ['c', 'd']);
    assert.deepEqual(limits, [2, 4]);
    // Lost a race on c: it is no longer left out, and the window is read again.
    windows.take(op('c').value);
    windows.lost(op('c').value);
    assert.deepEqual((await windows.window('p', ['k'], 2, read)).map(o => o.value.id), ['c', 'd']);
    assert.equal(limits.length, 3);
    // Stale after freshMs.
    clock.advance(1001);
    await windows.window('p', ['k'], 2, read);
    assert.equal(limits.length, 4);
    // An operation queued again (a new lease epoch) is new work.
    const again = op('a');
    again.value.leaseEpoch = 1;
    queue = ['a'];
    clock.advance(1001);
    assert.deepEqual((await windows.window('p', ['k'], 2, async () => [again])).map(o => o.value.id), ['a']);
  });

  it('gives concurrent picks distinct operations from one read', async () => {
    const windows = new SharedWindows(new TestClock(0, false), 1000);
    let reads = 0;
    const read = async (limit: number) => {
      reads++;
      await new Promise(resolve => setImmediate(resolve));
      return ['a', 'b', 'c', 'd', 'e', 'f'].slice(0, limit).map(op);
    };
    const picks = await Promise.all(Array.from({length: 6}, () => windows.pick('p', ['k'], 10, read)));
    assert.equal(reads, 1);
    assert.deepEqual(picks.map(p => p?.candidate.value.id).sort(), ['a', 'b', 'c', 'd', 'e', 'f']);
  });
});
