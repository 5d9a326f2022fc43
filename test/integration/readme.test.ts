/**
 * The README's code snippets, run as a reader would run them: every code block marked
 * `<!-- tested: NAME -->` runs against a real local server (and, for the CLI walk-through,
 * a real gaffer-worker), with only the server's address changed. A snippet that no
 * longer works, or no longer prints what the README says, fails here.
 *
 * The dsub session with a worker (`dsub-worker`) runs real dsub and a real gaffer-worker on
 * a private Docker engine; what it needs from outside is stood in (nothing outside is
 * reachable): the Cloud SDK image and `ubuntu` are the image of test/helpers/cloudSdkStandIn.ts,
 * gs://my-bucket is a directory of the GCS stand-in there, and the snippet's own `gsutil`
 * (on the host) is a stand-in that reads it.
 */
import {strict as assert} from 'assert';
import {spawn} from 'child_process';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {dirname, join} from 'path';
import {LocalServer, startLocalServer} from '../../src/server';
import type {DockerEngine} from '../../src/dev/docker';
import {AgentProcesses, SHORT_LEASES} from '../helpers/agents';
import {GcsStandIn, buildCloudSdkStandIn} from '../helpers/cloudSdkStandIn';
import {busyboxImage, dockerEngine, pythonClients} from '../helpers/engines';
import {testConfig} from '../helpers/gaffer';

const ROOT = join(__dirname, '../../..');
const README_URL = 'http://127.0.0.1:8080';

interface Snippet {
  name: string;
  language: string;
  code: string;
}

/** Every block marked `<!-- tested: NAME -->` (the marker on the line before the fence). */
export function testedSnippets(markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const marked = /<!-- tested: ([\w-]+) -->\n```(\w+)\n([\s\S]*?)\n```/g;
  for (const match of markdown.matchAll(marked)) {
    const [, name = '', language = '', code = ''] = match;
    snippets.push({name, language, code});
  }
  return snippets;
}

