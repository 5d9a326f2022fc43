/**
 * Queue statistics over HTTP on the Firestore emulator: the recorder's points (counted
 * with Firestore's count queries) as GET .../queueStats answers them, and its refusals.
 */
import {strict as assert} from 'assert';
import type {LocalServer} from '../../src/server';
import type {QueueStatsResponseJson} from '../../src/wire/queue';
import {call, helloRequest, randomProject, startGaffer} from '../helpers/gaffer';

describe('queueStats (HTTP, Firestore emulator)', function () {
  this.timeout(30_000);
  let server: LocalServer;
  before(async () => {
    server = await startGaffer({}, {});
  });
  after(async () => server?.close());

  const stats = (project: string, query = '') => call(server, 'GET', `/v2alpha1/projects/${project}/queueStats${query}`);

  it('answers the recorded points and one counted now, oldest first', async () => {
    const project = randomProject('queue');
    for (let i = 0; i < 3; i++) assert.equal((await call(server, 'POST', '/v2alpha1/pipelines:run', helloRequest(project))).status, 200);
    assert.deepEqual(await server.app.services.queueStats.record([project]), {projects: 1, recorded: 1});
    const taken = await call(server, 'POST', `/v2alpha1/projects/${project}/workers/w1:checkIn`, {});
    assert.equal(taken.status, 200, JSON.stringify(taken.json));

    const res = await stats(project);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const body = res.json as unknown as QueueStatsResponseJson;
    assert.equal(body.interval, '60s');
    assert.deepEqual(
      body.points.map(p => [p.queued, p.running]),
      [
        [3, 0],
        [2, 1],
      ],
    );
    assert.ok(Date.parse(body.points[0]!.time) <= Date.parse(body.points[1]!.time));
    // Outside a short window the recorded point is left out; the counted one stays.
    await new Promise(resolve => setTimeout(resolve, 1100));
    const recent = (await stats(project, '?window=1s')).json as unknown as QueueStatsResponseJson;
    assert.deepEqual(recent.points.map(p => [p.queued, p.running]), [[2, 1]]);
  });

  it('answers an unknown project with the one point counted now: nothing queued', async () => {
    const body = (await stats(randomProject('queue'))).json as unknown as QueueStatsResponseJson;
    assert.deepEqual(body.points.map(p => [p.queued, p.running]), [[0, 0]]);
  });

  it('refuses a window that is not a duration, or longer than points are kept', async () => {
    const project = randomProject('queue');
    for (const [window, message] of [
      ['an hour', /^window must be a duration such as "3600s", but was: "an hour"$/],
      ['999999999s', /^window must be a duration above 0s and at most 604800s \(how long points are kept\), but was: "999999999s"$/],
    ] as const) {
      const res = await stats(project, `?window=${encodeURIComponent(window)}`);
      assert.equal(res.status, 400);
      const error = res.json.error as {status: string; message: string};
      assert.equal(error.status, 'INVALID_ARGUMENT');
      assert.match(error.message, message);
    }
    const unknown = await stats(project, '?windows=1s');
    assert.equal(unknown.status, 400, 'unknown query parameters are refused');
  });
});
