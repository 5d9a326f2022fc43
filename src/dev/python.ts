/**
 * Python clients of the Pipelines API for tests, in virtualenvs under a cache dir (the
 * repository's .cache/python): Google's own client (google-api-python-client +
 * google-auth, with its bundled discovery documents) and dsub 0.4.13 and 0.5.0 (installed
 * by vendor/install-dsub.sh from shared/). Everything comes from the machine's local
 * package index, never a download at test time beyond that index.
 *
 * A venv is not relocatable (its scripts name their own path), so it is built in place,
 * under a lock dir, and a marker file written last (write-then-rename) says it is
 * complete; callers that find a marker matching what they want reuse it without locking.
 */
import {execFile} from 'child_process';
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'fs';
import {delimiter, dirname, join, resolve} from 'path';
import {promisify} from 'util';
import {pidAlive} from '../lib/pid';

const execFileAsync = promisify(execFile);

export const DSUB_VERSIONS = ['0.4.13', '0.5.0'] as const;
export type DsubVersion = (typeof DSUB_VERSIONS)[number];

/** Bump when the layout or the package list changes, so old caches are rebuilt. */
const CACHE_FORMAT = 1;
const CLIENT_PACKAGES = ['google-api-python-client', 'google-auth', 'google-auth-httplib2'];

export interface DsubInstall {
  version: DsubVersion;
  python: string;
  dsub: string;
  dstat: string;
  ddel: string;
}

export interface PythonClients {
  /** python of the venv holding google-api-python-client and google-auth. */
  python: string;
  /** Installed versions, from the venv: {"google-api-python-client": "2.201.0", ...}. */
  versions: Record<string, string>;
  /** Discovery documents bundled with googleapiclient (its discovery_cache/documents). */
  discovery: {genomicsV2alpha1: string; lifesciencesV2beta: string};
  dsub: Record<DsubVersion, DsubInstall>;
}

export interface PythonClientOptions {
  /** Base interpreter for the venvs (default: /usr/bin/python3 when it has venv, else python3). */
  python?: string;
  /** Folder holding install-dsub.sh and dsub-VERSION/ (default: shared/vendor beside the repository). */
  vendorDir?: string;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for another process building the same cache. */
  lockTimeoutMs?: number;
  log?: (line: string) => void;
}

interface Marker {
  spec: Spec;
  clients: PythonClients;
}

interface Spec {
  format: number;
  basePython: string;
  basePythonVersion: string;
  clientPackages: string[];
  dsubVersions: readonly string[];
}

/** The repository root: the nearest dir above this file holding package.json. */
export function repositoryRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** shared/vendor next to the repository (CI lays shared/ beside its clone), else /work/shared/vendor. */
export function defaultVendorDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.GAFFER_VENDOR_DIR, join(repositoryRoot(), '../shared/vendor'), '/work/shared/vendor'];
  return candidates.find((dir): dir is string => !!dir && existsSync(join(dir, 'install-dsub.sh')));
}

/** Why the Python clients can't be built here, or undefined when they can. */
export async function pythonPrerequisites(options: PythonClientOptions = {}): Promise<string | undefined> {
  const env = options.env ?? process.env;
  if (!(await basePython(options.python, env))) return 'no python3 with the venv and ensurepip modules';
  if (!(options.vendorDir ?? defaultVendorDir(env))) return 'no vendor dir with install-dsub.sh (shared/vendor beside the repository)';
  return undefined;
}

async function basePython(requested: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  // Debian's interpreter first: a pyenv shim's version depends on the directory it runs in.
  for (const candidate of requested ? [requested] : ['/usr/bin/python3', 'python3']) {
    try {
      await execFileAsync(candidate, ['-c', 'import venv, ensurepip'], {env});
      return candidate;
    } catch {
      // not usable
    }
  }
  return undefined;
}

async function pythonVersion(python: string, env: NodeJS.ProcessEnv): Promise<string> {
  const {stdout} = await execFileAsync(python, ['-c', 'import sys; print(sys.version.split()[0])'], {env});
  return stdout.trim();
}

/**
 * The index arguments for pip: the machine's configured local index (pip config's
 * extra-index-url, `file://` dirs that exist) as the index, so pip never waits on an
 * unreachable default index (about 3 minutes of retries otherwise).
 */
async function indexArgs(python: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  let configured: string[];
  try {
    const {stdout} = await execFileAsync(python, ['-m', 'pip', 'config', 'get', 'global.extra-index-url'], {env});
    configured = stdout.split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
  const [first, ...rest] = configured.filter(url => !url.startsWith('file://') || existsSync(url.slice('file://'.length)));
  if (first === undefined) return [];
  return ['--index-url', first, ...rest.flatMap(url => ['--extra-index-url', url])];
}

function readMarker(path: string): Marker | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

function usable(marker: Marker | undefined, spec: Spec): marker is Marker {
  if (!marker || JSON.stringify(marker.spec) !== JSON.stringify(spec)) return false;
  const {clients} = marker;
  const paths = [clients.python, clients.discovery.genomicsV2alpha1, clients.discovery.lifesciencesV2beta];
  for (const install of Object.values(clients.dsub)) paths.push(install.python, install.dsub, install.dstat, install.ddel);
  return paths.every(path => existsSync(path));
}

/** A lock dir holding its owner's pid; a lock whose owner is gone is taken over. */
async function withLock<T>(lockDir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (lockAbandoned(lockDir)) {
      rmSync(lockDir, {recursive: true, force: true});
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lockDir} still held after ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, 250));
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, {recursive: true, force: true});
  }
}

