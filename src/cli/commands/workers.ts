/** `gaffer workers`: Gaffer's workers.list. */
import {booleanOption, shortId} from '../args';
import type {ListWorkersResponse} from '../client';
import {Command, Context, err, out, printLines, requireProject} from '../command';
import {formatBytes, formatTime, table, toJson} from '../format';
import {PAGE_OPTIONS, allPages, pageRequest} from '../paging';
import type {WorkerJson} from '../../core/worker';

export const workersCommand: Command = {
  name: 'workers',
  summary: 'list the project\'s workers: health, held operation, last check-in, free RAM',
  usage: 'gaffer workers [--filter EXPR] [--page-size N] [--page-token TOKEN | --all]',
  details: [
    '--filter EXPR        healthy = true|false, holding = true|false, AND, NOT',
    '--page-size N        workers per page',
    '--page-token TOKEN   the page after a previous one',
    '--all                every page',
  ],
  options: PAGE_OPTIONS,
  positionals: [],
  async run(ctx) {
    const project = requireProject(ctx);
    const page = pageRequest(ctx);
    const response: ListWorkersResponse = booleanOption(ctx.values, 'all')
      ? {workers: await allPages(pageToken => ctx.client.listWorkers(project, {...page, pageToken}), r => r.workers)}
      : await ctx.client.listWorkers(project, page);
    if (ctx.json) out(ctx, toJson(response));
    else printWorkers(ctx, response);
    return 0;
  },
};

function printWorkers(ctx: Context, response: ListWorkersResponse): void {
  const workers = response.workers ?? [];
  if (workers.length === 0) out(ctx, 'No workers.');
  else printLines(ctx.io.stdout, table(['NAME', 'HEALTHY', 'HOLDING', 'LAST CHECK-IN', 'FREE RAM'], workers.map(workerRow)));
  if (response.nextPageToken) err(ctx, `More workers: --page-token=${response.nextPageToken} (or --all)`);
}

function workerRow(worker: WorkerJson): string[] {
  return [
    shortId(worker.name),
    worker.healthy ? 'yes' : 'no',
    worker.operation ? shortId(worker.operation) : '-',
    formatTime(worker.lastCheckInTime),
    formatBytes(worker.status?.freeRamBytes),
  ];
}
