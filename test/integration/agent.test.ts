/**
 * End to end: a real server on the real emulators, and real gaffer-worker processes
 * running actions as host processes. Leases are short so a killed worker is noticed
 * within seconds.
 */
import {strict as assert} from 'assert';
import {AgentProcesses, OperationJson, SHORT_LEASES, agentSuite, submit} from '../helpers/agents';
import {call, randomProject, testConfig} from '../helpers/gaffer';
import {LocalServer, startLocalServer} from '../../src/server';
import {until} from '../helpers/until';

type Json = Record<string, unknown>;
const T = 'type.googleapis.com/google.genomics.v2alpha1.';

describe('gaffer-worker end to end', function () {
  this.timeout(180_000);
  const suite = agentSuite();
  const startAgent = (project: string, workerId: string) => suite.start(project, ['--worker-id', workerId]);

  function pipeline(project: string, actions: Json[], extra: Json = {}): Json {
    return {pipeline: {actions, resources: {projectId: project, ...extra}}};
  }

  const {run, waitDone} = suite;
  const get = async (name: string) => (await call(suite.server, 'GET', `/v2alpha1/${name}`)).json as unknown as OperationJson;

  const types = (op: OperationJson) => op.metadata.events.map(e => String(e.details['@type']).slice(T.length)).reverse();

  it('runs 10 pipelines through 2 workers, with the right outcome and events for each', async () => {
    const project = randomProject();
    startAgent(project, 'agent-a');
    startAgent(project, 'agent-b');
    // Each takes a second, so one worker can't drain the queue before the other asks.
    const ok = (i: number) => run(pipeline(project, [{imageUri: 'alpine', commands: ['sh', '-c', `sleep 1; echo run ${i}`]}]));
    const names = await Promise.all(Array.from({length: 8}, (_, i) => ok(i)));
    const failing = await run(
      pipeline(project, [
        {imageUri: 'alpine', commands: ['sh', '-c', 'echo boom >&2; exit 3']},
        {imageUri: 'alpine', commands: ['sh', '-c', 'test "$GOOGLE_LAST_EXIT_STATUS" = 3 && test "$GOOGLE_PIPELINE_FAILED" = 1'], flags: ['ALWAYS_RUN']},
        {imageUri: 'alpine', commands: ['echo', 'skipped']},
      ]),
    );
    const cancelled = await run(pipeline(project, [{imageUri: 'alpine', commands: ['sleep', '60']}]));

    const done = await Promise.all(names.map(name => waitDone(name)));
    for (const op of done) {
      assert.equal(op.error, undefined, JSON.stringify(op.error));
      assert.deepEqual(op.response, {'@type': `${T}RunPipelineResponse`});
      // While both workers are busy the others wait, and may say so (DelayedEvent, before their assignment).
      assert.deepEqual(types(op).filter(t => t !== 'DelayedEvent'), ['WorkerAssignedEvent', 'ContainerStartedEvent', 'ContainerStoppedEvent', 'WorkerReleasedEvent']);
      assert.ok(types(op).slice(0, types(op).indexOf('WorkerAssignedEvent')).every(t => t === 'DelayedEvent'), types(op).join());
    }

    const failed = await waitDone(failing);
    assert.equal(failed.error?.code, 9);
    assert.match(failed.error.message, /action 1: unexpected exit status 3/);
    const failedEvents = failed.metadata.events.map(e => e.details).reverse();
    const stopped = failedEvents.filter(d => String(d['@type']).endsWith('ContainerStoppedEvent'));
    assert.deepEqual(stopped.map(d => [d.actionId, d.exitStatus ?? 0]), [[1, 3], [2, 0]], 'ALWAYS_RUN ran, the third action did not');
    assert.match(String(stopped[0]!.stderr), /boom/);
    assert.ok(types(failed).includes('UnexpectedExitStatusEvent'));

    // Cancel once the worker has started it; the worker stops it and reports back.
    await until('the worker to start the action', async () => types(await get(cancelled)).includes('ContainerStartedEvent'), 30_000);
    await call(suite.server, 'POST', `/v2alpha1/${cancelled}:cancel`, {});
    const cancelledOp = await waitDone(cancelled, 20_000);
    assert.equal(cancelledOp.error?.code, 1);
    assert.ok(types(cancelledOp).includes('ContainerStoppedEvent'), 'the worker stopped the action and reported back');

    const takenBy = (op: OperationJson) =>
      op.metadata.events.find(e => String(e.details['@type']).endsWith('WorkerAssignedEvent'))!.details.instance;
    assert.deepEqual(new Set([...done, failed, cancelledOp].map(takenBy)), new Set(['agent-a', 'agent-b']), 'both workers took work');
  });

  for (const preemptible of [true, false]) {
    it(`${preemptible ? 'retries' : 'ends ABORTED'} a ${preemptible ? 'preemptible' : 'non-preemptible'} operation whose worker was killed with SIGKILL`, async () => {
      const project = randomProject();
      const victim = startAgent(project, 'victim');
      const name = await run(
        pipeline(project, [{imageUri: 'alpine', commands: ['sh', '-c', 'sleep 2; echo done']}], {
          virtualMachine: {machineType: 'n1-standard-1', preemptible},
        }),
      );
      await until('a worker to take it', async () => types(await get(name)).includes('WorkerAssignedEvent'), 30_000);
      victim.kill('SIGKILL');
      startAgent(project, 'survivor');
      const killedAt = Date.now();
      const op = await waitDone(name, 30_000);
      // Lease (4 s) + grace (1 s) + sweep interval (0.5 s) + the retry's own run.
      assert.ok(Date.now() - killedAt < 20_000);
      const assigned = op.metadata.events.filter(e => String(e.details['@type']).endsWith('WorkerAssignedEvent')).map(e => e.details.instance);
      if (preemptible) {
        assert.equal(op.error, undefined, JSON.stringify(op.error));
        assert.deepEqual(assigned.reverse(), ['victim', 'survivor']);
      } else {
        assert.deepEqual(op.error, {code: 10, message: 'The assigned worker has failed to complete the operation: its lease expired (it stopped checking in)'});
        assert.deepEqual(assigned, ['victim']);
      }
    });
  }

  it('hands its operation back with a shutdown notice on SIGTERM', async () => {
    const project = randomProject();
    const agent = startAgent(project, 'polite');
    const name = await run(
      pipeline(project, [{imageUri: 'alpine', commands: ['sleep', '30']}], {virtualMachine: {machineType: 'n1-standard-1', preemptible: true}}),
    );
    await until('the worker to start the action', async () => types(await get(name)).includes('ContainerStartedEvent'), 30_000);
    agent.kill('SIGTERM');
    await new Promise(r => agent.once('exit', r));
    const op = await get(name);
    assert.equal(op.done, false);
    assert.equal(op.metadata.events.find(e => String(e.details['@type']).endsWith('WorkerReleasedEvent'))!.description, 'Worker released');
    assert.match(op.metadata.events.find(e => String(e.details['@type']).endsWith('DelayedEvent'))!.description, /the assigned worker was lost \(it is shutting down\)/);
  });
});

