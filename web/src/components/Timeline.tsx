/** The timeline of timeline.ts as lanes of positioned bars (plain HTML, so it reads as a list). */
import {formatDuration, formatTime} from '../format';
import type {Timeline as TimelineData} from '../timeline';

const KIND_WORDS: Record<string, string> = {
  queued: 'queued',
  worker: 'held by a worker',
  pull: 'image pull',
  ok: 'succeeded',
  failed: 'failed',
  killed: 'killed',
  running: 'running',
  delay: 'delayed',
};

export function Timeline({timeline}: {timeline: TimelineData}) {
  const span = timeline.end - timeline.start;
  const pct = (t: number) => `${(((t - timeline.start) / span) * 100).toFixed(3)}%`;
  const width = (a: number, b: number) => `${((Math.max(0, b - a) / span) * 100).toFixed(3)}%`;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <div class="timeline" data-start={new Date(timeline.start).toISOString()} data-end={new Date(timeline.end).toISOString()}>
      <div class="timeline-axis" aria-hidden="true">
        <span class="lane-label">{formatTime(new Date(timeline.start).toISOString())}</span>
        <span class="track">
          {ticks.map(f => (
            <span key={f} class="tick" style={{left: `${f * 100}%`}}>
              +{formatDuration(f * span)}
            </span>
          ))}
        </span>
      </div>
      <ol class="lanes">
        {timeline.lanes.map(lane => (
          <li class="lane" key={lane.key} data-lane={lane.key}>
            <span class="lane-label" title={lane.label}>
              {lane.label}
            </span>
            <span class="track">
              {lane.bars.length === 0 && lane.marks.length === 0 && <span class="track-empty">not run</span>}
              {lane.bars.map((bar, i) => {
                const words = `${formatTime(bar.startTime)} to ${bar.open ? 'now' : formatTime(bar.endTime)} (${formatDuration(bar.end - bar.start)}${bar.open ? ' so far' : ''}): ${bar.detail}`;
                return (
                  <span
                    key={i}
                    class={`bar bar-${bar.kind}${bar.open ? ' bar-open' : ''}`}
                    style={{left: pct(bar.start), width: width(bar.start, bar.end)}}
                    title={`${lane.label}: ${words}`}
                    data-kind={bar.kind}
                    data-start={bar.startTime}
                    data-end={bar.endTime ?? ''}
                  >
                    <span class="visually-hidden">
                      {KIND_WORDS[bar.kind]}, {words}
                    </span>
                  </span>
                );
              })}
              {lane.marks.map((mark, i) => (
                <span
                  key={`m${i}`}
                  class={`mark mark-${mark.kind}`}
                  style={{left: pct(mark.time)}}
                  title={`${formatTime(mark.timestamp)}: ${mark.detail}`}
                  data-kind={mark.kind}
                  data-time={mark.timestamp}
                >
                  <span class="visually-hidden">
                    {formatTime(mark.timestamp)}: {mark.detail}
                  </span>
                </span>
              ))}
            </span>
          </li>
        ))}
      </ol>
      <p class="timeline-legend" aria-hidden="true">
        {['queued', 'worker', 'pull', 'ok', 'failed', 'killed', 'running', 'delay'].map(kind => (
          <span key={kind} class="legend-item">
            <span class={`swatch bar-${kind}`} />
            {KIND_WORDS[kind]}
          </span>
        ))}
      </p>
    </div>
  );
}
