/**
 * The operations of a project: the filter language in a search box, a page of
 * operations (status, labels, times), page tokens for paging, live updates by polling.
 *
 * Live updates poll operations.list with the same filter, page size and page token:
 * every 5 s while the page can still change (it is the first page, where new operations
 * appear, or it shows one that is not done), never for a later page whose operations are
 * all done (done is final, and a page token is a cursor, so that page cannot change).
 * One request at a time, none while the tab is hidden; `fields` trims the answer to
 * what the table shows. Each poll costs one list call: about pageSize + 1 reads.
 */
import {useEffect, useLayoutEffect, useState} from 'preact/hooks';
import {badRequest, listOperations} from '../api';
import {Columns, ErrorBanner, FilterForm, IdLink, Labels, LiveNote, Page, Pager, StatusBadge, Time, pageTrail, refreshesEvery} from '../components/common';
import {formatDuration, operationStatus} from '../format';
import {usePoll} from '../poll';
import {href, navigate} from '../router';
import type {ListOperationsResponse, ListedOperationJson} from '../wire';

export const POLL_MS = 5000;
const PAGE_SIZES = [25, 50, 100, 256];
export const DEFAULT_PAGE_SIZE = 50;

const EXAMPLES = [
  'done = false',
  'status = RUNNING',
  'status = FAILURE OR status = CANCELED',
  'labels.team = genomics AND done = false',
  'events:FailedEvent',
  `createTime >= "${new Date(Date.now() - 86_400_000).toISOString().slice(0, 19)}Z"`,
];

function duration(op: ListedOperationJson, now: number): string {
  const start = op.metadata?.startTime;
  if (!start) return '';
  const end = op.metadata?.endTime;
  return formatDuration((end ? Date.parse(end) : now) - Date.parse(start)) + (end ? '' : ' so far');
}

function images(op: ListedOperationJson): string {
  const uris = (op.metadata?.pipeline?.actions ?? []).map(a => a.imageUri ?? '').filter(Boolean);
  return [...new Set(uris)].join(', ');
}

export function OperationsPage(props: {project: string; query: URLSearchParams; state: unknown; session: number}) {
  const {project, query} = props;
  const filter = query.get('filter') ?? '';
  const pageToken = query.get('pageToken') ?? '';
  const requestedSize = Number(query.get('pageSize') ?? DEFAULT_PAGE_SIZE);
  const pageSize = PAGE_SIZES.includes(requestedSize) ? requestedSize : DEFAULT_PAGE_SIZE;
  const trail = pageTrail(props.state);
  // The boxes follow the URL (back/forward, example links) but keep focus while typing.
  const [size, setSize] = useState(String(pageSize));
  useEffect(() => setSize(String(pageSize)), [pageSize]);

  const list = usePoll<ListOperationsResponse>(
    async signal => {
      const page = await listOperations(project, {filter, pageSize, ...(pageToken ? {pageToken} : {})}, signal);
      performance.mark('gaffer:operations:data');
      return page;
    },
    [project, filter, pageToken, pageSize, props.session],
    page => (!pageToken || (page.operations ?? []).some(op => !op.done) ? POLL_MS : undefined),
  );

  const operations = list.data?.operations ?? [];
  // Render time of a page: from its answer to the DOM, and to the next frame.
  useLayoutEffect(() => {
    if (!list.data) return;
    performance.mark('gaffer:operations:rendered');
    performance.measure('gaffer:operations:render', 'gaffer:operations:data', 'gaffer:operations:rendered');
    requestAnimationFrame(() => performance.measure('gaffer:operations:paint', 'gaffer:operations:data'));
  }, [list.data]);

  const go = (next: {filter?: string; pageToken?: string; pageSize?: number}, trailNext: string[]) =>
    navigate(
      href('', {
        project,
        filter: next.filter ?? filter,
        pageSize: String(next.pageSize ?? pageSize) === String(DEFAULT_PAGE_SIZE) ? undefined : String(next.pageSize ?? pageSize),
        pageToken: next.pageToken,
      }),
      {state: {trail: trailNext}},
    );

  const onSubmit = (nextFilter: string) => {
    const nextSize = Number(size);
    if (nextFilter === filter && nextSize === pageSize && !pageToken) list.refresh();
    else go({filter: nextFilter, pageSize: nextSize}, []);
  };

  const filterError = badRequest(list.error);
  const now = Date.now();
  const nextToken = list.data?.nextPageToken;
  const pageNumber = trail.length + 1;

  return (
    <Page title="Operations" project={project}>
      <FilterForm
        id="filter"
        name="filter"
        label="Filter operations"
        placeholder="e.g. status = RUNNING AND labels.team = genomics"
        filter={filter}
        error={filterError}
        help="filter-help"
        onSubmit={onSubmit}
      >
        <label for="page-size">Page size</label>
        <select id="page-size" name="pageSize" value={size} onChange={event => setSize(event.currentTarget.value)}>
          {PAGE_SIZES.map(size => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </FilterForm>
      <details id="filter-help" class="help">
        <summary>Filter syntax</summary>
        <p>
          Fields: <code>status</code>, <code>done</code>, <code>error</code>, <code>createTime</code>, <code>events:</code>
          <i>EventType</i>, <code>labels.</code>
          <i>key</i>, <code>projectId</code>; <code>AND</code>, <code>OR</code>, <code>NOT</code>, parentheses. Examples:
        </p>
        <ul class="examples">
          {EXAMPLES.map(example => (
            <li key={example}>
              <button type="button" class="link" onClick={() => go({filter: example}, [])}>
                <code>{example}</code>
              </button>
            </li>
          ))}
        </ul>
      </details>

      {!filterError && <ErrorBanner error={list.error} what="Listing operations" />}
      <LiveNote
        polled={list}
        how={!pageToken || operations.some(op => !op.done) ? refreshesEvery(POLL_MS) : 'All done: this page no longer changes.'}
      />

      <div class="table-wrap">
        <table class="operations" data-state={list.data ? 'ready' : list.error ? 'error' : 'loading'} data-count={operations.length}>
          <caption class="visually-hidden">Operations, newest first</caption>
          <Columns names={['Operation', 'Status', 'Created', 'Run time', 'Image', 'Labels']} />
          <tbody>
            {operations.map(op => {
              const status = operationStatus(op);
              return (
                <tr key={op.name} data-operation={op.name} data-status={status}>
                  <td>
                    <IdLink project={project} collection="operations" name={op.name} />
                  </td>
                  <td>
                    <StatusBadge status={status} />
                    {op.error && status === 'FAILURE' && (
                      <span class="error-code" title={op.error.message}>
                        {' '}
                        {op.error.code}
                      </span>
                    )}
                  </td>
                  <td>
                    <Time iso={op.metadata?.createTime} />
                  </td>
                  <td>{duration(op, now)}</td>
                  <td class="mono clip" title={images(op)}>
                    {images(op)}
                  </td>
                  <td>
                    <Labels labels={op.metadata?.labels} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {list.data && operations.length === 0 && (
          <p class="empty">
            {nextToken
              ? 'No matching operations on this page; there may be more on the next.'
              : filter
                ? 'No operation matches this filter.'
                : 'No operations in this project yet.'}
          </p>
        )}
      </div>
      <Pager
        label="Pages of operations"
        trail={trail}
        pageToken={pageToken}
        nextToken={nextToken}
        go={(token, trailNext) => go({pageToken: token}, trailNext)}
        summary={`Page ${pageToken && trail.length === 0 ? '(from a link)' : pageNumber}: ${operations.length} operation${operations.length === 1 ? '' : 's'}`}
      />
    </Page>
  );
}
