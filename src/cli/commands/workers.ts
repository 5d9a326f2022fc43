/** `gaffer workers`: Gaffer's workers.list. */
import {shortId} from '../args';
import {formatBytes, formatTime} from '../format';
import {pagedListCommand} from '../paging';

export const workersCommand = pagedListCommand({
  name: 'workers',
  summary: "list the project's workers: health, held operation, last check-in, free RAM",
  noun: 'workers',
  filterHelp: 'healthy = true|false, holding = true|false, AND, NOT',
  headers: ['NAME', 'HEALTHY', 'HOLDING', 'LAST CHECK-IN', 'FREE RAM'],
  row: worker => [
    shortId(worker.name),
    worker.healthy ? 'yes' : 'no',
    worker.operation ? shortId(worker.operation) : '-',
    formatTime(worker.lastCheckInTime),
    formatBytes(worker.status?.freeRamBytes),
  ],
});