describe('gaffer-worker stopped while its idle check-in waits for work', function () {
  this.timeout(120_000);
  let server: LocalServer;
  const agents = new AgentProcesses(() => server);
  before(async () => {
    // The longest wait there is: a worker that sat it out would be noticed.
    server = await startLocalServer(testConfig({...SHORT_LEASES, checkInWaitMs: 55_000}));
  });
  after(async () => {
    agents.killAll();
    await server?.close();
  });

  const types = (op: OperationJson) => op.metadata.events.map(e => String(e.details['@type']).slice(T.length));

  it('ends the wait on SIGTERM, exits, and takes nothing it would not run', async () => {
    const project = randomProject();
    const agent = agents.start(project, ['--worker-id', 'sleepy']);
    const waits = () => server.app.services.checkIns.waits.waiting();
    await until('the idle check-in waits on the server', () => waits() === 1, 30_000);
    const exited = new Promise<number | null>(resolve => agent.once('exit', code => resolve(code)));
    agent.kill('SIGTERM');
    // The server's wait ends with the request, long before its 55 s.
    await until('the wait to end', () => waits() === 0, 10_000);
    assert.equal(await exited, 0);
    const name = await submit(server, {pipeline: {actions: [{imageUri: 'alpine', commands: ['true']}], resources: {projectId: project}}});
    const op = (await call(server, 'GET', `/v2alpha1/${name}`)).json as unknown as OperationJson;
    assert.equal(op.done, false);
    assert.ok(!types(op).includes('WorkerAssignedEvent'), `given to no one: ${types(op).join()}`);
  });
});
