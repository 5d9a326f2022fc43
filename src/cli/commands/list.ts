/** `gaffer list`: operations.list, one page or all of them. */
import {shortId} from '../args';
import {formatLabels, formatTime, operationStatus} from '../format';
import {pagedListCommand} from '../paging';

export const listCommand = pagedListCommand({
  name: 'list',
  summary: 'list operations, newest first',
  noun: 'operations',
  filterHelp: "e.g. 'status = RUNNING', 'labels.team = x AND done = false'",
  headers: ['NAME', 'STATUS', 'CREATED', 'LABELS'],
  row: op => [shortId(op.name), operationStatus(op), formatTime(op.metadata?.createTime), formatLabels(op.metadata?.labels)],
});
