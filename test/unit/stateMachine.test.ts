import {strict as assert} from 'assert';
import {GafferError} from '../../src/core/errors';
import {OPERATION_STATES, OperationRecord, OperationState, newOperation} from '../../src/core/model';
import {
  WORKER_FAILED_MESSAGE,
  assign,
  canTransition,
  cancel,
  finish,
  releaseLease,
  terminalStateFor,
  timeOut,
} from '../../src/core/stateMachine';

const T0 = new Date('2026-01-01T00:00:00Z');
const later = (s: number) => new Date(T0.getTime() + s * 1000);

function op(overrides: Partial<OperationRecord> = {}, preemptible = false): OperationRecord {
  const request = {
    pipeline: {
      actions: [{imageUri: 'alpine'}],
      resources: {projectId: 'my-project', ...(preemptible ? {virtualMachine: {preemptible: true}} : {})},
    },
  };
  return {...newOperation('my-project', '1', request, T0, later(3600)), ...overrides};
}

const types = (events: Array<{details: {'@type': string}}>) => events.map(e => e.details['@type'].split('.').pop());
const policy = {maxPreemptibleAttempts: 2};

describe('operation state machine', () => {
  it('lets terminal states become nothing, and follows the lifecycle otherwise', () => {
    for (const from of ['SUCCESS', 'FAILURE', 'CANCELED'] as OperationState[]) {
      for (const to of OPERATION_STATES) assert.equal(canTransition(from, to), false, `${from} -> ${to}`);
    }
    assert.ok(canTransition('QUEUED', 'RUNNING'));
    assert.ok(canTransition('RUNNING', 'QUEUED'), 'a preempted operation is re-queued');
    assert.ok(!canTransition('QUEUED', 'SUCCESS'), 'nothing succeeds without running');
  });

  it('maps a final code to its state: 0 SUCCESS, 1 CANCELED, anything else FAILURE', () => {
    assert.equal(terminalStateFor(0), 'SUCCESS');
    assert.equal(terminalStateFor(1), 'CANCELED');
    assert.equal(terminalStateFor(9), 'FAILURE');
  });

  it('assigns with the next epoch, a lease, startTime and a WorkerAssignedEvent', () => {
    const {next, newEvents} = assign(op({leaseEpoch: 3, attempts: 1}), {workerId: 'w1'}, later(10));
    assert.equal(next.state, 'RUNNING');
    assert.deepEqual(next.lease, {workerId: 'w1', epoch: 4, grantTime: later(10)});
    assert.equal(next.leaseEpoch, 4);
    assert.equal(next.attempts, 2);
    assert.deepEqual(next.startTime, later(10));
    assert.deepEqual(types(newEvents), ['WorkerAssignedEvent']);
    assert.throws(() => assign(next, {workerId: 'w2'}, later(11)), /RUNNING/, 'a running operation is never assigned twice');
  });

  it('finishes once: lease and timeout cleared, and never again', () => {
    const running = assign(op(), {workerId: 'w1'}, later(1)).next;
    const {next} = finish(running, later(5), {code: 9, message: 'boom'}, []);
    assert.equal(next.state, 'FAILURE');
    assert.equal(next.lease, undefined);
    assert.equal(next.timeoutTime, undefined);
    assert.deepEqual(next.endTime, later(5));
    assert.throws(() => finish(next, later(6), undefined, []), GafferError);
    assert.equal(finish(running, later(5), {code: 0, message: ''}, []).next.error, undefined, 'code 0 is success, not an error');
  });

  it('cancels a queued operation at once, marks a running one, and refuses a done one', () => {
    const queued = cancel(op(), later(1));
    assert.equal(queued.kind, 'cancelled');
    if (queued.kind === 'cancelled') {
      assert.equal(queued.transition.next.state, 'CANCELED');
      assert.deepEqual(queued.transition.next.error, {code: 1, message: 'The operation was cancelled'});
      assert.deepEqual(types(queued.transition.newEvents), ['FailedEvent']);
    }
    const running = assign(op(), {workerId: 'w1'}, later(1)).next;
    const marked = cancel(running, later(2));
    assert.equal(marked.kind, 'cancelRequested');
    if (marked.kind === 'cancelRequested') {
      assert.equal(marked.transition.next.state, 'RUNNING');
      assert.equal(marked.transition.next.cancelRequested, true);
      assert.equal(cancel(marked.transition.next, later(3)).kind, 'alreadyRequested');
    }
    assert.throws(
      () => cancel(finish(running, later(2), undefined, []).next, later(3)),
      (err: GafferError) => err.code === 'FAILED_PRECONDITION' && err.reason === 'OPERATION_ALREADY_DONE',
    );
  });


  it("a cancel's FailedEvent starts with Google's words and names who asked, unless that is only a loopback address", () => {
    const cause = (o: ReturnType<typeof cancel>) => (o.kind === 'cancelled' ? o.transition.newEvents[0]?.details.cause : undefined);
    const byAnn = cancel(op(), later(1), 'user:ann@example.com');
    assert.equal(cause(byAnn), 'The operation was cancelled by user:ann@example.com');
    assert.equal(byAnn.kind === 'cancelled' && byAnn.transition.next.cancelledBy, 'user:ann@example.com');
    assert.equal(cause(cancel(op(), later(1), 'loopback:127.0.0.1')), 'The operation was cancelled');
    // A running one: the event comes when the worker goes (here its lease expires), naming the same caller.
    const running = assign(op(), {workerId: 'w1'}, later(1)).next;
    const marked = cancel(running, later(2), 'serviceAccount:ops@p.iam.gserviceaccount.com');
    assert.equal(marked.kind, 'cancelRequested');
    if (marked.kind !== 'cancelRequested') return;
    const released = releaseLease(marked.transition.next, later(100), 'leaseExpired', policy);
    assert.deepEqual(released.next.error, {code: 1, message: 'The operation was cancelled'});
    const failed = released.newEvents.find(e => e.details['@type'].endsWith('FailedEvent'));
    assert.equal(failed?.details.cause, 'The operation was cancelled by serviceAccount:ops@p.iam.gserviceaccount.com');
  });
  describe('losing a worker', () => {
    it('re-queues a preemptible pipeline while attempts remain, keeping its attempts and epoch', () => {
      const running = assign(op({}, true), {workerId: 'w1'}, later(1)).next;
      const {next, newEvents} = releaseLease(running, later(100), 'leaseExpired', policy);
      assert.equal(next.state, 'QUEUED');
      assert.equal(next.lease, undefined);
      assert.equal(next.attempts, 1);
      assert.equal(next.leaseEpoch, 1, 'epochs only grow: the next grant is 2');
      assert.deepEqual(types(newEvents), ['WorkerReleasedEvent', 'DelayedEvent']);
    });

    it('ends a preemptible pipeline UNAVAILABLE when its attempts are used', () => {
      let record = assign(op({}, true), {workerId: 'w1'}, later(1)).next;
      record = releaseLease(record, later(100), 'preempted', policy).next;
      record = assign(record, {workerId: 'w2'}, later(101)).next;
      const {next, newEvents} = releaseLease(record, later(200), 'preempted', policy);
      assert.equal(next.state, 'FAILURE');
      assert.equal(next.error?.code, 14);
      assert.deepEqual(types(newEvents), ['WorkerReleasedEvent', 'FailedEvent']);
    });

    it('ends any other pipeline ABORTED, saying the worker failed', () => {
      const running = assign(op(), {workerId: 'w1'}, later(1)).next;
      const {next} = releaseLease(running, later(100), 'vmBroken', policy);
      assert.deepEqual(next.error, {code: 10, message: `${WORKER_FAILED_MESSAGE}: it reported its VM broken`});
    });

    it('lets a waiting cancel decide: CANCELLED, not re-queued', () => {
      const running = cancel(assign(op({}, true), {workerId: 'w1'}, later(1)).next, later(2));
      assert.equal(running.kind, 'cancelRequested');
      if (running.kind !== 'cancelRequested') return;
      const {next} = releaseLease(running.transition.next, later(100), 'leaseExpired', policy);
      assert.equal(next.state, 'CANCELED');
    });

    it('queues again what a shutting-down worker hands back before starting an action, and only that', () => {
      const taken = assign(op(), {workerId: 'w1'}, later(1));
      const assigned = {...taken.next, events: [...taken.newEvents].reverse()};
      const handedBack = releaseLease(assigned, later(2), 'shutdown', policy);
      assert.equal(handedBack.next.state, 'QUEUED');
      assert.equal(handedBack.next.lease, undefined);
      assert.equal(handedBack.next.attempts, 0, 'the attempt that never ran is not counted');
      assert.deepEqual(types(handedBack.newEvents), ['WorkerReleasedEvent', 'DelayedEvent']);
      // Once an action started, a non-preemptible pipeline can't be run again behind the user's back.
      const started = {...assigned, events: [{timestamp: later(2), description: '', details: {'@type': 'type.googleapis.com/google.genomics.v2alpha1.ContainerStartedEvent', actionId: 1}}, ...assigned.events]};
      assert.equal(releaseLease(started, later(3), 'shutdown', policy).next.state, 'FAILURE');
      // A lease that expired (a crash) is not a hand-back.
      assert.equal(releaseLease(assigned, later(100), 'leaseExpired', policy).next.state, 'FAILURE');
    });
  });

  it('times out queued and running pipelines DEADLINE_EXCEEDED, releasing a held lease', () => {
    assert.equal(timeOut(op(), later(4000)).next.error?.code, 4);
    const running = assign(op(), {workerId: 'w1'}, later(1)).next;
    const {next, newEvents} = timeOut(running, later(4000));
    assert.equal(next.lease, undefined);
    assert.deepEqual(types(newEvents), ['WorkerReleasedEvent', 'FailedEvent']);
  });
});
