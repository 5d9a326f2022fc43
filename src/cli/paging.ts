/** Page options shared by `list` and `workers`, and following nextPageToken for --all. */
import {booleanOption, pageSizeOption, stringOption} from './args';
import type {PageRequest} from './client';
import type {Command, Context} from './command';
import {UsageError} from './io';

export const PAGE_OPTIONS: Command['options'] = {
  filter: {type: 'string'},
  'page-size': {type: 'string'},
  'page-token': {type: 'string'},
  all: {type: 'boolean'},
};

/** --filter, --page-size and --page-token (not with --all). */
export function pageRequest(ctx: Context): PageRequest {
  const pageToken = stringOption(ctx.values, 'page-token');
  if (pageToken !== undefined && booleanOption(ctx.values, 'all')) {
    throw new UsageError('--page-token and --all cannot be used together', ctx.usage);
  }
  return {filter: stringOption(ctx.values, 'filter'), pageSize: pageSizeOption(ctx.values), pageToken};
}

/** Every item of every page, following nextPageToken until it is empty. */
export async function allPages<Page extends {nextPageToken?: string}, Item>(
  fetchPage: (pageToken: string | undefined) => Promise<Page>,
  itemsOf: (page: Page) => Item[] | undefined,
): Promise<Item[]> {
  const items: Item[] = [];
  let pageToken: string | undefined;
  do {
    const page = await fetchPage(pageToken);
    items.push(...(itemsOf(page) ?? []));
    pageToken = page.nextPageToken || undefined;
  } while (pageToken);
  return items;
}
