/**
 * Runs a deploy plan: each command as an argv array (no shell), its output shown as it
 * comes, a describe that says "not found" leading to the create, and refs (URLs,
 * locations) filled in from the commands that print them. A dry run prints the same
 * commands and runs none.
 */
import {spawn} from 'child_process';
import type {DeployOptions} from './options';
import {Arg, Command, ENV_FILE, HOSTING_CONFIG, LocalAction, Program, SOURCE_DIR, Step, eventarcLocation} from './plan';
import {stageSource, writeEnvFile, writeHostingConfig} from './stage';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one program; `echo` receives its output lines as they come (undefined: keep quiet). */
export type Exec = (program: Program, args: readonly string[], echo?: (line: string) => void) => Promise<ExecResult>;

export interface RunnerIo {
  exec: Exec;
  /** Progress for the user (stderr). */
  log(line: string): void;
  sleep(ms: number): Promise<void>;
}

export class DeployError extends Error {}

/** A describe that failed because the resource is not there (gcloud words it several ways). */
const NOT_FOUND = /NOT_FOUND|not found|does not exist|was not found|status=\[404\]/i;

/** How a command looks in a terminal: arguments quoted where a shell would need it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function renderArg(arg: Arg, values: ReadonlyMap<string, string>, placeholder = true): string {
  if (typeof arg === 'string') return arg;
  return arg
    .map(part => {
      if (typeof part === 'string') return part;
      const value = values.get(part.ref);
      if (value !== undefined) return value;
      if (placeholder) return `<${part.ref}>`;
      throw new DeployError(`internal: ${part.ref} is used before a step resolved it`);
    })
    .join('');
}

export function renderCommand(command: Command, values: ReadonlyMap<string, string> = new Map()): string {
  return [command.program, ...command.args.map(a => renderArg(a, values))].map(shellQuote).join(' ');
}

/** The real thing: spawns the program found on PATH (npm run puts node_modules/.bin first). */
export function processExec(cwd: string): Exec {
  return (program, args, echo) =>
    new Promise((resolve, reject) => {
      const child = spawn(program, [...args], {cwd, stdio: ['ignore', 'pipe', 'pipe']});
      let stdout = '';
      let stderr = '';
      const lines = (sink: (text: string) => void) => {
        let pending = '';
        return (chunk: Buffer) => {
          const text = chunk.toString();
          sink(text);
          if (!echo) return;
          pending += text;
          const parts = pending.split(/\r?\n|\r/);
          pending = parts.pop() ?? '';
          for (const line of parts) if (line.trim()) echo(line);
        };
      };
      child.stdout.on('data', lines(text => (stdout += text)));
      child.stderr.on('data', lines(text => (stderr += text)));
      child.on('error', err => {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new DeployError(
            missing
              ? `${program} is not on PATH: ${program === 'gcloud' ? 'install the Google Cloud SDK' : 'run through `npm run deploy` (firebase-tools is a devDependency)'}`
              : `${program}: ${err.message}`,
          ),
        );
      });
      child.on('close', code => resolve({code: code ?? 1, stdout, stderr}));
    });
}

const LOCAL_OUTPUT: Record<LocalAction, string> = {
  'stage-source': `${SOURCE_DIR}/: compiled code, schemas, a production package.json and lockfile`,
  'write-env-file': ENV_FILE,
  'write-hosting-config': HOSTING_CONFIG,
};

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

export class Runner {
  /** Values of refs resolved so far. */
  readonly values = new Map<string, string>();
  /** Count of commands run (dry run: printed). */
  commands = 0;

  constructor(
    private readonly options: DeployOptions,
    private readonly root: string,
    private readonly io: RunnerIo,
  ) {}

  async run(steps: readonly Step[]): Promise<void> {
    for (const [i, step] of steps.entries()) {
      this.io.log(`\n[${i + 1}/${steps.length}] ${step.title}`);
      await this.step(step, '  ');
    }
  }

  private async step(step: Step, indent: string): Promise<void> {
    switch (step.kind) {
      case 'local':
        return this.local(step.action, indent);
      case 'run':
        await this.command(step.command, indent, {retries: step.retries ?? 0, echo: true});
        return;
      case 'ensure':
        return this.ensure(step, indent);
      case 'resolve':
        return this.resolve(step, indent);
      case 'parallel':
        return this.parallel(step.steps, indent);
    }
  }

