/** Page options shared by `list` and `workers`, and following nextPageToken for --all. */
import {booleanOption, pageSizeOption, stringOption} from './args';
import type {ListPage, Listed, PageRequest} from './client';
import {Command, Context, err, out, printLines, requireProject} from './command';
import {table, toJson} from './format';
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

/** What differs between paged listing commands (`list`, `workers`). */
export interface PagedListSpec<Collection extends keyof Listed> {
  name: string;
  summary: string;
  /** The collection listed (its plural noun, also for messages): "operations", "workers". */
  noun: Collection;
  filterHelp: string;
  headers: string[];
  row(item: Listed[Collection]): string[];
}

/** A command listing one page (or, with --all, every page) of a collection as a table or JSON. */
export function pagedListCommand<Collection extends keyof Listed>(spec: PagedListSpec<Collection>): Command {
  type Item = Listed[Collection];
  const itemsOf = (page: ListPage<Collection>): Item[] | undefined => page[spec.noun];
  const list = (ctx: Context, project: string, page: PageRequest) => ctx.client.list(project, spec.noun, page);
  return {
    name: spec.name,
    summary: spec.summary,
    usage: `gaffer ${spec.name} [--filter EXPR] [--page-size N] [--page-token TOKEN | --all]`,
    details: [
      `--filter EXPR        ${spec.filterHelp}`,
      `--page-size N        ${spec.noun} per page`,
      '--page-token TOKEN   the page after a previous one',
      '--all                every page',
    ],
    options: PAGE_OPTIONS,
    positionals: [],
    async run(ctx) {
      const project = requireProject(ctx);
      const page = pageRequest(ctx);
      let items: Item[];
      let nextPageToken: string | undefined;
      let raw: unknown;
      if (booleanOption(ctx.values, 'all')) {
        items = await allPages(pageToken => list(ctx, project, {...page, pageToken}), itemsOf);
        raw = {[spec.noun]: items};
      } else {
        const fetched = await list(ctx, project, page);
        items = itemsOf(fetched) ?? [];
        nextPageToken = fetched.nextPageToken;
        raw = fetched;
      }
      if (ctx.json) {
        out(ctx, toJson(raw));
        return 0;
      }
      if (items.length === 0) out(ctx, `No ${spec.noun}.`);
      else printLines(ctx.io.stdout, table(spec.headers, items.map(item => spec.row(item))));
      // With "=": a token may start with "-", which would read as an option.
      if (nextPageToken) err(ctx, `More ${spec.noun}: --page-token=${nextPageToken} (or --all)`);
      return 0;
    },
  };
}
