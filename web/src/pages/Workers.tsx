/**
 * The workers of a project (workers.list): health, what each holds, last check-in,
 * capacity from its last WorkerStatus. Polled every 10 s while visible (one list call:
 * about pageSize + 1 reads).
 */
import {badRequest, listWorkers} from '../api';
import {Capacity, Columns, ErrorBanner, FilterForm, IdLink, LiveNote, Page, Pager, Time, pageTrail, refreshesEvery} from '../components/common';
import {formatBytes, formatDuration, int64} from '../format';
import {usePoll} from '../poll';
import {href, navigate} from '../router';
import type {ListWorkersResponse, WorkerJson} from '../wire';

export const WORKERS_POLL_MS = 10_000;
const PAGE_SIZE = 100;

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
  const trail = pageTrail(props.state);

  const list = usePoll<ListWorkersResponse>(
    signal => listWorkers(project, {filter, pageSize: PAGE_SIZE, ...(pageToken ? {pageToken} : {})}, signal),
    [project, filter, pageToken, props.session],
    () => WORKERS_POLL_MS,
  );
  const go = (next: {filter?: string; pageToken?: string}, trailNext: string[]) =>
    navigate(href('workers', {project, filter: next.filter ?? filter, pageToken: next.pageToken}), {state: {trail: trailNext}});
  const filterError = badRequest(list.error);
  const workers = list.data?.workers ?? [];

  return (
    <Page title="Workers" project={project}>
      <FilterForm
        id="worker-filter"
        label="Filter workers"
        placeholder="e.g. healthy = false, holding = true"
        filter={filter}
        error={filterError}
        onSubmit={typed => {
          if (typed === filter && !pageToken) list.refresh();
          else go({filter: typed}, []);
        }}
      />
      {!filterError && <ErrorBanner error={list.error} what="Listing workers" />}
      <LiveNote polled={list} how={refreshesEvery(WORKERS_POLL_MS)} />
      <div class="table-wrap">
        <table class="workers" data-state={list.data ? 'ready' : 'loading'} data-count={workers.length}>
          <caption class="visually-hidden">Workers, by id</caption>
          <Columns names={['Worker', 'Health', 'Holding', 'Last check-in', 'RAM', 'Boot disk', 'Other disks', 'Up']} />
          <tbody>
            {workers.map(worker => {
              const status = worker.status ?? {};
              const disks = Object.entries(status.attachedDisks ?? {});
              const uptime = int64(status.uptimeSeconds);
              return (
                <tr key={worker.name} data-worker={worker.name}>
                  <td>
                    <IdLink project={project} collection="workers" name={worker.name} />
                  </td>
                  <td>
                    <HealthBadge worker={worker} />
                  </td>
                  <td>
                    {worker.operation ? (
                      <IdLink project={project} collection="operations" name={worker.operation} data-holding />
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
        trail={trail}
        pageToken={pageToken}
        nextToken={list.data?.nextPageToken}
        go={(token, trailNext) => go({pageToken: token}, trailNext)}
        summary={`${workers.length} worker${workers.length === 1 ? '' : 's'}`}
      />
    </Page>
  );
}
