/**
 * Scheduling through workers.checkIn on the Firestore emulator: a worker gets only what
 * it can run, FIFO among that, and a check-in reads a bounded number of documents
 * however many kinds of pipeline wait (the pure rules: test/unit/requirements.test.ts).
 */
import {strict as assert} from 'assert';
import {FieldValue} from '@google-cloud/firestore';
import {LocalServer} from '../../src/server';
import {connectFirestore} from '../../src/store/firestore/connection';
import {call, helloRequest, randomProject, startGaffer} from '../helpers/gaffer';
import {until} from '../helpers/until';

type Json = Record<string, unknown>;

describe('scheduling: workers.checkIn gives each worker what it can run', function () {
  this.timeout(120_000);
  let server: LocalServer;
  before(async () => {
    server = await startGaffer({}, {deliverAtOnce: false});
  });
  after(() => server.close());

  const checkIn = async (project: string, worker: string, capabilities?: Json): Promise<string | undefined> => {
    const res = await call(server, 'POST', `/v2alpha1/projects/${project}/workers/${worker}:checkIn`, capabilities ? {capabilities} : {});
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return (res.json.features as {operation?: string} | undefined)?.operation;
  };
  const run = async (project: string, vm: Json, extra: Json = {}): Promise<string> => {
    const request = helloRequest(project) as {pipeline: {resources: Json}} & Json;
    request.pipeline.resources.virtualMachine = vm;
    Object.assign(request.pipeline.resources, extra);
    const res = await call(server, 'POST', '/v2alpha1/pipelines:run', request);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json.name as string;
  };

  it('never gives the 8-A100 pipeline to a CPU-only or plain worker; gives it to the worker that has them', async () => {
    const project = randomProject();
    const gpu = await run(project, {machineType: 'a2-ultragpu-8g'}, {regions: ['us-central1']});
    assert.equal(await checkIn(project, 'cpu', {cpuCount: 96, memoryBytes: String(2 ** 40), zone: 'us-central1-a'}), undefined);
    assert.equal(await checkIn(project, 'plain'), undefined);
    assert.equal(await checkIn(project, 'wrong-region', {machineType: 'a2-ultragpu-8g', zone: 'europe-west4-a'}), undefined);
    assert.equal(await checkIn(project, 'a100s', {machineType: 'a2-ultragpu-8g', zone: 'us-central1-b'}), gpu);
  });

  it('gives a worker that can run every class the oldest operation, reading a bounded number of documents with 40 classes waiting', async () => {
    const project = randomProject();
    const names: string[] = [];
    // 40 classes (more than one `in` query takes), 3 operations each, oldest first.
    for (let round = 0; round < 3; round++) {
      for (let cpus = 1; cpus <= 40; cpus++) names.push(await run(project, {machineType: `custom-${cpus}-${cpus * 1024}`}));
    }
    const big = {cpuCount: 64, memoryBytes: String(2 ** 40)};
    // The first check-in of the project opens the instance's directory listener (40 class documents).
    await checkIn(project, 'warm-up', {pool: 'nobody-uses-this', preemptible: true});
    const before = server.app.stores.stats().documentsRead;
    const taken = await checkIn(project, 'big', big);
    const reads = server.app.stores.stats().documentsRead - before;
    // The worker document, two `in` queries of at most 10 each, the operation is not re-read.
    assert.ok(reads <= 1 + 2 * 10, `${reads} documents read`);
    assert.ok(taken && names.slice(0, 10).includes(taken), `${taken} is not among the 10 oldest`);
    // A small worker gets one of the oldest it can run: those of 1 or 2 vCPUs.
    const small = await checkIn(project, 'small', {cpuCount: 2, memoryBytes: String(4 * 2 ** 30)});
    assert.ok(small && [names[0], names[1], names[40], names[41], names[80], names[81]].includes(small), `${small}`);
  });

  it("takes users' operations round-robin, and holds a project to its running cap (GAFFER_MAX_RUNNING)", async () => {
    const project = randomProject();
    const capped = await startGaffer({maxRunning: {[project]: 3}}, {deliverAtOnce: false});
    try {
      const user = new Map<string, string>();
      for (const [who, n] of [['ann', 8], ['bob', 2]] as const) {
        for (let i = 0; i < n; i++) {
          const res = await call(capped, 'POST', '/v2alpha1/pipelines:run', {...helloRequest(project), labels: {'user-id': who}});
          user.set(res.json.name as string, who);
        }
      }
      const takes: string[] = [];
      const leases: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await call(capped, 'POST', `/v2alpha1/projects/${project}/workers/w${i}:checkIn`, {});
        const features = res.json.features as {operation?: string; lease?: string} | undefined;
        if (features?.operation) takes.push(user.get(features.operation)!);
        if (features?.lease) leases.push(features.lease);
      }
      // Three run at once (the cap), and bob's turn came second, not after ann's eight.
      assert.deepEqual(takes, ['ann', 'bob', 'ann']);
      // One ends; of twelve idle workers checking in at once for its place, one gets it.
      await call(capped, 'POST', `/v2alpha1/projects/${project}/workers/w0:checkIn?lease=${leases[0]}`, {result: {code: 0}});
      const raced = await Promise.all(Array.from({length: 12}, (_, i) => call(capped, 'POST', `/v2alpha1/projects/${project}/workers/x${i}:checkIn`, {})));
      assert.equal(raced.filter(res => res.json.features).length, 1, 'the cap holds against racing check-ins');
    } finally {
      await capped.close();
    }
  });

  it('operations queued before queue classes existed: the sweep gives them theirs, then workers find them, and it stops looking', async () => {
    const project = randomProject();
    const name = await run(project, {machineType: 'n1-standard-2'});
    // Made to look as a Gaffer before queue classes stored it: no class, no directory entry.
    const db = connectFirestore({projectId: server.app.config.stateProjectId, emulatorHost: server.app.config.firestoreEmulatorHost});
    try {
      await db.doc(name).update({queueClass: FieldValue.delete(), queueClassInfo: FieldValue.delete()});
      for (const ref of await db.collection(`projects/${project}/queueClasses`).listDocuments()) await ref.delete();
      await db.doc('gaffer/queueClassBackfill').delete();
      assert.equal(await checkIn(project, 'w1', {cpuCount: 4}), undefined, 'no check-in finds it');

      const first = await server.app.services.delays.explain([project]);
      assert.ok(first.classified >= 1, JSON.stringify(first));
      assert.equal((await db.doc(name).get()).get('queueClass')?.startsWith('q'), true);
      assert.equal(await checkIn(project, 'w1', {cpuCount: 4}), name);

      // Nothing left: remembered, and a later run reads one document for it.
      assert.equal((await server.app.services.delays.explain([project])).classified, 0);
      assert.equal((await db.doc('gaffer/queueClassBackfill').get()).get('done'), true);
      const before = server.app.stores.stats().documentsRead;
      assert.equal(await server.app.stores.operations.classifyLegacyQueued(10), 0);
      assert.equal(server.app.stores.stats().documentsRead - before, 1);
    } finally {
      await db.terminate();
    }
  });

  it('long poll: a waiting idle worker is answered with an operation it can run as soon as it is queued, not woken by one it can not', async () => {
    const waiting = await startGaffer({checkInWaitMs: 30_000}, {deliverAtOnce: false});
    try {
      const project = randomProject();
      const poll = (worker: string, capabilities?: Json) =>
        call(waiting, 'POST', `/v2alpha1/projects/${project}/workers/${worker}:checkIn`, capabilities ? {capabilities} : {});
      const cpu = poll('cpu', {cpuCount: 4});
      const gpuWorker = poll('gpu', {machineType: 'a2-highgpu-1g'});
      await until('both check-ins wait', () => waiting.app.services.checkIns.waits.waiting() === 2);
      const submit = async (vm: Json) => {
        const request = helloRequest(project) as {pipeline: {resources: Json}} & Json;
        request.pipeline.resources.virtualMachine = vm;
        return (await call(waiting, 'POST', '/v2alpha1/pipelines:run', request)).json.name as string;
      };
      const gpu = await submit({machineType: 'a2-highgpu-1g'});
      // Answered well before its 30 s wait ends: woken by the directory listener.
      assert.equal(((await gpuWorker).json.features as Json | undefined)?.operation, gpu);
      assert.equal(waiting.app.services.checkIns.waits.waiting(), 1, 'the CPU worker still waits');
      const small = await submit({machineType: 'n1-standard-1'});
      assert.equal(((await cpu).json.features as Json | undefined)?.operation, small);
    } finally {
      await waiting.close();
    }
  });
});
