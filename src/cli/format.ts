/** How operations and workers look on a terminal: statuses, tables, times, sizes. */
import {codeName} from '../wire/proto3';
import type {EventJson, OperationJson} from '../wire/genomics';

export type OperationStatus = 'QUEUED' | 'RUNNING' | 'SUCCESS' | 'FAILURE' | 'CANCELED';

/** google.rpc CANCELLED: the code a cancelled operation ends with. */
const CANCELLED = 1;

/** The short type of an event ("WorkerAssignedEvent"). */
export function eventType(event: EventJson): string {
  const type = String(event.details?.['@type'] ?? '');
  return type.slice(type.lastIndexOf('.') + 1);
}

/**
 * The status the `status` filter knows, derived from the wire form: done ones by their
 * error; a started one is RUNNING until a worker releases it (re-queued after a preemption).
 */
export function operationStatus(op: OperationJson): OperationStatus {
  if (op.done) {
    if (!op.error) return 'SUCCESS';
    return op.error.code === CANCELLED ? 'CANCELED' : 'FAILURE';
  }
  const newest = op.metadata?.events?.[0];
  const released = newest !== undefined && eventType(newest) === 'WorkerReleasedEvent';
  return op.metadata?.startTime && !released ? 'RUNNING' : 'QUEUED';
}

/** "FAILED_PRECONDITION (9): Execution failed: ..." */
export function describeRpcError(error: {code: number; message: string}): string {
  const name = codeName(error.code) ?? 'UNKNOWN';
  return `${name} (${error.code}): ${error.message}`;
}

/** "2026-01-02T03:04:05Z" (RFC 3339 without fractions), "-" when absent. */
export function formatTime(timestamp: string | undefined): string {
  if (!timestamp) return '-';
  return timestamp.replace(/\.\d+Z$/, 'Z');
}

/** "a=b,c=d", "-" when none. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** int64 bytes (string or number) as "1.5 GiB"; "-" when absent or not a number. */
export function formatBytes(value: unknown): string {
  const bytes = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  if (!Number.isFinite(bytes) || bytes < 0 || value === '') return '-';
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < BYTE_UNITS.length - 1) {
    size /= 1024;
    unit++;
  }
  return unit === 0 ? `${size} B` : `${size.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** 75000 → "1m15s". */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m${String(seconds).padStart(2, '0')}s`;
  if (minutes > 0) return `${minutes}m${String(seconds).padStart(2, '0')}s`;
  return `${seconds}s`;
}

/** A duration the user gave: "1.5s", "10m00s". */
export function formatDuration(ms: number): string {
  return ms < 60_000 && ms % 1000 !== 0 ? `${ms / 1000}s` : formatElapsed(ms);
}

/** A command line as a shell would read it back. */
export function shellJoin(args: readonly string[]): string {
  return args.map(arg => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Left-aligned columns two spaces apart; the last column is not padded. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map(row => (row[col] ?? '').length)));
  return all.map(row =>
    row
      .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
