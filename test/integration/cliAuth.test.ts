/**
 * Who may do what, through the `gaffer` CLI and over HTTP, on a Gaffer that authenticates
 * callers (a test issuer's ID tokens, handed to the CLI as GAFFER_ID_TOKEN or printed by
 * --token-command): `gaffer policy` grants and takes roles (a concurrent change is neither
 * lost nor overwritten), a denied call says which permission is missing, `gaffer run` is
 * idempotent under a connection reset (its request id), pipelines.run's request id returns
 * the first operation (same caller, same body) and refuses another body, `describe` shows who
 * submitted and who cancelled, and `gaffer dead-letters` shows what Pub/Sub never took.
 */
import {strict as assert} from 'assert';
import {rmSync, writeFileSync} from 'fs';
import {createServer, Server, Socket, connect} from 'net';
import {tmpdir} from 'os';
import {join} from 'path';
import {main} from '../../src/cli/main';
import {LocalServer} from '../../src/server';
import {call, helloRequest, randomProject, startGaffer} from '../helpers/gaffer';
import {TestCallers, bearer, makeTestCallers} from '../helpers/tokens';
import {Capture} from '../helpers/capture';


describe('callers and policies through the CLI and HTTP', function () {
  this.timeout(60_000);
  let server: LocalServer;
  let callers: TestCallers;
  const tokens: Record<string, string> = {};

  before(async () => {
    callers = await makeTestCallers('gaffer-cli-auth-');
    server = await startGaffer({
      accessMode: 'iam',
      callerIssuers: callers.callerIssuers,
      admins: ['user:root@example.com'],
      policyCacheTtlMs: 0,
      pubSubTopics: ['projects/{project}/topics/*'],
      outboxMaxRetryMs: 0,
    });
    for (const who of ['root', 'ann', 'bob', 'eve']) tokens[who] = await callers.token(`${who}@example.com`);
  });
  after(async () => {
    await server?.close();
    rmSync(callers.dir, {recursive: true, force: true});
  });

  async function gaffer(as: string, args: string[], server_ = server.url): Promise<{code: number; stdout: string; stderr: string}> {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await main(args, {stdout, stderr, env: {GAFFER_SERVER: server_, GAFFER_ID_TOKEN: tokens[as]}});
    return {code, stdout: stdout.text, stderr: stderr.text};
  }

  it('a session: the first admin grants a role, a denied call names the permission, the role is taken back', async () => {
    const project = randomProject('cli');
    const file = join(tmpdir(), `gaffer-cli-auth-${project}.json`);
    writeFileSync(file, JSON.stringify(helloRequest(project, {who: 'ann'})));
    try {
      // Ann holds nothing yet.
      const denied = await gaffer('ann', ['run', file]);
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /PERMISSION_DENIED: Permission 'genomics\.operations\.create' denied on resource 'projects\/cli-[0-9a-f]+' \(or it may not exist\)/);

      const granted = await gaffer('root', ['policy', 'add-binding', '--project', project, '--role', 'roles/genomics.pipelinesRunner', '--member', 'user:ann@example.com']);
      assert.equal(granted.code, 0, granted.stderr);
      assert.match(granted.stdout, /roles\/genomics\.pipelinesRunner\s+user:ann@example\.com/);
      await gaffer('root', ['policy', 'add-binding', '--project', project, '--role', 'roles/genomics.viewer', '--member', 'user:bob@example.com']);

      const ran = await gaffer('ann', ['run', file]);
      assert.equal(ran.code, 0, ran.stderr);
      const name = ran.stdout.trim();
      // Bob may look, not cancel; Eve may not even look.
      const looked = await gaffer('bob', ['describe', name]);
      assert.equal(looked.code, 0, looked.stderr);
      assert.match(looked.stdout, /^By:\s+user:ann@example\.com$/m);
      const bobCancels = await gaffer('bob', ['cancel', name]);
      assert.match(bobCancels.stderr, /Permission 'genomics\.operations\.cancel' denied/);
      const eveLooks = await gaffer('eve', ['describe', name]);
      assert.match(eveLooks.stderr, /Permission 'genomics\.operations\.get' denied/);
      const eveGuesses = await gaffer('eve', ['describe', name.replace(/\d+$/, '1')]);
      assert.equal(eveGuesses.stderr, eveLooks.stderr, 'an operation that does not exist is refused the same way');

      const cancelled = await gaffer('ann', ['cancel', name]);
      assert.equal(cancelled.code, 0, cancelled.stderr);
      const described = await gaffer('bob', ['describe', name]);
      assert.match(described.stdout, /^Cancelled by: user:ann@example\.com$/m);
      assert.match(described.stdout, /Z {2}The operation was cancelled by user:ann@example\.com$/m);

      const policy = await gaffer('bob', ['policy', 'get', '--project', project]);
      assert.match(policy.stderr, /Permission 'gaffer\.projects\.getIamPolicy' denied/);
      const removed = await gaffer('root', ['policy', 'remove-binding', '--project', project, '--role', 'roles/genomics.pipelinesRunner', '--member', 'user:ann@example.com']);
      assert.equal(removed.code, 0, removed.stderr);
      assert.doesNotMatch(removed.stdout, /ann@example\.com/);
      assert.equal((await gaffer('ann', ['run', file])).code, 1, 'Ann may no longer run');
      const missing = await gaffer('root', ['policy', 'remove-binding', '--project', project, '--role', 'roles/genomics.admin', '--member', 'user:nobody@example.com']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /does not hold roles\/genomics\.admin/);
    } finally {
      rmSync(file, {force: true});
    }
  });

  it('a concurrent policy change is ABORTED at the stale etag, never lost; add-binding reads again and keeps both', async () => {
    const project = randomProject('etag');
    const read = await call(server, 'POST', `/v2alpha1/projects/${project}:getIamPolicy`, {}, bearer(tokens.root!));
    const etag = (read.json as {etag: string}).etag;
    const first = await call(server, 'POST', `/v2alpha1/projects/${project}:setIamPolicy`, {policy: {etag, bindings: [{role: 'roles/genomics.viewer', members: ['user:ann@example.com']}]}}, bearer(tokens.root!));
    assert.equal(first.status, 200);
    const stale = await call(server, 'POST', `/v2alpha1/projects/${project}:setIamPolicy`, {policy: {etag, bindings: [{role: 'roles/genomics.viewer', members: ['user:bob@example.com']}]}}, bearer(tokens.root!));
    assert.equal(stale.status, 409);
    assert.equal((stale.json.error as {status: string}).status, 'ABORTED');
    // Two admins adding bindings at once: both are kept.
    const [a, b] = await Promise.all([
      gaffer('root', ['policy', 'add-binding', '--project', project, '--role', 'roles/genomics.viewer', '--member', 'user:carl@example.com']),
      gaffer('root', ['policy', 'add-binding', '--project', project, '--role', 'roles/genomics.admin', '--member', 'user:dora@example.com']),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const final = await gaffer('root', ['policy', 'get', '--project', project, '--json']);
    const bindings = (JSON.parse(final.stdout) as {bindings: Array<{role: string; members: string[]}>}).bindings;
    assert.deepEqual(bindings, [
      {role: 'roles/genomics.admin', members: ['user:dora@example.com']},
      {role: 'roles/genomics.viewer', members: ['user:ann@example.com', 'user:carl@example.com']},
    ]);
  });

  describe('pipelines.run is idempotent under retry', () => {
    it('a request id returns the first operation (same caller, same body); another body is refused; another caller gets its own', async () => {
      const project = randomProject('idem');
      await call(server, 'POST', `/v2alpha1/projects/${project}:setIamPolicy`, {policy: {bindings: [{role: 'roles/genomics.pipelinesRunner', members: ['user:ann@example.com', 'user:bob@example.com']}]}}, bearer(tokens.root!));
      const body = helloRequest(project, {try: 'one'});
      const first = await call(server, 'POST', '/v2alpha1/pipelines:run?requestId=3f2b1c7e-0000-4000-8000-000000000001', body, bearer(tokens.ann!));
      assert.equal(first.status, 200, JSON.stringify(first.json));
      // Retried (as a client does after a connection reset), and with the header instead of the parameter.
      const again = await call(server, 'POST', '/v2alpha1/pipelines:run?requestId=3f2b1c7e-0000-4000-8000-000000000001', body, bearer(tokens.ann!));
      const header = await call(server, 'POST', '/v2alpha1/pipelines:run', body, {...bearer(tokens.ann!), 'Idempotency-Key': '3f2b1c7e-0000-4000-8000-000000000001'});
      assert.equal((again.json as {name: string}).name, (first.json as {name: string}).name);
      assert.equal((header.json as {name: string}).name, (first.json as {name: string}).name);
      const other = await call(server, 'POST', '/v2alpha1/pipelines:run?requestId=3f2b1c7e-0000-4000-8000-000000000001', helloRequest(project, {try: 'two'}), bearer(tokens.ann!));
      assert.equal(other.status, 409);
      assert.equal((other.json.error as {status: string}).status, 'ALREADY_EXISTS');
      const bob = await call(server, 'POST', '/v2alpha1/pipelines:run?requestId=3f2b1c7e-0000-4000-8000-000000000001', body, bearer(tokens.bob!));
      assert.notEqual((bob.json as {name: string}).name, (first.json as {name: string}).name, 'request ids are per caller');
      const both = await call(server, 'POST', '/v2alpha1/pipelines:run?requestId=a', body, {...bearer(tokens.ann!), 'Idempotency-Key': 'b'});
      assert.equal(both.status, 400);
      const listed = await call(server, 'GET', `/v2alpha1/projects/${project}/operations`, undefined, bearer(tokens.ann!));
      assert.equal((listed.json as {operations: unknown[]}).operations.length, 2, 'one operation for Ann, one for Bob');
    });

    it('gaffer run retries after a connection reset with the same request id: the pipeline runs once', async () => {
      const project = randomProject('reset');
      await call(server, 'POST', `/v2alpha1/projects/${project}:setIamPolicy`, {policy: {bindings: [{role: 'roles/genomics.pipelinesRunner', members: ['user:ann@example.com']}]}}, bearer(tokens.root!));
      // A proxy that lets the first pipelines.run reach Gaffer, then resets the client's
      // connection instead of passing the answer back: the client can't know it ran.
      const target = new URL(server.url);
      let connections = 0;
      const proxy: Server = createServer(client => {
        const first = ++connections === 1;
        const upstream: Socket = connect(Number(target.port), target.hostname);
        client.pipe(upstream);
        upstream.on('data', chunk => {
          if (first) client.resetAndDestroy();
          else client.write(chunk);
        });
        upstream.on('end', () => client.end());
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', () => resolve()));
      const file = join(tmpdir(), `gaffer-reset-${project}.json`);
      writeFileSync(file, JSON.stringify(helloRequest(project, {once: 'yes'})));
      try {
        const port = (proxy.address() as {port: number}).port;
        const ran = await gaffer('ann', ['run', file], `http://127.0.0.1:${port}`);
        assert.equal(ran.code, 0, ran.stderr);
        assert.ok(connections >= 2, 'the first attempt was reset and retried');
        const listed = await call(server, 'GET', `/v2alpha1/projects/${project}/operations`, undefined, bearer(tokens.ann!));
        const ops = (listed.json as {operations: Array<{name: string}>}).operations;
        assert.deepEqual(ops.map(o => o.name), [ran.stdout.trim()], 'exactly one operation, the one printed');
      } finally {
        rmSync(file, {force: true});
        await new Promise(resolve => proxy.close(resolve));
      }
    });
  });

  it('gaffer dead-letters: a status message whose topic does not exist, given up on, retried by an admin', async () => {
    const project = randomProject('dead');
    const missingTopic = `projects/${project}/topics/nowhere`;
    const ran = await call(server, 'POST', '/v2alpha1/pipelines:run', {...helloRequest(project), pubSubTopic: missingTopic}, bearer(tokens.root!));
    assert.equal(ran.status, 200, JSON.stringify(ran.json));
    const name = (ran.json as {name: string}).name;
    await call(server, 'POST', `/v2alpha1/${name}:cancel`, {}, bearer(tokens.root!));
    await server.app.services.outbox?.idle();
    await server.app.services.outbox?.dispatchDue();
    const listed = await gaffer('root', ['dead-letters', '--project', project]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /NAME\s+GAVE UP\s+TOPIC\s+OPERATION\s+STATUS\s+ATTEMPTS\s+LAST ERROR/);
    assert.match(listed.stdout, new RegExp(`${missingTopic}\\s+${name.split('/').pop()}\\s+CANCELED\\s+\\d+\\s+.*NOT_FOUND`));
    const json = JSON.parse((await gaffer('root', ['dead-letters', '--project', project, '--json'])).stdout) as {deadLetters: Array<{name: string}>};
    const denied = await gaffer('ann', ['dead-letters', '--project', project]);
    assert.match(denied.stderr, /Permission 'gaffer\.deadLetters\.list' denied/);
    const retried = await gaffer('root', ['dead-letters', '--project', project, '--retry', json.deadLetters[0]!.name]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, /back in the outbox/);
  });
});
