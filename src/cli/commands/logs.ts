/**
 * `gaffer logs NAME [--action N] [--follow]`: what the operation's actions printed, as
 * `docker logs` shows it: standard output to stdout, standard error to stderr. Without
 * --action every action's, each under a `==> action N (name) <==` line. With --follow it
 * keeps asking until the operation is done and everything was shown.
 */
import {booleanOption, parseOperationName, stringOption} from '../args';
import {Command, Context, out, positional} from '../command';
import {UsageError} from '../io';
import type {OperationJson} from '../../wire/genomics';
import type {LogEntryJson} from '../../wire/logs';

/** How long --follow waits before asking again when there was nothing new. */
const FOLLOW_POLL_MS = 2000;

export const logsCommand: Command = {
  name: 'logs',
  summary: "show what an operation's actions printed (stdout to stdout, stderr to stderr)",
  usage: 'gaffer logs NAME [--action N] [--follow]',
  details: [
    '--action N   only action N (1-based); default: every action, each under a header line',
    '--follow     keep showing new output until the operation is done',
    '--json       one JSON log entry per line ({actionId, stream, timestamp, text})',
    'Gaffer keeps about the first 64 KiB and the last 192 KiB of each action, for 30 days',
    '(the server\'s GAFFER_LOG_TTL); a line says where and how much it dropped.',
  ],
  options: {action: {type: 'string'}, follow: {type: 'boolean'}},
  positionals: ['NAME'],
  async run(ctx) {
    const ref = parseOperationName(positional(ctx, 0), ctx.project);
    const actionId = actionOption(ctx);
    const follow = booleanOption(ctx.values, 'follow');
    // The actions' names, for the headers (and to refuse an action it does not have).
    const op = await ctx.client.getOperation(ref);
    const actions = op.metadata?.pipeline?.actions ?? [];
    if (actionId !== undefined && actionId > actions.length) {
      throw new UsageError(`--action ${actionId}: ${op.name} has ${actions.length} action(s)`, ctx.usage);
    }
    let token: string | undefined;
    let current: number | undefined;
    for (;;) {
      const page = await ctx.client.listLogs(ref, actionId, token);
      for (const entry of page.entries) {
        if (ctx.json) {
          out(ctx, JSON.stringify(entry));
          continue;
        }
        if (actionId === undefined && entry.actionId !== current) {
          current = entry.actionId;
          out(ctx, `==> action ${current}${actionName(op, current)} <==`);
        }
        write(ctx, entry);
      }
      if (!page.nextPageToken) return 0;
      token = page.nextPageToken;
      if (page.entries.length === 0) {
        if (!follow) return 0;
        await new Promise(resolve => setTimeout(resolve, FOLLOW_POLL_MS));
      }
    }
  },
};

function actionOption(ctx: Context): number | undefined {
  const text = stringOption(ctx.values, 'action');
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--action must be a 1-based action number, not ${JSON.stringify(text)}`, ctx.usage);
  return Number(text);
}

function actionName(op: OperationJson, actionId: number): string {
  const action = op.metadata?.pipeline?.actions?.[actionId - 1] as {name?: string; containerName?: string} | undefined;
  const name = action?.name ?? action?.containerName;
  return name ? ` (${name})` : '';
}

function write(ctx: Context, entry: LogEntryJson): void {
  (entry.stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout).write(entry.text);
}
