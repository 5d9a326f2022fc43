/**
 * Real engines for integration tests, started lazily (only when a test asks), once per
 * mocha run, and stopped by a root afterAll hook (this file is loaded through
 * .mocharc.json `require`). Call them from a `before` hook with mocha's `this`:
 *
 *   before(async function () {
 *     engine = await dockerEngine(this);
 *   });
 *
 * When this machine can't run one (not root, no dockerd, no python3...) the suite is
 * SKIPPED with a console line saying why, never passed silently. With
 * GAFFER_REQUIRE_ENGINES=1 (.ci/run sets it: CI installs everything) that is a failure
 * instead, so a missing install step can't hide behind skips.
 */
import {join} from 'path';
import {DockerEngine, dockerPrerequisites, ensureBusyboxImage, startDockerEngine} from '../../src/dev/docker';
import {PythonClients, ensurePythonClients, pythonPrerequisites, repositoryRoot} from '../../src/dev/python';
import {RunningRegistry, registryPrerequisites, startRegistry} from '../../src/dev/registry';

/** The offline busybox image (busybox-static 1.35); run it with `--pull never`. */
export const BUSYBOX_IMAGE = 'gaffer/busybox:1.35';

let docker: Promise<DockerEngine> | undefined;
let busybox: Promise<string> | undefined;
let python: Promise<PythonClients> | undefined;
let privateRun: Promise<RunningRegistry> | undefined;
let openRun: Promise<RunningRegistry> | undefined;
let pullable: Promise<string> | undefined;

function unavailable(ctx: Mocha.Context, what: string, reason: string): never {
  const message = `${what} unavailable here: ${reason}`;
  if (process.env.GAFFER_REQUIRE_ENGINES === '1') {
    throw new Error(`${message} (GAFFER_REQUIRE_ENGINES=1, so this fails instead of skipping)`);
  }
  const where = (ctx.currentTest ?? ctx.test)?.parent?.fullTitle() || 'test';
  console.log(`    [gaffer] SKIPPING "${where}": ${message}`);
  ctx.skip();
}

function atLeast(ctx: Mocha.Context, ms: number): void {
  if (ctx.timeout() < ms) ctx.timeout(ms);
}

/** A private dockerd for this run (see src/dev/docker.ts); use engine.env() for DOCKER_HOST/PATH. */
export async function dockerEngine(ctx: Mocha.Context): Promise<DockerEngine> {
  const missing = dockerPrerequisites();
  if (missing) unavailable(ctx, 'Docker', missing);
  atLeast(ctx, 60_000);
  docker ??= startDockerEngine();
  return docker;
}

/** dockerEngine() plus the offline busybox image in it; returns the image name. */
export async function busyboxImage(ctx: Mocha.Context): Promise<string> {
  const engine = await dockerEngine(ctx);
  busybox ??= ensureBusyboxImage(engine.host, BUSYBOX_IMAGE, engine.cli).then(() => BUSYBOX_IMAGE);
  return busybox;
}

/**
 * google-api-python-client and dsub 0.4.13 / 0.5.0 venvs under the repository's
 * .cache/python (about 35 s the first time, then reused across runs).
 */
export async function pythonClients(ctx: Mocha.Context): Promise<PythonClients> {
  const missing = await pythonPrerequisites();
  if (missing) unavailable(ctx, 'Python clients', missing);
  atLeast(ctx, 10 * 60_000);
  python ??= ensurePythonClients(join(repositoryRoot(), '.cache/python'), {
    log: line => console.log(`    [gaffer] ${line}`),
  });
  return python;
}

/** A registry on loopback requiring `docker login` (htpasswd): registry.credentials. */
export async function privateRegistry(ctx: Mocha.Context): Promise<RunningRegistry> {
  const missing = registryPrerequisites(true);
  if (missing) unavailable(ctx, 'Registry', missing);
  privateRun ??= startRegistry({auth: true});
  return privateRun;
}

/** An open registry on loopback: what `docker pull` of a test image needs. */
export async function openRegistry(ctx: Mocha.Context): Promise<RunningRegistry> {
  const missing = registryPrerequisites(false);
  if (missing) unavailable(ctx, 'Registry', missing);
  openRun ??= startRegistry({auth: false});
  return openRun;
}

/**
 * The busybox image pushed to the open registry: a name that `docker pull` really pulls
 * (the worker pulls every image; BUSYBOX_IMAGE alone exists only in the engine).
 */
export async function pullableBusyboxImage(ctx: Mocha.Context): Promise<string> {
  const engine = await dockerEngine(ctx);
  const local = await busyboxImage(ctx);
  const registry = await openRegistry(ctx);
  pullable ??= (async () => {
    const remote = `${registry.address}/${local}`;
    for (const args of [['tag', local, remote], ['push', remote]]) {
      const result = await engine.docker(args);
      if (result.code !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr}`);
    }
    return remote;
  })();
  return pullable;
}

async function stopAll(): Promise<void> {
  const stops: Array<Promise<void>> = [];
  for (const started of [docker, privateRun, openRun]) {
    // One that failed to start has nothing to stop.
    if (started) stops.push(started.then(s => s.stop(), () => undefined));
  }
  docker = privateRun = openRun = undefined;
  busybox = pullable = undefined;
  await Promise.all(stops);
}

/** Root hooks: mocha runs afterAll once, after every test file of the run. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await stopAll();
  },
};
