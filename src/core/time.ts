/** proto3 JSON Duration and Timestamp helpers. */

const DURATION = /^(\d{1,12})(?:\.(\d{1,9}))?s$/;

/** Parses a non-negative proto3 JSON Duration ("30s", "1.5s") to milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const seconds = Number(match[1]);
  const fraction = match[2] ? Number(`0.${match[2]}`) : 0;
  return Math.round((seconds + fraction) * 1000);
}

/** Formats milliseconds as a proto3 JSON Duration ("3.5s"). */
export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, '')}s`;
}

/** RFC 3339 in UTC, as Google's JSON mapping writes Timestamps. */
export function formatTimestamp(time: Date): string {
  return time.toISOString();
}

/** A clock that tests can replace. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = {now: () => new Date()};
