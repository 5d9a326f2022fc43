/**
 * The queue's depth over time: a scheduled recorder counts each project's queued and
 * running operations (Firestore count queries: no documents read) and keeps a point per
 * interval; operators read the recent points plus one counted as they ask.
 *
 * A project that falls idle (nothing queued or running) gets one zero point, not one per
 * interval: a project nobody uses costs no writes, and its series expires with the
 * retention. Reading fills that silence back in, so a chart shows a flat zero until the
 * queue rises, not a slope drawn across the idle hours.
 */
import {formatDuration, formatTimestamp} from '../wire/proto3';
import type {QueuePointJson, QueueStatsResponseJson} from '../wire/queue';
import {invalidArgument} from './errors';
import type {Clock, QueuePoint, QueueStatsStore} from './ports';

export interface QueueStatsPolicy {
  /** How often the recorder runs (Cloud Scheduler's period when deployed). */
  intervalMs: number;
  /** How long points are kept. */
  retentionMs: number;
}

export interface QueueStatsDeps {
  store: QueueStatsStore;
  clock: Clock;
  policy: QueueStatsPolicy;
}

/** What one run of the recorder did. */
export interface QueueStatsRecording {
  projects: number;
  recorded: number;
}

const DEFAULT_WINDOW_MS = 24 * 3600_000;
/** Projects counted at once by the recorder. */
const RECORDING_CONCURRENCY = 8;

const isIdle = (p: Omit<QueuePoint, 'time'>): boolean => p.queued === 0 && p.running === 0;

export class QueueStatsService {
  constructor(private readonly deps: QueueStatsDeps) {}

  /**
   * Counts every project (or only `projectIds`) now and records a point for each that is
   * busy or just fell idle.
   */
  async record(projectIds?: readonly string[]): Promise<QueueStatsRecording> {
    const {store, clock, policy} = this.deps;
    const projects = projectIds ?? (await store.projects());
    let recorded = 0;
    const recordOne = async (projectId: string): Promise<void> => {
      const now = clock.now();
      const counts = await store.count(projectId);
      if (isIdle(counts)) {
        // Idle: worth a point only as the end of a busy stretch.
        const last = await store.last(projectId);
        if (!last || isIdle(last)) return;
      }
      await store.record(projectId, {time: now, ...counts}, new Date(now.getTime() + policy.retentionMs));
      recorded++;
    };
    for (let i = 0; i < projects.length; i += RECORDING_CONCURRENCY) {
      await Promise.all(projects.slice(i, i + RECORDING_CONCURRENCY).map(recordOne));
    }
    return {projects: projects.length, recorded};
  }

  /**
   * The project's points within `windowMs` (default a day, at most the retention), oldest
   * first, idle stretches filled in, and a last point counted now.
   */
  async read(projectId: string, windowMs: number = DEFAULT_WINDOW_MS): Promise<QueueStatsResponseJson> {
    const {store, clock, policy} = this.deps;
    if (!(windowMs > 0) || windowMs > policy.retentionMs) {
      throw invalidArgument('window', `a duration above 0s and at most ${formatDuration(policy.retentionMs)} (how long points are kept)`, formatDuration(windowMs));
    }
    const now = clock.now();
    const [recorded, counts] = await Promise.all([store.points(projectId, new Date(now.getTime() - windowMs)), store.count(projectId)]);
    const points = withIdleFilledIn([...recorded, {time: now, ...counts}], policy.intervalMs);
    return {points: points.map(pointJson), interval: formatDuration(policy.intervalMs)};
  }
}

/**
 * The points with each idle point repeated just before the next one when the recorder
 * skipped the intervals between them (it records an idle project once).
 */
export function withIdleFilledIn(points: readonly QueuePoint[], intervalMs: number): QueuePoint[] {
  const filled: QueuePoint[] = [];
  for (const point of points) {
    const previous = filled.at(-1);
    if (previous && isIdle(previous) && point.time.getTime() - previous.time.getTime() > 1.5 * intervalMs) {
      filled.push({time: new Date(point.time.getTime() - intervalMs), queued: 0, running: 0});
    }
    filled.push(point);
  }
  return filled;
}

function pointJson(point: QueuePoint): QueuePointJson {
  return {time: formatTimestamp(point.time), queued: point.queued, running: point.running};
}
