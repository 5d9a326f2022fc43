/**
 * A dsub-shaped pipeline (dsub 0.4.13, provider google-v2: notes/clients.md 1.4 and 1.10)
 * and what it needs to run offline: a stand-in for dsub's Cloud SDK image, built from the
 * busybox-static image plus small shell scripts (`gsutil` over a local directory served
 * by a tiny HTTP server on the host, `python` that decodes a string's repr, `bash` and
 * `/usr/bin/env`), and a GCS stand-in server.
 *
 * The six actions are dsub's, with its names, images, entrypoints, environment, mounts
 * and flags; their commands are dsub's own (google_v2_base.py, google_utils.py) ported to
 * POSIX sh, because busybox has no bash: `for ((...))` loops become while loops, `(( ))`
 * becomes `[ ]`, `${!VAR}` becomes eval. Nothing else in them changed.
 */
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'fs';
import {IncomingMessage, Server, ServerResponse, createServer} from 'http';
import type {AddressInfo} from 'net';
import {tmpdir} from 'os';
import {dirname, join, relative} from 'path';
import type {DockerEngine} from '../../src/dev/docker';

/** dsub's LOG_MSG_FN. */
const LOG_MSG_FN = `function get_datestamp() {
  date "+%Y-%m-%d %H:%M:%S"
}

function log_info() {
  echo "$(get_datestamp) INFO: $@"
}

function log_warning() {
  1>&2 echo "$(get_datestamp) WARNING: $@"
}

function log_error() {
  1>&2 echo "$(get_datestamp) ERROR: $@"
}
`;

/** dsub's GSUTIL_CP_FN (its retry loop as a while loop). */
const GSUTIL_CP_FN = `function gsutil_cp() {
  local src="\${1}"
  local dst="\${2}"
  local content_type="\${3}"
  local user_project_name="\${4}"

  local headers=""
  if [[ -n "\${content_type}" ]]; then
    headers="-h Content-Type:\${content_type}"
  fi

  local user_project_flag=""
  if [[ -n "\${user_project_name}" ]]; then
    user_project_flag="-u \${user_project_name}"
  fi

  local attempt=0
  while [ "\${attempt}" -lt 4 ]; do
    log_info "gsutil \${headers} \${user_project_flag} -mq cp \\"\${src}\\" \\"\${dst}\\""
    if gsutil \${headers} \${user_project_flag} -mq cp "\${src}" "\${dst}"; then
      return
    fi
    if [ "\${attempt}" -lt 3 ]; then
      log_warning "Sleeping 10s before the next attempt of failed gsutil command"
      log_warning "gsutil \${headers} \${user_project_flag} -mq cp \\"\${src}\\" \\"\${dst}\\""
      sleep 10s
    fi
    attempt=$((attempt + 1))
  done

  log_error "gsutil \${headers} \${user_project_flag} -mq cp \\"\${src}\\" \\"\${dst}\\""
  exit 1
}
`;

/** dsub's LOG_CP_FN. */
const LOG_CP_FN = `${GSUTIL_CP_FN}
function log_cp() {
  local src="\${1}"
  local dst="\${2}"
  local tmp="\${3}"
  local check_src="\${4}"
  local user_project_name="\${5}"

  if [[ "\${check_src}" == "true" ]] && [[ ! -e "\${src}" ]]; then
    return
  fi

  # Copy the log files to a local temporary location so that our "gsutil cp" is never
  # executed on a file that is changing.

  local tmp_path="\${tmp}/$(basename \${src})"
  cp "\${src}" "\${tmp_path}"

  gsutil_cp "\${tmp_path}" "\${dst}" "text/plain" "\${user_project_name}"
}
`;

/** `${!NAME}` of bash. */
const INDIRECT_FN = `function indirect() {
  eval "printf '%s' \\"\\\${$1}\\""
}
`;

