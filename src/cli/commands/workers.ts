/** `gaffer workers`: Gaffer's workers.list. */
import {shortId} from '../args';
import {formatBytes, formatTime} from '../format';
import {pagedListCommand} from '../paging';
import type {WorkerJson} from '../../wire/workers';

export const workersCommand = pagedListCommand<WorkerJson>({
  name: 'workers',
  summary: "list the project's workers: health, held operation, last check-in, free RAM",
  noun: 'workers',
  filterHelp: 'healthy = true|false, holding = true|false, AND, NOT',
  async fetch(ctx, project, page) {
    const response = await ctx.client.listWorkers(project, page);
    return {items: response.workers, nextPageToken: response.nextPageToken, raw: response};
  },
  headers: ['NAME', 'HEALTHY', 'HOLDING', 'LAST CHECK-IN', 'FREE RAM'],
  row: worker => [
    shortId(worker.name),
    worker.healthy ? 'yes' : 'no',
    worker.operation ? shortId(worker.operation) : '-',
    formatTime(worker.lastCheckInTime),
    formatBytes(worker.status?.freeRamBytes),
  ],
});
