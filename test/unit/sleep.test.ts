import {strict as assert} from 'assert';
import {getEventListeners} from 'events';
import {sleep} from '../../src/lib/sleep';

describe('agent sleep', () => {
  it('leaves no abort listener behind, however often an idle worker waits', async () => {
    const stopping = new AbortController();
    for (let i = 0; i < 50; i++) await sleep(1, stopping.signal);
    assert.equal(getEventListeners(stopping.signal, 'abort').length, 0);
  });

  it('returns at once when aborted', async () => {
    const stopping = new AbortController();
    const waiting = sleep(60_000, stopping.signal);
    stopping.abort();
    await waiting;
    assert.equal(getEventListeners(stopping.signal, 'abort').length, 0);
  });
});