/** dsub's _LOG_CP_CMD for the user action (4) and a logging action's temp dir. */
function logCpCmd(loggingAction: string): string {
  return `mkdir -p /tmp/${loggingAction}
log_cp /google/logs/action/4/stdout "\${STDOUT_PATH}" /tmp/${loggingAction} "true" "\${USER_PROJECT}" &
STDOUT_PID=$!
log_cp /google/logs/action/4/stderr "\${STDERR_PATH}" /tmp/${loggingAction} "true" "\${USER_PROJECT}" &
STDERR_PID=$!

log_cp /google/logs/output "\${LOGGING_PATH}" /tmp/${loggingAction} "false" "\${USER_PROJECT}" &
LOG_PID=$!

wait "\${STDOUT_PID}"
wait "\${STDERR_PID}"
wait "\${LOG_PID}"
`;
}

const STRICT = 'set -o errexit\nset -o nounset\nset -o pipefail\n';

/** dsub's _CONTINUOUS_LOGGING_CMD: copies the logs until the final logging action (6) starts. */
export function continuousLoggingCmd(logInterval: string): string {
  return `${STRICT}\n${LOG_MSG_FN}\n${LOG_CP_FN}\nwhile [[ ! -d /google/logs/action/6 ]]; do\n${logCpCmd('continuous_logging_action')}\n  sleep ${logInterval}\ndone\n`;
}

/** dsub's _FINAL_LOGGING_CMD. */
export const FINAL_LOGGING_CMD = `${STRICT}\n${LOG_MSG_FN}\n${LOG_CP_FN}\n${logCpCmd('logging_action')}`;

/** dsub's PREPARE_CMD (with make_runtime_dirs_command and MK_IO_DIRS). */
export const PREPARE_CMD = `#!/bin/bash

${STRICT}
${LOG_MSG_FN}
${INDIRECT_FN}
mkdir -m 777 -p "/mnt/data/script"
mkdir -m 777 -p "/mnt/data/tmp"
mkdir -m 777 -p "/mnt/data/workingdir"

echo "\${_SCRIPT_REPR}" \\
  | python -c 'import ast
import sys

sys.stdout.write(ast.literal_eval(sys.stdin.read()))
' \\
  > "/mnt/data/script/myjob"
chmod a+x "/mnt/data/script/myjob"

i=0
while [ "\${i}" -lt "\${DIR_COUNT}" ]; do
  DIR_VAR="DIR_\${i}"

  log_info "mkdir -m 777 -p \\"$(indirect \${DIR_VAR})\\""
  mkdir -m 777 -p "$(indirect \${DIR_VAR})"
  i=$((i + 1))
done
`;

function copyLoop(kind: 'INPUT' | 'OUTPUT', verb: string): string {
  return `${STRICT}
i=0
while [ "\${i}" -lt "\${${kind}_COUNT}" ]; do
  ${kind}_VAR="${kind}_\${i}"
  ${kind}_RECURSIVE="${kind}_RECURSIVE_\${i}"
  ${kind}_SRC="${kind}_SRC_\${i}"
  ${kind}_DST="${kind}_DST_\${i}"

  log_info "${verb} $(indirect \${${kind}_VAR})"
  if [[ "$(indirect \${${kind}_RECURSIVE})" -eq "1" ]]; then
    gsutil_rsync "$(indirect \${${kind}_SRC})" "$(indirect \${${kind}_DST})" "\${USER_PROJECT}"
  else
    gsutil_cp "$(indirect \${${kind}_SRC})" "$(indirect \${${kind}_DST})" "" "\${USER_PROJECT}"
  fi
  i=$((i + 1))
done
`;
}

const GSUTIL_RSYNC_FN = `function gsutil_rsync() {
  local src="\${1}"
  local dst="\${2}"
  local user_project_name="\${3}"

  local user_project_flag=""
  if [[ -n "\${user_project_name}" ]]; then
    user_project_flag="-u \${user_project_name}"
  fi

  local attempt=0
  while [ "\${attempt}" -lt 4 ]; do
    log_info "gsutil \${user_project_flag} -mq rsync -r \\"\${src}\\" \\"\${dst}\\""
    if gsutil \${user_project_flag} -mq rsync -r "\${src}" "\${dst}"; then
      return
    fi
    if [ "\${attempt}" -lt 3 ]; then
      log_warning "Sleeping 10s before the next attempt of failed gsutil command"
      sleep 10s
    fi
    attempt=$((attempt + 1))
  done

  log_error "gsutil \${user_project_flag} -mq rsync -r \\"\${src}\\" \\"\${dst}\\""
  exit 1
}
`;

