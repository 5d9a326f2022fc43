/** operations.list: GET /v2alpha1/projects/{project}/operations?filter=&pageSize=&pageToken= */
import {invalidArgument} from '../src/core/errors';
import type {Rpc} from '../src/http/rpc';
import {onPathProject} from './permissions';

export function parsePageSize(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d+$/.test(text)) throw invalidArgument('pageSize', 'an integer', text);
  const value = Number(text);
  if (value < 0) throw invalidArgument('pageSize', 'non-negative', value);
  return value;
}

export const listOperations: Rpc = {
  name: 'listOperations',
  method: 'GET',
  path: '/v2alpha1/projects/{project}/operations',
  queryParams: ['filter', 'pageSize', 'pageToken'],
  authorize: onPathProject('genomics.operations.list'),
  async handle({params, query}, app) {
    return app.operations.list(params.project!, {
      filter: query.filter,
      pageSize: parsePageSize(query.pageSize),
      pageToken: query.pageToken || undefined,
    });
  },
};