/** The owner died, or never wrote its pid (died between mkdir and write) a while ago. */
function lockAbandoned(lockDir: string): boolean {
  try {
    return !pidAlive(Number(readFileSync(join(lockDir, 'pid'), 'utf8')));
  } catch {
    const stat = statSync(lockDir, {throwIfNoEntry: false});
    return stat !== undefined && Date.now() - stat.mtimeMs > 10_000;
  }
}

/**
 * Creates (or reuses when complete) the venvs under `cacheDir` and returns the paths of
 * their programs. Safe for concurrent callers in several processes.
 */
export async function ensurePythonClients(cacheDir: string, options: PythonClientOptions = {}): Promise<PythonClients> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const python = await basePython(options.python, env);
  if (!python) throw new Error('no python3 with the venv and ensurepip modules');
  const vendorDir = options.vendorDir ?? defaultVendorDir(env);
  if (!vendorDir) throw new Error('no vendor dir with install-dsub.sh');
  cacheDir = resolve(cacheDir);
  mkdirSync(cacheDir, {recursive: true});
  const spec: Spec = {
    format: CACHE_FORMAT,
    basePython: python,
    basePythonVersion: await pythonVersion(python, env),
    clientPackages: CLIENT_PACKAGES,
    dsubVersions: DSUB_VERSIONS,
  };
  const markerPath = join(cacheDir, 'complete.json');
  const before = readMarker(markerPath);
  if (usable(before, spec)) return before.clients;
  return withLock(join(cacheDir, '.lock'), options.lockTimeoutMs ?? 10 * 60_000, async () => {
    // Someone else may have finished while we waited for the lock.
    const current = readMarker(markerPath);
    if (usable(current, spec)) return current.clients;
    rmSync(markerPath, {force: true});
    const started = Date.now();
    const clients = await build(cacheDir, python, vendorDir, env, log);
    const marker: Marker = {spec, clients};
    writeFileSync(`${markerPath}.${process.pid}`, JSON.stringify(marker, null, 2));
    renameSync(`${markerPath}.${process.pid}`, markerPath);
    log(`python clients built in ${Date.now() - started} ms under ${cacheDir}`);
    return clients;
  });
}

async function build(cacheDir: string, python: string, vendorDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<PythonClients> {
  const clientVenv = join(cacheDir, 'google-api-python-client');
  rmSync(clientVenv, {recursive: true, force: true});
  let t = Date.now();
  await execFileAsync(python, ['-m', 'venv', clientVenv], {env});
  const venvPython = join(clientVenv, 'bin/python');
  await execFileAsync(
    venvPython,
    ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', ...(await indexArgs(venvPython, env)), ...CLIENT_PACKAGES],
    {env, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000},
  );
  log(`venv google-api-python-client: ${Date.now() - t} ms`);
  const probe = [
    'import json, os, importlib.metadata as m, googleapiclient',
    'docs = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents")',
    `print(json.dumps({"docs": docs, "versions": {p: m.version(p) for p in ${JSON.stringify(CLIENT_PACKAGES)}}}))`,
  ].join('\n');
  const {stdout} = await execFileAsync(venvPython, ['-c', probe], {env});
  const found = JSON.parse(stdout) as {docs: string; versions: Record<string, string>};
  const discovery = {
    genomicsV2alpha1: join(found.docs, 'genomics.v2alpha1.json'),
    lifesciencesV2beta: join(found.docs, 'lifesciences.v2beta.json'),
  };
  for (const path of Object.values(discovery)) if (!existsSync(path)) throw new Error(`googleapiclient ${found.versions['google-api-python-client']} does not bundle ${path}`);

  const dsub = {} as Record<DsubVersion, DsubInstall>;
  // install-dsub.sh runs `python3 -m venv`: put the chosen interpreter's dir first on PATH.
  const scriptEnv = {...env, PATH: [dirname(python), env.PATH ?? ''].join(delimiter)};
  for (const version of DSUB_VERSIONS) {
    const venv = join(cacheDir, `dsub-${version}`);
    rmSync(venv, {recursive: true, force: true});
    t = Date.now();
    try {
      await execFileAsync('bash', [join(vendorDir, 'install-dsub.sh'), venv, version], {env: scriptEnv, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000});
    } catch (err) {
      const e = err as {stderr?: string; message: string};
      throw new Error(`install-dsub.sh ${version} failed: ${e.message}\n${e.stderr ?? ''}`, {cause: err});
    }
    log(`venv dsub ${version}: ${Date.now() - t} ms`);
    const bin = join(venv, 'bin');
    dsub[version] = {version, python: join(bin, 'python'), dsub: join(bin, 'dsub'), dstat: join(bin, 'dstat'), ddel: join(bin, 'ddel')};
  }
  return {python: venvPython, versions: found.versions, discovery, dsub};
}
