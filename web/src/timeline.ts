/**
 * An operation's life as lanes of bars, from its events alone (pure; no DOM):
 * queued (create -> a worker assigned, again after a release that re-queued it), each
 * worker's hold (assigned -> released), image pulls (started -> stopped), each action's
 * container (started -> stopped or killed, by exit status), and delays (a DelayedEvent
 * until the next event). Failures and unexpected exit statuses are marks.
 */
import {eventType} from './format';
import type {ActionJson, EventJson, OperationJson} from './wire';

export type BarKind = 'queued' | 'worker' | 'pull' | 'ok' | 'failed' | 'killed' | 'running' | 'delay';

export interface Bar {
  kind: BarKind;
  start: number;
  end: number;
  /** Still going: its end is "now". */
  open: boolean;
  /** The timestamps of the events (or times) it runs between, as the server wrote them. */
  startTime: string;
  endTime?: string;
  /** What it is, in words (also the bar's accessible text). */
  detail: string;
}

export interface Mark {
  time: number;
  timestamp: string;
  kind: 'failed' | 'unexpected' | 'stopped';
  detail: string;
}

export interface Lane {
  key: string;
  label: string;
  bars: Bar[];
  marks: Mark[];
}

export interface Timeline {
  start: number;
  end: number;
  lanes: Lane[];
}

type Details = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : undefined;

/** Events oldest first (the wire has them newest first), ties kept in wire order reversed. */
export function chronological(events: readonly EventJson[]): EventJson[] {
  return events
    .map((event, i) => ({event, i, t: Date.parse(event.timestamp)}))
    .sort((a, b) => a.t - b.t || b.i - a.i)
    .map(x => x.event);
}

function actionLabel(id: number, action: ActionJson | undefined): string {
  const name = action?.name ? ` ${action.name}` : '';
  const image = action?.imageUri ? `: ${action.imageUri}` : '';
  return `Action ${id}${name}${image}`;
}

