/**
 * proto3 JSON mapping helpers shared by the server and its clients: Durations ("3.5s"),
 * Timestamps (RFC 3339) and the google.rpc.Code names a Status carries.
 */

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

/** The range of google.protobuf.Timestamp (and of Firestore's timestamps): 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
export const MIN_TIMESTAMP_MS = -62_135_596_800_000;
export const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** The longest google.protobuf.Duration: 10,000 years. */
export const MAX_DURATION_SECONDS = 315_576_000_000;

/**
 * A proto3 JSON Timestamp as Google's parsers read it: RFC 3339 with "Z" or an offset, up to
 * nine fraction digits, within the Timestamp range; no leap second (":60"). Undefined if not.
 */
export function parseTimestamp(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCDate() !== day) return undefined;
  const offsetMinutes = m[8] ? (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) : 0;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const ms = date.getTime() + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) return undefined;
  return new Date(ms);
}

/** RFC 3339 in UTC, as Google's JSON mapping writes Timestamps. */
export function formatTimestamp(time: Date): string {
  return time.toISOString();
}

/** google.rpc.Code (google/rpc/code.proto). */
export const RpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type RpcCodeName = keyof typeof RpcCode;
export type RpcCodeNumber = (typeof RpcCode)[RpcCodeName];

const NAME_BY_NUMBER = new Map<number, RpcCodeName>((Object.keys(RpcCode) as RpcCodeName[]).map(name => [RpcCode[name], name]));

/** The name of a google.rpc code ("NOT_FOUND"), if it is one. */
export function codeName(code: number): RpcCodeName | undefined {
  return NAME_BY_NUMBER.get(code);
}

/** How deeply a JSON body may nest (Google's proto parsers stop at 100 levels too). */
export const MAX_JSON_DEPTH = 100;

export class TooDeeplyNested extends Error {
  constructor() {
    super(`JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
    this.name = 'TooDeeplyNested';
  }
}

/**
 * The value with every JSON null removed, as proto3 JSON reads null: "unset" (dsub's
 * request builders send None for what they leave out). A null inside an array is kept:
 * no field of the APIs is an array of nullable values, so schema validation refuses it.
 * @throws TooDeeplyNested past MAX_JSON_DEPTH levels.
 */
export function withoutNulls(value: unknown, depth = 0): unknown {
  if (depth > MAX_JSON_DEPTH) throw new TooDeeplyNested();
  if (Array.isArray(value)) return value.map(item => withoutNulls(item, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  const kept: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== null) kept[key] = withoutNulls(field, depth + 1);
  }
  return kept;
}
