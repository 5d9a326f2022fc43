/**
 * What dsub's pipelines need from Google, stood in offline for tests that run them for
 * real on a private Docker engine:
 *
 * - Cloud Storage: `GcsStandIn`, a local directory served over HTTP on the host
 *   (GET a file, GET DIR?list, POST a file), which containers reach at their network's
 *   gateway;
 * - dsub's Cloud SDK image (`gcr.io/google.com/cloudsdktool/cloud-sdk:294.0.0-slim`):
 *   `buildCloudSdkStandIn`, an image built without a registry or a network from the
 *   busybox-static image plus this machine's own `/bin/bash` and `python3` (each with the
 *   shared libraries `ldd` names, python with only the standard-library modules dsub's
 *   `ast.literal_eval` decoding loads) and a stand-in `gsutil` (a busybox sh script doing
 *   `cp` and `rsync -r` against the GCS stand-in). dsub's own bash scripts run in it
 *   unchanged. It serves as the `--image` of the user's command too (dsub runs that with
 *   `/usr/bin/env bash`).
 */
import {execFileSync} from 'child_process';
import {closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync} from 'fs';
import {IncomingMessage, Server, ServerResponse, createServer} from 'http';
import type {AddressInfo} from 'net';
import {tmpdir} from 'os';
import {dirname, join, relative} from 'path';
import type {DockerEngine} from '../../src/dev/docker';
import {findExecutable} from '../../src/dev/docker';

/** dsub's google_utils.CLOUD_SDK_IMAGE: every action but the user's runs in it. */
export const CLOUD_SDK_IMAGE = 'gcr.io/google.com/cloudsdktool/cloud-sdk:294.0.0-slim';

/** A GCS stand-in: a directory served over HTTP (GET a file, GET DIR?list, POST a file). */
export class GcsStandIn {
  readonly root = mkdtempSync(join(tmpdir(), 'gaffer-gcs-'));
  private readonly server: Server = createServer((req, res) => void this.handle(req, res));

