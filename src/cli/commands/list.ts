/** `gaffer list`: operations.list, one page or all of them. */
import {shortId} from '../args';
import {formatLabels, formatTime, operationStatus} from '../format';
import {pagedListCommand} from '../paging';
import type {OperationJson} from '../../wire/genomics';

export const listCommand = pagedListCommand<OperationJson>({
  name: 'list',
  summary: 'list operations, newest first',
  noun: 'operations',
  filterHelp: "e.g. 'status = RUNNING', 'labels.team = x AND done = false'",
  async fetch(ctx, project, page) {
    const response = await ctx.client.listOperations(project, page);
    return {items: response.operations, nextPageToken: response.nextPageToken, raw: response};
  },
  headers: ['NAME', 'STATUS', 'CREATED', 'LABELS'],
  row: op => [shortId(op.name), operationStatus(op), formatTime(op.metadata?.createTime), formatLabels(op.metadata?.labels)],
});
