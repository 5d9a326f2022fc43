/**
 * One worker: what it holds, its last check-in and status, its latest health report,
 * and charts of its recent health and metrics from the samples RPC (a server without it
 * answers 404: "not available"). The worker is polled every 10 s, its samples every 30 s.
 */
import {useEffect} from 'preact/hooks';
import {getWorker, listSamples, type Optional} from '../api';
import {Chart, type Series} from '../components/Chart';
import {Capacity, Columns, ErrorBanner, Fact, IdLink, LiveNote, Page, TimeFact, refreshesEvery} from '../components/common';
import {formatBytes, formatDuration, int64} from '../format';
import {usePoll} from '../poll';
import {Link, href} from '../router';
import type {ListSamplesResponse, SampleJson, WorkerJson} from '../wire';
import {HealthBadge, WORKERS_POLL_MS} from './Workers';

const SAMPLES_POLL_MS = 30_000;
const SAMPLES_PAGE_SIZE = 200;

export function workerName(project: string, id: string): string {
  return `projects/${encodeURIComponent(project)}/workers/${encodeURIComponent(id)}`;
}

/** A health report's verdict: 0 broken or not healthy, 1 healthy. */
export function healthValue(report: Record<string, unknown>): number {
  return report.vmIsBroken === true || report.vmIsHealthy === false ? 0 : 1;
}

type Timed = {timestamp?: string; [field: string]: unknown};

/** Points of one metric across samples: each entry's own timestamp, else the sample's. */
function metricPoints(samples: SampleJson[], list: string, value: (entry: Timed) => number | undefined): Series['points'] {
  return samples.flatMap(sample => {
    const entries = sample.data[list];
    if (!Array.isArray(entries)) return [];
    return (entries as Timed[]).flatMap(entry => {
      const v = value(entry);
      const t = Date.parse(entry.timestamp ?? sample.time);
      return v === undefined || !Number.isFinite(t) ? [] : [{t, v}];
    });
  });
}

const num = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

function Unavailable({result}: {result: Optional<unknown> | undefined}) {
  if (!result || result.available) return null;
  return (
    <p class="muted" data-samples-unavailable>
      History is not available on this server. <span class="server-message">({result.message})</span>
    </p>
  );
}

export function WorkerPage({project, id, session}: {project: string; id: string; session: number}) {
  const name = workerName(project, id);
  const worker = usePoll<WorkerJson>(
    signal => getWorker(name, signal),
    [name, session],
    () => WORKERS_POLL_MS,
  );
  const samples = usePoll<[Optional<ListSamplesResponse>, Optional<ListSamplesResponse>]>(
    signal =>
      Promise.all([listSamples(name, 'health', SAMPLES_PAGE_SIZE, signal), listSamples(name, 'metrics', SAMPLES_PAGE_SIZE, signal)]),
    [name, session],
    ([health]) => (health.available ? SAMPLES_POLL_MS : undefined),
  );
  useEffect(() => {
    document.title = `Worker ${id} · Gaffer`;
  }, [id]);

  const w = worker.data;
  const status = w?.status ?? {};
  const [health, metrics] = samples.data ?? [];
  const healthSamples = health?.available ? (health.value.samples ?? []) : [];
  const metricSamples = metrics?.available ? (metrics.value.samples ?? []) : [];

  return (
    <Page
      breadcrumb={<Link href={href('workers', {project})}>← Workers in {project}</Link>}
      title={
        <>
          Worker <span class="mono">{id}</span> {w && <HealthBadge worker={w} />}
        </>
      }
    >
      <ErrorBanner error={worker.error} what="Reading the worker" />
      {w && (
        <>
          <LiveNote polled={worker} how={refreshesEvery(WORKERS_POLL_MS)} />
          <dl class="facts">
            <Fact term="Holding">
              {w.operation ? <IdLink project={project} collection="operations" name={w.operation} /> : 'nothing (idle)'}
              {w.leaseEpoch ? <span class="muted"> (lease epoch {w.leaseEpoch})</span> : null}
            </Fact>
            <TimeFact term="Last check-in" iso={w.lastCheckInTime} />
            <TimeFact term="Last message" iso={w.lastMessageTime} />
            <TimeFact term="Status reported" iso={w.statusTime} />
            <Fact term="RAM">
              <Capacity free={int64(status.freeRamBytes)} total={int64(status.totalRamBytes)} format={formatBytes} />
            </Fact>
            <Fact term="Up">{uptime(status.uptimeSeconds)}</Fact>
          </dl>
          <section aria-labelledby="disks-title" class="card">
            <h2 id="disks-title">Disks</h2>
            <table class="compact">
              <Columns names={['Disk', 'Space']} />
              <tbody>
                {[['boot', status.bootDisk] as const, ...Object.entries(status.attachedDisks ?? {})].map(([disk, d]) => (
                  <tr key={disk}>
                    <td class="mono">{disk}</td>
                    <td>
                      <Capacity free={int64(d?.freeSpaceBytes)} total={int64(d?.totalSpaceBytes)} format={formatBytes} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section aria-labelledby="health-title" class="card">
            <h2 id="health-title">Health</h2>
            {w.health ? (
              <dl class="facts small">
                <TimeFact term="Reported" iso={w.healthTime} />
                <Fact term="VM healthy">{shown(w.health.vmIsHealthy ?? '-')}</Fact>
                <Fact term="VM broken">
                  {shown(w.health.vmIsBroken ?? false)}
                  {w.health.vmBrokenCode ? ` (${shown(w.health.vmBrokenCode)})` : ''}
                </Fact>
                {typeof w.health.msg === 'string' && w.health.msg && (
                  <Fact term="Message" class="wide">
                    {w.health.msg}
                  </Fact>
                )}
              </dl>
            ) : (
              <p class="muted">No health report yet.</p>
            )}
            <ErrorBanner error={samples.error} what="Reading the worker's history" />
            <Unavailable result={health} />
            {health?.available && (
              <Chart
                id="chart-health"
                title="Recent health reports"
                step
                yMax={1}
                ticks={[0, 1]}
                format={v => (v >= 0.5 ? 'healthy' : 'not')}
                series={[
                  {name: 'healthy', tone: 'chart-a', points: healthSamples.map(s => ({t: Date.parse(s.time), v: healthValue(s.data)}))},
                ]}
              />
            )}
          </section>
          <section aria-labelledby="metrics-title" class="card">
            <h2 id="metrics-title">Metrics</h2>
            <Unavailable result={metrics} />
            {metrics?.available && (
              <div class="charts">
                <Chart
                  id="chart-cpu"
                  title="CPU (rate)"
                  format={v => v.toFixed(2)}
                  series={[{name: 'cpu', tone: 'chart-a', points: metricPoints(metricSamples, 'cpuTime', e => num(e.rate))}]}
                />
                <Chart
                  id="chart-memory"
                  title="Memory (RSS)"
                  format={v => formatBytes(v)}
                  series={[
                    {name: 'rss', tone: 'chart-a', points: metricPoints(metricSamples, 'memoryInfo', e => num(e.currentRssBytes))},
                    {name: 'limit', tone: 'chart-b', points: metricPoints(metricSamples, 'memoryInfo', e => num(e.currentLimitBytes))},
                  ]}
                />
              </div>
            )}
          </section>
        </>
      )}
    </Page>
  );
}

/** A reported value as text: strings as they are, anything else as JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function uptime(seconds: string | number | undefined): string {
  const value = int64(seconds);
  return value === undefined ? '-' : formatDuration(value * 1000);
}
