/**
 * Each RPC is its own HTTP function: the real functions-framework binary serves
 * `--target=<name>` alone, and `--target=gaffer` serves them all, with the same
 * google.rpc errors as the local server. One exception: the framework parses
 * application/json bodies itself and answers a malformed one before Gaffer runs
 * (functions-framework-nodejs issue #686); it is still a 400 that changes nothing.
 */
import {strict as assert} from 'assert';
import {Served, serveTarget as serve} from '../helpers/framework';
import {helloRequest, randomProject} from '../helpers/gaffer';

async function send(base: string, method: string, path: string, body?: string) {
  const res = await fetch(`${base}${path}`, {method, body, headers: body ? {'Content-Type': 'application/json'} : {}});
  return {status: res.status, json: (await res.json()) as {name?: string; error?: {status: string; message: string}}};
}

describe('functions framework targets', function () {
  this.timeout(60_000);
  const started: Served[] = [];
  after(() => started.forEach(s => s.child.kill('SIGKILL')));

  it('serves one RPC per target, and google.rpc errors for the rest', async () => {
    const [run, get] = await Promise.all([serve('runPipeline'), serve('getOperation')]);
    started.push(run, get);
    const project = randomProject();
    const created = await send(run.url, 'POST', '/v2alpha1/pipelines:run', JSON.stringify(helloRequest(project)));
    assert.equal(created.status, 200);
    const got = await send(get.url, 'GET', `/v2alpha1/${created.json.name}`);
    assert.equal(got.status, 200);
    assert.equal(got.json.name, created.json.name);
    const notHere = await send(run.url, 'GET', `/v2alpha1/${created.json.name}`);
    assert.equal(notHere.status, 404);
    assert.equal(notHere.json.error?.status, 'NOT_FOUND');
  });

  it('serves expireLeases for Cloud Scheduler, answering what the sweep did', async () => {
    const sweep = await serve('expireLeases');
    started.push(sweep);
    const res = await fetch(`${sweep.url}/`, {method: 'POST'});
    assert.equal(res.status, 200);
    const report = (await res.json()) as Record<string, unknown>;
    for (const key of ['requeued', 'ended', 'timedOut', 'skipped']) assert.equal(typeof report[key], 'number', key);
    const wrongMethod = await fetch(`${sweep.url}/`);
    assert.equal(wrongMethod.status, 404);
  });

  it('serves dispatchOutbox and the WorkerMessages functions as their own targets', async () => {
    const [outbox, messages] = await Promise.all([serve('dispatchOutbox'), serve('workerMessages')]);
    started.push(outbox, messages);
    const dispatched = await fetch(`${outbox.url}/`, {method: 'POST'});
    assert.equal(dispatched.status, 200);
    const report = (await dispatched.json()) as Record<string, unknown>;
    assert.equal(typeof report.published, 'number');
    const project = randomProject();
    const sent = await send(
      messages.url,
      'POST',
      `/v1b3/projects/${project}/WorkerMessages`,
      JSON.stringify({workerMessages: [{labels: {WORKER_ID: 'w1'}, workerHealthReport: {vmIsHealthy: true}}]}),
    );
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
  });

  it('reads a body sent without a Content-Type instead of ignoring it', async () => {
    const all = await serve('gaffer');
    started.push(all);
    const project = randomProject();
    const res = await fetch(`${all.url}/v2alpha1/pipelines:run`, {method: 'POST', body: Buffer.from(JSON.stringify(helloRequest(project)))});
    assert.equal(res.status, 200);
    const created = (await res.json()) as {name: string};
    assert.match(created.name, new RegExp(`^projects/${project}/operations/`));
    const malformed = await fetch(`${all.url}/v2alpha1/pipelines:run`, {method: 'POST', body: Buffer.from('{"pipeline": ')});
    assert.equal(malformed.status, 400);
    const error = ((await malformed.json()) as {error: {status: string; message: string}}).error;
    assert.equal(error.status, 'INVALID_ARGUMENT');
    assert.match(error.message, /Invalid JSON payload/);
  });

  it('refuses malformed JSON sent as application/json (the framework answers before Gaffer) and changes nothing', async () => {
    const all = await serve('gaffer');
    started.push(all);
    const project = randomProject();
    const res = await fetch(`${all.url}/v2alpha1/pipelines:run`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: `{"pipeline": {"resources": {"projectId": "${project}"}`,
    });
    assert.equal(res.status, 400);
    const listed = await send(all.url, 'GET', `/v2alpha1/projects/${project}/operations`);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.json, {operations: []});
  });
});