/** dsub's LOCALIZATION_CMD with LOCALIZATION_LOOP or DELOCALIZATION_LOOP. */
export function localizationCmd(kind: 'INPUT' | 'OUTPUT'): string {
  return `${LOG_MSG_FN}\n${INDIRECT_FN}\n${GSUTIL_RSYNC_FN}\n${GSUTIL_CP_FN}\n${copyLoop(kind, kind === 'INPUT' ? 'Localizing' : 'Delocalizing')}`;
}

/** dsub's USER_CMD. */
export const USER_CMD = 'export TMPDIR="/mnt/data/tmp"\ncd /mnt/data/workingdir\n\n"/mnt/data/script/myjob"\n';

export interface DsubPipelineOptions {
  project: string;
  sdkImage: string;
  userImage: string;
  /** The user's script (dsub --script / --command). */
  script: string;
  logInterval?: string;
}

/** The pipelines.run body dsub 0.4.13 (google-v2) builds for `dsub --input IN=gs://bkt/in/a.txt --output OUT=gs://bkt/out/b.txt --logging gs://bkt/logs/`. */
export function dsubRequest(options: DsubPipelineOptions): Record<string, unknown> {
  const job = 'myjob--root--261130-023620-73';
  const datadisk = [{disk: 'datadisk', path: '/mnt/data', readOnly: false}];
  const logging = {
    LOGGING_PATH: `gs://bkt/logs/${job}.log`,
    STDOUT_PATH: `gs://bkt/logs/${job}-stdout.log`,
    STDERR_PATH: `gs://bkt/logs/${job}-stderr.log`,
    USER_PROJECT: '',
  };
  const labels = {'job-id': job, 'job-name': 'myjob', 'user-id': 'root', 'dsub-version': 'v0-4-13'};
  // dsub sends these keys on every action, null when unset (Gaffer reads null as unset).
  const unset = {pidNamespace: null, portMappings: null, labels: null};
  const action = (fields: Record<string, unknown>) => ({...unset, mounts: null, ...fields});
  return {
    pipeline: {
      actions: [
        action({imageUri: options.sdkImage, commands: ['-c', continuousLoggingCmd(options.logInterval ?? '1s')], entrypoint: '/bin/bash', environment: logging, name: 'logging', flags: ['RUN_IN_BACKGROUND']}),
        action({
          imageUri: options.sdkImage,
          commands: ['-c', PREPARE_CMD],
          entrypoint: '/bin/bash',
          environment: {
            _SCRIPT_REPR: pythonRepr(options.script),
            _META_YAML_REPR: pythonRepr(`create-time: 2026-11-30 02:36:20.736146+00:00\ndsub-version: v0-4-13\njob-id: ${job}\n`),
            DIR_COUNT: '2',
            DIR_0: '/mnt/data/input/gs/bkt/in',
            DIR_1: '/mnt/data/output/gs/bkt/out',
          },
          mounts: datadisk,
          name: 'prepare',
        }),
        action({
          imageUri: options.sdkImage,
          commands: ['-c', localizationCmd('INPUT')],
          entrypoint: '/bin/bash',
          environment: {
            INPUT_COUNT: '1',
            INPUT_0: 'IN',
            INPUT_RECURSIVE_0: '0',
            INPUT_SRC_0: 'gs://bkt/in/a.txt',
            INPUT_DST_0: '/mnt/data/input/gs/bkt/in/a.txt',
            USER_PROJECT: '',
          },
          mounts: datadisk,
          name: 'localization',
        }),
        action({
          imageUri: options.userImage,
          commands: ['bash', '-c', USER_CMD],
          entrypoint: '/usr/bin/env',
          environment: {IN: '/mnt/data/input/gs/bkt/in/a.txt', OUT: '/mnt/data/output/gs/bkt/out/b.txt'},
          mounts: datadisk,
          name: 'user-command',
        }),
        action({
          imageUri: options.sdkImage,
          commands: ['-c', localizationCmd('OUTPUT')],
          entrypoint: '/bin/bash',
          environment: {
            OUTPUT_COUNT: '1',
            OUTPUT_0: 'OUT',
            OUTPUT_RECURSIVE_0: '0',
            OUTPUT_SRC_0: '/mnt/data/output/gs/bkt/out/b.txt',
            OUTPUT_DST_0: 'gs://bkt/out/b.txt',
            USER_PROJECT: '',
          },
          mounts: datadisk,
          name: 'delocalization',
        }),
        action({imageUri: options.sdkImage, commands: ['-c', FINAL_LOGGING_CMD], entrypoint: '/bin/bash', environment: logging, name: 'final_logging', flags: ['ALWAYS_RUN']}),
      ],
      resources: {
        regions: ['us-central1'],
        zones: [],
        virtualMachine: {
          network: {name: null, subnetwork: null, usePrivateAddress: false},
          machineType: 'n1-standard-1',
          preemptible: false,
          serviceAccount: {email: 'default', scopes: ['https://www.googleapis.com/auth/devstorage.full_control']},
          bootDiskSizeGb: 10,
          // dsub --disk-size 1 (its default is 200 GB: this worker checks it against its free space).
          volumes: [{volume: 'datadisk', persistentDisk: {sizeGb: 1, type: 'pd-standard', sourceImage: null}}],
          accelerators: null,
          labels,
          cpuPlatform: null,
          nvidiaDriverVersion: null,
          enableStackdriverMonitoring: false,
        },
        projectId: options.project,
      },
      environment: null,
      timeout: null,
    },
    labels,
  };
}

