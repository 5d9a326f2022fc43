/**
 * PipelineRunner: v2alpha1 action semantics, first against a fake Executor the tests
 * drive by hand (which action exits how, and when), then against the real LocalExecutor
 * running host processes (sh -c ...).
 */
import {strict as assert} from 'assert';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import {ActionExit, ActionSpec, Executor, LocalExecutor, OperationContext, RunningAction} from '../../src/agent/executor';
import type {ActionOutput} from '../../src/agent/output';
import {ActionJson, EventData, PipelineJson, PipelineRunner, RunResult} from '../../src/agent/runner';
import {Workspaces} from '../../src/agent/workspace';

const T = 'type.googleapis.com/google.genomics.v2alpha1.';
const short = (e: EventData) => e['@type'].slice(T.length);

interface PlannedExit {
  exitStatus?: number;
  stderr?: string;
}

/** One action started on the fake executor; the test decides when and how it ends. */
class FakeAction implements RunningAction {
  readonly exited: Promise<ActionExit>;
  killed = false;
  done = false;
  private resolveExit!: (exit: ActionExit) => void;

  constructor(
    readonly spec: ActionSpec,
    private readonly log: string[],
    private readonly output: ActionOutput,
    /** The exit status a kill ends it with (137: SIGKILL; 0: it exits cleanly on SIGTERM). */
    private readonly killStatus = 137,
  ) {
    this.exited = new Promise(resolve => (this.resolveExit = resolve));
  }

  exit({exitStatus = 0, stderr = ''}: PlannedExit = {}): void {
    assert.ok(!this.done, `action ${this.spec.actionId} exited twice`);
    this.done = true;
    this.log.push(`exit ${this.spec.actionId}`);
    if (stderr) this.output.stderr(Buffer.from(stderr));
    this.resolveExit({exitStatus, killed: false});
  }

  kill(): void {
    this.log.push(`kill ${this.spec.actionId}`);
    if (this.done) return;
    this.done = true;
    this.killed = true;
    this.output.stderr(Buffer.from('killed'));
    this.resolveExit({exitStatus: this.killStatus, killed: true});
  }
}

/**
 * Records every ActionSpec it is given. `plan` says how each action ends: an exit
 * (delivered at once), or 'hold' to leave it running until the test ends it.
 */
class FakeExecutor implements Executor {
  readonly kind = 'local' as const;
  readonly actions: FakeAction[] = [];
  /** Starts, exits and kills, interleaved with the runner's events. */
  readonly log: string[] = [];

  constructor(
    private readonly plan: (spec: ActionSpec) => PlannedExit | 'hold' = () => ({}),
    private readonly killStatus = 137,
  ) {}

  async start(_op: OperationContext, spec: ActionSpec, output: ActionOutput): Promise<RunningAction> {
    const action = new FakeAction(spec, this.log, output, this.killStatus);
    this.actions.push(action);
    this.log.push(`start ${spec.actionId}`);
    const planned = this.plan(spec);
    if (planned !== 'hold') action.exit(planned);
    return action;
  }

  get specs(): ActionSpec[] {
    return this.actions.map(a => a.spec);
  }

  /** The action with this id, once the runner has started it. */
  async started(actionId: number, timeoutMs = 5000): Promise<FakeAction> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const action = this.actions.find(a => a.spec.actionId === actionId);
      if (action) return action;
      if (Date.now() > deadline) throw new Error(`action ${actionId} was never started (log: ${this.log.join(', ')})`);
      await new Promise(r => setTimeout(r, 5));
    }
  }
}

/** A fake that also pulls, as the Docker executor does; pulling "missing" fails. */
class PullingExecutor extends FakeExecutor {
  readonly pulls: string[] = [];
  /** Images the engine has although pulling them fails. */
  readonly present = new Set<string>();
  async pull(_op: OperationContext, imageUri: string): Promise<void> {
    this.pulls.push(imageUri);
    if (imageUri === 'missing' || this.present.has(imageUri)) throw new Error('manifest unknown');
  }
  async hasImage(imageUri: string): Promise<boolean> {
    return this.present.has(imageUri);
  }
}

