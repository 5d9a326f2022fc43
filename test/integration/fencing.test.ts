/**
 * The delayed-request test, over HTTP, with Google's generated client as the worker (it
 * can't add ?lease=) making one request at a time: worker W takes Z1 and sends its result,
 * which is held up in the network; W loses Z1 (its lease expires and is swept), takes Z2,
 * and only then does the old result reach Gaffer. It must not complete Z2, which never ran,
 * while W itself keeps working on Z2 by retrying what Gaffer answers UNAVAILABLE.
 *
 * Real time, short leases (3 s) and a short quarantine (1.5 s) keep it to seconds; the
 * mechanism and the defaults are in docs/design.md, "Fencing workers that send no lease".
 */
import {strict as assert} from 'assert';
import {connect, Socket} from 'net';
import type {genomics_v2alpha1} from 'googleapis';
import {LocalServer} from '../../src/server';
import {helloRequest, randomProject, startGaffer} from '../helpers/gaffer';
import {assertStatus, failure, genomicsClient} from '../helpers/googleapis';

type CheckInResponse = genomics_v2alpha1.Schema$CheckInResponse;
const T = 'type.googleapis.com/google.genomics.v2alpha1.';
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('fencing a worker that presents no lease (Google\'s generated client)', function () {
  this.timeout(60_000);
  let server: LocalServer;
  let genomics: genomics_v2alpha1.Genomics;

  before(async () => {
    server = await startGaffer({leaseDurationMs: 3_000, leaseGraceMs: 0, checkInIntervalMs: 500, unfencedReportDelayMs: 1_500});
    genomics = genomicsClient(server);
  });
  after(() => server.close());

  const get = async (name: string) => (await genomics.projects.operations.get({name})).data;

  /** A request whose headers and first bytes are sent now, the rest when `finish` is called. */
  function heldUp(path: string, body: string): {finish(): Promise<{status: number; text: string}>} {
    const url = new URL(server.url);
    const socket: Socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', c => chunks.push(c));
    const closed = new Promise<void>(resolve => socket.on('close', () => resolve()));
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
        body.slice(0, 3),
    );
    return {
      async finish() {
        socket.write(body.slice(3));
        await closed;
        const text = Buffer.concat(chunks).toString();
        return {status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), text};
      },
    };
  }

  it('an old result never completes the later operation; the worker keeps working by retrying', async () => {
    const project = randomProject('fence');
    const worker = 'google-client-worker';
    const name = `projects/${project}/workers/${worker}`;
    const checkIn = (requestBody: genomics_v2alpha1.Schema$CheckInRequest) => genomics.projects.workers.checkIn({id: name, requestBody});

    const z1 = (await genomics.pipelines.run({requestBody: helloRequest(project, {run: 'z1'})})).data.name!;
    assert.equal(((await checkIn({})).data.features as {operation?: string}).operation, z1);

    // W's result for Z1 is held up in the network (its first bytes sent, the rest later).
    const late = heldUp(`/v2alpha1/${name}:checkIn`, JSON.stringify({result: {code: 0}}));

    // W's lease on Z1 runs out and the sweep takes Z1 back; W learns it, and takes Z2.
    await sleep(3_200);
    await server.app.services.leases.expireLeases();
    assert.equal((await get(z1)).done, true);
    const z2 = (await genomics.pipelines.run({requestBody: helloRequest(project, {run: 'z2'})})).data.name!;
    assertStatus(await failure(checkIn({result: {code: 0}})), 409, 'ABORTED', 'LEASE_NOT_HELD');
    const granted = await checkIn({});
    assert.equal((granted.data.features as {operation?: string}).operation, z2);
    const z2Granted = await get(z2);
    assert.equal(z2Granted.done, false);

    // The old result arrives now: it arrived at Gaffer before Z2 was granted, so it is not about Z2.
    const answer = await late.finish();
    assert.equal(answer.status, 409, answer.text);
    assert.match(answer.text, /arrived before worker .* was given operation/);
    assert.deepEqual(await get(z2), z2Granted, 'Z2 is unchanged');

    // Another copy, delayed entirely in the network (Gaffer sees it only now, just after the
    // grant): content alone can't tell it from a fresh report, so within the window none is taken.
    const copy = await failure(checkIn({result: {code: 0}}));
    const error = assertStatus(copy, 503, 'UNAVAILABLE', 'UNFENCED_REPORT_TOO_SOON');
    const retryInfo = error.details.find(d => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo') as {retryDelay?: string} | undefined;
    assert.match(retryInfo?.retryDelay ?? '', /^\d+s$/);
    assert.ok(Number(copy.response?.headers.get('retry-after')) >= 1);
    assert.deepEqual(await get(z2), z2Granted, 'Z2 is still unchanged');

    // W itself: heartbeats keep its lease; its reports go through once the window has passed.
    const report = async (body: genomics_v2alpha1.Schema$CheckInRequest): Promise<CheckInResponse> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return (await checkIn(body)).data;
        } catch (err) {
          const response = (err as {response?: {status?: number; headers?: Headers}}).response;
          if (response?.status !== 503 || attempt > 10) throw err;
          await checkIn({workerStatus: {uptimeSeconds: '9'}});
          await sleep(Number(response.headers?.get('retry-after') ?? 1) * 1000);
        }
      }
    };
    const now = new Date().toISOString();
    await report({events: [{timestamp: now, data: {'@type': `${T}ContainerStartedEvent`, actionId: 1}}]});
    const done = await report({
      events: [{timestamp: new Date().toISOString(), data: {'@type': `${T}ContainerStoppedEvent`, actionId: 1, exitStatus: 0}}],
      result: {code: 0},
    });
    assert.equal(done.features, undefined);
    const finished = await get(z2);
    assert.equal(finished.done, true);
    assert.equal(finished.error, undefined);
    const described = ((finished.metadata as {events: Array<{description: string}>}).events).map(e => e.description);
    // Google's wording: an unnamed action is named by its command line.
    assert.ok(described.includes('Started running "echo hello"'), described.join('; '));
  });
});
