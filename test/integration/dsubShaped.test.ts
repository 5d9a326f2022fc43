/**
 * End to end, a dsub-shaped pipeline through a real server and a real gaffer-worker on a
 * real Docker engine: dsub 0.4.13's six actions (logging in the background, prepare,
 * localization, user-command, delocalization, final_logging ALWAYS_RUN) sharing the
 * datadisk at /mnt/data, with /google/logs as dsub's logging actions read it. dsub's
 * Cloud SDK image is stood in for by an image built offline from busybox-static plus
 * small shell scripts (a `gsutil` over a local directory the test serves on the host; see
 * test/helpers/dsubShaped.ts, which also says how dsub's bash was ported to POSIX sh).
 */
import {strict as assert} from 'assert';
import {main as gaffer} from '../../src/cli/main';
import type {DockerEngine} from '../../src/dev/docker';
import {LocalServer, startLocalServer} from '../../src/server';
import {AgentProcesses, SHORT_LEASES, submit, waitDone} from '../helpers/agents';
import {GcsStandIn, buildSdkStandIn, dsubRequest} from '../helpers/dsubShaped';
import {busyboxImage, dockerEngine, openRegistry} from '../helpers/engines';
import {randomProject, testConfig} from '../helpers/gaffer';

const T = 'type.googleapis.com/google.genomics.v2alpha1.';

class Capture {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('a dsub-shaped pipeline, end to end on a real Docker engine', function () {
  this.timeout(300_000);
  let engine: DockerEngine;
  let server: LocalServer;
  let gcs: GcsStandIn;
  let sdkImage: string;
  /** Firestore documents written for logs (chunks, evictions, bookkeeping), counted at the store. */
  let logWrites = 0;
  let appends = 0;
  const agents = new AgentProcesses(
    () => server,
    () => engine.env(),
  );

  before(async function () {
    engine = await dockerEngine(this);
    const busybox = await busyboxImage(this);
    const registry = await openRegistry(this);
    gcs = new GcsStandIn();
    const port = await gcs.start();
    sdkImage = await buildSdkStandIn(engine, busybox, registry.address, port);
    server = await startLocalServer(testConfig(SHORT_LEASES));
    const logs = server.app.stores.logs;
    const append = logs.append.bind(logs);
    logs.append = (project, id, admit, plan, expireTime) =>
      append(
        project,
        id,
        admit,
        state => {
          const decided = plan(state);
          appends++;
          if (decided) logWrites += decided.create.length + decided.evict.length + 1;
          return decided;
        },
        expireTime,
      );
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(`gaffer-worker's log:\n${agents.log}`);
    agents.killAll();
  });
  after(async () => {
    await server?.close();
    await gcs?.stop();
  });

  it('localizes, runs the user command, delocalizes and copies the logs, as dsub expects; `gaffer logs` shows the user command', async () => {
    const project = randomProject();
    gcs.write('bkt/in/a.txt', 'the input file\n');
    agents.start(project, ['--worker-id', 'google-pipelines-worker-dsub', '--zone', 'us-central1-f', '--machine-type', 'n1-standard-1', '--log-interval', '0.5s'], {docker: true});
    const began = Date.now();
    const name = await submit(
      server,
      dsubRequest({
        project,
        sdkImage,
        userImage: sdkImage,
        script: '#!/bin/sh\necho "user-command read: $(cat ${IN})"\ncat ${IN} > ${OUT}\necho "a note on stderr" >&2\n',
      }),
    );
    const op = await waitDone(server, name, 240_000);
    const took = Date.now() - began;
    assert.equal(op.error, undefined, `${JSON.stringify(op.error)}\n${op.metadata.events.map(e => e.description).join('\n')}`);
    console.log(`    [gaffer] the dsub-shaped pipeline took ${(took / 1000).toFixed(1)} s from submission to done; ${appends} log appends wrote ${logWrites} Firestore documents (${(logWrites / 6).toFixed(1)} per action)`);

    // Its output landed where delocalization copied it, its logs where final_logging copied them.
    assert.equal(gcs.read('bkt/out/b.txt'), 'the input file\n');
    const job = 'myjob--root--261130-023620-73';
    assert.equal(gcs.read(`bkt/logs/${job}-stdout.log`), 'user-command read: the input file\n');
    assert.equal(gcs.read(`bkt/logs/${job}-stderr.log`), 'a note on stderr\n');
    const combined = gcs.read(`bkt/logs/${job}.log`);
    assert.match(combined, /INFO: Localizing IN/);
    assert.match(combined, /user-command read: the input file/);
    assert.match(combined, /INFO: Delocalizing OUT/);

    // The events dsub reads, oldest first: the worker, the pulls of both images, each action.
    const events = [...op.metadata.events].reverse().map(e => e.details);
    const assigned = events.find(d => d['@type'] === `${T}WorkerAssignedEvent`);
    assert.deepEqual([assigned?.instance, assigned?.zone, assigned?.machineType], ['google-pipelines-worker-dsub', 'us-central1-f', 'n1-standard-1']);
    assert.deepEqual(
      events.filter(d => d['@type'] === `${T}PullStartedEvent`).map(d => d.imageUri),
      [sdkImage],
      'one image, pulled once before the first action',
    );
    assert.deepEqual(
      events.filter(d => d['@type'] === `${T}ContainerStartedEvent`).map(d => d.actionId),
      [1, 2, 3, 4, 5, 6],
    );
    const stopped = events.filter(d => d['@type'] === `${T}ContainerStoppedEvent`);
    assert.deepEqual(stopped.map(d => [d.actionId, d.exitStatus ?? 0]).sort(), [1, 2, 3, 4, 5, 6].map(id => [id, 0]), 'the logging action ended by itself when action 6 started');
    assert.equal(stopped.find(d => d.actionId === 4)?.stderr, 'a note on stderr\n');

    // What the user command printed, through Gaffer's logs RPC.
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await gaffer(['--server', server.url, 'logs', name, '--action', '4'], {stdout, stderr, env: {}});
    assert.equal(code, 0, stderr.text);
    assert.equal(stdout.text, 'user-command read: the input file\n');
    assert.equal(stderr.text, 'a note on stderr\n');
  });
});
