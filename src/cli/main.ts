/**
 * `gaffer`, the command-line client: speaks only Gaffer's public HTTP API. main() takes
 * argv and the streams and returns the exit code, so tests run it in-process;
 * bin/gaffer.js calls run().
 */
import {parseArgs} from 'node:util';
import {GLOBAL_OPTIONS, OptionValues, booleanOption, checkServerUrl, splitCommand, stringOption} from './args';
import {GafferClient} from './client';
import {Command, Context, printLines} from './command';
import {cancelCommand} from './commands/cancel';
import {describeCommand} from './commands/describe';
import {listCommand} from './commands/list';
import {logsCommand} from './commands/logs';
import {runCommand} from './commands/run';
import {waitCommand} from './commands/wait';
import {workersCommand} from './commands/workers';
import {policyCommand} from './commands/policy';
import {deadLettersCommand} from './commands/deadLetters';
import {tokenSource} from './token';
import {CliError, EXIT_USAGE, Io, UsageError, println} from './io';

export type {Io} from './io';

const COMMANDS: readonly Command[] = [
  runCommand,
  listCommand,
  describeCommand,
  waitCommand,
  logsCommand,
  cancelCommand,
  workersCommand,
  policyCommand,
  deadLettersCommand,
];

const DEFAULT_SERVER = 'http://127.0.0.1:8080';
const USAGE = 'Usage: gaffer [--server URL] [--project ID] [--json] COMMAND [ARGS]';

export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    return report(err, io);
  }
}

/** The bin/gaffer.js entry point. */
export function run(): void {
  const io: Io = {stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin};
  // `gaffer list | head`: a closed pipe ends the output, quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
  void main(process.argv.slice(2), io).then(code => process.exit(code));
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const {command: word, rest} = splitCommand(argv);
  if (word === undefined || word === 'help') return topLevel(rest, word, io);
  const command = COMMANDS.find(c => c.name === word);
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(word)}`);
  const {values, positionals} = parseCommandArgs(command, rest);
  if (booleanOption(values, 'help')) {
    printLines(io.stdout, commandHelp(command));
    return 0;
  }
  if (positionals.length !== command.positionals.length) {
    throw new UsageError(`expected ${describePositionals(command)}, got ${positionals.length} argument(s)`, command.usage);
  }
  return command.run(context(command, values, positionals, io));
}

/** `gaffer`, `gaffer --help`, `gaffer help [COMMAND]`. */
function topLevel(rest: string[], word: string | undefined, io: Io): number {
  const {values, positionals} = parseArgs({args: rest, options: GLOBAL_OPTIONS, allowPositionals: true, strict: true});
  const topic = positionals[0] === undefined ? undefined : COMMANDS.find(c => c.name === positionals[0]);
  if (positionals[0] !== undefined && !topic) throw new UsageError(`unknown command ${JSON.stringify(positionals[0])}`);
  if (topic) {
    printLines(io.stdout, commandHelp(topic));
    return 0;
  }
  if (word === undefined && !values.help) {
    printLines(io.stderr, generalHelp());
    return EXIT_USAGE;
  }
  printLines(io.stdout, generalHelp());
  return 0;
}

function parseCommandArgs(command: Command, rest: string[]): {values: OptionValues; positionals: string[]} {
  try {
    const parsed = parseArgs({
      args: rest,
      options: {...GLOBAL_OPTIONS, ...command.options},
      allowPositionals: true,
      strict: true,
    });
    return {values: parsed.values, positionals: parsed.positionals};
  } catch (err) {
    throw new UsageError((err as Error).message, command.usage);
  }
}

function context(command: Command, values: OptionValues, positionals: string[], io: Io): Context {
  const server = checkServerUrl(stringOption(values, 'server') ?? (io.env.GAFFER_SERVER || DEFAULT_SERVER));
  const projectFlag = stringOption(values, 'project');
  return {
    io,
    client: new GafferClient(server, tokenSource(stringOption(values, 'token-command') ?? io.env.GAFFER_TOKEN_COMMAND, io.env.GAFFER_ID_TOKEN)),
    project: projectFlag ?? (io.env.GAFFER_PROJECT || undefined),
    projectFlag,
    json: booleanOption(values, 'json'),
    values,
    positionals,
    usage: command.usage,
  };
}

/** Prints an expected error as one message (never a stack) and returns its exit code. */
function report(err: unknown, io: Io): number {
  if (err instanceof UsageError || isParseArgsError(err)) {
    println(io.stderr, `gaffer: ${(err as Error).message}`);
    println(io.stderr, err instanceof UsageError && err.usage ? `Usage: ${err.usage}` : USAGE);
    return EXIT_USAGE;
  }
  if (err instanceof CliError) {
    println(io.stderr, `gaffer: ${err.message}`);
    return err.exitCode;
  }
  const detail = io.env.GAFFER_DEBUG && err instanceof Error ? err.stack : String((err as Error)?.message ?? err);
  println(io.stderr, `gaffer: internal error: ${detail}`);
  return 1;
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as {code?: unknown} | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function describePositionals(command: Command): string {
  return command.positionals.length === 0 ? 'no arguments' : command.positionals.join(' ');
}

function commandHelp(command: Command): string[] {
  return [
    `Usage: ${command.usage}`,
    '',
    command.summary,
    ...(command.details.length > 0 ? ['', 'Options:', ...command.details.map(d => `  ${d}`)] : []),
    '',
    ...globalOptionLines(),
  ];
}

function generalHelp(): string[] {
  const width = Math.max(...COMMANDS.map(c => c.name.length + describeArgs(c).length + 1));
  return [
    USAGE,
    '',
    'Commands:',
    ...COMMANDS.map(c => `  ${`${c.name} ${describeArgs(c)}`.padEnd(width)}  ${c.summary}`),
    '',
    ...globalOptionLines(),
    '',
    'NAME is projects/PROJECT/operations/ID, or just ID with --project.',
    'Run `gaffer COMMAND --help` for a command\'s options.',
  ];
}

function describeArgs(command: Command): string {
  return command.positionals.join(' ');
}

function globalOptionLines(): string[] {
  return [
    'Global options:',
    `  --server URL    Gaffer's URL (default: $GAFFER_SERVER, else ${DEFAULT_SERVER})`,
    '  --project ID    the project (default: $GAFFER_PROJECT)',
    '  --token-command CMD  prints your ID token, e.g. \'gcloud auth print-identity-token\'',
    '                  (default: $GAFFER_TOKEN_COMMAND; or the token itself in $GAFFER_ID_TOKEN)',
    '  --json          print the server\'s JSON instead of text',
    '  --help          show help',
  ];
}
