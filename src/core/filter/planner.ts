/**
 * operations.list `filter` -> a plan the store can run on Firestore.
 *
 * 1. parse (parser.ts) and give each restriction its meaning (`analyze`), refusing
 *    unknown fields and values; the result is a tree of typed predicates that also
 *    gives the exact `matches`.
 * 2. push NOTs down and expand to an OR of ANDs (`toDnf`), folding contradictions
 *    and merging status/done/error into one set of "outcomes" per conjunct.
 * 3. turn each conjunct into what one Firestore query can serve: == / in on one
 *    field, at most one array-contains, and a createTime range (`emit`).
 */

import {RpcCode} from '../errors';
import {MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS} from '../../wire/proto3';
import {EVENT_TYPES, GENOMICS_TYPE_PREFIX} from '../../wire/genomics';
import {DONE_STATES, FilterableOperation, OPERATION_STATES, OperationState, isDone} from '../model';
import {Comparator, filterError} from './lexer';
import {FilterExpr, FilterValue, Restriction, formatFieldPath, parseFilter} from './parser';

// ---------------------------------------------------------------------------
// The contract with the store.

export type EqualityField = 'location' | 'state' | 'errorCode';
export type ArrayField = 'eventTypes' | 'labelPairs' | 'labelKeys';
export interface TimeBound {
  time: Date;
  inclusive: boolean;
}
export interface IndexedConjunct {
  /** At most one entry per field: `location` first (v2beta's listing of one location), then
   *  `state` or `errorCode`; values sorted, deduplicated, length >= 1. One value means ==,
   *  several mean `in`. */
  equalities: Array<{field: EqualityField; values: Array<string | number>}>;
  /** At most one array-contains per conjunct (a Firestore rule). */
  arrayContains?: {field: ArrayField; value: string};
  createTimeAfter?: TimeBound;
  createTimeBefore?: TimeBound;
}
/** The fields of a composite index; always followed by createTime DESC. */
export interface IndexShape {
  equalityFields: EqualityField[];
  arrayField?: ArrayField;
}
export interface OperationQueryPlan {
  /** OR of these. [] = the filter matches nothing (the caller runs no query). [{equalities: []}] = everything. */
  disjuncts: IndexedConjunct[];
  /** True when the disjuncts select a superset of the matches and `matches` must be applied to each document read. */
  needsResidualCheck: boolean;
  /** The full predicate, exact. */
  matches(op: FilterableOperation): boolean;
  /** A canonical text of the filter, used to bind page tokens to the filter. */
  canonical: string;
}

/** Firestore counts each `in` value as a disjunction; a query may have at most 30 in DNF. */
export const MAX_DISJUNCTIONS = 30;

/** Encoding of a label in the `labelPairs` array field. */
export function labelPair(key: string, value: string): string {
  return JSON.stringify([key, value]);
}

/**
 * The planner emits at most one of state or errorCode per conjunct (an error code implies
 * the state), after v2beta's location when a listing is of one location.
 */
const EQUALITY_SHAPES: EqualityField[][] = [[], ['state'], ['errorCode'], ['location'], ['location', 'state'], ['location', 'errorCode']];
const ARRAY_FIELDS: ArrayField[] = ['labelPairs', 'eventTypes', 'labelKeys'];

/** Every IndexShape the planner can ever emit (for the index-coverage test). */
export function allIndexShapes(): IndexShape[] {
  const arrays: Array<ArrayField | undefined> = [undefined, ...ARRAY_FIELDS];
  return EQUALITY_SHAPES.flatMap(equalityFields =>
    arrays.map(arrayField => (arrayField ? {equalityFields, arrayField} : {equalityFields})),
  );
}

export function shapeOf(c: IndexedConjunct): IndexShape {
  const shape: IndexShape = {equalityFields: c.equalities.map(e => e.field)};
  if (c.arrayContains) shape.arrayField = c.arrayContains.field;
  return shape;
}

/**
 * The queries serving `filter` on a project's operations; with `location`, only those of
 * that v2beta location (an equality every query carries, served by the same indexes
 * with `location` first).
 */