export function buildTimeline(op: OperationJson, now: number = Date.now()): Timeline {
  const metadata = op.metadata ?? {};
  const events = chronological(metadata.events ?? []);
  const createIso = metadata.createTime ?? events[0]?.timestamp ?? new Date(now).toISOString();
  const createTime = Date.parse(createIso);
  const endIso = op.done ? metadata.endTime : undefined;
  const last = events.at(-1);
  const lastEvent = last ? Date.parse(last.timestamp) : createTime;
  const endTime = Math.max(endIso ? Date.parse(endIso) : now, lastEvent, createTime);

  const lanes = new Map<string, Lane>();
  const lane = (key: string, label: string): Lane => {
    let found = lanes.get(key);
    if (!found) {
      found = {key, label, bars: [], marks: []};
      lanes.set(key, found);
    }
    return found;
  };
  const queue = lane('queue', 'Queued');
  const actions = metadata.pipeline?.actions ?? [];
  // Fixed order: the queue, then (as first seen) workers and pulls, then every action.
  const workerLanes: Lane[] = [];
  const pullLanes: Lane[] = [];
  const actionLanes = new Map<number, Lane>();
  const actionLane = (id: number): Lane => {
    let found = actionLanes.get(id);
    if (!found) {
      found = {key: `action:${id}`, label: actionLabel(id, actions[id - 1]), bars: [], marks: []};
      actionLanes.set(id, found);
    }
    return found;
  };
  actions.forEach((_, i) => actionLane(i + 1));
  const delays: Lane = {key: 'delays', label: 'Delays', bars: [], marks: []};
  const other: Lane = {key: 'events', label: 'Failures', bars: [], marks: []};

  const open = new Map<string, Bar>();
  const begin = (key: string, into: Lane, kind: BarKind, at: string, detail: string): void => {
    const bar: Bar = {kind, start: Date.parse(at), end: endTime, open: true, startTime: at, detail};
    into.bars.push(bar);
    open.set(key, bar);
  };
  const finish = (key: string, at: string, update: Partial<Bar> = {}): Bar | undefined => {
    const bar = open.get(key);
    if (!bar) return undefined;
    Object.assign(bar, {end: Date.parse(at), endTime: at, open: false}, update);
    open.delete(key);
    return bar;
  };

  let queuedSince: string | undefined = createIso;
  events.forEach((event, index) => {
    const details = event.details as Details;
    const at = event.timestamp;
    switch (eventType(event)) {
      case 'WorkerAssignedEvent': {
        if (queuedSince !== undefined) {
          queue.bars.push({
            kind: 'queued',
            start: Date.parse(queuedSince),
            end: Date.parse(at),
            open: false,
            startTime: queuedSince,
            endTime: at,
            detail: 'queued',
          });
          queuedSince = undefined;
        }
        const worker = str(details.instance) ?? /"([^"]*)"/.exec(event.description)?.[1] ?? 'worker';
        const key = `worker:${worker}`;
        let workerLane = lanes.get(key);
        if (!workerLane) {
          workerLane = lane(key, `Worker ${worker}`);
          workerLanes.push(workerLane);
        }
        begin('worker', workerLane, 'worker', at, `held by ${worker}`);
        break;
      }
      case 'WorkerReleasedEvent':
        finish('worker', at);
        queuedSince = at;
        break;
      case 'PullStartedEvent': {
        const image = str(details.imageUri) ?? 'image';
        const key = `pull:${image}`;
        let pullLane = lanes.get(key);
        if (!pullLane) {
          pullLane = lane(key, `Pull ${image}`);
          pullLanes.push(pullLane);
        }
        begin(key, pullLane, 'pull', at, `pulling ${image}`);
        break;
      }
      case 'PullStoppedEvent':
        finish(`pull:${str(details.imageUri) ?? 'image'}`, at, {detail: `pulled ${str(details.imageUri) ?? 'image'}`});
        break;
      case 'ContainerStartedEvent': {
        const id = num(details.actionId) ?? 0;
        begin(`action:${id}`, actionLane(id), 'running', at, 'running');
        break;
      }
      case 'ContainerStoppedEvent': {
        const id = num(details.actionId) ?? 0;
        const status = num(details.exitStatus) ?? 0;
        const killed = actionLane(id).bars.at(-1)?.kind === 'killed';
        const update = {
          kind: killed ? 'killed' : status === 0 ? 'ok' : 'failed',
          detail: `exit status ${status}${killed ? ', killed' : ''}`,
        } as const;
        if (!finish(`action:${id}`, at, update)) {
          // Stopped after a kill already ended the bar: keep the kill, note the status.
          const last = actionLane(id).bars.at(-1);
          if (last && !last.open) last.detail = update.detail;
        }
        break;
      }
      case 'ContainerKilledEvent': {
        const id = num(details.actionId) ?? 0;
        if (!finish(`action:${id}`, at, {kind: 'killed', detail: 'killed'})) {
          const last = actionLane(id).bars.at(-1);
          if (last) last.kind = 'killed';
        }
        break;
      }
      case 'UnexpectedExitStatusEvent': {
        const id = num(details.actionId) ?? 0;
        actionLane(id).marks.push({time: Date.parse(at), timestamp: at, kind: 'unexpected', detail: event.description});
        break;
      }
      case 'DelayedEvent': {
        const next = events[index + 1]?.timestamp;
        const cause = str(details.cause) ?? event.description;
        delays.bars.push({
          kind: 'delay',
          start: Date.parse(at),
          end: next ? Date.parse(next) : endTime,
          open: !next && !op.done,
          startTime: at,
          ...(next ? {endTime: next} : {}),
          detail: cause,
        });
        break;
      }
      case 'FailedEvent':
        other.marks.push({time: Date.parse(at), timestamp: at, kind: 'failed', detail: event.description});
        break;
      case 'RunStoppedEvent':
        other.marks.push({time: Date.parse(at), timestamp: at, kind: 'stopped', detail: event.description});
        break;
      default:
        break;
    }
  });

  // Whatever is still open runs to the end: "now" while not done, else the end time.
  for (const bar of open.values()) {
    if (op.done && endIso)
      Object.assign(bar, {end: Date.parse(endIso), endTime: endIso, open: false, detail: `${bar.detail} (no stop event)`});
  }
  // Queued again after a release: a bar to now while not done. A release at the very
  // moment the operation ended (the usual end of a run) queued nothing.
  if (queuedSince !== undefined) {
    const since = Date.parse(queuedSince);
    if (!op.done) queue.bars.push({kind: 'queued', start: since, end: endTime, open: true, startTime: queuedSince, detail: 'queued'});
    else if (endIso && since < Date.parse(endIso)) {
      queue.bars.push({
        kind: 'queued',
        start: since,
        end: Date.parse(endIso),
        open: false,
        startTime: queuedSince,
        endTime: endIso,
        detail: 'queued',
      });
    }
  }

  const ordered = [queue, ...workerLanes, ...pullLanes, ...[...actionLanes.entries()].sort(([a], [b]) => a - b).map(([, l]) => l)];
  if (delays.bars.length) ordered.push(delays);
  if (other.marks.length) ordered.push(other);
  const start = Math.min(createTime, ...ordered.flatMap(l => l.bars.map(b => b.start)));
  return {start, end: Math.max(endTime, start + 1000), lanes: ordered};
}
