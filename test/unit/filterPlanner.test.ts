import {strict as assert} from 'assert';
import {GafferError, codeName} from '../../src/core/errors';
import {
  IndexedConjunct,
  MAX_DISJUNCTIONS,
  OperationQueryPlan,
  allIndexShapes,
  labelPair,
  planOperationQuery,
  shapeOf,
} from '../../src/core/filter';
import {FilterableOperation, OPERATION_STATES, OperationState, isDone} from '../../src/core/model';

const PROJECT = 'my-project';
/** 2024-01-02T03:04:05Z */
const T0_SECONDS = 1704164645;
const T0 = T0_SECONDS * 1000;

const plan = (filter: string): OperationQueryPlan => planOperationQuery(filter, PROJECT);

function op(fields: Partial<FilterableOperation> = {}): FilterableOperation {
  return {state: 'RUNNING', createTime: new Date(T0), labels: {}, eventTypes: [], ...fields};
}

const done = (state: OperationState, errorCode: number, rest: Partial<FilterableOperation> = {}) =>
  op({state, errorCode, ...rest});

/** The indexed fields of the stored document of an operation. */
interface StoredFields {
  location?: string;
  state: string;
  errorCode?: number;
  createTime: number;
  eventTypes: string[];
  labelPairs: string[];
  labelKeys: string[];
}

function stored(o: FilterableOperation): StoredFields {
  return {
    state: o.state,
    ...(o.errorCode === undefined ? {} : {errorCode: o.errorCode}),
    createTime: o.createTime.getTime(),
    eventTypes: [...o.eventTypes],
    labelPairs: Object.entries(o.labels).map(([k, v]) => labelPair(k, v)),
    labelKeys: Object.keys(o.labels),
  };
}

/** What Firestore does with one conjunct on a stored document. */
function selects(c: IndexedConjunct, doc: StoredFields): boolean {
  for (const {field, values} of c.equalities) {
    const value = doc[field];
    if (value === undefined || !values.includes(value)) return false;
  }
  if (c.arrayContains && !doc[c.arrayContains.field].includes(c.arrayContains.value)) return false;
  const t = doc.createTime;
  const low = c.createTimeAfter;
  const high = c.createTimeBefore;
  if (low && (low.inclusive ? t < low.time.getTime() : t <= low.time.getTime())) return false;
  if (high && (high.inclusive ? t > high.time.getTime() : t >= high.time.getTime())) return false;
  return true;
}

const selectedByIndex = (p: OperationQueryPlan, doc: StoredFields) => p.disjuncts.some(c => selects(c, doc));

/** The contract's promises about the shape of a plan. */
function assertWellFormed(p: OperationQueryPlan): void {
  const shapes = allIndexShapes().map(s => JSON.stringify(s));
  let disjunctions = 0;
  for (const c of p.disjuncts) {
    const fields = c.equalities.map(e => e.field);
    assert.deepEqual(fields, [...new Set(fields)].sort(), 'one entry per field, sorted');
    for (const {values} of c.equalities) {
      assert.ok(values.length >= 1);
      const sorted = [...new Set(values)].sort((a, b) =>
        typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
      );
      assert.deepEqual(values, sorted, 'values sorted and deduplicated');
    }
    assert.ok(shapes.includes(JSON.stringify(shapeOf(c))), `shape ${JSON.stringify(shapeOf(c))} is listed`);
    disjunctions += c.equalities.reduce((n, e) => n * e.values.length, 1);
  }
  assert.ok(disjunctions <= MAX_DISJUNCTIONS);
}

function refusal(filter: string, projectId = PROJECT): GafferError {
  try {
    planOperationQuery(filter, projectId);
  } catch (e) {
    assert.ok(e instanceof GafferError, String(e));
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.equal(e.reason, 'INVALID_FILTER');
    return e;
  }
  assert.fail(`expected ${JSON.stringify(filter)} to be refused`);
}

function assertRefused(filter: string, message: RegExp): void {
  assert.match(refusal(filter).message, message);
}

const EVERYTHING: IndexedConjunct[] = [{equalities: []}];
const states = (...values: OperationState[]): IndexedConjunct => ({equalities: [{field: 'state', values: values.sort()}]});
const codes = (...values: number[]): IndexedConjunct => ({equalities: [{field: 'errorCode', values}]});
const after = (ms: number, inclusive: boolean) => ({time: new Date(ms), inclusive});
const before = after;

