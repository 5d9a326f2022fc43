/**
 * Fair sharing within a project: the values of the fair-share label (dsub's user-id)
 * take turns at the workers, and a project's cap on running operations holds (memory stores).
 */
import {strict as assert} from 'assert';
import {shareOrder} from '../../../src/core/checkIn';
import type {WaitingClass} from '../../../src/core/ports';
import {pipelineRequest} from '../../helpers/core';
import {Bench, PROJECT, eventTypes} from './support';

describe('core fair sharing and the running cap', () => {
  it('orders share values: never served first, then served longest ago; ties by the oldest queued', () => {
    const at = (share: string, t: number): WaitingClass => ({key: `${share}${t}`, share, lastQueuedTime: new Date(t), requirements: {accelerators: [], diskGb: 0, zones: [], regions: [], preemptible: false}});
    const classes = [at('ann', 5), at('ann', 1), at('bob', 3), at('carol', 4)];
    assert.deepEqual(shareOrder(classes, undefined), ['ann', 'bob', 'carol']);
    assert.deepEqual(shareOrder(classes, new Map([['ann', 7], ['bob', 2]])), ['carol', 'bob', 'ann']);
  });

  it("takes round-robin across users: one user's burst does not starve the others", async () => {
    const bench = new Bench();
    const byUser = new Map<string, string>();
    const submit = async (user: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const {name} = await bench.services.operations.run(pipelineRequest(PROJECT, {labels: {'user-id': user}}));
        byUser.set(name, user);
        bench.clock.advance(1);
      }
    };
    await submit('ann', 20);
    await submit('bob', 2);
    await submit('carol', 1);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      const {name, lease} = await bench.take('w');
      order.push(byUser.get(name)!);
      await bench.checkIn('w', {result: {code: 0}}, lease);
    }
    assert.deepEqual(order.slice(0, 3).sort(), ['ann', 'bob', 'carol']);
    assert.deepEqual(order.slice(3), ['ann', 'bob', 'ann']);
  });

  it('is plain FIFO with GAFFER_FAIR_SHARE_LABEL=none', async () => {
    const bench = new Bench({policy: {fairShareLabel: ''}});
    const names: string[] = [];
    for (const user of ['ann', 'ann', 'ann', 'bob']) {
      names.push((await bench.services.operations.run(pipelineRequest(PROJECT, {labels: {'user-id': user}}))).name);
      bench.clock.advance(1);
    }
    const op = await bench.h.stores.operations.get(PROJECT, names[3]!.split('/').pop()!);
    assert.equal(op?.queueClass.share, '');
    assert.equal((await bench.h.stores.operations.waitingClasses(PROJECT)).length, 1);
  });

  it('runs at most the project cap at once; the next waits (with a DelayedEvent) until one ends', async () => {
    const bench = new Bench({policy: {maxRunning: {[PROJECT]: 2}}});
    const names = await bench.runMany(3);
    const first = await bench.take('w1');
    await bench.take('w2');
    assert.deepEqual(await bench.checkIn('w3'), {deadline: new Date(bench.clock.now().getTime() + bench.policy.idleCheckInIntervalMs).toISOString()});
    await bench.services.delays.explain([PROJECT]);
    const waiting = (await Promise.all(names.map(n => bench.record(n)))).find(op => op.state === 'QUEUED')!;
    assert.deepEqual(eventTypes(waiting), ['DelayedEvent']);
    assert.equal(waiting.events[0]?.details.cause, 'the project runs as many operations at once as its cap allows (2)');
    await bench.checkIn('w1', {result: {code: 0}}, first.lease);
    assert.equal((await bench.take('w3')).name.split('/').pop(), waiting.id);
    // Another project is not capped by this one's.
    await bench.services.operations.run(pipelineRequest('another-project'));
    const other = await bench.services.checkIns.checkIn({projectId: 'another-project', workerId: 'w'}, {});
    assert.ok(other.features?.operation);
  });

  it('never runs more than the cap, however many idle workers check in at the same moment', async () => {
    const bench = new Bench({policy: {maxRunning: {[PROJECT]: 3}}});
    await bench.runMany(20);
    for (const [round, places] of [3, 1, 1].entries()) {
      const answers = await Promise.all(Array.from({length: 12}, (_, k) => bench.checkIn(`r${round}-w${k}`)));
      assert.equal(answers.filter(a => a.features).length, places, `round ${round}: one assignment per free place`);
      assert.equal((await bench.h.stores.queueStats.count(PROJECT)).running, 3);
      // One ends: in the next round, twelve race for its place.
      const [holder] = (await bench.h.stores.workers.list(PROJECT, {holding: true}, 1)).workers;
      await bench.checkIn(holder!.workerId, {result: {code: 0}}, {operationId: holder!.operationId!, epoch: holder!.leaseEpoch!});
    }
  });
});
