/** Pure formatting and derivations for the pages (no DOM). */
import {codeName as rpcCodeName} from '../../src/wire/proto3';
import type {DeepPartial, EventJson, OperationJson} from './wire';

export type OperationStatus = 'QUEUED' | 'RUNNING' | 'SUCCESS' | 'FAILURE' | 'CANCELED';

/** The short type of an event ("ContainerStoppedEvent"). */
export function eventType(event: DeepPartial<Pick<EventJson, 'details'>>): string {
  const type = String(event.details?.['@type'] ?? '');
  return type.slice(type.lastIndexOf('.') + 1);
}

/**
 * The status the `status` filter knows, from the wire form (as the `gaffer` CLI derives
 * it): done ones by their error; a started one is RUNNING unless its newest event
 * released its worker (re-queued after a preemption). A listed operation (partial) will do.
 */
export function operationStatus(op: DeepPartial<OperationJson>): OperationStatus {
  if (op.done) {
    if (!op.error) return 'SUCCESS';
    return op.error.code === 1 ? 'CANCELED' : 'FAILURE';
  }
  const newest = op.metadata?.events?.[0];
  const released = newest !== undefined && eventType(newest) === 'WorkerReleasedEvent';
  return op.metadata?.startTime && !released ? 'RUNNING' : 'QUEUED';
}

/** The google.rpc code's name ("NOT_FOUND"), or "code N" for a number that is none. */
export function codeName(code: number): string {
  return rpcCodeName(code) ?? `code ${code}`;
}

/** "projects/p/operations/123" -> "123" */
export function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** 2026-11-23 15:13:09 (local time, seconds). */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** 850 ms, 12.3 s, 4 m 05 s, 2 h 03 m, 3 d 4 h */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const total = Math.round(s);
  const [d, h, m, sec] = [Math.floor(total / 86400), Math.floor(total / 3600) % 24, Math.floor(total / 60) % 60, total % 60];
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} m`;
  return `${m} m ${String(sec).padStart(2, '0')} s`;
}

/** "12 s ago", "3 m ago" */
export function formatAgo(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  if (ms < 1000) return 'just now';
  return `${formatDuration(ms).replace(/\.\d/, '')} ago`;
}

/** int64 JSON (string or number) as a number, or undefined. */
export function int64(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A command line as a shell would take it back. */
export function shellQuote(words: readonly string[]): string {
  return words.map(word => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function labelPairs(labels: Record<string, string> | undefined): string[] {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => (value ? `${key}=${value}` : key));
}