describe('planOperationQuery', () => {
  it('selects everything, exactly, for an empty or blank filter', () => {
    for (const filter of ['', '   ', '\n\t']) {
      const p = plan(filter);
      assert.deepEqual(p.disjuncts, EVERYTHING);
      assert.equal(p.needsResidualCheck, false);
      assert.equal(p.matches(op()), true);
      assert.equal(p.canonical, '');
    }
  });

  it('reads createTime as real clients write it: dsub sends Python\'s str(datetime), with a space and a local offset', () => {
    const at = Date.UTC(2026, 10, 30, 0, 28, 57, 578);
    // Microseconds past a millisecond: >= then means after that millisecond.
    for (const [text, inclusive] of [
      ['"2026-11-30 00:28:57.578085+00:00"', false],
      ['"2026-11-29 16:28:57.578085-08:00"', false],
      ['2026-11-30T00:28:57.578Z', true],
      ['"2026-11-30 01:28:57.578+01:00"', true],
    ] as const) {
      assert.deepEqual(plan(`(done = false) AND (createTime >= ${text})`).disjuncts, [{...states('QUEUED', 'RUNNING'), createTimeAfter: after(at, inclusive)}], text);
    }
    assert.deepEqual(plan('createTime >= "2023-11-14 22:13:20+00:00"').disjuncts, [{equalities: [], createTimeAfter: after(1_700_000_000_000, true)}]);
  });

  it('refuses createTime values outside what a timestamp can hold (never a 500)', () => {
    for (const text of ['253402300800', '"0000-01-01T00:00:00Z"', '-62135596801']) {
      assert.match(refusal(`createTime > ${text}`).message, /createTime must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z/, text);
    }
  });

  it('plans the examples from the v2alpha1 documentation', () => {
    assert.deepEqual(plan('projectId = my-project AND createTime >= 1432140000').disjuncts, [
      {equalities: [], createTimeAfter: after(1432140000_000, true)},
    ]);
    assert.deepEqual(
      plan('projectId = my-project AND createTime >= 1432140000 AND createTime <= 1432150000 AND status = RUNNING')
        .disjuncts,
      [{...states('RUNNING'), createTimeAfter: after(1432140000_000, true), createTimeBefore: before(1432150000_000, true)}],
    );
    assert.deepEqual(plan('projectId = my-project AND labels.color = *').disjuncts, [
      {equalities: [], arrayContains: {field: 'labelKeys', value: 'color'}},
    ]);
    assert.deepEqual(plan('projectId = my-project AND labels.color = red').disjuncts, [
      {equalities: [], arrayContains: {field: 'labelPairs', value: labelPair('color', 'red')}},
    ]);
  });

  describe('createTime', () => {
    it('turns each comparator into a bound', () => {
      assert.deepEqual(plan(`createTime > ${T0_SECONDS}`).disjuncts, [{equalities: [], createTimeAfter: after(T0, false)}]);
      assert.deepEqual(plan(`createTime >= ${T0_SECONDS}`).disjuncts, [{equalities: [], createTimeAfter: after(T0, true)}]);
      assert.deepEqual(plan(`createTime < ${T0_SECONDS}`).disjuncts, [{equalities: [], createTimeBefore: before(T0, false)}]);
      assert.deepEqual(plan(`createTime <= ${T0_SECONDS}`).disjuncts, [{equalities: [], createTimeBefore: before(T0, true)}]);
    });

    it('reads RFC 3339 (quoted or not, any offset) and epoch seconds as the same time', () => {
      const expected = plan(`createTime >= ${T0_SECONDS}`);
      for (const value of [
        '2024-01-02T03:04:05Z',
        '2024-01-02t03:04:05z',
        '2024-01-02T03:04:05.000Z',
        '2024-01-02T04:04:05+01:00',
        '2024-01-01T21:34:05-05:30',
        '"2024-01-02T03:04:05Z"',
        "'2024-01-02T03:04:05Z'",
        `"${T0_SECONDS}"`,
        `${T0_SECONDS}.000`,
      ]) {
        const p = plan(`createTime >= ${value}`);
        assert.deepEqual(p.disjuncts, expected.disjuncts, value);
        assert.equal(p.canonical, expected.canonical, value);
      }
    });

    it('keeps milliseconds and rounds finer fractions without changing the meaning', () => {
      assert.deepEqual(plan('createTime > 2024-01-02T03:04:05.123Z').disjuncts[0]?.createTimeAfter, after(T0 + 123, false));
      assert.deepEqual(plan(`createTime > ${T0_SECONDS}.25`).disjuncts[0]?.createTimeAfter, after(T0 + 250, false));
      // Stored times are whole milliseconds: t >= 5.0005 s is t > 5.000 s, and t < 5.0005 s is t <= 5.000 s.
      assert.deepEqual(plan('createTime >= 5.0005').disjuncts[0]?.createTimeAfter, after(5000, false));
      assert.deepEqual(plan('createTime < 2024-01-02T03:04:05.0005Z').disjuncts[0]?.createTimeBefore, before(T0, true));
      assert.deepEqual(plan('createTime > -1.5').disjuncts[0]?.createTimeAfter, after(-1500, false));
      assert.deepEqual(plan('createTime <= -0.0005').disjuncts[0]?.createTimeBefore, before(-1, true));
      const p = plan('createTime >= 5.0005');
      assert.equal(p.matches(op({createTime: new Date(5000)})), false);
      assert.equal(p.matches(op({createTime: new Date(5001)})), true);
    });

    it('reads = as an exact time, and a time between milliseconds as matching nothing', () => {
      const p = plan(`createTime = ${T0_SECONDS}`);
      assert.deepEqual(p.disjuncts, [{equalities: [], createTimeAfter: after(T0, true), createTimeBefore: before(T0, true)}]);
      assert.equal(p.matches(op({createTime: new Date(T0)})), true);
      assert.equal(p.matches(op({createTime: new Date(T0 + 1)})), false);
      assert.deepEqual(plan('createTime = 2024-01-02T03:04:05.0001Z').disjuncts, []);
      assert.deepEqual(plan('createTime != 2024-01-02T03:04:05.0001Z').disjuncts, EVERYTHING);
    });

    it('serves != as two ranges', () => {
      const p = plan(`createTime != ${T0_SECONDS}`);
      assert.deepEqual(p.disjuncts, [
        {equalities: [], createTimeBefore: before(T0, false)},
        {equalities: [], createTimeAfter: after(T0, false)},
      ]);
      assert.equal(p.needsResidualCheck, false);
      assert.equal(p.matches(op({createTime: new Date(T0)})), false);
      assert.equal(p.matches(op({createTime: new Date(T0 - 1)})), true);
    });

    it('keeps the tightest bounds, and matches nothing for an empty range', () => {
      assert.deepEqual(plan('createTime > 10 createTime >= 20 createTime < 40 createTime <= 30').disjuncts, [
        {equalities: [], createTimeAfter: after(20_000, true), createTimeBefore: before(30_000, true)},
      ]);
      assert.deepEqual(plan('createTime >= 20 AND createTime > 20').disjuncts[0]?.createTimeAfter, after(20_000, false));
      assert.deepEqual(plan('createTime > 30 AND createTime < 20').disjuncts, []);
      assert.deepEqual(plan('createTime > 20 AND createTime <= 20').disjuncts, []);
      assert.equal(plan('createTime >= 20 AND createTime <= 20').disjuncts.length, 1);
    });

    it('flips the bound under NOT', () => {
      assert.deepEqual(plan('NOT createTime > 20').disjuncts, [{equalities: [], createTimeBefore: before(20_000, true)}]);
      assert.deepEqual(plan('-createTime <= 20').disjuncts, [{equalities: [], createTimeAfter: after(20_000, false)}]);
    });

    it('refuses values that are not times', () => {
      assertRefused('createTime > yesterday', /column 14: createTime must be an RFC 3339 timestamp .* or seconds since the epoch .*"yesterday"/);
      assertRefused('createTime > 2024-13-01T00:00:00Z', /not a valid date and time/);
      assertRefused('createTime > 2024-02-30T00:00:00Z', /not a valid date and time/);
      assertRefused('createTime > 2024-01-01T24:00:00Z', /not a valid date and time/);
      assertRefused('createTime > 99999999999999999', /createTime must be/);
      assertRefused('createTime = *', /createTime must be/);
      assertRefused('createTime : 5', /createTime supports only '=' '!=' '<' '<=' '>' '>=', not ':'/);
      assertRefused('createTime.seconds > 5', /createTime\.seconds is not a field/);
    });
  });

  describe('done and status', () => {
    it('maps done to the done or not-done states', () => {
      assert.deepEqual(plan('done = true').disjuncts, [states('SUCCESS', 'FAILURE', 'CANCELED')]);
      assert.deepEqual(plan('done != false').disjuncts, [states('SUCCESS', 'FAILURE', 'CANCELED')]);
      assert.deepEqual(plan('done = false').disjuncts, [states('QUEUED', 'RUNNING')]);
      assert.deepEqual(plan('done != TRUE').disjuncts, [states('QUEUED', 'RUNNING')]);
    });

    it('maps status to a state, and != to the other four', () => {
      for (const s of OPERATION_STATES) {
        assert.deepEqual(plan(`status = ${s}`).disjuncts, [states(s)]);
        assert.deepEqual(plan(`status != ${s}`).disjuncts, [states(...OPERATION_STATES.filter(x => x !== s))]);
      }
      assert.deepEqual(plan('status = running').disjuncts, [states('RUNNING')]);
      assert.deepEqual(plan('status = "QUEUED"').disjuncts, [states('QUEUED')]);
    });

    it('intersects state conditions and merges alternatives', () => {
      assert.deepEqual(plan('done = true AND status = RUNNING').disjuncts, []);
      assert.deepEqual(plan('done = true status != FAILURE').disjuncts, [states('SUCCESS', 'CANCELED')]);
      assert.deepEqual(plan('status = SUCCESS OR done = false').disjuncts, [states('SUCCESS', 'QUEUED', 'RUNNING')]);
      assert.deepEqual(plan('done = true OR done = false').disjuncts, EVERYTHING);
    });

    it('refuses other values and comparators', () => {
      assertRefused('done = maybe', /column 8: done must be true or false, but was "maybe"/);
      assertRefused('done = *', /done must be true or false/);
      assertRefused('done > true', /done supports only '=' '!=', not '>'/);
      assertRefused('status = PENDING', /status must be one of QUEUED, RUNNING, SUCCESS, FAILURE, CANCELED, but was "PENDING"/);
      assertRefused('status:RUNNING', /status supports only '=' '!=', not ':'/);
    });
  });

  describe('error', () => {
    it('reduces codes that cover whole states to states', () => {
      assert.deepEqual(plan('error = 0').disjuncts, [states('SUCCESS')]);
      assert.deepEqual(plan('error = OK').disjuncts, [states('SUCCESS')]);
      assert.deepEqual(plan('error = CANCELLED').disjuncts, [states('CANCELED')]);
      assert.deepEqual(plan('error != 0').disjuncts, [states('CANCELED', 'FAILURE')]);
      assert.deepEqual(plan('error > 1').disjuncts, [states('FAILURE')]);
      assert.deepEqual(plan('error >= 0').disjuncts, [states('SUCCESS', 'FAILURE', 'CANCELED')]);
    });

    it('uses errorCode for part of FAILURE', () => {
      assert.deepEqual(plan('error = 5').disjuncts, [codes(5)]);
      assert.deepEqual(plan('error = not_found').disjuncts, [codes(5)]);
      assert.deepEqual(plan('error >= 2 AND error <= 4').disjuncts, [codes(2, 3, 4)]);
      assert.deepEqual(plan('error < 3').disjuncts, [codes(0, 1, 2)]);
      assert.deepEqual(plan('error = 5 OR error = UNAUTHENTICATED').disjuncts, [codes(5, 16)]);
      assert.deepEqual(plan('status = FAILURE AND error != 5').disjuncts, [codes(2, 3, 4, ...range(6, 16))]);
    });

    it('matches no comparison, not even !=, while the operation runs', () => {
      const running = op({state: 'RUNNING'});
      for (const filter of ['error = 5', 'error != 5', 'error >= 0', 'error <= 16']) {
        assert.equal(plan(filter).matches(running), false, filter);
        assert.equal(selectedByIndex(plan(filter), stored(running)), false, filter);
      }
      assert.equal(plan('error != 5').matches(done('FAILURE', 3)), true);
      assert.equal(plan('error != 5').matches(done('FAILURE', 5)), false);
    });

    it('lets NOT error = N match unfinished operations', () => {
      const p = plan('NOT error = 5');
      assert.equal(p.matches(op({state: 'QUEUED'})), true);
      assert.equal(p.matches(done('FAILURE', 5)), false);
      assert.deepEqual(p.disjuncts, [states('QUEUED', 'RUNNING', 'SUCCESS', 'CANCELED'), codes(2, 3, 4, ...range(6, 16))]);
      assert.equal(p.needsResidualCheck, false);
    });

    it('drops codes that contradict the state', () => {
      assert.deepEqual(plan('status = SUCCESS AND error = 5').disjuncts, []);
      assert.deepEqual(plan('done = false AND error != 5').disjuncts, []);
      assert.deepEqual(plan('status = CANCELED AND error <= 3').disjuncts, [states('CANCELED')]);
    });

    it('refuses codes outside google.rpc.Code', () => {
      assertRefused('error = 17', /column 9: error must be a google.rpc code number 0-16 or name \(OK, CANCELLED, .*UNAUTHENTICATED\), but was "17"/);
      assertRefused('error = BOGUS', /error must be a google.rpc code/);
      assertRefused('error = -1', /error must be a google.rpc code/);
      assertRefused('error = *', /error must be a google.rpc code/);
      assertRefused('error:5', /error supports only '=' '!=' '<' '<=' '>' '>=', not ':'/);
    });
  });

  describe('events', () => {
    const failed = {equalities: [], arrayContains: {field: 'eventTypes' as const, value: 'FailedEvent'}};

    it('serves events:NAME and events = NAME with array-contains', () => {
      for (const filter of [
        'events:FailedEvent',
        'events = FailedEvent',
        'events:"FailedEvent"',
        'events:google.genomics.v2alpha1.FailedEvent',
        'events:type.googleapis.com/google.genomics.v2alpha1.FailedEvent',
        'events:"type.googleapis.com/google.genomics.v2alpha1.FailedEvent"',
        'events:failedevent',
      ]) {
        const p = plan(filter);
        assert.deepEqual(p.disjuncts, [failed], filter);
        assert.equal(p.needsResidualCheck, false);
        assert.equal(p.canonical, 'events:FailedEvent');
      }
      assert.equal(plan('events:FailedEvent').matches(op({eventTypes: ['DelayedEvent', 'FailedEvent']})), true);
      assert.equal(plan('events:FailedEvent').matches(op({eventTypes: ['DelayedEvent']})), false);
    });

    it('refuses unknown events, listing the known ones', () => {
      assertRefused('events:Exploded', /column 8: unknown event "Exploded"; the events are DelayedEvent, .*FailedEvent/);
      assertRefused('events:*', /events needs an event name/);
      assertRefused('events != FailedEvent', /events supports ':' \(has\) and '=' only.*NOT events:NAME/);
    });
  });

  describe('labels', () => {
    const pair = (k: string, v: string) => ({equalities: [], arrayContains: {field: 'labelPairs' as const, value: labelPair(k, v)}});
    const key = (k: string) => ({equalities: [], arrayContains: {field: 'labelKeys' as const, value: k}});

    it('serves labels.KEY = VALUE and labels.KEY:VALUE with labelPairs', () => {
      assert.deepEqual(plan('labels.color = red').disjuncts, [pair('color', 'red')]);
      assert.deepEqual(plan('labels.color:red').disjuncts, [pair('color', 'red')]);
      assert.deepEqual(plan('labels."key with space" = "a \\"b\\""').disjuncts, [pair('key with space', 'a "b"')]);
      assert.deepEqual(plan("labels.'k' = 'v'").disjuncts, [pair('k', 'v')]);
      assert.deepEqual(plan('labels.star = "*"').disjuncts, [pair('star', '*')], 'a quoted * is a literal');
    });

    it('serves key presence with labelKeys', () => {
      for (const filter of ['labels.color = *', 'labels.color:*', 'labels:color', 'labels:"color"']) {
        assert.deepEqual(plan(filter).disjuncts, [key('color')], filter);
      }
      assert.equal(plan('labels:color').matches(op({labels: {color: ''}})), true);
      assert.equal(plan('labels:color').matches(op({labels: {}})), false);
      assert.equal(plan('labels:toString').matches(op({labels: {}})), false, 'only own keys count');
    });

    it('reads != as NOT =: true when the label is absent or different', () => {
      const p = plan('done = true AND labels.color != red');
      assert.deepEqual(p.disjuncts, [states('SUCCESS', 'FAILURE', 'CANCELED')]);
      assert.equal(p.needsResidualCheck, true);
      assert.equal(p.matches(done('SUCCESS', 0, {labels: {}})), true);
      assert.equal(p.matches(done('SUCCESS', 0, {labels: {color: 'blue'}})), true);
      assert.equal(p.matches(done('SUCCESS', 0, {labels: {color: 'red'}})), false);
      assert.equal(plan('done = true AND labels.color != *').matches(done('SUCCESS', 0, {labels: {color: 'red'}})), false);
    });

    it('folds what one label condition says about another', () => {
      assert.deepEqual(plan('labels.a = x AND labels.a = y').disjuncts, []);
      assert.deepEqual(plan('labels.a = x AND NOT labels:a').disjuncts, []);
      assert.deepEqual(plan('labels.a = x AND NOT labels.a = x').disjuncts, []);
      for (const implied of ['labels.a = x AND labels:a', 'labels.a = x AND labels.a != y']) {
        const p = plan(implied);
        assert.deepEqual(p.disjuncts, [pair('a', 'x')], implied);
        assert.equal(p.needsResidualCheck, false, implied);
      }
    });

    it('refuses malformed label conditions', () => {
      assertRefused('labels = x', /labels needs a key: write labels\.KEY = VALUE, or labels:KEY/);
      assertRefused('labels:*', /labels:\* is not supported; name a key/);
      assertRefused('labels.a.b = x', /labels\.a\.b has too many parts; quote a label key that contains dots/);
      assertRefused('labels."" = x', /a label key must not be empty/);
      assertRefused('labels.a < x', /labels\.KEY supports only '=' '!=' ':', not '<'/);
    });
  });

  describe('projectId', () => {
    it('folds to true or false against the project of the request', () => {
      assert.deepEqual(plan('projectId = my-project').disjuncts, EVERYTHING);
      assert.deepEqual(plan('projectId = "my-project"').disjuncts, EVERYTHING);
      assert.deepEqual(plan('projectId = other').disjuncts, []);
      assert.deepEqual(plan('projectId != other').disjuncts, EVERYTHING);
      assert.deepEqual(plan('projectId != my-project').disjuncts, []);
      assert.deepEqual(plan('projectId = other OR done = false').disjuncts, [states('QUEUED', 'RUNNING')]);
      assert.equal(plan('projectId = other').matches(op()), false);
      assert.deepEqual(planOperationQuery('projectId = "example.com:p"', 'example.com:p').disjuncts, EVERYTHING);
    });

    it('refuses a wildcard or an ordering', () => {
      assertRefused('projectId = *', /projectId must be compared with a project ID/);
      assertRefused('projectId > a', /projectId supports only '=' '!='/);
    });
  });

  it('refuses createTime values Firestore can\'t hold: before year 1, after 9999, or a leap second', () => {
    for (const filter of ['createTime > 253402300800', 'createTime < "0000-01-01T00:00:00Z"', 'createTime >= -62135596801', 'createTime > "9999-12-31T23:59:60Z"']) {
      assert.throws(() => planOperationQuery(filter, 'p'), (err: GafferError) => err.code === 'INVALID_ARGUMENT', filter);
    }
    for (const filter of ['createTime > 253402300799', 'createTime >= "0001-01-01T00:00:00Z"', 'createTime >= -62135596800']) {
      assert.doesNotThrow(() => planOperationQuery(filter, 'p'), filter);
    }
  });

  it('refuses unknown fields, listing the supported ones', () => {
    assertRefused(
      'done = true AND owner = me',
      /column 17: unknown field "owner"; the supported fields are createTime, done, error, events, labels\.KEY, projectId, status/,
    );
    assertRefused('metadata.labels.a = b', /unknown field "metadata\.labels\.a"/);
    assertRefused('done.value = true', /done\.value is not a field: done has no sub-fields/);
    // Even in a branch that folds away, a mistake is reported.
    assertRefused('projectId = other AND colour = red', /unknown field "colour"/);
  });

  describe('NOT and precedence', () => {
    it('pushes NOT through AND and OR (De Morgan)', () => {
      assert.deepEqual(plan('NOT (done = true OR status = QUEUED)').disjuncts, [states('RUNNING')]);
      assert.deepEqual(plan(`NOT (status = RUNNING AND createTime > ${T0_SECONDS})`).disjuncts, [
        states('QUEUED', 'SUCCESS', 'FAILURE', 'CANCELED'),
        {equalities: [], createTimeBefore: before(T0, true)},
      ]);
      assert.deepEqual(plan('NOT NOT status = QUEUED').disjuncts, [states('QUEUED')]);
      assert.deepEqual(plan('-(done = true)').disjuncts, plan('NOT (done = true)').disjuncts);
    });

    it('reads a AND b OR c as a AND (b OR c)', () => {
      // RUNNING AND (not done OR error 5) = RUNNING; (RUNNING AND not done) OR error 5 is more.
      assert.deepEqual(plan('status = RUNNING AND done = false OR error = 5').disjuncts, [states('RUNNING')]);
      assert.deepEqual(plan('status = RUNNING done = false OR error = 5').disjuncts, [states('RUNNING')]);
      assert.deepEqual(plan('(status = RUNNING AND done = false) OR error = 5').disjuncts, [states('RUNNING'), codes(5)]);
    });

    it('joins juxtaposed conditions with AND', () => {
      assert.deepEqual(plan(`status = RUNNING labels.a = x createTime < ${T0_SECONDS}`).disjuncts, [
        {...states('RUNNING'), arrayContains: {field: 'labelPairs', value: labelPair('a', 'x')}, createTimeBefore: before(T0, false)},
      ]);
    });
  });

  describe('array-contains and residual conditions', () => {
    it('prefers labelPairs, then eventTypes, then labelKeys; the rest are residual', () => {
      const p = plan('labels:b AND events:FailedEvent AND labels.a = x');
      assert.deepEqual(p.disjuncts, [{equalities: [], arrayContains: {field: 'labelPairs', value: labelPair('a', 'x')}}]);
      assert.equal(p.needsResidualCheck, true);
      assert.deepEqual(plan('labels:b events:DelayedEvent').disjuncts[0]?.arrayContains, {field: 'eventTypes', value: 'DelayedEvent'});
      assert.equal(p.matches(op({labels: {a: 'x', b: ''}, eventTypes: ['FailedEvent']})), true);
      assert.equal(p.matches(op({labels: {a: 'x'}, eventTypes: ['FailedEvent']})), false);
    });

    it('checks negated array conditions after an indexed one', () => {
      const p = plan('done = true AND NOT events:FailedEvent');
      assert.deepEqual(p.disjuncts, [states('SUCCESS', 'FAILURE', 'CANCELED')]);
      assert.equal(p.needsResidualCheck, true);
      assert.equal(p.matches(done('FAILURE', 9, {eventTypes: ['FailedEvent']})), false);
      assert.equal(p.matches(done('FAILURE', 9)), true);
    });

    it('drops a residual alternative that exact alternatives already cover', () => {
      const p = plan('done = true OR done = false OR (NOT events:FailedEvent AND status = RUNNING)');
      assert.deepEqual(p.disjuncts, EVERYTHING);
      assert.equal(p.needsResidualCheck, false);
      const q = plan('status = RUNNING OR (status = RUNNING AND labels.a != x) OR status = QUEUED');
      assert.deepEqual(q.disjuncts, [states('QUEUED', 'RUNNING')]);
      assert.equal(q.needsResidualCheck, false);
    });

    it('serves a residual condition with nothing indexed beside it by reading in createTime order and checking each document', () => {
      const op = (labels: Record<string, string>, eventTypes: string[] = []) => ({
        state: 'SUCCESS' as const,
        errorCode: 0,
        createTime: new Date(),
        labels,
        eventTypes,
      });
      for (const [filter, kept, dropped] of [
        ['NOT events:FailedEvent', op({}), op({}, ['FailedEvent'])],
        ['labels.color != red', op({color: 'blue'}), op({color: 'red'})],
        ['-labels:color', op({}), op({color: 'red'})],
        ['done = true OR NOT events:FailedEvent', op({}), {...op({}, ['FailedEvent']), state: 'RUNNING' as const, errorCode: undefined}],
        // Each alternative is indexed, but together they cover every state.
        ['NOT events:FailedEvent AND (done = true OR done = false)', op({}), op({}, ['FailedEvent'])],
      ] as const) {
        const p = plan(filter);
        assert.deepEqual(p.disjuncts, EVERYTHING, filter);
        assert.equal(p.needsResidualCheck, true, filter);
        assert.equal(p.matches(kept), true, filter);
        assert.equal(p.matches(dropped), false, filter);
      }
    });
  });

  describe('the disjunction limit', () => {
    // error > 2 is 14 codes: an `in` of 14 values.
    const branch = (i: number) => `(error > 2 AND labels.k = v${i})`;
    const runningBranch = (i: number) => `(status = RUNNING AND labels.k = r${i})`;

    it(`accepts ${MAX_DISJUNCTIONS} disjunctions`, () => {
      const p = plan([branch(1), branch(2), runningBranch(1), runningBranch(2)].join(' OR '));
      assert.equal(p.disjuncts.length, 4);
      assertWellFormed(p);
    });

    it('refuses more, saying by how much and how to narrow it', () => {
      assertRefused(
        [branch(1), branch(2), runningBranch(1), runningBranch(2), runningBranch(3)].join(' OR '),
        /expands to 31 index disjunctions .*the limit is 30\. Narrow it: use done or status instead of many error codes/,
      );
      assertRefused('error != 5 OR (error != 6 AND labels.a = b)', /expands to 32 index disjunctions/);
    });

    it('stops multiplying out long before the expansion gets large', () => {
      const ors = Array.from({length: 12}, (_, i) => `(labels.a${i} = x OR labels.b${i} = y)`).join(' AND ');
      assertRefused(ors, /more than 1024 alternatives when its ORs are multiplied out; an index query allows 30/);
    });

    it('counts merged alternatives once', () => {
      assert.deepEqual(plan('error != 5 OR error != 6').disjuncts, [states('SUCCESS', 'FAILURE', 'CANCELED')]);
    });
  });

  describe('canonical', () => {
    it('ignores whitespace, order and the spelling of AND', () => {
      const a = plan('done = true AND labels.a = x AND createTime >= 2024-01-02T03:04:05Z');
      const b = plan(`  createTime >= ${T0_SECONDS}   labels.a="x"  done=true`);
      assert.equal(a.canonical, b.canonical);
      assert.equal(plan('status = RUNNING OR status = QUEUED').canonical, plan('status=QUEUED OR status=RUNNING').canonical);
    });

    it('tells different filters apart', () => {
      const texts = [
        'done = true',
        'done = false',
        'labels.a = x',
        'labels.a = y',
        'labels:a',
        'NOT labels:a AND done = true',
        'done = true AND labels.a = x OR labels.b = y',
        '(done = true AND labels.a = x) OR labels.b = y',
        `createTime > ${T0_SECONDS}`,
        `createTime >= ${T0_SECONDS}`,
      ].map(f => plan(f).canonical);
      assert.equal(new Set(texts).size, texts.length);
    });

    it('folds the project condition', () => {
      assert.equal(plan('projectId = my-project').canonical, '');
      assert.equal(plan('projectId = my-project AND done = true').canonical, plan('done = true').canonical);
      assert.equal(plan('projectId = other AND done = true').canonical, 'false');
    });
  });

  describe('index shapes', () => {
    it('lists each shape once', () => {
      const shapes = allIndexShapes().map(s => JSON.stringify(s));
      assert.equal(new Set(shapes).size, shapes.length);
      // 3 equality shapes, each alone or after v2beta's location, times 4 array options.
      assert.equal(shapes.length, 24);
      assert.ok(shapes.includes(JSON.stringify({equalityFields: []})));
      assert.ok(shapes.includes(JSON.stringify({equalityFields: ['location', 'state'], arrayField: 'eventTypes'})));
      assert.ok(shapes.includes(JSON.stringify({equalityFields: ['errorCode'], arrayField: 'labelPairs'})));
    });

    it('puts a listing\'s location first in every query, however the filter expands', () => {
      const p = planOperationQuery('labels.a = x OR status = RUNNING', PROJECT, 'europe-west2');
      assert.ok(p.disjuncts.length >= 2);
      for (const d of p.disjuncts) assert.deepEqual(d.equalities[0], {field: 'location', values: ['europe-west2']});
      assert.deepEqual(planOperationQuery('', PROJECT, 'us-central1').disjuncts, [{equalities: [{field: 'location', values: ['us-central1']}]}]);
    });

    it('gives the shape of a conjunct', () => {
      assert.deepEqual(shapeOf({equalities: []}), {equalityFields: []});
      assert.deepEqual(shapeOf({...states('RUNNING'), arrayContains: {field: 'eventTypes', value: 'DelayedEvent'}}), {
        equalityFields: ['state'],
        arrayField: 'eventTypes',
      });
    });
  });

  it('encodes a label pair unambiguously', () => {
    assert.equal(labelPair('a', 'b'), '["a","b"]');
    assert.notEqual(labelPair('a:b', 'c'), labelPair('a', 'b:c'));
    assert.notEqual(labelPair('a","b', ''), labelPair('a', '","b'));
  });

  describe('random filters', () => {
    it('select a superset of the matches, exactly so without a residual check, and match the reference', function () {
      this.timeout(20_000);
      const random = mulberry32(20240102);
      const ops = Array.from({length: 300}, () => randomOperation(random)).map(o => ({o, doc: stored(o)}));
      const outcomes = {planned: 0, refused: 0, residual: 0, empty: 0, splitting: 0};
      for (let i = 0; i < 600; i++) {
        const filter = randomFilter(random, 3);
        let p: OperationQueryPlan;
        try {
          p = plan(filter.text);
        } catch (e) {
          assert.ok(e instanceof GafferError, `${filter.text}: ${String(e)}`);
          assert.match(e.message, /can't be served by an index on its own|index disjunctions|alternatives/, filter.text);
          outcomes.refused++;
          continue;
        }
        outcomes.planned++;
        if (p.needsResidualCheck) outcomes.residual++;
        if (p.disjuncts.length === 0) outcomes.empty++;
        if (p.disjuncts.length > 1) outcomes.splitting++;
        assertWellFormed(p);
        for (const {o, doc} of ops) {
          const expected = filter.test(o);
          const context = () => `${filter.text} on ${JSON.stringify(o)}`;
          if (p.matches(o) !== expected) assert.fail(`matches disagrees with the reference: ${context()}`);
          const selected = selectedByIndex(p, doc);
          if (expected && !selected) assert.fail(`the index misses a match: ${context()}`);
          if (!p.needsResidualCheck && selected !== expected) assert.fail(`the index selects a non-match: ${context()}`);
        }
      }
      // The generator exercises every branch, not only refusals.
      assert.ok(outcomes.planned > 300, JSON.stringify(outcomes));
      assert.ok(outcomes.refused > 0 && outcomes.residual > 20 && outcomes.empty > 5 && outcomes.splitting > 20, JSON.stringify(outcomes));
    });
  });
});

function range(from: number, to: number): number[] {
  return Array.from({length: to - from + 1}, (_, i) => from + i);
}

// ---------------------------------------------------------------------------
// Random operations and filters, each filter with its own reference predicate.

type Random = () => number;

function mulberry32(seed: number): Random {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const EVENTS = ['FailedEvent', 'WorkerAssignedEvent', 'DelayedEvent'] as const;
const LABEL_KEYS = ['a', 'b', 'key with space'] as const;
const LABEL_VALUES = ['x', 'y'] as const;
const TIME_OFFSETS = [-2000, -1000, -1, 0, 1, 500, 1000, 2000];

function randomOperation(random: Random): FilterableOperation {
  const state = pick(random, OPERATION_STATES);
  const errorCode = {SUCCESS: 0, CANCELED: 1, FAILURE: 2 + Math.floor(random() * 15)}[state as string];
  const labels: Record<string, string> = {};
  for (const key of LABEL_KEYS) if (random() < 0.5) labels[key] = pick(random, LABEL_VALUES);
  return {
    state,
    ...(errorCode === undefined ? {} : {errorCode}),
    createTime: new Date(T0 + pick(random, TIME_OFFSETS)),
    labels,
    eventTypes: EVENTS.filter(() => random() < 0.4),
  };
}

interface RandomFilter {
  text: string;
  test(op: FilterableOperation): boolean;
  composite: boolean;
}

type Cmp = '=' | '!=' | '<' | '<=' | '>' | '>=';
const CMPS: readonly Cmp[] = ['=', '!=', '<', '<=', '>', '>='];

function compare(a: number, cmp: Cmp, b: number): boolean {
  return {'=': a === b, '!=': a !== b, '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b}[cmp];
}

const quoteKey = (k: string) => (/^\w+$/.test(k) ? k : JSON.stringify(k));

const ATOMS: Array<(random: Random) => RandomFilter> = [
  random => {
    const s = pick(random, OPERATION_STATES);
    const eq = random() < 0.6;
    return atom(`status ${eq ? '=' : '!='} ${s}`, o => (o.state === s) === eq);
  },
  random => {
    const value = random() < 0.5;
    const eq = random() < 0.7;
    return atom(`done ${eq ? '=' : '!='} ${value}`, o => (isDone(o.state) === value) === eq);
  },
  random => {
    const cmp = pick(random, CMPS);
    const code = pick(random, [0, 1, 2, 5, 9, 16]);
    const written = random() < 0.3 ? codeName(code)! : String(code);
    return atom(`error ${cmp} ${written}`, o => isDone(o.state) && o.errorCode !== undefined && compare(o.errorCode, cmp, code));
  },
  random => {
    const cmp = pick(random, CMPS);
    const ms = T0 + pick(random, [-1000, 0, 1000]);
    const iso = new Date(ms).toISOString();
    const written = pick(random, [iso, `"${iso}"`, String(ms / 1000), iso.replace('Z', '+00:00')]);
    return atom(`createTime ${cmp} ${written}`, o => compare(o.createTime.getTime(), cmp, ms));
  },
  random => {
    const type = pick(random, EVENTS);
    const written = random() < 0.2 ? `google.genomics.v2alpha1.${type}` : type;
    return atom(`events:${written}`, o => o.eventTypes.includes(type));
  },
  random => {
    const key = pick(random, LABEL_KEYS);
    const value = pick(random, LABEL_VALUES);
    const has = (o: FilterableOperation) => Object.hasOwn(o.labels, key);
    const field = `labels.${quoteKey(key)}`;
    switch (pick(random, ['=', ':', '!=', '=*', ':*', 'labels:'] as const)) {
      case '=':
        return atom(`${field} = ${value}`, o => has(o) && o.labels[key] === value);
      case ':':
        return atom(`${field}:${value}`, o => has(o) && o.labels[key] === value);
      case '!=':
        return atom(`${field} != ${value}`, o => !(has(o) && o.labels[key] === value));
      case '=*':
        return atom(`${field} = *`, has);
      case ':*':
        return atom(`${field}:*`, has);
      case 'labels:':
        return atom(`labels:${quoteKey(key)}`, has);
    }
  },
  random => {
    const project = pick(random, [PROJECT, 'other']);
    const eq = random() < 0.7;
    return atom(`projectId ${eq ? '=' : '!='} ${project}`, () => (project === PROJECT) === eq);
  },
];

function atom(text: string, test: (op: FilterableOperation) => boolean): RandomFilter {
  return {text, test, composite: false};
}

const grouped = (f: RandomFilter) => (f.composite ? `(${f.text})` : f.text);

function randomFilter(random: Random, depth: number): RandomFilter {
  const roll = random();
  if (depth === 0 || roll < 0.35) return pick(random, ATOMS)(random);
  if (roll < 0.5) {
    const inner = randomFilter(random, depth - 1);
    const text = `${random() < 0.5 ? 'NOT ' : '-'}${grouped(inner)}`;
    return {text, test: o => !inner.test(o), composite: false};
  }
  return randomChain(random, depth);
}

/** Terms joined by AND, OR or juxtaposition, unparenthesized: the reference applies AIP-160 precedence. */
function randomChain(random: Random, depth: number): RandomFilter {
  const terms = Array.from({length: 2 + Math.floor(random() * 2)}, () => randomFilter(random, depth - 1));
  const joins = terms.slice(1).map(() => pick(random, ['AND', 'OR', ''] as const));
  // OR binds tighter: split at the ANDs into groups of ORed terms.
  const groups: RandomFilter[][] = [[terms[0]!]];
  joins.forEach((join, i) => (join === 'OR' ? groups[groups.length - 1]!.push(terms[i + 1]!) : groups.push([terms[i + 1]!])));
  const text = terms.map((t, i) => (i === 0 ? grouped(t) : `${joins[i - 1] ? ` ${joins[i - 1]} ` : ' '}${grouped(t)}`)).join('');
  return {text, test: o => groups.every(g => g.some(t => t.test(o))), composite: true};
}