/** Operations' storage for the tests, under the OS temp dir. */
const testWorkspaces = new Workspaces(mkdtempSync(join(tmpdir(), 'gaffer-runner-tests-')));
process.once('exit', () => rmSync(testWorkspaces.root, {recursive: true, force: true}));

function start(pipeline: PipelineJson, executor: Executor, log?: string[], runId = 'op-1') {
  const events: EventData[] = [];
  const runner = new PipelineRunner(pipeline, {
    executor,
    emit: data => {
      events.push(data);
      log?.push(`${short(data)} ${data.actionId ?? ''}`.trim());
    },
    runId,
    workspaces: testWorkspaces,
  });
  return {runner, events, done: runner.run()};
}

async function runWith(executor: FakeExecutor, pipeline: PipelineJson): Promise<{result: RunResult; events: EventData[]}> {
  const {events, done} = start(pipeline, executor, executor.log);
  return {result: await done, events};
}

const action = (commands: string[], extra: Partial<ActionJson> = {}): ActionJson => ({imageUri: 'alpine', commands, ...extra});
const ofType = (events: EventData[], type: string) => events.filter(e => short(e) === type);
const stoppedOf = (events: EventData[]) => ofType(events, 'ContainerStoppedEvent').map(e => [e.actionId, e.exitStatus]);
/** The log of a foreground action that ran to its exit: started, exited, and its two events. */
const ranToExit = (id: number) => [`start ${id}`, `exit ${id}`, `ContainerStartedEvent ${id}`, `ContainerStoppedEvent ${id}`];