export function planOperationQuery(filter: string, projectId: string, location?: string): OperationQueryPlan {
  const inLocation = (disjuncts: IndexedConjunct[]): IndexedConjunct[] =>
    location === undefined ? disjuncts : disjuncts.map(d => ({...d, equalities: [{field: 'location', values: [location]}, ...d.equalities]}));
  const expr = parseFilter(filter);
  if (!expr) return {disjuncts: inLocation([{equalities: []}]), needsResidualCheck: false, matches: () => true, canonical: ''};
  const predicate = analyze(expr, projectId);
  const {disjuncts, needsResidualCheck} = emit(toDnf(predicate, false));
  const canonical = canonicalText(predicate);
  return {
    disjuncts: inLocation(disjuncts),
    needsResidualCheck,
    matches: op => evaluate(predicate, op),
    // A filter that folds to true means the same as no filter.
    canonical: canonical === 'true' ? '' : canonical,
  };
}

// ---------------------------------------------------------------------------
// Typed predicates: what each restriction means.

/** A createTime bound in whole milliseconds (the precision of a Date). */
interface MsBound {
  ms: number;
  inclusive: boolean;
}

type Atom =
  | {kind: 'state'; states: ReadonlySet<OperationState>}
  | {kind: 'error'; codes: ReadonlySet<number>}
  | {kind: 'time'; after?: MsBound; before?: MsBound}
  | {kind: 'event'; type: string}
  | {kind: 'label'; key: string; value: string}
  | {kind: 'labelKey'; key: string};

type Predicate =
  | {kind: 'and' | 'or'; operands: Predicate[]}
  | {kind: 'not'; operand: Predicate}
  | {kind: 'atom'; atom: Atom; position: number}
  | {kind: 'const'; value: boolean};

const SUPPORTED_FIELDS = 'createTime, done, error, events, labels.KEY, projectId, status';

const ALL_CODES: readonly number[] = Object.values(RpcCode);
const NOT_DONE_STATES = OPERATION_STATES.filter(s => !isDone(s));

function analyze(expr: FilterExpr, projectId: string): Predicate {
  switch (expr.kind) {
    case 'and':
    case 'or':
      return {kind: expr.kind, operands: expr.operands.map(e => analyze(e, projectId))};
    case 'not':
      return {kind: 'not', operand: analyze(expr.operand, projectId)};
    case 'restriction':
      return restriction(expr, projectId);
  }
}

type FieldMeaning = (r: Restriction, projectId: string) => Predicate;

function restriction(r: Restriction, projectId: string): Predicate {
  const [name = ''] = r.field.segments;
  const meaning = FIELDS.get(name);
  if (!meaning) {
    throw filterError(
      `unknown field ${JSON.stringify(formatFieldPath(r.field.segments))}; the supported fields are ${SUPPORTED_FIELDS}`,
      r.field.position,
    );
  }
  if (name !== 'labels') expectNoSubfield(r);
  return meaning(r, projectId);
}

const atom = (a: Atom, r: Restriction): Predicate => ({kind: 'atom', atom: a, position: r.position});
const not = (operand: Predicate): Predicate => ({kind: 'not', operand});
const constant = (value: boolean): Predicate => ({kind: 'const', value});

function createTime(r: Restriction): Predicate {
  expectComparator(r, ['=', '!=', '<', '<=', '>', '>='], 'createTime');
  const {ms, exact} = parseTime(r.value);
  // Stored times are whole milliseconds, so a bound between two of them is
  // rounded to the millisecond below with the inclusiveness that keeps it exact.
  switch (r.comparator) {
    case '>':
      return atom({kind: 'time', after: {ms, inclusive: false}}, r);
    case '>=':
      return atom({kind: 'time', after: {ms, inclusive: exact}}, r);
    case '<':
      return atom({kind: 'time', before: {ms, inclusive: !exact}}, r);
    case '<=':
      return atom({kind: 'time', before: {ms, inclusive: true}}, r);
  }
  const at = atom({kind: 'time', after: {ms, inclusive: true}, before: {ms, inclusive: true}}, r);
  if (r.comparator === '=') return exact ? at : constant(false);
  return exact ? not(at) : constant(true);
}

function done(r: Restriction): Predicate {
  expectComparator(r, ['=', '!='], 'done');
  const value = parseBoolean(r.value, 'done');
  const states = new Set(value === (r.comparator === '=') ? DONE_STATES : NOT_DONE_STATES);
  return atom({kind: 'state', states}, r);
}