  async start(): Promise<number> {
    await new Promise<void>(resolve => this.server.listen(0, '0.0.0.0', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>(resolve => this.server.close(() => resolve()));
    rmSync(this.root, {recursive: true, force: true});
  }

  /** Writes the object gs://PATH (PATH starts with the bucket). */
  write(path: string, text: string): void {
    mkdirSync(dirname(join(this.root, path)), {recursive: true});
    writeFileSync(join(this.root, path), text);
  }

  read(path: string): string {
    return readFileSync(join(this.root, path), 'utf8');
  }

  exists(path: string): boolean {
    return existsSync(join(this.root, path));
  }

  /** The objects under gs://PREFIX/, relative to it, sorted. */
  list(prefix: string): string[] {
    const dir = join(this.root, prefix);
    return existsSync(dir) ? listFiles(dir).map(f => relative(dir, f)).sort() : [];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gcs');
    const path = join(this.root, decodeURIComponent(url.pathname));
    if (!path.startsWith(this.root)) return void res.writeHead(400).end();
    try {
      if (req.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        mkdirSync(dirname(path), {recursive: true});
        writeFileSync(path, Buffer.concat(chunks));
        return void res.writeHead(200).end();
      }
      if (url.searchParams.has('list')) return void res.writeHead(200).end(listFiles(path).map(f => relative(path, f)).join('\n'));
      res.writeHead(200).end(readFileSync(path));
    } catch {
      res.writeHead(404).end();
    }
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/**
 * The stand-in gsutil: what dsub's scripts run (`[-h H] [-u P] -mq cp SRC DST`,
 * `-mq rsync -r SRC DST`), with gs://BUCKET/PATH the file BUCKET/PATH of the GCS stand-in
 * at the container's default gateway (the host) on the port in /etc/gsutil-port.
 */
const GSUTIL = `#!/bin/sh
# A stand-in for gsutil in Gaffer's tests: gs://BUCKET/PATH is the file BUCKET/PATH of a
# local directory, served over HTTP by the test on the host (the container's default gateway).
set -e
while [ $# -gt 0 ]; do
  case "$1" in
    -h|-u) shift 2 ;;
    -m|-q|-mq|-qm) shift ;;
    *) break ;;
  esac
done
cmd="$1"; shift
base="http://$(ip route | awk '/^default/ {print $3}'):$(cat /etc/gsutil-port)"
case "$cmd" in
  cp)
    src="$1"; dst="$2"
    case "$dst" in */) dst="$dst$(basename "$src")" ;; esac
    case "$src" in
      gs://*) mkdir -p "$(dirname "$dst")"; wget -q -O "$dst" "$base/\${src#gs://}" ;;
      *) wget -q -O /dev/null --post-file="$src" "$base/\${dst#gs://}" ;;
    esac ;;
  rsync)
    [ "$1" = -r ] && shift
    src="\${1%/}"; dst="\${2%/}"
    case "$src" in
      gs://*) for f in $(wget -q -O - "$base/\${src#gs://}?list"); do mkdir -p "$(dirname "$dst/$f")"; wget -q -O "$dst/$f" "$base/\${src#gs://}/$f"; done ;;
      *) (cd "$src" && find . -type f) | while read -r f; do wget -q -O /dev/null --post-file="$src/$f" "$base/\${dst#gs://}/\${f#./}"; done ;;
    esac ;;
  *) echo "gsutil stand-in: $cmd is not supported" >&2; exit 1 ;;
esac
`;

/**
 * Run by the host's python: imports what dsub's PYTHON_DECODE_SCRIPT imports, decodes a
 * repr as it does, and prints the standard-library files then loaded (with site, as
 * `python -c` loads it) and the directories of the standard library.
 */
const PROBE = `import ast
import sys
ast.literal_eval("'a\\\\nb'")
import json, os, sysconfig
paths = sysconfig.get_paths()
stdlib, platstdlib = os.path.realpath(paths["stdlib"]), os.path.realpath(paths["platstdlib"])
files = sorted({os.path.abspath(m.__file__) for m in list(sys.modules.values()) if getattr(m, "__file__", None)})
print(json.dumps({"executable": os.path.realpath(sys.executable), "stdlib": stdlib, "platstdlib": platstdlib, "files": files}))
`;

interface PythonProbe {
  executable: string;
  stdlib: string;
  platstdlib: string;
  files: string[];
}

/** The python3 dsub's venvs are built from (src/dev/python.ts): /usr/bin/python3, else the first on PATH. */
function hostPython(): string {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : findExecutable('python3');
  if (!python) throw new Error('no python3 on this machine to put in the Cloud SDK stand-in');
  return python;
}

/** The shared libraries (and loader) an ELF file needs, as ldd names them. */
function sharedLibraries(file: string): string[] {
  const out = execFileSync('ldd', [file], {encoding: 'utf8'});
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map(m => m[1] as string);
}

function isElf(file: string): boolean {
  const head = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
}

/** Copies a host file (its content: symlinks followed) to the same path under root. */
function place(root: string, path: string): void {
  const target = join(root, path);
  if (existsSync(target)) return;
  mkdirSync(dirname(target), {recursive: true});
  copyFileSync(realpathSync(path), target);
}

export interface CloudSdkStandIn {
  /** Its name on the engine: CLOUD_SDK_IMAGE. */
  image: string;
  /** The same image pushed to the registry given, for `--image` (the worker pulls that one for real). */
  userImage?: string;
  /** Seconds to lay out its files, build it, tag and push it. */
  buildSeconds: number;
  /** The bytes added to the busybox image. */
  addedBytes: number;
}

export interface CloudSdkStandInOptions {
  /** The busybox image to build on (test/helpers/engines.ts busyboxImage). */
  busybox: string;
  /** Where GcsStandIn listens on the host. */
  gcsPort: number;
  /** A registry to push it to as gaffer/dsub-user (CloudSdkStandIn.userImage). */
  registry?: string;
  /** More names for it on the engine (say `ubuntu`: the worker's pull fails and it uses this copy). */
  tags?: string[];
}

/**
 * Builds the Cloud SDK stand-in from the busybox image (offline: `docker build` with COPY
 * only), tags it CLOUD_SDK_IMAGE on the engine (the worker's pull of gcr.io fails, as
 * nothing outside is reachable, and it falls back to that copy, saying so in a
 * DelayedEvent) and, given a registry, pushes it there as the user's image.
 */
export async function buildCloudSdkStandIn(engine: DockerEngine, options: CloudSdkStandInOptions): Promise<CloudSdkStandIn> {
  const began = Date.now();
  const context = mkdtempSync(join(tmpdir(), 'gaffer-sdk-image-'));
  try {
    const root = join(context, 'rootfs');
    const bash = realpathSync('/bin/bash');
    const python = hostPython();
    const probe = JSON.parse(execFileSync(python, ['-c', PROBE], {encoding: 'utf8', env: {PATH: '/usr/bin:/bin'}})) as PythonProbe;
    const inStdlib = (f: string) => (f.startsWith(`${probe.stdlib}/`) || f.startsWith(`${probe.platstdlib}/`)) && !/\/(site|dist)-packages\//.test(f);
    // Python finds its prefix from os.py beside its executable's lib dir (loaded anyway) and
    // its exec prefix from lib-dynload, which must exist; encodings is needed at start-up.
    const pythonFiles = [...probe.files.filter(inStdlib), join(probe.stdlib, 'os.py')];
    for (const name of readdirSync(join(probe.stdlib, 'encodings'))) if (name.endsWith('.py')) pythonFiles.push(join(probe.stdlib, 'encodings', name));
    mkdirSync(join(root, probe.platstdlib, 'lib-dynload'), {recursive: true});

    const binaries = [bash, probe.executable, ...pythonFiles.filter(f => f.endsWith('.so'))];
    for (const file of [...binaries, ...pythonFiles]) place(root, file);
    for (const file of binaries) if (isElf(file)) for (const library of sharedLibraries(file)) place(root, library);
    for (const dir of ['bin', 'usr/bin']) mkdirSync(join(root, dir), {recursive: true});
    if (bash !== '/bin/bash') symlinkSync(bash, join(root, 'bin/bash'));
    for (const name of ['python', 'python3']) symlinkSync(probe.executable, join(root, 'bin', name));
    symlinkSync('/bin/busybox', join(root, 'usr/bin/env'));
    writeFileSync(join(root, 'bin/gsutil'), GSUTIL, {mode: 0o755});
    mkdirSync(join(root, 'etc'), {recursive: true});
    writeFileSync(join(root, 'etc/gsutil-port'), `${options.gcsPort}\n`);
    const addedBytes = Number(execFileSync('du', ['-sb', root], {encoding: 'utf8'}).split('\t')[0]);
    writeFileSync(join(context, 'Dockerfile'), `FROM ${options.busybox}\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/usr/bin:/bin\n`);

    const userImage = options.registry ? `${options.registry}/gaffer/dsub-user:${options.gcsPort}` : undefined;
    const names = [CLOUD_SDK_IMAGE, ...(userImage ? [userImage] : []), ...(options.tags ?? [])];
    const steps = [['build', '--quiet', ...names.flatMap(n => ['-t', n]), context], ...(userImage ? [['push', userImage]] : [])];
    for (const args of steps) {
      const result = await engine.docker(args, {timeoutMs: 120_000});
      if (result.code !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr}`);
    }
    return {image: CLOUD_SDK_IMAGE, userImage, buildSeconds: (Date.now() - began) / 1000, addedBytes};
  } finally {
    rmSync(context, {recursive: true, force: true});
  }
}
