/**
 * A small SVG line chart over time (no library), with its numbers in a table under
 * <details> for keyboard and screen-reader users.
 */
import {useEffect, useRef, useState} from 'preact/hooks';
import {formatTime} from '../format';

export interface Series {
  name: string;
  /** CSS class giving the line its colour (chart-a, chart-b, ...). */
  tone: string;
  points: Array<{t: number; v: number}>;
}

const H = 180;

/** A round top for the axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map(f => f * power).find(v => v >= max) ?? 10 * power;
}

/** The element's width in CSS pixels, following resizes (the SVG is drawn at that width). */
function useWidth(fallback: number, drawn: boolean) {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    const observer = new ResizeObserver(entries => {
      const measured = Math.round(entries[0]?.contentRect.width ?? 0);
      if (measured > 0) setWidth(measured);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [drawn]);
  return [ref, width] as const;
}
const PAD = {left: 56, right: 12, top: 12, bottom: 28};

export function Chart(props: {
  title: string;
  series: Series[];
  format(v: number): string;
  step?: boolean;
  yMax?: number;
  ticks?: number[];
  id: string;
}) {
  const all = props.series.flatMap(s => s.points);
  const [ref, W] = useWidth(640, all.length > 0);
  if (all.length === 0) return <p class="muted">No data points yet.</p>;
  const t0 = Math.min(...all.map(p => p.t));
  const t1 = Math.max(...all.map(p => p.t), t0 + 1000);
  const yMax = props.yMax ?? niceMax(Math.max(...all.map(p => p.v)));
  const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / yMax) * (H - PAD.top - PAD.bottom);
  const path = (points: Series['points']) =>
    [...points]
      .sort((a, b) => a.t - b.t)
      .map((p, i, sorted) => {
        const prev = sorted[i - 1];
        const step = props.step && prev ? `H${x(p.t).toFixed(1)}` : '';
        return `${i === 0 ? 'M' : `${step}L`}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
      })
      .join(' ');
  const ticks = props.ticks ?? [0, 0.5, 1].map(f => f * yMax);
  const times = [...new Set(all.map(p => p.t))].sort((a, b) => a - b);
  return (
    <figure class="chart" ref={ref} aria-labelledby={`${props.id}-title`}>
      <figcaption id={`${props.id}-title`}>
        {props.title}
        <span class="legend">
          {props.series.map(s => (
            <span key={s.name} class={`legend-item ${s.tone}`}>
              {s.name}
            </span>
          ))}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
        role="img"
        aria-label={`${props.title}, ${all.length} points from ${formatTime(new Date(t0).toISOString())} to ${formatTime(new Date(t1).toISOString())}`}
      >
        {ticks.map(v => (
          <g key={v} class="grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
            <text x={PAD.left - 6} y={y(v) + 4} text-anchor="end">
              {props.format(v)}
            </text>
          </g>
        ))}
        <text class="axis" x={PAD.left} y={H - 8}>
          {formatTime(new Date(t0).toISOString()).slice(11)}
        </text>
        <text class="axis" x={W - PAD.right} y={H - 8} text-anchor="end">
          {formatTime(new Date(t1).toISOString()).slice(11)}
        </text>
        {props.series.map(s => (
          <g key={s.name} class={`series ${s.tone}`}>
            <path d={path(s.points)} />
            {s.points.length <= 60 && s.points.map(p => <circle key={p.t} cx={x(p.t)} cy={y(p.v)} r="2.5" />)}
          </g>
        ))}
      </svg>
      <details>
        <summary>Data ({times.length} times)</summary>
        <table class="compact">
          <thead>
            <tr>
              <th scope="col">Time</th>
              {props.series.map(s => (
                <th scope="col" key={s.name}>
                  {s.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {times.map(t => (
              <tr key={t}>
                <td>{formatTime(new Date(t).toISOString())}</td>
                {props.series.map(s => {
                  const point = s.points.find(p => p.t === t);
                  return <td key={s.name}>{point ? props.format(point.v) : ''}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
