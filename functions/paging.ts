/** Query parameters shared by every listing (AIP-158). */
import {invalidArgument} from '../src/core/errors';
import type {ListRequest} from '../src/core/operations';

export const LIST_PARAMS = ['filter', 'pageSize', 'pageToken'] as const;

export function parsePageSize(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d+$/.test(text)) throw invalidArgument('pageSize', 'an integer', text);
  const value = Number(text);
  if (value < 0) throw invalidArgument('pageSize', 'non-negative', value);
  return value;
}

export function listRequest(query: Readonly<Record<string, string>>): ListRequest {
  return {filter: query.filter, pageSize: parsePageSize(query.pageSize), pageToken: query.pageToken || undefined};
}
