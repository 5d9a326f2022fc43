/**
 * Running real dsub, dstat and ddel (the venvs of src/dev/python.ts) against a Gaffer,
 * through bin/gaffer-dsub, as a user would: the tested versions and providers, and what
 * dstat prints.
 */
import {execFile} from 'child_process';
import {join} from 'path';
import {promisify} from 'util';
import type {DsubVersion, PythonClients} from '../../src/dev/python';

const run = promisify(execFile);
const LAUNCHER = join(__dirname, '../../../bin/gaffer-dsub');

export interface DsubVariant {
  version: DsubVersion;
  provider: 'google-v2' | 'google-cls-v2';
}

/** The variants the README says are tested. */
export const DSUB_VARIANTS: readonly DsubVariant[] = [
  {version: '0.4.13', provider: 'google-v2'},
  {version: '0.4.13', provider: 'google-cls-v2'},
  {version: '0.5.0', provider: 'google-cls-v2'},
];

/** A task as `dstat --full --format json` prints it (the fields tests read). */
export interface DstatTask {
  'job-id': string;
  'task-id'?: string | number;
  status: string;
  'status-message': string;
  'status-detail'?: string;
  'internal-id': string;
  logging?: string;
  'provider-attributes'?: {'instance-name'?: string; zone?: string};
  events?: Array<{name: string}>;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DsubTarget {
  clients: PythonClients;
  variant: DsubVariant;
  /** Gaffer's URL (without the trailing slash). */
  server: string;
  project: string;
  /** The working directory. */
  cwd: string;
}

/**
 * dsub, dstat or ddel of `target.variant` with --provider, --project (and --location for
 * google-cls-v2) given; never throws on a non-zero exit.
 */
export async function dsubTool(target: DsubTarget, name: 'dsub' | 'dstat' | 'ddel', args: string[], timeoutMs = 90_000): Promise<ToolResult> {
  const {clients, variant} = target;
  const bin = clients.dsub[variant.version][name];
  const where = variant.provider === 'google-v2' ? [] : ['--location', 'us-central1'];
  try {
    const {stdout, stderr} = await run(LAUNCHER, [bin, '--provider', variant.provider, '--project', target.project, ...where, ...args], {
      cwd: target.cwd,
      env: {...process.env, GAFFER_ROOT_URL: `${target.server}/`, PYTHONWARNINGS: 'ignore'},
      timeout: timeoutMs,
    });
    return {code: 0, stdout, stderr};
  } catch (err) {
    const e = err as {code?: number; stdout?: string; stderr?: string};
    return {code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? ''};
  }
}

/** `dstat --full --format json` of a job, every status and user. */
export async function dstatJob(target: DsubTarget, jobId: string, extra: string[] = []): Promise<DstatTask[]> {
  const result = await dsubTool(target, 'dstat', ['--jobs', jobId, '--users', '*', '--status', '*', '--full', '--format', 'json', ...extra]);
  if (result.code !== 0) throw new Error(`dstat exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as DstatTask[];
}

/** The job id dsub prints last. */
export function jobIdOf(result: ToolResult): string {
  return result.stdout.trim().split('\n').at(-1) ?? '';
}