function status(r: Restriction): Predicate {
  expectComparator(r, ['=', '!='], 'status');
  const wanted = OPERATION_STATES.find(s => s === r.value.text.toUpperCase());
  if (r.value.kind === 'wildcard' || !wanted) {
    throw filterError(
      `status must be one of ${OPERATION_STATES.join(', ')}, but was ${JSON.stringify(r.value.text)}`,
      r.value.position,
    );
  }
  const states = OPERATION_STATES.filter(s => (s === wanted) === (r.comparator === '='));
  return atom({kind: 'state', states: new Set(states)}, r);
}

function error(r: Restriction): Predicate {
  expectComparator(r, ['=', '!=', '<', '<=', '>', '>='], 'error');
  const code = parseErrorCode(r.value);
  const codes = ALL_CODES.filter(c => compare(c, r.comparator, code));
  return atom({kind: 'error', codes: new Set(codes)}, r);
}

function events(r: Restriction): Predicate {
  if (r.comparator !== ':' && r.comparator !== '=') {
    throw filterError(
      `events supports ':' (has) and '=' only, not '${r.comparator}'; ` +
        'to test that an event did not occur, write NOT events:NAME',
      r.position,
    );
  }
  return atom({kind: 'event', type: parseEventType(r.value)}, r);
}

/** labels.KEY = VALUE, labels.KEY != VALUE, labels.KEY:VALUE, labels.KEY = * / :*, labels:KEY. */
function labels(r: Restriction): Predicate {
  const segments = r.field.segments;
  if (segments.length === 1) {
    if (r.comparator !== ':') {
      throw filterError(
        `labels needs a key: write labels.KEY ${r.comparator} VALUE, or labels:KEY to test for a key`,
        r.position,
      );
    }
    const key = textOf(r.value, 'labels:* is not supported; name a key, e.g. labels:KEY');
    return atom({kind: 'labelKey', key: labelKey(key, r.value.position)}, r);
  }
  if (segments.length > 2) {
    throw filterError(
      `${formatFieldPath(segments)} has too many parts; quote a label key that contains dots, e.g. labels."a.b"`,
      r.position,
    );
  }
  expectComparator(r, ['=', '!=', ':'], 'labels.KEY');
  const key = labelKey(segments[1] ?? '', r.position);
  const positive =
    r.value.kind === 'wildcard'
      ? atom({kind: 'labelKey', key}, r)
      : atom({kind: 'label', key, value: r.value.text}, r);
  return r.comparator === '!=' ? not(positive) : positive;
}

function project(r: Restriction, projectId: string): Predicate {
  expectComparator(r, ['=', '!='], 'projectId');
  const value = textOf(r.value, 'projectId must be compared with a project ID, not *');
  return constant((value === projectId) === (r.comparator === '='));
}

/** Field names (with the proto snake_case spellings of the camelCase ones) and their meaning. */
const FIELDS = new Map<string, FieldMeaning>([
  ['createTime', createTime],
  ['create_time', createTime],
  ['done', done],
  ['status', status],
  ['error', error],
  ['events', events],
  ['labels', labels],
  ['projectId', project],
  ['project_id', project],
]);

function expectNoSubfield(r: Restriction): void {
  if (r.field.segments.length > 1) {
    throw filterError(
      `${formatFieldPath(r.field.segments)} is not a field: ${r.field.segments[0]} has no sub-fields ` +
        `(only labels.KEY does); the supported fields are ${SUPPORTED_FIELDS}`,
      r.field.position,
    );
  }
}

function expectComparator(r: Restriction, allowed: Comparator[], field: string): void {
  if (!allowed.includes(r.comparator)) {
    const listed = allowed.map(c => `'${c}'`).join(' ');
    throw filterError(`${field} supports only ${listed}, not '${r.comparator}'`, r.position);
  }
}

function textOf(value: FilterValue, wildcardMessage: string): string {
  if (value.kind === 'wildcard') throw filterError(wildcardMessage, value.position);
  return value.text;
}

function labelKey(key: string, position: number): string {
  if (key === '') throw filterError('a label key must not be empty', position);
  return key;
}

function parseBoolean(value: FilterValue, field: string): boolean {
  const text = value.kind === 'wildcard' ? '*' : value.text.toLowerCase();
  if (text === 'true' || text === 'false') return text === 'true';
  throw filterError(`${field} must be true or false, but was ${JSON.stringify(value.text)}`, value.position);
}

