/**
 * Google's Python client, unchanged, against Gaffer's Genomics v2alpha1 and Cloud Life
 * Sciences v2beta: built from the discovery documents bundled with it, only its root URL
 * pointed at Gaffer. The requests carry JSON nulls as dsub's do; v2beta cancels go
 * through Google's batch endpoint, as ddel's do.
 */
import {strict as assert} from 'assert';
import {execFile} from 'child_process';
import {join} from 'path';
import {promisify} from 'util';
import {LocalServer} from '../../src/server';
import type {PythonClients} from '../../src/dev/python';
import type {OperationJson} from '../../src/wire/genomics';
import type {V2betaOperationJson} from '../../src/wire/lifesciences';
import {pythonClients} from '../helpers/engines';
import {randomProject, startGaffer} from '../helpers/gaffer';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '../../../test/python/google_client_session.py');

interface Session {
  v2alpha1_run: OperationJson;
  v2alpha1_get: OperationJson;
  v2alpha1_list: {operations: OperationJson[]};
  v2alpha1_cancel: Record<string, never>;
  v2alpha1_after_cancel: OperationJson;
  v2alpha1_list_cancelled: {operations: OperationJson[]};
  v2alpha1_cancel_again: {status: number; error: string};
  v2beta_run: V2betaOperationJson;
  v2beta_get: V2betaOperationJson;
  v2beta_list: {operations: V2betaOperationJson[]};
  v2beta_locations: {locations: Array<{locationId: string}>};
  v2beta_batch_cancel: Array<{response?: unknown; status?: number; error?: string}>;
  v2beta_after_batch: V2betaOperationJson[];
}

describe("Google's Python client (google-api-python-client)", function () {
  let clients: PythonClients;
  let server: LocalServer;
  let session: Session;
  const project = randomProject('py');

  before(async function () {
    clients = await pythonClients(this);
    server = await startGaffer();
    const {stdout} = await run(clients.python, [SCRIPT, `${server.url}/`, project, clients.discovery.genomicsV2alpha1, clients.discovery.lifesciencesV2beta], {
      timeout: 120_000,
    });
    session = JSON.parse(stdout) as Session;
  });
  after(async () => server?.close());

  it('v2alpha1: runs a pipeline sent with JSON nulls and serviceAccount.email "default", and gets it', () => {
    assert.match(session.v2alpha1_run.name, new RegExp(`^projects/${project}/operations/\\d+$`));
    assert.equal(session.v2alpha1_run.metadata['@type'], 'type.googleapis.com/google.genomics.v2alpha1.Metadata');
    assert.deepEqual(session.v2alpha1_run.metadata.pipeline.actions, [{imageUri: 'ubuntu', commands: ['bash', '-c', 'echo hi'], name: 'user-command'}]);
    assert.equal(JSON.stringify(session.v2alpha1_run).includes('null'), false, 'nulls are not echoed');
    assert.equal(session.v2alpha1_get.name, session.v2alpha1_run.name);
  });

  it('v2alpha1: lists with the filter dsub sends, cancels, and finds it by error = 1', () => {
    assert.deepEqual(session.v2alpha1_list.operations.map(o => o.name), [session.v2alpha1_run.name]);
    assert.deepEqual(session.v2alpha1_cancel, {});
    assert.deepEqual(session.v2alpha1_after_cancel.error, {code: 1, message: 'The operation was cancelled'});
    assert.equal(session.v2alpha1_after_cancel.metadata.events[0]?.description, 'The operation was cancelled');
    assert.deepEqual(session.v2alpha1_list_cancelled.operations.map(o => o.name), [session.v2alpha1_run.name]);
    assert.deepEqual(session.v2alpha1_cancel_again, {status: 400, error: 'FAILED_PRECONDITION'});
  });

  it('v2beta: runs under a location, in v2beta\'s shape, and gets and lists it there', () => {
    const op = session.v2beta_run;
    assert.match(op.name, new RegExp(`^projects/${project}/locations/us-central1/operations/\\d+$`));
    assert.equal(op.metadata['@type'], 'type.googleapis.com/google.cloud.lifesciences.v2beta.Metadata');
    assert.equal(op.metadata.pipeline.actions[0]?.containerName, 'user-command');
    assert.equal(session.v2beta_get.name, op.name);
    assert.equal(session.v2beta_list.operations.length, 3);
    assert.ok(session.v2beta_locations.locations.some(l => l.locationId === 'us-central1'));
  });

  it('v2beta: cancels through the batch endpoint, answering each part (a done one is FAILED_PRECONDITION)', () => {
    assert.deepEqual(session.v2beta_batch_cancel, [{response: {}}, {response: {}}, {status: 400, error: 'FAILED_PRECONDITION'}]);
    for (const op of session.v2beta_after_batch) {
      assert.equal(op.done, true);
      assert.deepEqual(op.error, {code: 1, message: 'The operation was cancelled'});
      assert.deepEqual(op.metadata.events[0], {
        timestamp: op.metadata.events[0]?.timestamp,
        description: 'The operation was cancelled',
        failed: {code: 'CANCELLED', cause: 'The operation was cancelled'},
      });
    }
  });
});