describe('PipelineRunner with a fake executor', () => {
  it('runs the actions in order, one at a time, with 1-based ids, and succeeds', async () => {
    const executor = new FakeExecutor();
    const {result, events} = await runWith(executor, {
      actions: [action(['echo', 'one']), {imageUri: 'busybox', entrypoint: 'sh', commands: ['-c', 'two']}, action(['echo', 'three'])],
    });
    assert.deepEqual(result, {code: 0});
    assert.deepEqual(executor.log, [...ranToExit(1), ...ranToExit(2), ...ranToExit(3)]);
    assert.deepEqual(stoppedOf(events), [
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    assert.deepEqual(
      executor.specs.map(s => [s.actionId, s.imageUri, s.entrypoint, s.commands, s.containerName]),
      [
        [1, 'alpine', undefined, ['echo', 'one'], 'gaffer-op-1-1'],
        [2, 'busybox', 'sh', ['-c', 'two'], 'gaffer-op-1-2'],
        [3, 'alpine', undefined, ['echo', 'three'], 'gaffer-op-1-3'],
      ],
    );
    assert.equal(ofType(events, 'FailedEvent').length, 0);
  });

  it('gives each action the pipeline environment, then its own (the action wins), then GOOGLE_*', async () => {
    const executor = new FakeExecutor();
    await runWith(executor, {
      environment: {SHARED: 'pipeline', ONLY_PIPELINE: 'p'},
      actions: [action(['a'], {environment: {SHARED: 'action', ONLY_ACTION: 'a'}}), action(['b'])],
    });
    assert.deepEqual(executor.specs[0]!.environment, {
      SHARED: 'action',
      ONLY_PIPELINE: 'p',
      ONLY_ACTION: 'a',
      GOOGLE_PIPELINE_FAILED: '0',
      GOOGLE_LAST_EXIT_STATUS: '0',
    });
    // One action's environment does not leak into the next.
    assert.deepEqual(executor.specs[1]!.environment, {
      SHARED: 'pipeline',
      ONLY_PIPELINE: 'p',
      GOOGLE_PIPELINE_FAILED: '0',
      GOOGLE_LAST_EXIT_STATUS: '0',
    });
  });

  it('sets GOOGLE_LAST_EXIT_STATUS to the previous action\'s exit status and GOOGLE_PIPELINE_FAILED once one failed', async () => {
    const exits: Record<number, number> = {1: 0, 2: 5, 3: 3, 4: 0, 5: 0};
    const executor = new FakeExecutor(spec => ({exitStatus: exits[spec.actionId]}));
    const {result} = await runWith(executor, {
      actions: [
        action(['ok']),
        action(['ignored'], {flags: ['IGNORE_EXIT_STATUS']}),
        action(['fails']),
        action(['cleanup'], {flags: ['ALWAYS_RUN']}),
        action(['skipped']),
      ],
    });
    assert.equal(result.code, 9);
    const env = executor.specs.map(s => [s.actionId, s.environment.GOOGLE_PIPELINE_FAILED, s.environment.GOOGLE_LAST_EXIT_STATUS]);
    assert.deepEqual(env, [
      [1, '0', '0'],
      [2, '0', '0'],
      [3, '0', '5'],
      [4, '1', '3'],
    ]);
  });

  it('fails on a non-zero exit: UnexpectedExitStatusEvent, FailedEvent, code 9 naming the action; later actions skipped', async () => {
    const executor = new FakeExecutor(spec => (spec.actionId === 2 ? {exitStatus: 3, stderr: 'boom\n'} : {}));
    const {result, events} = await runWith(executor, {actions: [action(['ok']), action(['fails']), action(['never'])]});
    assert.equal(result.code, 9);
    assert.match(result.message!, /action 2: unexpected exit status 3/);
    assert.deepEqual(
      executor.specs.map(s => s.actionId),
      [1, 2],
      'action 3 must not be started',
    );
    assert.deepEqual(events.map(short), [
      'ContainerStartedEvent',
      'ContainerStoppedEvent',
      'ContainerStartedEvent',
      'ContainerStoppedEvent',
      'UnexpectedExitStatusEvent',
      'FailedEvent',
    ]);
    assert.deepEqual(events[3], {'@type': `${T}ContainerStoppedEvent`, actionId: 2, exitStatus: 3, stderr: 'boom\n'});
    assert.deepEqual(events[4], {'@type': `${T}UnexpectedExitStatusEvent`, actionId: 2, exitStatus: 3});
    assert.equal(events[5]!.code, 'FAILED_PRECONDITION');
    assert.match(String(events[5]!.cause), /action 2/);
  });

  it('still runs ALWAYS_RUN actions after a failure, reports the first failure, and ends with one FailedEvent', async () => {
    const executor = new FakeExecutor(spec => ({exitStatus: {1: 2, 2: 0, 3: 0, 4: 6}[spec.actionId]}));
    const {result, events} = await runWith(executor, {
      actions: [
        action(['fails']),
        action(['skipped']),
        action(['cleanup'], {flags: ['ALWAYS_RUN']}),
        action(['cleanup fails too'], {flags: ['ALWAYS_RUN']}),
      ],
    });
    assert.deepEqual(
      executor.specs.map(s => s.actionId),
      [1, 3, 4],
    );
    assert.deepEqual(stoppedOf(events), [
      [1, 2],
      [3, 0],
      [4, 6],
    ]);
    assert.deepEqual(
      ofType(events, 'UnexpectedExitStatusEvent').map(e => [e.actionId, e.exitStatus]),
      [
        [1, 2],
        [4, 6],
      ],
    );
    assert.equal(result.code, 9);
    assert.match(result.message!, /action 1: unexpected exit status 2/);
    assert.equal(ofType(events, 'FailedEvent').length, 1);
    assert.equal(short(events.at(-1)!), 'FailedEvent', 'FailedEvent comes last, after the ALWAYS_RUN actions');
  });

  it('IGNORE_EXIT_STATUS: a non-zero exit is not a failure', async () => {
    const executor = new FakeExecutor(spec => (spec.actionId === 1 ? {exitStatus: 4, stderr: 'meh'} : {}));
    const {result, events} = await runWith(executor, {actions: [action(['x'], {flags: ['IGNORE_EXIT_STATUS']}), action(['y'])]});
    assert.deepEqual(result, {code: 0});
    assert.deepEqual(stoppedOf(events), [
      [1, 4],
      [2, 0],
    ]);
    assert.equal(ofType(events, 'UnexpectedExitStatusEvent').length, 0);
    assert.equal(ofType(events, 'FailedEvent').length, 0);
    assert.equal(executor.specs[1]!.environment.GOOGLE_PIPELINE_FAILED, '0');
    assert.equal(executor.specs[1]!.environment.GOOGLE_LAST_EXIT_STATUS, '4');
  });

  it('stops an action at its timeout: a failure, with ContainerKilledEvent', async () => {
    const executor = new FakeExecutor(spec => (spec.actionId === 1 ? 'hold' : {}));
    const {result, events} = await runWith(executor, {actions: [action(['sleep', '30'], {timeout: '0.05s'}), action(['never'])]});
    assert.equal(executor.actions[0]!.killed, true);
    assert.equal(executor.specs.length, 1);
    assert.deepEqual(events.map(short), ['ContainerStartedEvent', 'ContainerKilledEvent', 'ContainerStoppedEvent', 'FailedEvent']);
    assert.equal(events[1]!.actionId, 1);
    assert.equal(result.code, 9);
    assert.match(result.message!, /action 1: .*timeout \(0\.05s\)/);
  });

  it('a timed-out action is a failure even if it exited 0 on SIGTERM; with IGNORE_EXIT_STATUS it is not', async () => {
    const graceful = new FakeExecutor(spec => (spec.actionId === 1 ? 'hold' : {}), 0);
    const first = await runWith(graceful, {actions: [action(['slow'], {timeout: '0.05s'}), action(['never'])]});
    assert.equal(first.result.code, 9);
    assert.match(first.result.message!, /action 1: .*timeout \(0\.05s\)/);
    assert.equal(graceful.specs.length, 1);

    const ignored = new FakeExecutor(spec => (spec.actionId === 1 ? 'hold' : {}), 143);
    const second = await runWith(ignored, {actions: [action(['slow'], {timeout: '0.05s', flags: ['IGNORE_EXIT_STATUS']}), action(['next'])]});
    assert.deepEqual(second.result, {code: 0});
    assert.deepEqual(second.events.map(short).slice(0, 3), ['ContainerStartedEvent', 'ContainerKilledEvent', 'ContainerStoppedEvent']);
    assert.equal(ignored.specs[1]!.environment.GOOGLE_LAST_EXIT_STATUS, '143');
  });

  it('RUN_IN_BACKGROUND: starts the action, does not wait for it, and kills it when the foreground actions are done', async () => {
    const executor = new FakeExecutor(spec => (spec.actionId === 1 ? 'hold' : {}));
    const {result, events} = await runWith(executor, {
      actions: [action(['sidecar'], {flags: ['RUN_IN_BACKGROUND']}), action(['a']), action(['b'])],
    });
    assert.deepEqual(result, {code: 0});
    assert.deepEqual(executor.log, ['start 1', 'ContainerStartedEvent 1', ...ranToExit(2), ...ranToExit(3), 'kill 1', 'ContainerStoppedEvent 1']);
    assert.equal(executor.actions[0]!.killed, true);
    // Being killed at the end (137) is not a failure.
    assert.deepEqual(stoppedOf(events).at(-1), [1, 137]);
    assert.equal(ofType(events, 'UnexpectedExitStatusEvent').length, 0);
    assert.equal(ofType(events, 'FailedEvent').length, 0);
  });

  it('RUN_IN_BACKGROUND: its own non-zero exit neither fails the pipeline nor sets GOOGLE_LAST_EXIT_STATUS', async () => {
    const executor = new FakeExecutor(spec => (spec.actionId <= 2 ? 'hold' : {}));
    const {events, done} = start(
      {actions: [action(['sidecar'], {flags: ['RUN_IN_BACKGROUND']}), action(['a']), action(['b'])]},
      executor,
      executor.log,
    );
    const sidecar = await executor.started(1);
    const a = await executor.started(2);
    assert.equal(sidecar.done, false, 'the background action is still running when the next one starts');
    sidecar.exit({exitStatus: 7, stderr: 'sidecar died'});
    await waitFor("the sidecar's exit to be reported", () => stoppedOf(events).some(([id]) => id === 1));
    a.exit({exitStatus: 0});
    const result = await done;
    assert.deepEqual(result, {code: 0});
    assert.equal(executor.specs[2]!.environment.GOOGLE_LAST_EXIT_STATUS, '0');
    assert.equal(executor.specs[2]!.environment.GOOGLE_PIPELINE_FAILED, '0');
    assert.deepEqual(stoppedOf(events), [
      [1, 7],
      [2, 0],
      [3, 0],
    ]);
    assert.equal(ofType(events, 'ContainerStoppedEvent')[0]!.stderr, 'sidecar died');
    assert.equal(ofType(events, 'FailedEvent').length, 0);
  });

  it('RUN_IN_BACKGROUND: killed too when the pipeline fails', async () => {
    const executor = new FakeExecutor(spec => (spec.actionId === 1 ? 'hold' : {exitStatus: 1}));
    const {result, events} = await runWith(executor, {actions: [action(['sidecar'], {flags: ['RUN_IN_BACKGROUND']}), action(['fails'])]});
    assert.equal(result.code, 9);
    assert.match(result.message!, /action 2/);
    assert.equal(executor.actions[0]!.killed, true);
    assert.deepEqual(stoppedOf(events), [
      [2, 1],
      [1, 137],
    ]);
  });

  it('cancel() during a long action kills it (and any background action) and run() resolves CANCELLED', async () => {
    const executor = new FakeExecutor(spec => (spec.actionId <= 2 ? 'hold' : {}));
    const {runner, events, done} = start(
      {actions: [action(['sidecar'], {flags: ['RUN_IN_BACKGROUND']}), action(['sleep', '3600']), action(['never'], {flags: ['ALWAYS_RUN']})]},
      executor,
      executor.log,
    );
    const long = await executor.started(2);
    assert.equal(long.done, false);
    runner.cancel();
    const result = await done;
    assert.equal(result.code, 1);
    assert.equal(long.killed, true);
    assert.equal(executor.actions[0]!.killed, true);
    assert.deepEqual(
      executor.specs.map(s => s.actionId),
      [1, 2],
      'nothing runs after a cancel, not even ALWAYS_RUN',
    );
    assert.equal(ofType(events, 'FailedEvent').length, 0);
    assert.equal(ofType(events, 'UnexpectedExitStatusEvent').length, 0);
  });

  it('pulls each image once, between PullStartedEvent and PullStoppedEvent, when the executor pulls', async () => {
    const executor = new PullingExecutor();
    const {result, events} = await runWith(executor, {actions: [action(['a']), action(['b']), {imageUri: 'busybox', commands: ['c']}]});
    assert.deepEqual(result, {code: 0});
    assert.deepEqual(executor.pulls, ['alpine', 'busybox']);
    assert.deepEqual(
      events.map(e => `${short(e)} ${e.imageUri ?? e.actionId}`),
      [
        'PullStartedEvent alpine',
        'PullStoppedEvent alpine',
        'ContainerStartedEvent 1',
        'ContainerStoppedEvent 1',
        'ContainerStartedEvent 2',
        'ContainerStoppedEvent 2',
        'PullStartedEvent busybox',
        'PullStoppedEvent busybox',
        'ContainerStartedEvent 3',
        'ContainerStoppedEvent 3',
      ],
    );
  });

  it('a failed pull fails the pipeline (code 9 naming the action and image); only ALWAYS_RUN actions run after it', async () => {
    const executor = new PullingExecutor();
    const {result, events} = await runWith(executor, {actions: [{imageUri: 'missing', commands: ['a']}, action(['b']), action(['c'], {flags: ['ALWAYS_RUN']})]});
    assert.equal(result.code, 9);
    assert.match(result.message!, /action 1: pulling "missing" failed/);
    assert.deepEqual(
      executor.specs.map(s => s.actionId),
      [3],
    );
    assert.equal(executor.specs[0]!.environment.GOOGLE_PIPELINE_FAILED, '1');
    assert.match(String(ofType(events, 'FailedEvent')[0]!.cause), /manifest unknown/);
  });

});

/** A process that has ended (a zombie no one reaped counts as ended). */
function alive(pid: number): boolean {
  if (existsSync('/proc')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

const pidsIn = (file: string): number[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(Number)
    : [];

describe('PipelineRunner with the LocalExecutor', function () {
  this.timeout(30_000);
  let dir: string;
  const executor = new LocalExecutor();
  const sh = (script: string, extra: Partial<ActionJson> = {}): ActionJson => action(['sh', '-c', script], extra);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gaffer-runner-'));
  });
  afterEach(() => {
    // Leave nothing running, whatever a failed test did.
    for (const file of ['pids', 'bg']) for (const pid of pidsIn(join(dir, file))) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, {recursive: true, force: true});
  });

  it('environment: pipeline then action, GOOGLE_LAST_EXIT_STATUS and GOOGLE_PIPELINE_FAILED, nothing else of the worker\'s', async () => {
    process.env.GAFFER_RUNNER_TEST_LEAK = 'leaked';
    try {
      const report = 'echo "$X $Y $GOOGLE_LAST_EXIT_STATUS $GOOGLE_PIPELINE_FAILED [$GAFFER_RUNNER_TEST_LEAK]" >&2';
      const {done, events} = start(
        {
          environment: {X: 'pipeline-x', Y: 'pipeline-y'},
          actions: [
            sh(`${report}; exit 3`, {environment: {X: 'action-x'}, flags: ['IGNORE_EXIT_STATUS']}),
            sh(report, {environment: {X: 'action-x'}}),
            sh('exit 42'),
            sh(report, {flags: ['ALWAYS_RUN']}),
          ],
        },
        executor,
      );
      const result = await done;
      assert.equal(result.code, 9);
      const stopped = ofType(events, 'ContainerStoppedEvent');
      assert.deepEqual(
        stopped.map(e => [e.actionId, e.exitStatus, e.stderr]),
        [
          [1, 3, 'action-x pipeline-y 0 0 []\n'],
          [2, 0, 'action-x pipeline-y 3 0 []\n'],
          [3, 42, ''],
          [4, 0, 'pipeline-x pipeline-y 42 1 []\n'],
        ],
      );
    } finally {
      delete process.env.GAFFER_RUNNER_TEST_LEAK;
    }
  });

  it('a non-zero exit: its stderr, UnexpectedExitStatusEvent, FailedEvent, code 9; later actions do not run', async () => {
    const marker = join(dir, 'ran');
    const {done, events} = start({actions: [sh('echo boom >&2; exit 3'), sh(`touch ${marker}`)]}, executor);
    const result = await done;
    assert.equal(result.code, 9);
    assert.match(result.message!, /action 1: unexpected exit status 3/);
    assert.deepEqual(events.map(short), ['ContainerStartedEvent', 'ContainerStoppedEvent', 'UnexpectedExitStatusEvent', 'FailedEvent']);
    assert.equal(events[1]!.stderr, 'boom\n');
    assert.equal(events[1]!.exitStatus, 3);
    assert.equal(existsSync(marker), false, 'action 2 must not run');
  });

  it('timeout: `sleep 30` with timeout 0.5s is killed (ContainerKilledEvent), code 9 naming the timeout', async () => {
    const began = Date.now();
    const {done, events} = start({actions: [action(['sleep', '30'], {timeout: '0.5s'})]}, executor);
    const result = await done;
    const took = Date.now() - began;
    assert.ok(took < 15_000, `took ${took} ms`);
    assert.equal(result.code, 9);
    assert.match(result.message!, /action 1: .*timeout \(0\.5s\)/);
    assert.deepEqual(events.map(short), ['ContainerStartedEvent', 'ContainerKilledEvent', 'ContainerStoppedEvent', 'FailedEvent']);
    assert.equal(events[1]!.actionId, 1);
    assert.equal(events[2]!.exitStatus, 143, 'killed by SIGTERM');
  });

  it('timeout kills the whole process group: the shell and what it started are gone', async () => {
    const pids = join(dir, 'pids');
    const {done, events} = start({actions: [sh(`echo $$ > ${pids}; sleep 30 & echo $! >> ${pids}; wait`, {timeout: '1s'})]}, executor);
    const result = await done;
    assert.equal(result.code, 9);
    assert.ok(ofType(events, 'ContainerKilledEvent').length === 1);
    const started = pidsIn(pids);
    assert.equal(started.length, 2, 'the shell and its sleep wrote their pids');
    await waitFor('the killed processes to be gone', () => started.every(pid => !alive(pid)), 5000);
  });

  it('timeout: a process that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
    const pids = join(dir, 'pids');
    const began = Date.now();
    const {done, events} = start({actions: [sh(`trap "" TERM; echo $$ > ${pids}; sleep 30 & echo $! >> ${pids}; wait`, {timeout: '0.5s'})]}, executor);
    const result = await done;
    const took = Date.now() - began;
    assert.ok(took < 15_000, `took ${took} ms`);
    assert.equal(result.code, 9);
    assert.equal(ofType(events, 'ContainerStoppedEvent')[0]!.exitStatus, 137, 'killed by SIGKILL');
    const started = pidsIn(pids);
    assert.equal(started.length, 2);
    await waitFor('the killed processes to be gone', () => started.every(pid => !alive(pid)), 5000);
  });

  it('RUN_IN_BACKGROUND: runs alongside the next action, is killed when the foreground is done, and does not fail the pipeline', async () => {
    const bg = join(dir, 'bg');
    const began = Date.now();
    const {done, events} = start(
      {
        actions: [
          sh(`echo $$ > ${bg}; exec sleep 30`, {flags: ['RUN_IN_BACKGROUND']}),
          // Runs only while the background action is alive: fails otherwise.
          sh(`for i in $(seq 100); do test -s ${bg} && break; sleep 0.05; done; kill -0 "$(cat ${bg})" && echo sidecar-alive >&2`),
        ],
      },
      executor,
    );
    const result = await done;
    const took = Date.now() - began;
    assert.deepEqual(result, {code: 0});
    assert.ok(took < 15_000, `took ${took} ms`);
    const stopped = ofType(events, 'ContainerStoppedEvent');
    assert.deepEqual(
      stopped.map(e => [e.actionId, e.exitStatus]),
      [
        [2, 0],
        [1, 143],
      ],
    );
    assert.equal(stopped[0]!.stderr, 'sidecar-alive\n');
    const [pid] = pidsIn(bg);
    await waitFor('the background action to be gone', () => !alive(pid!), 5000);
    assert.equal(ofType(events, 'FailedEvent').length, 0);
  });

  it('cancel() during a long action kills its processes and run() resolves {code: 1}', async () => {
    const pids = join(dir, 'pids');
    const marker = join(dir, 'ran');
    const began = Date.now();
    const {runner, done, events} = start({actions: [sh(`echo $$ > ${pids}; sleep 30 & echo $! >> ${pids}; wait`), sh(`touch ${marker}`)]}, executor);
    await waitFor('the action to start', () => pidsIn(pids).length === 2);
    runner.cancel();
    const result = await done;
    assert.equal(result.code, 1);
    assert.ok(Date.now() - began < 15_000);
    assert.equal(existsSync(marker), false, 'nothing runs after a cancel');
    assert.deepEqual(events.map(short), ['ContainerStartedEvent', 'ContainerKilledEvent', 'ContainerStoppedEvent']);
    await waitFor('the cancelled processes to be gone', () => pidsIn(pids).every(pid => !alive(pid)), 5000);
  });

  it('an action with neither commands nor entrypoint exits 127 with an explanation, and fails the pipeline', async () => {
    const {done, events} = start({actions: [{imageUri: 'alpine'}]}, executor);
    const result = await done;
    assert.equal(result.code, 9);
    assert.match(result.message!, /action 1: unexpected exit status 127/);
    const [stopped] = ofType(events, 'ContainerStoppedEvent');
    assert.equal(stopped!.exitStatus, 127);
    assert.match(String(stopped!.stderr), /action 1 has no commands or entrypoint/);
    assert.deepEqual(
      ofType(events, 'UnexpectedExitStatusEvent').map(e => e.exitStatus),
      [127],
    );
  });

  it('a program that does not exist: a failure with an explaining stderr', async () => {
    const {done, events} = start({actions: [action(['/nonexistent/gaffer-program'])]}, executor);
    const result = await done;
    assert.equal(result.code, 9);
    const [stopped] = ofType(events, 'ContainerStoppedEvent');
    assert.notEqual(stopped!.exitStatus, 0);
    assert.match(String(stopped!.stderr), /ENOENT/);
  });


  it('entrypoint is the program and commands its arguments; without entrypoint commands[0] is the program', async () => {
    const {done, events} = start(
      {
        actions: [
          {imageUri: 'alpine', entrypoint: 'sh', commands: ['-c', 'echo "$0|$1|$2" >&2; exit 4', 'zero', 'one', 'two'], flags: ['IGNORE_EXIT_STATUS']},
          // The entrypoint alone, no arguments: `false` exits 1.
          {imageUri: 'alpine', entrypoint: 'false', flags: ['IGNORE_EXIT_STATUS']},
          // Were `commands` run on their own, `-c` would be the program and fail differently.
          {imageUri: 'alpine', entrypoint: 'sh', commands: ['-c', 'exit 6'], flags: ['IGNORE_EXIT_STATUS']},
          action(['sh', '-c', 'echo "$0" >&2', 'first-arg']),
        ],
      },
      executor,
    );
    const result = await done;
    assert.deepEqual(result, {code: 0});
    assert.deepEqual(
      ofType(events, 'ContainerStoppedEvent').map(e => [e.actionId, e.exitStatus, e.stderr]),
      [
        [1, 4, 'zero|one|two\n'],
        [2, 1, ''],
        [3, 6, ''],
        [4, 0, 'first-arg\n'],
      ],
    );
  });
});

/** Failures reported the way Google's worker and a shell report them. */
describe('PipelineRunner: exit statuses and failure events', function () {
  this.timeout(30_000);
  const executor = new LocalExecutor();
  const sh = (script: string, extra: Partial<ActionJson> = {}): ActionJson => action(['sh', '-c', script], extra);

  it('a failed pull reports one FailedEvent, not two', async () => {
    const {events} = await runWith(new PullingExecutor(), {actions: [{imageUri: 'missing', commands: ['a']}]});
    assert.equal(ofType(events, 'FailedEvent').length, 1, `events: ${events.map(short).join(', ')}`);
  });

  it('a program that does not exist exits 127, as in a shell or Docker', async () => {
    const {done, events} = start({actions: [action(['/nonexistent/gaffer-program'])]}, executor);
    await done;
    assert.equal(ofType(events, 'ContainerStoppedEvent')[0]!.exitStatus, 127);
  });

  it('an action killed by a signal exits 128 + the signal number', async () => {
    const {done, events} = start(
      {
        actions: ['TERM', 'KILL', 'HUP', 'ABRT', 'SEGV'].map(signal => sh(`kill -${signal} $$`, {flags: ['IGNORE_EXIT_STATUS']})),
      },
      executor,
    );
    assert.deepEqual(await done, {code: 0});
    assert.deepEqual(
      ofType(events, 'ContainerStoppedEvent').map(e => e.exitStatus),
      [143, 137, 129, 134, 139],
    );
  });
});