function parseErrorCode(value: FilterValue): number {
  const text = value.text.toUpperCase();
  const code = /^\d+$/.test(text) ? Number(text) : (RpcCode as Record<string, number>)[text];
  if (value.kind !== 'wildcard' && code !== undefined && ALL_CODES.includes(code)) return code;
  throw filterError(
    `error must be a google.rpc code number 0-16 or name (${Object.keys(RpcCode).join(', ')}), ` +
      `but was ${JSON.stringify(value.text)}`,
    value.position,
  );
}

function parseEventType(value: FilterValue): string {
  const text = textOf(value, 'events needs an event name, e.g. events:WorkerAssignedEvent');
  const short = text.startsWith(GENOMICS_TYPE_PREFIX)
    ? text.slice(GENOMICS_TYPE_PREFIX.length)
    : text.replace(/^google\.genomics\.v2alpha1\./, '');
  const known = EVENT_TYPES.find(t => t.toLowerCase() === short.toLowerCase());
  if (known) return known;
  throw filterError(`unknown event ${JSON.stringify(text)}; the events are ${EVENT_TYPES.join(', ')}`, value.position);
}

function compare(left: number, comparator: Comparator, right: number): boolean {
  switch (comparator) {
    case '=':
    case ':':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
  }
}

// ---------------------------------------------------------------------------
// createTime values: RFC 3339 (with "T" or, as Python's str(datetime) writes it and dsub
// sends it, a space) or seconds since the epoch.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const EPOCH_SECONDS = /^(-?)(\d+)(?:\.(\d+))?$/;
/** The range Firestore (and google.protobuf.Timestamp) can hold: 0001-01-01 to 9999-12-31. */
const MIN_TIME_MS = MIN_TIMESTAMP_MS;
const MAX_TIME_MS = MAX_TIMESTAMP_MS;

/** The time floored to a whole millisecond, and whether that was exact. */
interface TimeValue {
  ms: number;
  exact: boolean;
}

function parseTime(value: FilterValue): TimeValue {
  const text = value.kind === 'wildcard' ? '*' : value.text;
  const parsed = parseRfc3339(text, value.position) ?? parseEpochSeconds(text);
  if (parsed && parsed.ms >= MIN_TIME_MS && parsed.ms <= MAX_TIME_MS) return parsed;
  throw filterError(
    parsed
      ? `createTime must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, but was ${JSON.stringify(text)}`
      : 'createTime must be an RFC 3339 timestamp (e.g. 2024-01-02T03:04:05Z or "2024-01-02 03:04:05.123456+00:00") ' +
          `or seconds since the epoch (e.g. 1704164645), but was ${JSON.stringify(text)}`,
    value.position,
  );
}

/** Milliseconds from a fraction of a second's digits, truncated, and whether nothing was dropped. */
function fractionMs(digits = ''): TimeValue {
  return {ms: Number(digits.padEnd(3, '0').slice(0, 3)), exact: /^0*$/.test(digits.slice(3))};
}

function parseRfc3339(text: string, position: number): TimeValue | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  const offsetSign = m[9] === '-' ? -1 : 1;
  const [offsetHours, offsetMinutes] = [Number(m[10] ?? 0), Number(m[11] ?? 0)];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  const valid =
    month >= 1 && month <= 12 && date.getUTCDate() === day && hour <= 23 && minute <= 59 && second <= 59 &&
    offsetHours <= 23 && offsetMinutes <= 59;
  if (!valid) {
    throw filterError(
      `${JSON.stringify(text)} is not a valid date and time (check the month, day, hour, minute and second)`,
      position,
    );
  }
  const fraction = fractionMs(m[7]);
  const local = date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000 + fraction.ms;
  const ms = local - offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
  return {ms, exact: fraction.exact};
}

function parseEpochSeconds(text: string): TimeValue | undefined {
  const m = EPOCH_SECONDS.exec(text);
  if (!m) return undefined;
  const fraction = fractionMs(m[3]);
  const magnitude = Number(m[2]) * 1000 + fraction.ms;
  if (!Number.isSafeInteger(magnitude)) return undefined;
  // Floor, not truncate: -0.0005 s is between -1 ms and 0 ms.
  if (m[1] === '-') return {ms: -magnitude - (fraction.exact ? 0 : 1), exact: fraction.exact};
  return {ms: magnitude, exact: fraction.exact};
}

