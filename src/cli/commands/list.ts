/** `gaffer list`: operations.list, one page or all of them. */
import {booleanOption, shortId} from '../args';
import type {ListOperationsResponse} from '../client';
import {Command, Context, err, out, printLines, requireProject} from '../command';
import {formatLabels, formatTime, operationStatus, table, toJson} from '../format';
import {PAGE_OPTIONS, allPages, pageRequest} from '../paging';
import type {OperationJson} from '../../core/wire';

export const listCommand: Command = {
  name: 'list',
  summary: 'list operations, newest first',
  usage: 'gaffer list [--filter EXPR] [--page-size N] [--page-token TOKEN | --all]',
  details: [
    '--filter EXPR        e.g. \'status = RUNNING\', \'labels.team = x AND done = false\'',
    '--page-size N        operations per page (server default 256)',
    '--page-token TOKEN   the page after a previous one',
    '--all                every page',
  ],
  options: PAGE_OPTIONS,
  positionals: [],
  async run(ctx) {
    const project = requireProject(ctx);
    const page = pageRequest(ctx);
    const response: ListOperationsResponse = booleanOption(ctx.values, 'all')
      ? {operations: await allPages(pageToken => ctx.client.listOperations(project, {...page, pageToken}), r => r.operations)}
      : await ctx.client.listOperations(project, page);
    if (ctx.json) out(ctx, toJson(response));
    else printOperations(ctx, response);
    return 0;
  },
};

function printOperations(ctx: Context, response: ListOperationsResponse): void {
  const operations = response.operations ?? [];
  if (operations.length === 0) out(ctx, 'No operations.');
  else printLines(ctx.io.stdout, table(['NAME', 'STATUS', 'CREATED', 'LABELS'], operations.map(operationRow)));
  if (response.nextPageToken) err(ctx, `More operations: --page-token=${response.nextPageToken} (or --all)`);
}

function operationRow(op: OperationJson): string[] {
  return [shortId(op.name), operationStatus(op), formatTime(op.metadata?.createTime), formatLabels(op.metadata?.labels)];
}
