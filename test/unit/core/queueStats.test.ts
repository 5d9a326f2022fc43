/**
 * QueueStatsService in process: the recorder's points (one per interval while a project
 * is busy, one when it falls idle, none while it stays idle), and what operators read
 * (a window of points, idle stretches filled back in, a point counted as they ask).
 */
import {strict as assert} from 'assert';
import {withIdleFilledIn} from '../../../src/core/queueStats';
import type {QueuePointJson} from '../../../src/wire/queue';
import {Bench, PROJECT, idOf, refused} from './support';

const MINUTE = 60_000;

describe('core QueueStatsService', () => {
  let bench: Bench;
  beforeEach(() => {
    bench = new Bench({policy: {queueStatsIntervalMs: MINUTE, queueStatsTtlMs: 7 * 24 * 60 * MINUTE}});
  });
  const stats = () => bench.services.queueStats;
  const shape = (points: QueuePointJson[]) => points.map(p => `${p.time.slice(11, 16)} ${p.queued}/${p.running}`);
  /** Records, then moves the clock one interval on. */
  async function tick(): Promise<void> {
    await stats().record();
    bench.clock.advance(MINUTE);
  }

  it('records a busy project every interval, and counts the last point as it is read', async () => {
    await bench.runMany(3);
    await tick(); // 12:00 3 queued
    await bench.take('w1');
    await tick(); // 12:01 2 queued, 1 running
    await bench.run();
    const read = await stats().read(PROJECT);
    assert.equal(read.interval, '60s');
    assert.deepEqual(shape(read.points), ['12:00 3/0', '12:01 2/1', '12:02 3/1']);
    assert.match(read.points[0]!.time, /^2026-11-30T12:00:00(\.\d+)?Z$/);
  });

  it('records a project that falls idle once, and reads its idle stretch back as zeros up to the next rise', async () => {
    const name = await bench.run();
    await tick(); // 12:00 1/0
    await bench.services.operations.cancel(PROJECT, idOf(name));
    await tick(); // 12:01 0/0: the end of a busy stretch
    const written = bench.h.stores.stats().documentsWritten;
    for (let i = 0; i < 10; i++) await tick(); // 12:02 .. 12:11: idle, nothing written
    assert.equal(bench.h.stores.stats().documentsWritten, written, 'an idle project costs no writes');
    await bench.run();
    await tick(); // 12:12 1/0
    assert.deepEqual(shape((await stats().read(PROJECT)).points), ['12:00 1/0', '12:01 0/0', '12:11 0/0', '12:12 1/0', '12:13 1/0']);
  });

  it('records nothing for a project that was never busy when recorded', async () => {
    await bench.services.operations.cancel(PROJECT, idOf(await bench.run()));
    await tick();
    assert.deepEqual(await bench.h.stores.queueStats.points(PROJECT, new Date(0)), []);
    assert.deepEqual(shape((await stats().read(PROJECT)).points), ['12:01 0/0']);
  });

  it('records the fall to idle, then nothing more', async () => {
    const name = await bench.run();
    await tick(); // 12:00 1/0
    await bench.services.operations.cancel(PROJECT, idOf(name)); // queued: it ends at once
    await tick(); // 12:01 0/0: recorded, the last point said 1/0
    await tick(); // 12:02 idle: not recorded
    const recorded = await bench.h.stores.queueStats.points(PROJECT, new Date(0));
    assert.deepEqual(
      recorded.map(p => [p.queued, p.running]),
      [
        [1, 0],
        [0, 0],
      ],
    );
  });

  it('reads a window of the kept points, and refuses one longer than they are kept', async () => {
    await bench.run();
    for (let i = 0; i < 90; i++) await tick();
    const lastHalfHour = await stats().read(PROJECT, 30 * MINUTE);
    assert.equal(lastHalfHour.points.length, 31, '30 recorded within the window, plus the one counted now');
    const error = await refused(stats().read(PROJECT, 8 * 24 * 60 * MINUTE), 'INVALID_ARGUMENT', 'INVALID_ARGUMENT');
    assert.match(error.message, /^window must be a duration above 0s and at most 604800s \(how long points are kept\), but was: "691200s"$/);
  });

  it('fills in only idle stretches: a gap in busy points is left as a gap', () => {
    const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m));
    const filled = withIdleFilledIn(
      [
        {time: at(0), queued: 0, running: 0},
        {time: at(5), queued: 2, running: 0},
        {time: at(9), queued: 1, running: 0},
        {time: at(10), queued: 0, running: 0},
        {time: at(11), queued: 4, running: 0},
      ],
      MINUTE,
    );
    assert.deepEqual(
      filled.map(p => [p.time.getUTCMinutes(), p.queued]),
      [
        [0, 0],
        [4, 0],
        [5, 2],
        [9, 1],
        [10, 0],
        [11, 4],
      ],
    );
  });
});