// ---------------------------------------------------------------------------
// The exact predicate.

function evaluate(p: Predicate, op: FilterableOperation): boolean {
  switch (p.kind) {
    case 'and':
      return p.operands.every(o => evaluate(o, op));
    case 'or':
      return p.operands.some(o => evaluate(o, op));
    case 'not':
      return !evaluate(p.operand, op);
    case 'const':
      return p.value;
    case 'atom':
      return holds(p.atom, op);
  }
}

function holds(a: Atom, op: FilterableOperation): boolean {
  switch (a.kind) {
    case 'state':
      return a.states.has(op.state);
    case 'error':
      // `error` is null while running: no comparison matches, not even !=.
      return isDone(op.state) && op.errorCode !== undefined && a.codes.has(op.errorCode);
    case 'time':
      return withinBounds(op.createTime.getTime(), a.after, a.before);
    case 'event':
      return op.eventTypes.includes(a.type);
    case 'label':
      return Object.hasOwn(op.labels, a.key) && op.labels[a.key] === a.value;
    case 'labelKey':
      return Object.hasOwn(op.labels, a.key);
  }
}

function withinBounds(ms: number, after?: MsBound, before?: MsBound): boolean {
  if (after && (after.inclusive ? ms < after.ms : ms <= after.ms)) return false;
  if (before && (before.inclusive ? ms > before.ms : ms >= before.ms)) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Disjunctive normal form.

/**
 * status, done and error all constrain one thing, the operation's outcome: QUEUED,
 * RUNNING, or done with error code 0..16 (SUCCESS is 0, CANCELED 1, FAILURE 2..16).
 * A set of outcomes is a bitmask: bits 0..16 are the codes, 17 QUEUED, 18 RUNNING.
 */
const ALL_OUTCOMES = (1 << 19) - 1;
const STATE_OUTCOMES: Record<OperationState, number> = {
  SUCCESS: 1 << 0,
  CANCELED: 1 << 1,
  FAILURE: ((1 << 17) - 1) & ~0b11,
  QUEUED: 1 << 17,
  RUNNING: 1 << 18,
};

function outcomesOfStates(states: Iterable<OperationState>): number {
  let mask = 0;
  for (const s of states) mask |= STATE_OUTCOMES[s];
  return mask;
}

function outcomesOfCodes(codes: Iterable<number>): number {
  let mask = 0;
  for (const c of codes) mask |= 1 << c;
  return mask;
}

function codesIn(mask: number): number[] {
  return ALL_CODES.filter(c => mask & (1 << c));
}

/** An events:/labels literal: a positive one may go to array-contains; the rest are checked by `matches`. */
interface ArrayLiteral {
  field: ArrayField;
  value: string;
  label?: {key: string; value?: string};
  /** How a user would write it, for messages. */
  text: string;
  position: number;
}

/** One AND of the DNF. */
interface Conjunction {
  outcomes: number;
  after?: MsBound;
  before?: MsBound;
  /** Sorted by key, no duplicates. */
  positives: ArrayLiteral[];
  negatives: ArrayLiteral[];
}

/** Beyond this many ANDs while expanding, the result could never fit in MAX_DISJUNCTIONS. */
const MAX_DNF_CONJUNCTIONS = 1024;

const TRUE: Conjunction = {outcomes: ALL_OUTCOMES, positives: [], negatives: []};

/** The DNF of `p`, or of NOT p when `negated` (NOTs pushed down by De Morgan). */
function toDnf(p: Predicate, negated: boolean): Conjunction[] {
  switch (p.kind) {
    case 'const':
      return p.value !== negated ? [TRUE] : [];
    case 'not':
      return toDnf(p.operand, !negated);
    case 'atom':
      return atomDnf(p.atom, negated, p.position);
    case 'and':
    case 'or': {
      const parts = p.operands.map(o => toDnf(o, negated));
      return (p.kind === 'and') !== negated ? product(parts) : limited(deduplicate(parts.flat()));
    }
  }
}

function atomDnf(a: Atom, negated: boolean, position: number): Conjunction[] {
  switch (a.kind) {
    case 'state':
    case 'error': {
      const mask = a.kind === 'state' ? outcomesOfStates(a.states) : outcomesOfCodes(a.codes);
      // NOT error = 5 also holds while not done; the complement keeps QUEUED/RUNNING.
      const outcomes = negated ? ALL_OUTCOMES & ~mask : mask;
      return outcomes === 0 ? [] : [{...TRUE, outcomes}];
    }
    case 'time':
      return negated ? complementRange(a.after, a.before) : [{...TRUE, after: a.after, before: a.before}];
    default: {
      const literal = arrayLiteral(a, position);
      return [negated ? {...TRUE, negatives: [literal]} : {...TRUE, positives: [literal]}];
    }
  }
}

/** NOT (after < t < before) = t before `after` OR t after `before`. */
function complementRange(after?: MsBound, before?: MsBound): Conjunction[] {
  const result: Conjunction[] = [];
  if (after) result.push({...TRUE, before: {ms: after.ms, inclusive: !after.inclusive}});
  if (before) result.push({...TRUE, after: {ms: before.ms, inclusive: !before.inclusive}});
  return result;
}

function arrayLiteral(a: Exclude<Atom, {kind: 'state' | 'error' | 'time'}>, position: number): ArrayLiteral {
  const text = atomText(a);
  switch (a.kind) {
    case 'event':
      return {field: 'eventTypes', value: a.type, text, position};
    case 'label':
      return {
        field: 'labelPairs',
        value: labelPair(a.key, a.value),
        label: {key: a.key, value: a.value},
        text,
        position,
      };
    case 'labelKey':
      return {field: 'labelKeys', value: a.key, label: {key: a.key}, text, position};
  }
}

function product(parts: Conjunction[][]): Conjunction[] {
  let result: Conjunction[] = [TRUE];
  for (const part of parts) {
    const next: Conjunction[] = [];
    for (const left of result) {
      for (const right of part) {
        const both = conjoin(left, right);
        if (both) next.push(both);
      }
    }
    result = limited(deduplicate(next));
  }
  return result;
}

function limited(conjunctions: Conjunction[]): Conjunction[] {
  if (conjunctions.length > MAX_DNF_CONJUNCTIONS) {
    throw filterError(
      `the filter expands to more than ${MAX_DNF_CONJUNCTIONS} alternatives when its ORs are multiplied out; ` +
        `an index query allows ${MAX_DISJUNCTIONS}. Factor common conditions out of the ORs, ` +
        'or split it into several requests',
    );
  }
  return conjunctions;
}

function conjunctionKey(c: Conjunction): string {
  return JSON.stringify([c.outcomes, c.after, c.before, c.positives.map(literalKey), c.negatives.map(literalKey)]);
}

function literalKey(l: ArrayLiteral): string {
  return `${l.field} ${l.value}`;
}

function deduplicate(conjunctions: Conjunction[]): Conjunction[] {
  const byKey = new Map<string, Conjunction>();
  for (const c of conjunctions) byKey.set(conjunctionKey(c), c);
  return [...byKey.values()];
}

/** a AND b, or undefined when they contradict. */
function conjoin(a: Conjunction, b: Conjunction): Conjunction | undefined {
  const outcomes = a.outcomes & b.outcomes;
  const after = tighter(a.after, b.after, 1);
  const before = tighter(a.before, b.before, -1);
  if (outcomes === 0 || isEmptyRange(after, before)) return undefined;
  const arrays = simplifyArrays(union(a.positives, b.positives), union(a.negatives, b.negatives));
  return arrays && {outcomes, after, before, ...arrays};
}

function isEmptyRange(after?: MsBound, before?: MsBound): boolean {
  if (!after || !before) return false;
  return after.ms > before.ms || (after.ms === before.ms && !(after.inclusive && before.inclusive));
}

/** The tighter of two bounds: the later lower bound (direction 1) or the earlier upper one (-1). */
function tighter(a: MsBound | undefined, b: MsBound | undefined, direction: 1 | -1): MsBound | undefined {
  if (!a || !b) return a ?? b;
  if (a.ms !== b.ms) return (a.ms - b.ms) * direction > 0 ? a : b;
  return {ms: a.ms, inclusive: a.inclusive && b.inclusive};
}

function union(a: ArrayLiteral[], b: ArrayLiteral[]): ArrayLiteral[] {
  if (b.length === 0) return a;
  const byKey = new Map([...a, ...b].map(l => [literalKey(l), l]));
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, literal]) => literal);
}

