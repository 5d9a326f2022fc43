/**
 * The queue's depth over time, from the queueStats RPC (not served yet: a 404 says
 * "not available"). Polled every 30 s while visible.
 */
import {useEffect} from 'preact/hooks';
import {queueStats, type Optional} from '../api';
import {Chart} from '../components/Chart';
import {ErrorBanner, Fact, LiveNote, Page, TimeFact, refreshesEvery} from '../components/common';
import {usePoll} from '../poll';
import {Link, href} from '../router';
import type {QueueStatsResponse} from '../wire';

const QUEUE_POLL_MS = 30_000;

export function QueuePage({project, session}: {project: string; session: number}) {
  const stats = usePoll<Optional<QueueStatsResponse>>(
    signal => queueStats(project, signal),
    [project, session],
    r => (r.available ? QUEUE_POLL_MS : undefined),
  );
  useEffect(() => {
    document.title = `Queue · ${project} · Gaffer`;
  }, [project]);
  const result = stats.data;
  const points = result?.available ? [...(result.value.points ?? [])].sort((a, b) => Date.parse(a.time) - Date.parse(b.time)) : [];
  const latest = points.at(-1);
  return (
    <Page title="Queue" project={project}>
      <ErrorBanner error={stats.error} what="Reading queue statistics" />
      {result && !result.available && (
        <div class="card" data-queue-unavailable>
          <p>Queue statistics are not available on this server.</p>
          <p class="muted server-message">{result.message}</p>
          <p>
            Meanwhile, <Link href={href('', {project, filter: 'status = QUEUED'})}>the queued operations</Link> and{' '}
            <Link href={href('', {project, filter: 'status = RUNNING'})}>the running ones</Link> are listed with filters.
          </p>
        </div>
      )}
      {result?.available && (
        <>
          <LiveNote polled={stats} how={refreshesEvery(QUEUE_POLL_MS)} />
          {latest && (
            <dl class="facts" data-queue-latest>
              <Fact term="Queued" valueClass="big">
                {latest.queued}
              </Fact>
              <Fact term="Running" valueClass="big">
                {latest.running}
              </Fact>
              <TimeFact term="As of" iso={latest.time} />
            </dl>
          )}
          <section class="card" aria-label="Queue depth chart">
            <Chart
              id="chart-queue"
              title="Operations queued and running"
              format={v => String(Math.round(v))}
              series={[
                {name: 'queued', tone: 'chart-b', points: points.map(p => ({t: Date.parse(p.time), v: p.queued}))},
                {name: 'running', tone: 'chart-a', points: points.map(p => ({t: Date.parse(p.time), v: p.running}))},
              ]}
            />
          </section>
        </>
      )}
    </Page>
  );
}
