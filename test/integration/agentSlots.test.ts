/**
 * One gaffer-worker process with several slots (--slots 3): a real server on the real
 * emulators, the agent running actions as host processes. Its slots are the workers
 * ID-1..ID-N, each taking its own operation, so three pipelines run at once; each slot
 * reports its host's status on check-in and sends health reports.
 */
import {strict as assert} from 'assert';
import {OperationJson, agentSuite} from '../helpers/agents';
import {call, randomProject} from '../helpers/gaffer';
import {until} from '../helpers/until';

type Json = Record<string, unknown>;
const T = 'type.googleapis.com/google.genomics.v2alpha1.';

describe('gaffer-worker --slots', function () {
  this.timeout(120_000);
  const suite = agentSuite();
  const run = (project: string, actions: Json[]) => suite.run({pipeline: {actions, resources: {projectId: project}}});
  const waitDone = (name: string) => suite.waitDone(name);

  const eventOf = (op: OperationJson, type: string) => {
    const event = op.metadata.events.find(e => e.details['@type'] === `${T}${type}`);
    assert.ok(event, `${op.name} has no ${type}: ${op.metadata.events.map(e => e.description).join('; ')}`);
    return event;
  };

  it('runs three pipelines at once on slots multi-1, multi-2 and multi-3 of one process', async () => {
    const project = randomProject();
    const agent = suite.start(project, ['--slots', '3', '--worker-id', 'multi']);
    const names = await Promise.all([1, 2, 3].map(i => run(project, [{imageUri: 'alpine', commands: ['sh', '-c', `sleep 2; echo run ${i}`]}])));
    const ops = await Promise.all(names.map(name => waitDone(name)));
    assert.equal(agent.exitCode, null, 'the agent is still running');

    for (const op of ops) {
      assert.equal(op.error, undefined, JSON.stringify(op.error));
      assert.deepEqual(op.response, {'@type': `${T}RunPipelineResponse`});
    }
    const instances = ops.map(op => eventOf(op, 'WorkerAssignedEvent').details.instance);
    assert.deepEqual([...instances].sort(), ['multi-1', 'multi-2', 'multi-3'], 'each slot took one operation');

    // Every ContainerStarted..ContainerStopped interval overlaps the others.
    const intervals = ops.map(op => ({
      started: Date.parse(eventOf(op, 'ContainerStartedEvent').timestamp),
      stopped: Date.parse(eventOf(op, 'ContainerStoppedEvent').timestamp),
    }));
    for (const {started, stopped} of intervals) {
      assert.ok(Number.isFinite(started) && Number.isFinite(stopped), JSON.stringify(intervals));
      assert.ok(stopped - started >= 1500, `an action of sleep 2 ran ${stopped - started} ms`);
    }
    const lastStart = Math.max(...intervals.map(i => i.started));
    const firstStop = Math.min(...intervals.map(i => i.stopped));
    assert.ok(lastStart < firstStop, `the three actions did not all run at once: ${JSON.stringify(intervals.map(i => [new Date(i.started).toISOString(), new Date(i.stopped).toISOString()]))}`);
  });

  it('each slot reports its host status on check-in and sends health reports; there is no un-numbered worker', async () => {
    const project = randomProject();
    suite.start(project, ['--slots', '3', '--worker-id', 'multi']);
    const slots = ['multi-1', 'multi-2', 'multi-3'];
    const read = async (worker: string) => call(suite.server, 'GET', `/v2alpha1/projects/${project}/workers/${worker}`);

    const workers = await until(
      'every slot to report its status and health',
      async () => {
        const read3 = await Promise.all(slots.map(async slot => (await read(slot)).json));
        return read3.every(w => w.status && w.healthTime) && read3;
      },
      30_000,
    );
    for (const [i, worker] of workers.entries()) {
      const slot = slots[i]!;
      assert.equal(worker.name, `projects/${project}/workers/${slot}`, JSON.stringify(worker));
      const status = worker.status as Json | undefined;
      assert.ok(status, `${slot} reported no status: ${JSON.stringify(worker)}`);
      for (const field of ['freeRamBytes', 'totalRamBytes', 'uptimeSeconds']) {
        assert.match(String(status[field]), /^\d+$/, `${slot} status.${field}: ${JSON.stringify(status)}`);
      }
      assert.ok(Number(status.totalRamBytes) > 0);
      assert.ok(Number(status.freeRamBytes) <= Number(status.totalRamBytes), JSON.stringify(status));
      assert.ok(Number.isFinite(Date.parse(String(worker.statusTime))), `${slot} statusTime: ${JSON.stringify(worker)}`);

      assert.ok(Number.isFinite(Date.parse(String(worker.healthTime))), `${slot} sent no health report: ${JSON.stringify(worker)}`);
      assert.equal((worker.health as Json | undefined)?.vmIsHealthy, true, JSON.stringify(worker.health));
      assert.equal(worker.healthy, true);
      assert.equal(worker.holding, false);
    }
    // The slots are the workers; the bare --worker-id names none.
    const bare = await read('multi');
    assert.equal(bare.status, 404, JSON.stringify(bare.json));
  });
});