/** Drops what the other literals imply; undefined when they contradict. */
function simplifyArrays(
  positives: ArrayLiteral[],
  negatives: ArrayLiteral[],
): Pick<Conjunction, 'positives' | 'negatives'> | undefined {
  const positiveKeys = new Set(positives.map(literalKey));
  if (negatives.some(n => positiveKeys.has(literalKey(n)))) return undefined;
  // A label has one value: labels.k = a AND labels.k = b is false; labels.k = a implies labels:k.
  const valueOf = new Map<string, string>();
  for (const {label} of positives) {
    if (label?.value === undefined) continue;
    if (valueOf.has(label.key) && valueOf.get(label.key) !== label.value) return undefined;
    valueOf.set(label.key, label.value);
  }
  // The key a labels.KEY:* presence test names (undefined for other literals).
  const presenceOf = (l: ArrayLiteral) => (l.field === 'labelKeys' ? l.label?.key : undefined);
  const valued = (l: ArrayLiteral) => {
    const key = presenceOf(l);
    return key !== undefined && valueOf.has(key);
  };
  if (negatives.some(valued)) return undefined;
  const absentKeys = new Set(negatives.map(presenceOf).filter((k): k is string => k !== undefined));
  return {
    positives: positives.filter(p => !valued(p)),
    negatives: negatives.filter(n => {
      if (n.field !== 'labelPairs' || !n.label) return true;
      const {key, value} = n.label;
      const implied = (valueOf.has(key) && valueOf.get(key) !== value) || absentKeys.has(key);
      return !implied;
    }),
  };
}

