/**
 * How a worker's check-in fields are written to Firestore: a change sends only the fields
 * that differ from the document as read (a heartbeat's two or three), deletes the ones
 * that became absent, and never touches the health fields. Pure: no emulator.
 */
import {strict as assert} from 'assert';
import {FieldValue, Timestamp} from '@google-cloud/firestore';
import {idle, WorkerRecord} from '../../src/core/worker';
import {toWorkerUpdate} from '../../src/store/firestore/workerDoc';

const T0 = Date.UTC(2026, 10, 30, 12);
const at = (s: number) => new Date(T0 + s * 1000);

const holding: WorkerRecord = {
  projectId: 'p',
  workerId: 'w',
  operationId: 'op',
  leaseEpoch: 2,
  leaseExpireTime: at(180),
  lastCheckInTime: at(0),
  status: {freeRamBytes: '1024', totalRamBytes: '4096'},
  statusTime: at(0),
  capabilities: {zone: 'us-central1-a', machineType: 'n1-standard-4'},
};

describe('Firestore worker document updates', () => {
  it("sends a heartbeat's changed fields only: the check-in time and the lease's deadline", () => {
    const update = toWorkerUpdate({...holding, lastCheckInTime: at(30), leaseExpireTime: at(210)}, holding);
    assert.deepEqual(Object.keys(update).sort(), ['lastCheckInTime', 'leaseExpireTime']);
    assert.ok((update.leaseExpireTime as Timestamp).isEqual(Timestamp.fromDate(at(210))));
  });

  it('sends a new status with its time, and a cancel request', () => {
    const status = {freeRamBytes: '512', totalRamBytes: '4096'};
    const update = toWorkerUpdate({...holding, status, statusTime: at(30), lastCheckInTime: at(30), cancelRequested: true}, holding);
    assert.deepEqual(Object.keys(update).sort(), ['cancelRequested', 'lastCheckInTime', 'status', 'statusTime']);
    assert.equal(update.status, JSON.stringify(status));
  });

  it('deletes what a freed worker no longer has, and says it holds nothing', () => {
    const update = toWorkerUpdate(idle({...holding, cancelRequested: true}), {...holding, cancelRequested: true});
    assert.deepEqual(Object.keys(update).sort(), ['cancelRequested', 'holding', 'leaseEpoch', 'leaseExpireTime', 'operationId']);
    assert.equal(update.holding, false);
    for (const field of ['cancelRequested', 'leaseEpoch', 'leaseExpireTime', 'operationId'] as const) {
      assert.ok((update[field] as FieldValue).isEqual(FieldValue.delete()), field);
    }
  });

  it('writes every check-in field when nothing changed (a commit still needs one) or nothing was read', () => {
    const all = ['capabilities', 'holding', 'lastCheckInTime', 'lastFinish', 'leaseEpoch', 'leaseExpireTime', 'cancelRequested', 'operationId', 'status', 'statusTime'].sort();
    assert.deepEqual(Object.keys(toWorkerUpdate(holding, holding)).sort(), all);
    assert.deepEqual(Object.keys(toWorkerUpdate(holding, undefined)).sort(), all);
    assert.equal(Object.keys(toWorkerUpdate(holding, holding)).includes('health'), false, "health is worker messages' to write");
  });
});
