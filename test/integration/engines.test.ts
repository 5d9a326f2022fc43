/**
 * Smoke tests of the test harness itself (test/helpers/engines.ts): each capability the
 * worker's integration tests will lean on, proven against the real thing: a private
 * dockerd, the offline busybox image, a private registry, Google's Python client and
 * dsub. A suite whose engine can't run on this machine is skipped, saying why.
 */
import {strict as assert} from 'assert';
import {execFile} from 'child_process';
import {randomBytes} from 'crypto';
import {mkdtempSync, readFileSync, rmSync} from 'fs';
import {IncomingHttpHeaders, createServer} from 'http';
import {AddressInfo} from 'net';
import {tmpdir} from 'os';
import {join} from 'path';
import {promisify} from 'util';
import {CommandResult, DockerEngine, runCommand} from '../../src/dev/docker';
import {freePort} from '../../src/dev/emulators';
import {DSUB_VERSIONS, PythonClients} from '../../src/dev/python';
import {RunningRegistry} from '../../src/dev/registry';
import {busyboxImage, dockerEngine, privateRegistry, pullableBusyboxImage, pythonClients} from '../helpers/engines';

const execFileAsync = promisify(execFile);
const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

describe('engines: a private Docker engine', function () {
  let engine: DockerEngine;
  let image: string;
  const names: string[] = [];

  before(async function () {
    engine = await dockerEngine(this);
    image = await busyboxImage(this);
  });

  afterEach(async () => {
    const containers = names.splice(0);
    if (containers.length) await engine.docker(['rm', '-f', ...containers]);
  });

  async function docker(args: string[], options: {timeoutMs?: number} = {}): Promise<string> {
    const result = await engine.docker(args, options);
    assert.equal(result.code, 0, `docker ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  }

  /** `docker run -d` a named container that afterEach removes. */
  async function detached(name: string, args: string[]): Promise<void> {
    names.push(name);
    await docker(['run', '-d', '--pull', 'never', '--name', name, ...args]);
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise(r => setTimeout(r, 100));
    }
  }

  it('runs a busybox container built offline (--pull never), with a client that matches the daemon', async () => {
    assert.equal(await docker(['run', '--rm', '--pull', 'never', image, 'echo', 'hello']), 'hello\n');
    assert.equal((await docker(['version', '--format', '{{.Client.APIVersion}} {{.Server.APIVersion}}'])).trim(), '1.41 1.41');
    // Code that runs plain `docker` (the worker) finds the pinned client through env().
    const {stdout} = await execFileAsync('sh', ['-c', 'command -v docker && docker info --format "{{.Name}}"'], {env: engine.env()});
    assert.equal(stdout.split('\n')[0], join(engine.binDir, 'docker'));
  });

  it('shares a bind mount between two containers, and a :ro mount refuses writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gaffer-bind-'));
    try {
      await docker(['run', '--rm', '--pull', 'never', '-v', `${dir}:/mnt/data`, image, 'sh', '-c', 'echo written-by-one > /mnt/data/out']);
      assert.equal(await docker(['run', '--rm', '--pull', 'never', '-v', `${dir}:/mnt/data`, image, 'cat', '/mnt/data/out']), 'written-by-one\n');
      assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'written-by-one\n');
      const refused = await engine.docker(['run', '--rm', '--pull', 'never', '-v', `${dir}:/mnt/data:ro`, image, 'sh', '-c', 'echo x > /mnt/data/other']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /Read-only file system/);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });

  it('lets containers on one user-defined network reach each other by container name and by alias', async () => {
    const network = unique('gt-net');
    await docker(['network', 'create', network]);
    try {
      const server = unique('gt-web');
      await detached(server, [
        '--network', network, '--network-alias', 'action-one', image,
        'sh', '-c', 'mkdir -p /www && echo served-by-action-one > /www/index.html && exec httpd -f -p 80 -h /www',
      ]);
      // Both the embedded DNS (127.0.0.11) and the connection work, for the name and the alias.
      // busybox-static's `wget -T` segfaults: retry with a loop instead of a timeout flag.
      const script = 'for i in $(seq 50); do wget -q -O- "http://$1/" 2>/dev/null && exit 0; sleep 0.1; done; exit 1';
      for (const target of ['action-one', server]) {
        assert.equal(await docker(['run', '--rm', '--pull', 'never', '--network', network, image, 'sh', '-c', script, 'sh', target]), 'served-by-action-one\n');
      }
      const viaNc = await docker(['run', '--rm', '--pull', 'never', '--network', network, image, 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc action-one 80']);
      assert.match(viaNc, /200 OK[\s\S]*served-by-action-one/);
    } finally {
      await engine.docker(['rm', '-f', ...names.splice(0)]);
      await docker(['network', 'rm', network]);
    }
  });

  it('publishes a port to the host, and the container IP from docker inspect is reachable from the host', async () => {
    const name = unique('gt-pub');
    const port = await freePort();
    await detached(name, ['-p', `127.0.0.1:${port}:80`, image, 'sh', '-c', 'mkdir -p /www && echo published > /www/index.html && exec httpd -f -p 80 -h /www']);
    const body = await waitFor('the published port', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      return res.ok ? res.text() : undefined;
    });
    assert.equal(body, 'published\n');
    const ip = (await docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name])).trim();
    assert.ok(engine.bridge, 'the engine has a bridge of its own');
    assert.ok(ip.startsWith(engine.bridge.gateway.replace(/\.1$/, '.')), `${ip} in ${engine.bridge.subnet}`);
    assert.equal(await (await fetch(`http://${ip}/`)).text(), 'published\n');
  });

  it('lets a container reach a server on the host at the bridge gateway', async () => {
    assert.ok(engine.bridge);
    const server = createServer((_req, res) => res.end('from-the-host\n'));
    await new Promise<void>(resolve => server.listen(0, engine.bridge!.gateway, resolve));
    try {
      const url = `http://${engine.bridge.gateway}:${(server.address() as AddressInfo).port}/`;
      assert.equal(await docker(['run', '--rm', '--pull', 'never', image, 'wget', '-q', '-O-', url]), 'from-the-host\n');
    } finally {
      server.close();
    }
  });

  it('gives a container in --network none only loopback', async () => {
    const out = await docker(['run', '--rm', '--pull', 'never', '--network', 'none', image, 'sh', '-c', 'ip -o link | cut -d: -f2']);
    assert.deepEqual(out.split('\n').map(s => s.trim()).filter(Boolean), ['lo']);
    assert.ok(engine.bridge);
    const refused = await engine.docker(['run', '--rm', '--pull', 'never', '--network', 'none', image, 'nc', '-w', '1', engine.bridge.gateway, '80']);
    assert.notEqual(refused.code, 0);
  });

  it('shares a pid namespace with --pid container:NAME', async () => {
    const name = unique('gt-pid');
    await detached(name, [image, 'sleep', '300']);
    const ps = await docker(['run', '--rm', '--pull', 'never', '--pid', `container:${name}`, image, 'ps', '-o', 'pid,args']);
    assert.match(ps, /^\s*1\s+sleep 300$/m);
  });

  it('docker stop -t 1 kills a process that ignores SIGTERM after about a second', async () => {
    const name = unique('gt-stubborn');
    await detached(name, [image, 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done']);
    await waitFor('the trap', async () => ((await docker(['logs', name])).includes('ready') ? true : undefined));
    const started = Date.now();
    await docker(['stop', '-t', '1', name]);
    const took = Date.now() - started;
    assert.ok(took >= 1000 && took < 5000, `stop took ${took} ms`);
    assert.equal((await docker(['inspect', '-f', '{{.State.ExitCode}}', name])).trim(), '137');
  });

  it('kills a container by name, and filters by label; --hostname is what the container sees', async () => {
    const name = unique('gt-label');
    const label = unique('run');
    await detached(name, ['--label', `gaffer-test=${label}`, '--hostname', 'action-host', image, 'sh', '-c', 'hostname; exec sleep 300']);
    await waitFor('the hostname', async () => ((await docker(['logs', name])) === 'action-host\n' ? true : undefined));
    assert.equal((await docker(['ps', '--filter', `label=gaffer-test=${label}`, '--format', '{{.Names}}'])).trim(), name);
    await docker(['kill', name]);
    assert.equal((await docker(['inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', name])).trim(), 'false 137');
  });

  it('pulls the busybox image from an open loopback registry, as the worker pulls every image', async function () {
    const remote = await pullableBusyboxImage(this);
    await docker(['rmi', remote]);
    assert.match(await docker(['pull', '--quiet', remote]), new RegExp(remote.replace(/[.]/g, '\\.')));
    assert.equal(await docker(['run', '--rm', '--pull', 'never', remote, 'echo', 'pulled']), 'pulled\n');
  });

  describe('a private registry with credentials', () => {
    let registry: RunningRegistry;
    let username: string;
    let password: string;

    before(async function () {
      registry = await privateRegistry(this);
      assert.ok(registry.credentials);
      ({username, password} = registry.credentials);
    });

    it('refuses pushes and pulls without docker login, serves them after it', async () => {
      const remote = `${registry.address}/private/${unique('busybox')}:1`;
      await docker(['tag', image, remote]);
      const push = (): Promise<CommandResult> => engine.docker(['push', remote]);
      assert.notEqual((await push()).code, 0, 'push without credentials');
      // --password-stdin: the password never shows in a process listing.
      const login = await engine.docker(['login', '-u', username, '--password-stdin', registry.address], {input: password});
      assert.equal(login.code, 0, login.stderr);
      assert.equal((await push()).code, 0);
      await docker(['rmi', remote]);
      await docker(['logout', registry.address]);
      const refused = await engine.docker(['pull', remote]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /no basic auth credentials|unauthorized/);
      assert.equal((await engine.docker(['login', '-u', username, '--password-stdin', registry.address], {input: password})).code, 0);
      await docker(['pull', remote]);
      assert.equal(await docker(['run', '--rm', '--pull', 'never', remote, 'echo', 'pulled']), 'pulled\n');
      await docker(['logout', registry.address]);
      await docker(['rmi', remote]);
    });
  });
});

describe('engines: Python clients of the Pipelines API', function () {
  let clients: PythonClients;

  before(async function () {
    clients = await pythonClients(this);
  });

  it('google-api-python-client builds genomics v2alpha1 and lifesciences v2beta from the bundled discovery documents and calls a custom root URL', async function () {
    this.timeout(60_000);
    const seen: Array<{method?: string; url?: string; headers: IncomingHttpHeaders}> = [];
    const server = createServer((req, res) => {
      seen.push({method: req.method, url: req.url, headers: req.headers});
      const name = (req.url ?? '').replace(/^\/v2(alpha1|beta)\//, '').split('?')[0];
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({name, done: true}));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const script = [
      'import json, sys',
      'import google.oauth2.credentials',
      'from googleapiclient.discovery import build_from_document',
      'genomics_doc, lifesciences_doc, root = sys.argv[1:4]',
      'creds = google.oauth2.credentials.Credentials(token="test-token")',
      'def client(path):',
      '    with open(path) as f:',
      '        return build_from_document(f.read(), credentials=creds, client_options={"api_endpoint": root})',
      'a = client(genomics_doc).projects().operations().get(name="projects/p1/operations/op1").execute()',
      'b = client(lifesciences_doc).projects().locations().operations().get(name="projects/p1/locations/us-central1/operations/op2").execute()',
      'print(json.dumps([a, b]))',
    ].join('\n');
    try {
      const {stdout} = await execFileAsync(clients.python, ['-c', script, clients.discovery.genomicsV2alpha1, clients.discovery.lifesciencesV2beta, root]);
      assert.deepEqual(JSON.parse(stdout), [
        {name: 'projects/p1/operations/op1', done: true},
        {name: 'projects/p1/locations/us-central1/operations/op2', done: true},
      ]);
    } finally {
      server.close();
    }
    assert.deepEqual(
      seen.map(r => `${r.method} ${r.url?.split('?')[0]}`),
      ['GET /v2alpha1/projects/p1/operations/op1', 'GET /v2beta/projects/p1/locations/us-central1/operations/op2'],
    );
    assert.equal(seen[0]?.headers.authorization, 'Bearer test-token');
  });

  for (const version of DSUB_VERSIONS) {
    it(`dsub ${version} is installed with dstat and ddel`, async function () {
      this.timeout(60_000);
      const install = clients.dsub[version];
      const result = await runCommand(install.dsub, ['--version']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`dsub version: ${version.replace(/\./g, '\\.')}\\b`));
      for (const tool of [install.dstat, install.ddel]) assert.equal((await runCommand(tool, ['--version'])).code, 0, tool);
    });
  }
});
