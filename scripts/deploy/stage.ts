/**
 * What the deploy writes locally before it runs a command: the source every function is
 * built from (compiled JavaScript, the JSON Schemas, and a package.json and lockfile
 * with the production dependencies only, so Cloud Build installs seven packages' trees,
 * not the test and dashboard tool chain), the functions' environment, and the Firebase
 * Hosting configuration of a public deploy.
 */
import {cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'fs';
import {dirname, join, relative} from 'path';
import {ROOT_FUNCTION} from '../../functions/deployment';
import {ENV_FILE, HOSTING_CONFIG, PUBLIC_ENV_FILE, SOURCE_DIR, STAGE_DIR} from './plan';

/** Compiled directories the functions load at run time (build/src/agent and cli included: cheap, and never a missing import). */
const COMPILED = ['build/src', 'build/functions'];
/** Read at run time from the package root: the request schemas, and the dashboard the gaffer function serves at /dashboard/. */
const DATA = ['schemas', 'build/web'];

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  engines?: Record<string, string>;
  main?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface LockEntry {
  dev?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

interface Lockfile {
  name: string;
  version: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

export class StageError extends Error {}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Compiler output the functions load: JavaScript and the JSON tsc copies; not source maps or declarations. */
function copyCompiled(from: string, to: string): number {
  let copied = 0;
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    if (statSync(source).isDirectory()) {
      copied += copyCompiled(source, join(to, entry));
    } else if (!/\.(map|d\.ts|tsbuildinfo)$/.test(entry)) {
      mkdirSync(to, {recursive: true});
      cpSync(source, join(to, entry));
      copied++;
    }
  }
  return copied;
}

/** package.json for the functions: production dependencies, no scripts (no build step runs in Cloud Build). */
export function productionPackage(pkg: PackageJson): PackageJson {
  return {
    name: pkg.name,
    version: pkg.version,
    private: true,
    license: pkg.license,
    engines: pkg.engines,
    main: 'build/functions/index.js',
    dependencies: pkg.dependencies ?? {},
  };
}

/** The lockfile without what only devDependencies need, so `npm ci` installs exactly the locked production tree. */
export function productionLockfile(lock: Lockfile): Lockfile {
  if (lock.lockfileVersion < 2) throw new StageError(`package-lock.json version ${lock.lockfileVersion} is too old: run npm install with npm 7+`);
  const packages: Record<string, LockEntry> = {};
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') {
      const {devDependencies: _dropped, ...root} = entry;
      packages[path] = root;
    } else if (!entry.dev) {
      packages[path] = entry;
    }
  }
  return {...lock, packages};
}

/** Writes SOURCE_DIR afresh; returns a one-line summary. */
export function stageSource(root: string): string {
  if (!existsSync(join(root, 'build/functions/index.js'))) {
    throw new StageError('build/functions/index.js is missing: compile first (npm run deploy runs `npm run build`)');
  }
  if (!existsSync(join(root, 'build/web/index.html'))) {
    throw new StageError('build/web/index.html is missing: build the dashboard first (npm run deploy runs `npm run build`)');
  }
  const out = join(root, SOURCE_DIR);
  rmSync(out, {recursive: true, force: true});
  mkdirSync(out, {recursive: true});
  let files = 0;
  for (const dir of COMPILED) files += copyCompiled(join(root, dir), join(out, dir));
  for (const dir of DATA) {
    cpSync(join(root, dir), join(out, dir), {recursive: true});
    files += readdirSync(join(root, dir)).length;
  }
  const pkg = productionPackage(readJson<PackageJson>(join(root, 'package.json')));
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const lock = productionLockfile(readJson<Lockfile>(join(root, 'package-lock.json')));
  writeFileSync(join(out, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  // No install scripts (see the repository's .npmrc); gcloud uploads everything else here.
  if (existsSync(join(root, '.npmrc'))) cpSync(join(root, '.npmrc'), join(out, '.npmrc'));
  writeFileSync(join(out, '.gcloudignore'), '.gcloudignore\nnode_modules/\n');
  const dependencies = Object.keys(lock.packages).length - 1;
  return `${relative(root, out)}: ${files} files, ${Object.keys(pkg.dependencies ?? {}).length} dependencies (${dependencies} locked packages)`;
}

/** YAML for --env-vars-file: every value a double-quoted scalar (JSON strings are valid YAML). */
export function envYaml(env: Readonly<Record<string, string>>): string {
  return Object.keys(env)
    .sort()
    .map(name => `${name}: ${JSON.stringify(env[name])}\n`)
    .join('');
}

export function writeEnvFile(root: string, env: Readonly<Record<string, string>>, publicEnv?: Readonly<Record<string, string>>): string {
  const written: string[] = [];
  for (const [file, values] of [[ENV_FILE, env], ...(publicEnv ? [[PUBLIC_ENV_FILE, publicEnv] as const] : [])] as const) {
    const path = join(root, file);
    mkdirSync(dirname(path), {recursive: true});
    writeFileSync(path, envYaml(values));
    written.push(`${file}: ${Object.keys(values).sort().join(', ')}`);
  }
  return written.join('; ');
}

/**
 * firebase.json for a public deploy: the repository's Firestore files (absolute paths:
 * this file lives in STAGE_DIR) and a Hosting site that sends every path to the root
 * function's Cloud Run service.
 */
export function hostingConfig(root: string, region: string): object {
  return {
    firestore: {indexes: join(root, 'firestore.indexes.json'), rules: join(root, 'firestore.rules')},
    hosting: {
      public: join(root, STAGE_DIR, 'hosting'),
      rewrites: [{source: '**', run: {serviceId: ROOT_FUNCTION, region}}],
    },
  };
}

export function writeHostingConfig(root: string, region: string): string {
  mkdirSync(join(root, STAGE_DIR, 'hosting'), {recursive: true});
  writeFileSync(join(root, HOSTING_CONFIG), `${JSON.stringify(hostingConfig(root, region), null, 2)}\n`);
  return `${HOSTING_CONFIG}: every path to Cloud Run service ${ROOT_FUNCTION} in ${region}`;
}