// ---------------------------------------------------------------------------
// From DNF to index queries.

/** The part of conjunctions one index query serves; conjunctions with the same array/time part merge. */
interface IndexGroup {
  outcomes: number;
  arrayContains?: ArrayLiteral;
  after?: MsBound;
  before?: MsBound;
  /** Outcomes of the members the index serves exactly. */
  exactOutcomes: number;
  /** Members with conditions the index doesn't check, and the first such condition of each. */
  inexact: Array<{outcomes: number; condition: ArrayLiteral}>;
}

/** A condition `matches` must check, unless exact members already select everything its member could. */
function residualOf(g: IndexGroup): ArrayLiteral | undefined {
  return g.inexact.find(m => (m.outcomes & ~g.exactOutcomes) !== 0)?.condition;
}

function emit(conjunctions: Conjunction[]): {disjuncts: IndexedConjunct[]; needsResidualCheck: boolean} {
  const groups = groupByIndexPart(conjunctions);
  for (const g of groups) {
    if (g.outcomes !== ALL_OUTCOMES || g.arrayContains || g.after || g.before) continue;
    // Every operation may match (an exact TRUE), or only a condition no index serves
    // decides (NOT labels.k = v alone): then list reads in createTime order and checks it
    // on each document, pageSize + 1 documents a page, a page possibly holding fewer.
    return {disjuncts: [{equalities: []}], needsResidualCheck: residualOf(g) !== undefined};
  }
  const disjuncts = groups.flatMap(toIndexedConjuncts);
  const count = disjuncts.reduce((sum, d) => sum + d.equalities.reduce((n, e) => n * e.values.length, 1), 0);
  if (count > MAX_DISJUNCTIONS) {
    throw filterError(
      `the filter expands to ${count} index disjunctions (each OR alternative and each value of a status/error ` +
        `set counts as one); the limit is ${MAX_DISJUNCTIONS}. Narrow it: use done or status instead of ` +
        'many error codes, factor common conditions out of ORs, or split it into several requests',
    );
  }
  return {disjuncts, needsResidualCheck: groups.some(g => residualOf(g) !== undefined)};
}

/** labelPairs first (most selective), then eventTypes, then labelKeys. */
function chooseArrayContains(positives: ArrayLiteral[]): ArrayLiteral | undefined {
  const rank = (l: ArrayLiteral) => ARRAY_FIELDS.indexOf(l.field);
  return [...positives].sort((a, b) => rank(a) - rank(b))[0];
}

