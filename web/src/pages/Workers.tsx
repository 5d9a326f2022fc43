/**
 * The workers of a project (workers.list): health, what each holds, last check-in,
 * capacity from its last WorkerStatus. Polled every 10 s while visible (one list call:
 * about pageSize + 1 reads).
 */
import {useEffect, useState} from 'preact/hooks';
import {ApiError, listWorkers} from '../api';
import {Capacity, ErrorBanner, LiveNote, Pager, Time} from '../components/common';
import {formatBytes, formatDuration, int64, lastSegment} from '../format';
import {usePoll} from '../poll';
import {Link, href, navigate} from '../router';
import type {ListWorkersResponse, WorkerJson} from '../wire';

export const WORKERS_POLL_MS = 10_000;
const PAGE_SIZE = 100;

function trailOf(state: unknown): string[] {
  const trail = (state as {trail?: unknown} | null)?.trail;
  return Array.isArray(trail) ? trail.filter((t): t is string => typeof t === 'string') : [];
}

export function HealthBadge({worker}: {worker: Pick<WorkerJson, 'healthy'>}) {
  return worker.healthy === false ? (
    <span class="status status-failure">unhealthy</span>
  ) : (
    <span class="status status-success">healthy</span>
  );
}

export function WorkersPage(props: {project: string; query: URLSearchParams; state: unknown; session: number}) {
  const {project, query} = props;
  const filter = query.get('filter') ?? '';
  const pageToken = query.get('pageToken') ?? '';
  const trail = trailOf(props.state);
  const [text, setText] = useState(filter);
  useEffect(() => setText(filter), [filter]);

  const list = usePoll<ListWorkersResponse>(
    signal => listWorkers(project, {filter, pageSize: PAGE_SIZE, ...(pageToken ? {pageToken} : {})}, signal),
    [project, filter, pageToken, props.session],
    () => WORKERS_POLL_MS,
  );
  const go = (next: {filter?: string; pageToken?: string}, trailNext: string[]) =>
    navigate(href('workers', {project, filter: next.filter ?? filter, pageToken: next.pageToken}), {state: {trail: trailNext}});
  const filterError = list.error instanceof ApiError && list.error.httpStatus === 400 ? list.error : undefined;
  const workers = list.data?.workers ?? [];
  const nextToken = list.data?.nextPageToken;

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Workers <span class="muted">in {project}</span>
      </h1>
      <form
        class="filter-form"
        role="search"
        aria-label="Filter workers"
        onSubmit={event => {
          event.preventDefault();
          if (text.trim() === filter && !pageToken) list.refresh();
          else go({filter: text.trim()}, []);
        }}
      >
        <label for="worker-filter">Filter</label>
        <input
          id="worker-filter"
          type="search"
          value={text}
          onInput={event => setText(event.currentTarget.value)}
          placeholder="e.g. healthy = false, holding = true"
          spellcheck={false}
          autocomplete="off"
          aria-invalid={filterError ? 'true' : 'false'}
          aria-describedby={filterError ? 'worker-filter-error' : undefined}
        />
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      {filterError && (
        <p id="worker-filter-error" class="field-error" role="alert">
          <strong>{filterError.status}:</strong> <span class="server-message">{filterError.message}</span>
        </p>
      )}
      {!filterError && <ErrorBanner error={list.error} what="Listing workers" />}
      <LiveNote
        updatedAt={list.updatedAt}
        loading={list.loading}
        refresh={list.refresh}
        how={`Refreshes every ${WORKERS_POLL_MS / 1000} s while visible.`}
      />
      <div class="table-wrap">
        <table class="workers" data-state={list.data ? 'ready' : 'loading'} data-count={workers.length}>
          <caption class="visually-hidden">Workers, by id</caption>
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">Health</th>
              <th scope="col">Holding</th>
              <th scope="col">Last check-in</th>
              <th scope="col">RAM</th>
              <th scope="col">Boot disk</th>
              <th scope="col">Other disks</th>
              <th scope="col">Up</th>
            </tr>
          </thead>
          <tbody>
            {workers.map(worker => {
              const id = lastSegment(worker.name);
              const status = worker.status ?? {};
              const disks = Object.entries(status.attachedDisks ?? {});
              const uptime = int64(status.uptimeSeconds);
              return (
                <tr key={worker.name} data-worker={worker.name}>
                  <td>
                    <Link href={href(`workers/${encodeURIComponent(id)}`, {project})} class="mono">
                      {id}
                    </Link>
                  </td>
                  <td>
                    <HealthBadge worker={worker} />
                  </td>
                  <td>
                    {worker.operation ? (
                      <Link
                        href={href(`operations/${encodeURIComponent(lastSegment(worker.operation))}`, {project})}
                        class="mono"
                        data-holding
                      >
                        {lastSegment(worker.operation)}
                      </Link>
                    ) : (
                      <span class="muted">idle</span>
                    )}
                  </td>
                  <td>
                    <Time iso={worker.lastCheckInTime} ago />
                  </td>
                  <td>
                    <Capacity free={int64(status.freeRamBytes)} total={int64(status.totalRamBytes)} format={formatBytes} />
                  </td>
                  <td>
                    <Capacity
                      free={int64(status.bootDisk?.freeSpaceBytes)}
                      total={int64(status.bootDisk?.totalSpaceBytes)}
                      format={formatBytes}
                    />
                  </td>
                  <td>
                    {disks.length ? (
                      `${disks.length} (${formatBytes(disks.reduce((sum, [, d]) => sum + (int64(d.freeSpaceBytes) ?? 0), 0))} free)`
                    ) : (
                      <span class="muted">-</span>
                    )}
                  </td>
                  <td>{uptime !== undefined ? formatDuration(uptime * 1000) : <span class="muted">-</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {list.data && workers.length === 0 && (
          <p class="empty">{filter ? 'No worker matches this filter.' : 'No worker has checked in to this project yet.'}</p>
        )}
      </div>
      <Pager
        label="Pages of workers"
        hasPrevious={trail.length > 0 || Boolean(pageToken)}
        hasNext={Boolean(nextToken)}
        onFirst={() => go({pageToken: ''}, [])}
        onPrevious={() => go({pageToken: trail.at(-1) ?? ''}, trail.slice(0, -1))}
        onNext={() => nextToken && go({pageToken: nextToken}, [...trail, pageToken])}
        summary={`${workers.length} worker${workers.length === 1 ? '' : 's'}`}
      />
    </section>
  );
}
