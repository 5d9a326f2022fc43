/**
 * Each operation's storage on the worker, under the worker's data directory:
 *
 *   DATA/<worker id>/<operation id>-<lease epoch>/
 *     disks/<name>/     one directory per disk the pipeline declares (mounted where its actions say)
 *     logs/             /google/logs in every action: output, action/<N>/stdout, action/<N>/stderr
 *     work/             the working directory of host-process actions
 *     docker-config/    registry credentials for this operation's pulls (Docker)
 *     pids              host-process actions' process groups (so a restarted worker can stop them)
 *
 * Nothing is shared between operations (or --slots); everything is removed when the
 * operation ends, and a restarted worker removes what its crashed self left (the
 * directory is named after the worker id, so it finds it).
 */
import {appendFile, chmod, mkdir, readFile, readdir, rm, statfs} from 'fs/promises';
import {join} from 'path';
import type {DiskPlan} from './pipeline';

/** Space reserved by operations this process runs now: slots must not count the same free bytes twice. */
class DiskBudget {
  private reserved = 0;
  constructor(
    private readonly root: string,
    private readonly check: boolean,
  ) {}

  async free(): Promise<number> {
    const fs = await statfs(this.root);
    return fs.bavail * fs.bsize;
  }

  /** Takes `bytes` of the free space, or says why not. */
  async reserve(bytes: number): Promise<string | undefined> {
    if (bytes === 0 || !this.check) return undefined;
    const free = await this.free();
    if (bytes > free - this.reserved) {
      const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
      const others = this.reserved > 0 ? ` (${gib(this.reserved)} of it is promised to the other operations it runs)` : '';
      return `the pipeline's disks need ${gib(bytes)}; this worker has ${gib(free)} free in ${this.root}${others} (--overcommit-disks runs it anyway)`;
    }
    this.reserved += bytes;
    return undefined;
  }

  release(bytes: number): void {
    if (this.check) this.reserved = Math.max(0, this.reserved - bytes);
  }
}

export class Workspaces {
  private readonly budget: DiskBudget;

  constructor(
    /** The worker's data directory (--data-dir). */
    readonly root: string,
    options: {checkDiskSpace?: boolean} = {},
  ) {
    this.budget = new DiskBudget(root, options.checkDiskSpace ?? true);
  }

  async freeBytes(): Promise<number> {
    await mkdir(this.root, {recursive: true, mode: 0o700});
    return this.budget.free();
  }

  /**
   * Creates the operation's directories. A refusal (not enough space) comes back as a
   * string: the caller fails the operation with it.
   */
  async create(workerId: string, runId: string, disks: readonly DiskPlan[]): Promise<Workspace | string> {
    await mkdir(this.root, {recursive: true, mode: 0o700});
    const bytes = disks.reduce((sum, d) => sum + (d.kind === 'scratch' ? d.sizeBytes : 0), 0);
    const refused = await this.budget.reserve(bytes);
    if (refused) return refused;
    const dir = join(this.root, safe(workerId), safe(runId));
    // A leftover of the same run (a crash mid-operation, then the same lease again) is not reused.
    await rm(dir, {recursive: true, force: true});
    const workspace = new Workspace(dir, () => this.budget.release(bytes));
    await mkdir(join(dir, 'logs', 'action'), {recursive: true, mode: 0o755});
    await mkdir(join(dir, 'work'), {recursive: true, mode: 0o755});
    // Created before action 1 starts: dsub's logging action copies it from the start.
    await appendFile(join(dir, 'logs', 'output'), '', {mode: 0o644});
    for (const disk of disks) {
      if (disk.kind !== 'scratch') continue;
      const path = workspace.diskPath(disk.name);
      await mkdir(path, {recursive: true});
      // Images run as users of every kind; the directory is this operation's alone.
      await chmod(path, 0o777);
    }
    return workspace;
  }

  /** Removes every operation directory `workerId` left (a restarted worker, before it takes work). */
  async recover(workerId: string): Promise<string[]> {
    const dir = join(this.root, safe(workerId));
    let runs: string[];
    try {
      runs = await readdir(dir);
    } catch {
      return [];
    }
    for (const run of runs) await rm(join(dir, run), {recursive: true, force: true});
    return runs.map(run => join(dir, run));
  }
}

export class Workspace {
  constructor(
    readonly dir: string,
    private readonly onRemove: () => void,
  ) {}

  get logsDir(): string {
    return join(this.dir, 'logs');
  }

  get workDir(): string {
    return join(this.dir, 'work');
  }

  get dockerConfigDir(): string {
    return join(this.dir, 'docker-config');
  }

  get pidsFile(): string {
    return join(this.dir, 'pids');
  }

  diskPath(name: string): string {
    return join(this.dir, 'disks', safe(name));
  }

  async remove(): Promise<void> {
    await rm(this.dir, {recursive: true, force: true});
    this.onRemove();
  }
}

/** Process groups recorded in a workspace's pids file: "pgid starttime" lines. */
export async function recordedProcesses(pidsFile: string): Promise<Array<{pgid: number; startTime: string}>> {
  let text: string;
  try {
    text = await readFile(pidsFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map(line => line.trim().split(' '))
    .filter(([pgid, start]) => pgid && start && /^\d+$/.test(pgid))
    .map(([pgid, start]) => ({pgid: Number(pgid), startTime: start ?? ''}));
}

/** A path segment from an id (ids are already safe; this keeps a bad one from escaping the dir). */
function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
}