function groupByIndexPart(conjunctions: Conjunction[]): IndexGroup[] {
  const groups = new Map<string, IndexGroup>();
  for (const c of conjunctions) {
    const arrayContains = chooseArrayContains(c.positives);
    const key = JSON.stringify([arrayContains && literalKey(arrayContains), c.after, c.before]);
    let group = groups.get(key);
    if (!group) {
      group = {outcomes: 0, arrayContains, after: c.after, before: c.before, exactOutcomes: 0, inexact: []};
      groups.set(key, group);
    }
    group.outcomes |= c.outcomes;
    const unchecked = c.negatives[0] ?? c.positives.find(p => p !== arrayContains);
    if (unchecked) group.inexact.push({outcomes: c.outcomes, condition: unchecked});
    else group.exactOutcomes |= c.outcomes;
  }
  return [...groups.values()];
}


function toIndexedConjuncts(g: IndexGroup): IndexedConjunct[] {
  return equalitiesFor(g.outcomes).map(equalities => {
    const c: IndexedConjunct = {equalities};
    if (g.arrayContains) c.arrayContains = {field: g.arrayContains.field, value: g.arrayContains.value};
    if (g.after) c.createTimeAfter = {time: new Date(g.after.ms), inclusive: g.after.inclusive};
    if (g.before) c.createTimeBefore = {time: new Date(g.before.ms), inclusive: g.before.inclusive};
    return c;
  });
}

/**
 * The equality filters selecting exactly `outcomes`, as one or two alternatives.
 * Whole states are cheapest (FAILURE is one value, not fifteen codes); error codes
 * are used only for part of FAILURE, and need a second query if not-done states are wanted too.
 */
function equalitiesFor(outcomes: number): IndexedConjunct['equalities'][] {
  if (outcomes === ALL_OUTCOMES) return [[]];
  const states = OPERATION_STATES.filter(s => (outcomes & STATE_OUTCOMES[s]) === STATE_OUTCOMES[s]).sort();
  const partialCodes = outcomes & ~outcomesOfStates(states);
  const byState = {field: 'state' as const, values: states};
  if (partialCodes === 0) return [[byState]];
  if (!states.some(s => !isDone(s))) return [[{field: 'errorCode', values: codesIn(outcomes)}]];
  return [[byState], [{field: 'errorCode', values: codesIn(partialCodes)}]];
}

// ---------------------------------------------------------------------------
// Canonical text, to bind page tokens to the filter's meaning rather than its spelling.

function canonicalText(p: Predicate): string {
  switch (p.kind) {
    case 'const':
      return String(p.value);
    case 'atom':
      return atomText(p.atom);
    case 'not': {
      const operand = wrap(p.operand);
      return operand === 'true' || operand === 'false' ? String(operand === 'false') : `NOT ${operand}`;
    }
    case 'and':
    case 'or': {
      // true/false (from projectId) absorb or vanish, as in the plan.
      const absorbing = String(p.kind === 'or');
      const parts = new Set(flatten(p.kind, p).map(wrap));
      if (parts.has(absorbing)) return absorbing;
      parts.delete(String(p.kind === 'and'));
      if (parts.size === 0) return String(p.kind === 'and');
      return [...parts].sort().join(p.kind === 'and' ? ' AND ' : ' OR ');
    }
  }
}

function wrap(p: Predicate): string {
  const text = canonicalText(p);
  return p.kind === 'and' || p.kind === 'or' ? `(${text})` : text;
}

function flatten(kind: 'and' | 'or', p: Predicate): Predicate[] {
  return p.kind === kind ? p.operands.flatMap(o => flatten(kind, o)) : [p];
}

function atomText(a: Atom): string {
  switch (a.kind) {
    case 'state':
      return `status in [${OPERATION_STATES.filter(s => a.states.has(s)).join(',')}]`;
    case 'error':
      return `error in [${[...a.codes].sort((x, y) => x - y).join(',')}]`;
    case 'time':
      return timeText(a.after, a.before);
    case 'event':
      return `events:${a.type}`;
    case 'label':
      return `labels.${formatFieldPath([a.key])} = ${JSON.stringify(a.value)}`;
    case 'labelKey':
      return `labels:${formatFieldPath([a.key])}`;
  }
}

function timeText(after?: MsBound, before?: MsBound): string {
  const iso = (b: MsBound) => new Date(b.ms).toISOString();
  if (after && before && after.ms === before.ms) return `createTime = ${iso(after)}`;
  const parts: string[] = [];
  if (after) parts.push(`createTime ${after.inclusive ? '>=' : '>'} ${iso(after)}`);
  if (before) parts.push(`createTime ${before.inclusive ? '<=' : '<'} ${iso(before)}`);
  return parts.join(' AND ');
}