function runSnippet(snippet: Snippet, server: string, env: NodeJS.ProcessEnv = {}): Promise<{code: number | null; stdout: string; stderr: string}> {
  const code = snippet.code.replaceAll(README_URL, server);
  const dir = mkdtempSync(join(tmpdir(), 'gaffer-readme-'));
  const file = join(dir, snippet.language === 'js' ? 'snippet.js' : 'snippet.sh');
  writeFileSync(file, snippet.language === 'js' ? code : `set -euo pipefail\n${code}\n`);
  // A js snippet resolves packages from the repository, as `node` there would.
  const [program, args] = snippet.language === 'js' ? [process.execPath, [file]] : ['bash', [file]];
  const child = spawn(program, args, {
    cwd: ROOT,
    env: {...process.env, GAFFER_SERVER: server, NODE_PATH: join(ROOT, 'node_modules'), ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise(resolve =>
    child.on('close', exit => {
      rmSync(dir, {recursive: true, force: true});
      resolve({code: exit, stdout, stderr});
    }),
  );
}

describe('README snippets', function () {
  this.timeout(120_000);
  const snippets = testedSnippets(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const agents = new AgentProcesses(() => server);
  let engine: DockerEngine | undefined;
  const dockerAgents = new AgentProcesses(
    () => server,
    () => engine?.env() ?? process.env,
  );
  let server: LocalServer;
  before(async () => {
    server = await startLocalServer(testConfig(SHORT_LEASES), {}, {sweep: true});
  });
  after(async () => {
    agents.killAll();
    dockerAgents.killAll();
    await server.close();
  });

  /** What each snippet must print, beyond exiting 0. */
  const expected: Record<string, RegExp[]> = {
    googleapis: [/^projects\/my-project\/operations\/\d+ false$/m, /team: 'genomics'/, /^true$/m],
    curl: [/"done": false/, /"operations": \[/, /"done": true/, /"code": 1,/],
    cli: [
      /^projects\/my-project\/operations\/\d+\nSUCCESS$/m,
      /^Status: +SUCCESS$/m,
      /Worker "readme-worker" assigned/,
      /^FAILURE: FAILED_PRECONDITION \(9\)/m,
      /^exit code 1$/m,
      /^NAME +STATUS +CREATED +LABELS$/m,
      /^readme-worker +yes/m,
    ],
    // No worker serves the project by then, so the job waits until ddel cancels it (with
    // the sweep's DelayedEvent saying why once it has run).
    dsub: [/^Job Name +Status +Last Update/m, /^echo +(Pending|A resource limit has delayed the operat\.\.\.) /m, /^1 job deleted$/m, /^ {2}status: CANCELED$/m, /^ {2}status-message: The operation was cancelled$/m],
    'dsub-worker': [
      /^tr +Success /m,
      /^ {2}- name: running-docker\n {2}- name: delocalizing-files\n {2}- name: ok\n {2}logging: gs:\/\/my-bucket\/logs\/tr--root--[\d-]+\.log\n {2}status: SUCCESS$/m,
      /^HELLO FROM THE BUCKET\nwrote \/mnt\/data\/output\/gs\/my-bucket\/out\/hello\.txt$/m,
      /^1 job deleted$/m,
      /^ {2}- name: canceled\n {2}status: CANCELED\n {2}status-message: /m,
    ],
  };

  /** What the dsub-worker snippet needs beyond dsub: a Docker worker, the stand-ins; the bucket (to check). */
  async function dsubWorkerSession(ctx: Mocha.Context, env: NodeJS.ProcessEnv): Promise<GcsStandIn> {
    agents.killAll();
    engine = await dockerEngine(ctx);
    const busybox = await busyboxImage(ctx);
    const dsub = (await pythonClients(ctx)).dsub['0.5.0'];
    const gcs = new GcsStandIn();
    const gcsPort = await gcs.start();
    await buildCloudSdkStandIn(engine, {busybox, gcsPort, tags: ['ubuntu']});
    gcs.write('my-bucket/in/hello.txt', 'hello from the bucket\n');
    // The reader's gsutil, on the host: `gsutil cat` of the stand-in's objects.
    const bin = join(gcs.root, '.bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'gsutil'),
      `#!/bin/sh\n# gsutil cat, over the GCS stand-in of test/integration/readme.test.ts\n[ "$1" = cat ] || { echo "gsutil stand-in: only cat" >&2; exit 1; }\nshift\nfor o in "$@"; do cat "${gcs.root}/\${o#gs://}"; done\n`,
      {mode: 0o755},
    );
    env.PATH = `${bin}:${dirname(dsub.dsub)}:${process.env.PATH ?? ''}`;
    dockerAgents.start('my-project', ['--worker-id', 'readme-docker-worker'], {docker: true});
    return gcs;
  }

  it('finds every snippet it knows, and knows every snippet it finds', () => {
    assert.deepEqual(snippets.map(s => s.name).sort(), Object.keys(expected).sort());
  });

  for (const name of Object.keys(expected)) {
    it(`runs the ${name} snippet`, async function () {
      const snippet = snippets.find(s => s.name === name);
      assert.ok(snippet, `README.md has no "tested: ${name}" snippet`);
      if (name === 'cli') agents.start('my-project', ['--worker-id', 'readme-worker']);
      const env: NodeJS.ProcessEnv = {};
      if (name === 'dsub') {
        agents.killAll();
        const dsub = (await pythonClients(this)).dsub['0.5.0'];
        env.PATH = `${dirname(dsub.dsub)}:${process.env.PATH ?? ''}`;
      }
      const gcs = name === 'dsub-worker' ? await dsubWorkerSession(this, env) : undefined;
      try {
        const result = await runSnippet(snippet, server.url, env);
        if (process.env.GAFFER_TEST_VERBOSE) console.log(result.stdout);
        assert.equal(result.code, 0, `exit ${result.code}\n${result.stdout}\n${result.stderr}\n${agents.log}${dockerAgents.log}`);
        for (const pattern of expected[name] ?? []) assert.match(result.stdout, pattern, result.stdout);
        if (gcs) assert.equal(gcs.read('my-bucket/out/hello.txt'), 'HELLO FROM THE BUCKET\n');
      } finally {
        dockerAgents.killAll();
        await gcs?.stop();
      }
    });
  }

  it('reads its markers the way they are written', () => {
    const found = testedSnippets('x\n<!-- tested: a-b -->\n```sh\necho 1\necho 2\n```\n\n```sh\nuntested\n```\n');
    assert.deepEqual(found, [{name: 'a-b', language: 'sh', code: 'echo 1\necho 2'}]);
  });
});