/** Python's repr() of a str with no quotes in it (what dsub puts in _SCRIPT_REPR). */
function pythonRepr(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}'`;
}

/** The stand-in gsutil: gs://BUCKET/PATH is /BUCKET/PATH on the GCS stand-in at the network gateway. */
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

/** The stand-in python: only what dsub's prepare action runs (ast.literal_eval of a quoted string on stdin). */
const PYTHON = `#!/bin/sh
# A stand-in for python in Gaffer's tests: prints the string literal it reads (a repr
# without quotes inside), as dsub's 'python -c <literal_eval>' does.
text=$(cat)
text=\${text#\\'}
text=\${text%\\'}
printf '%b' "$text"
`;

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

  write(path: string, text: string): void {
    mkdirSync(dirname(join(this.root, path)), {recursive: true});
    writeFileSync(join(this.root, path), text);
  }

  read(path: string): string {
    return readFileSync(join(this.root, path), 'utf8');
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
 * Builds the Cloud SDK stand-in image from the busybox image (offline: no RUN, no pull)
 * and pushes it to `registry`; returns its name there.
 */
export async function buildSdkStandIn(engine: DockerEngine, busybox: string, registry: string, gcsPort: number): Promise<string> {
  const context = mkdtempSync(join(tmpdir(), 'gaffer-sdk-image-'));
  try {
    writeFileSync(join(context, 'gsutil'), GSUTIL, {mode: 0o755});
    writeFileSync(join(context, 'python'), PYTHON, {mode: 0o755});
    writeFileSync(join(context, 'bash'), '#!/bin/sh\n# bash, as far as these tests need it: busybox sh.\nexec /bin/sh "$@"\n', {mode: 0o755});
    writeFileSync(join(context, 'env'), '#!/bin/sh\nexec /bin/busybox env "$@"\n', {mode: 0o755});
    writeFileSync(join(context, 'gsutil-port'), `${gcsPort}\n`);
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM ${busybox}\nCOPY gsutil python bash /bin/\nCOPY env /usr/bin/env\nCOPY gsutil-port /etc/gsutil-port\n`,
    );
    const name = `${registry}/gaffer/cloud-sdk-standin:${gcsPort}`;
    for (const args of [['build', '--quiet', '-t', name, context], ['push', name]]) {
      const result = await engine.docker(args, {timeoutMs: 120_000});
      if (result.code !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr}`);
    }
    return name;
  } finally {
    rmSync(context, {recursive: true, force: true});
  }
}