  private local(action: LocalAction, indent: string): void {
    const what: Record<LocalAction, () => string> = {
      'stage-source': () => stageSource(this.root),
      'write-env-file': () => writeEnvFile(this.root, this.options.env, this.options.publicEnv),
      'write-hosting-config': () => writeHostingConfig(this.root, this.options.region),
    };
    if (this.options.dryRun) {
      this.io.log(`${indent}(would write ${LOCAL_OUTPUT[action]})`);
      return;
    }
    this.io.log(`${indent}wrote ${what[action]()}`);
  }

  /** Runs (or, dry, prints) one command; throws DeployError when it fails every attempt. */
  private async command(
    command: Command,
    indent: string,
    how: {retries?: number; echo?: boolean; quiet?: boolean; prefix?: string},
  ): Promise<ExecResult> {
    const shown = renderCommand(command, this.values);
    this.io.log(`${indent}$ ${shown}`);
    this.commands++;
    if (this.options.dryRun) return {code: 0, stdout: '', stderr: ''};
    const args = command.args.map(a => renderArg(a, this.values, false));
    const echo = how.echo ? (line: string) => this.io.log(`${indent}${how.prefix ?? '  '}${line}`) : undefined;
    for (let attempt = 0; ; attempt++) {
      const result = await this.io.exec(command.program, args, echo);
      if (result.code === 0 || how.quiet) return result;
      if (attempt >= (how.retries ?? 0)) {
        throw new DeployError(`${shown}\nexited with ${result.code}:\n${tail(result.stderr || result.stdout)}`);
      }
      const waitMs = 5_000 * (attempt + 1);
      this.io.log(`${indent}failed (exit ${result.code}); IAM changes take a moment to propagate: retrying in ${waitMs / 1000} s`);
      await this.io.sleep(waitMs);
    }
  }

  private async ensure(step: Extract<Step, {kind: 'ensure'}>, indent: string): Promise<void> {
    if (this.options.dryRun) {
      await this.command(step.probe, indent, {});
      this.io.log(`${indent}if it does not exist:`);
      await this.command(step.create, `${indent}  `, {});
      if (step.update) {
        this.io.log(`${indent}if it exists:`);
        await this.command(step.update, `${indent}  `, {});
      }
      return;
    }
    const probe = await this.command(step.probe, indent, {quiet: true});
    if (probe.code === 0) {
      if (!step.update) {
        this.io.log(`${indent}exists: nothing to change`);
        return;
      }
      this.io.log(`${indent}exists: updating`);
      await this.command(step.update, indent, {echo: true, retries: 2});
      return;
    }
    if (!NOT_FOUND.test(probe.stderr)) {
      throw new DeployError(`could not tell whether it exists:\n${tail(probe.stderr || probe.stdout)}`);
    }
    this.io.log(`${indent}not found: creating`);
    await this.command(step.create, indent, {echo: true, retries: 2});
  }

  private async resolve(step: Extract<Step, {kind: 'resolve'}>, indent: string): Promise<void> {
    const result = await this.command(step.command, indent, {});
    if (this.options.dryRun) return;
    const raw = result.stdout.trim();
    if (!raw) throw new DeployError(`${renderCommand(step.command)} printed nothing: cannot tell ${step.title.toLowerCase()}`);
    const value = step.transform === 'eventarc-location' ? eventarcLocation(raw) : raw;
    this.values.set(step.ref, value);
    this.io.log(`${indent}→ ${value}`);
  }

  /** Runs steps `jobs` at a time; every step runs even if another fails, then failures are reported together. */
  private async parallel(steps: readonly Step[], indent: string): Promise<void> {
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < steps.length) {
        const step = steps[next++];
        if (!step) return;
        if (step.kind !== 'run') throw new DeployError('internal: only commands run in parallel');
        const name = step.title.split(' ')[1] ?? step.title;
        try {
          await this.command(step.command, indent, {echo: true, prefix: `  [${name}] `});
          if (!this.options.dryRun) this.io.log(`${indent}✓ ${step.title}`);
        } catch (err) {
          failures.push(`${step.title}: ${(err as Error).message}`);
          this.io.log(`${indent}✗ ${step.title}`);
        }
      }
    };
    await Promise.all(Array.from({length: Math.min(this.options.jobs, steps.length)}, worker));
    if (failures.length > 0) throw new DeployError(`${failures.length} of ${steps.length} failed:\n${failures.join('\n')}`);
  }
}
