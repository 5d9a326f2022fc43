import {strict as assert} from 'assert';
import {GafferError} from '../../src/core/errors';
import {FilterExpr, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseFilter, tokenize} from '../../src/core/filter';

/** A compact rendering of the AST: restrictions as `field<op>value`, groups as and(...)/or(...). */
function show(expr: FilterExpr | undefined): string {
  if (!expr) return '<empty>';
  switch (expr.kind) {
    case 'and':
    case 'or':
      return `${expr.kind}(${expr.operands.map(show).join(', ')})`;
    case 'not':
      return `not(${show(expr.operand)})`;
    case 'restriction': {
      const field = expr.field.segments.join('/');
      const value = expr.value.kind === 'quoted' ? JSON.stringify(expr.value.text) : expr.value.text;
      return `${field}${expr.comparator}${value}`;
    }
  }
}

const parse = (filter: string) => show(parseFilter(filter));

/** An `it` asserting what each filter parses to (with show's rendering), one [filter, tree, message?] per case. */
function itParses(title: string, cases: Array<[filter: string, tree: string, message?: string]>): void {
  it(title, () => {
    for (const [filter, tree, message] of cases) assert.equal(parse(filter), tree, message);
  });
}

/** Asserts the filter is refused as INVALID_FILTER, with a message matching `message`. */
function assertRefused(filter: string, message: RegExp, column?: number): GafferError {
  let caught: unknown;
  try {
    parseFilter(filter);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof GafferError, `expected ${JSON.stringify(filter)} to be refused`);
  assert.equal(caught.code, 'INVALID_ARGUMENT');
  assert.equal(caught.reason, 'INVALID_FILTER');
  assert.match(caught.message, message);
  if (column !== undefined) {
    assert.equal(caught.metadata.column, String(column));
    assert.match(caught.message, new RegExp(`at column ${column}\\b`));
  }
  assert.equal(caught.fieldViolations[0]?.field, 'filter');
  return caught;
}

describe('filter lexer', () => {
  it('splits comparators, including the two-character ones', () => {
    const kinds = tokenize('a<=1 b>=2 c!=3 d<4 e>5 f=6 g:7').filter(t => t.kind === 'comparator');
    assert.deepEqual(
      kinds.map(t => t.text),
      ['<=', '>=', '!=', '<', '>', '=', ':'],
    );
  });

  it('records positions and whether whitespace came before each token', () => {
    const tokens = tokenize('a =b');
    assert.deepEqual(
      tokens.map(t => [t.kind, t.text, t.position, t.spaceBefore]),
      [
        ['word', 'a', 0, true],
        ['comparator', '=', 2, true],
        ['word', 'b', 3, false],
        ['end', '', 4, false],
      ],
    );
  });

  it('keeps a - inside a word but makes a leading - its own token', () => {
    assert.deepEqual(
      tokenize('-my-project').map(t => [t.kind, t.text]),
      [
        ['minus', '-'],
        ['word', 'my-project'],
        ['end', ''],
      ],
    );
  });

  it('lexes an unquoted RFC 3339 timestamp as one word despite its colons', () => {
    for (const ts of [
      '2024-01-02T03:04:05Z',
      '2024-01-02T03:04:05.123Z',
      '2024-01-02T03:04:05.123456789+01:00',
      '2024-01-02t03:04:05-05:30',
    ]) {
      const tokens = tokenize(`createTime>=${ts}`);
      assert.deepEqual(
        tokens.map(t => t.text),
        ['createTime', '>=', ts, ''],
        ts,
      );
    }
  });

  it('decodes escapes in double- and single-quoted strings', () => {
    const [token] = tokenize(String.raw`"a\"b\\c\nd\te\u0041'"`);
    assert.equal(token?.kind, 'string');
    assert.equal(token?.text, 'a"b\\c\nd\teA\'');
    assert.equal(tokenize(String.raw`'it\'s "ok"'`)[0]?.text, `it's "ok"`);
  });
});

describe('filter parser', () => {
  it('returns undefined for an empty or all-whitespace filter', () => {
    assert.equal(parseFilter(''), undefined);
    assert.equal(parseFilter(' \t\n '), undefined);
  });

  it('builds a restriction with the positions of its parts', () => {
    assert.deepEqual(parseFilter('  status = RUNNING'), {
      kind: 'restriction',
      field: {segments: ['status'], position: 2},
      comparator: '=',
      value: {kind: 'bare', text: 'RUNNING', position: 11},
      position: 2,
    });
  });

  it('parses every comparator', () => {
    for (const op of ['=', '!=', '<', '<=', '>', '>=', ':']) {
      assert.equal(parse(`error ${op} 5`), `error${op}5`);
      assert.equal(parse(`error${op}5`), `error${op}5`, 'without whitespace');
    }
  });

  describe('precedence (AIP-160: OR binds tighter than AND)', () => {
    itParses('reads a AND b OR c as a AND (b OR c)', [['a = 1 AND b = 2 OR c = 3', 'and(a=1, or(b=2, c=3))']]);

    itParses('reads a OR b AND c as (a OR b) AND c', [['a = 1 OR b = 2 AND c = 3', 'and(or(a=1, b=2), c=3)']]);

    itParses('treats juxtaposition as AND, still looser than OR', [
      ['a = 1 b = 2', 'and(a=1, b=2)'],
      ['a = 1 b = 2 OR c = 3', 'and(a=1, or(b=2, c=3))'],
      ['a = 1 b = 2 AND c = 3', 'and(and(a=1, b=2), c=3)'],
    ]);

    itParses('lets parentheses override it', [
      ['(a = 1 AND b = 2) OR c = 3', 'or(and(a=1, b=2), c=3)'],
      ['((a = 1))', 'a=1'],
    ]);

    itParses('chains ORs and ANDs flat', [
      ['a = 1 OR b = 2 OR c = 3', 'or(a=1, b=2, c=3)'],
      ['a = 1 AND b = 2 AND c = 3', 'and(a=1, b=2, c=3)'],
    ]);
  });

  describe('negation', () => {
    itParses('accepts NOT and a leading -', [
      ['NOT a = 1', 'not(a=1)'],
      ['-a = 1', 'not(a=1)'],
      ['NOT (a = 1 OR b = 2)', 'not(or(a=1, b=2))'],
      ['NOT(a = 1)', 'not(a=1)'],
      ['-(a = 1)', 'not(a=1)'],
    ]);

    itParses('binds NOT to one term', [
      ['NOT a = 1 OR b = 2', 'or(not(a=1), b=2)'],
      ['a = 1 -b = 2', 'and(a=1, not(b=2))'],
    ]);

    itParses('reads a minus right before a value as part of the value', [['createTime > -1.5', 'createTime>-1.5']]);
  });

  describe('field paths and values', () => {
    itParses('splits dotted paths and accepts quoted segments', [
      ['labels.color = red', 'labels/color=red'],
      ['labels."key with space" = x', 'labels/key with space=x'],
      ["labels.'k' = x", 'labels/k=x'],
      ['labels."a.b" = x', 'labels/a.b=x'],
      ['labels.OR = x', 'labels/OR=x', 'a keyword after a dot is a name'],
    ]);

    it('keeps quoted values apart from bare ones, and * apart from "*"', () => {
      assert.equal(parse('labels.a = "x y"'), 'labels/a="x y"');
      const star = parseFilter('labels.a = *');
      const quotedStar = parseFilter('labels.a = "*"');
      assert.ok(star?.kind === 'restriction' && star.value.kind === 'wildcard');
      assert.ok(quotedStar?.kind === 'restriction' && quotedStar.value.kind === 'quoted' && quotedStar.value.text === '*');
      assert.equal(parse('labels.a:*'), 'labels/a:*');
    });

    itParses('joins numbers, dotted names and type URLs into one bare value', [
      ['createTime >= 1432140000.25', 'createTime>=1432140000.25'],
      ['projectId = my.project-1', 'projectId=my.project-1'],
      ['events:type.googleapis.com/google.genomics.v2alpha1.FailedEvent', 'events:type.googleapis.com/google.genomics.v2alpha1.FailedEvent'],
    ]);

    itParses('takes an unquoted timestamp with an offset as one value', [
      ['createTime < 2024-01-02T03:04:05.123+01:00 done = true', 'and(createTime<2024-01-02T03:04:05.123+01:00, done=true)'],
    ]);

    itParses('reads a lowercase keyword as a value', [['labels.x = and', 'labels/x=and']]);

    it('is insensitive to whitespace', () => {
      assert.equal(parse('a=1 AND(b=2 OR c=3)'), parse('  a = 1   AND  ( b = 2  OR  c = 3 ) '));
    });
  });

  describe('errors', () => {
    it('refuses a bare value (an AIP-160 global restriction)', () => {
      assertRefused('RUNNING', /"RUNNING" has no comparator.*bare value is not supported/, 1);
      assertRefused('done = true foo', /"foo" has no comparator/, 13);
      assertRefused('(done)', /"done" has no comparator/, 2);
    });

    it('explains that keywords are uppercase', () => {
      assertRefused('a = 1 and b = 2', /keywords are case-sensitive: write AND instead of and/, 7);
      assertRefused('a = 1 or b = 2', /write OR instead of or/, 7);
      assertRefused('not a = 1', /write NOT instead of not/, 1);
    });

    it('reports strings without a closing quote', () => {
      assertRefused('labels.a = "abc', /no closing "/, 12);
      assertRefused("labels.a = 'abc", /no closing '/, 12);
    });

    it('reports bad escapes', () => {
      assertRefused(String.raw`labels.a = "a\qb"`, /unknown escape \\q/, 14);
      assertRefused(String.raw`labels.a = "\u12"`, /\\u must be followed by 4 hex digits/, 13);
      assertRefused('labels.a = "x\\', /backslash ends the filter/, 14);
    });

    it('reports characters outside the language', () => {
      assertRefused('labels.a = x#y', /unexpected character "#"/, 13);
      assertRefused('done ! true', /'!' must be followed by '='/, 6);
    });

    it('reports malformed timestamps', () => {
      assertRefused('createTime > 2024-01-02T03:04Z', /malformed timestamp.*RFC 3339/, 14);
      assertRefused('createTime > 2024-01-02T03:04:05', /malformed timestamp/, 14);
    });

    it('reports unbalanced and empty parentheses', () => {
      assertRefused('(a = 1', /'\(' is never closed/, 1);
      assertRefused('a = 1)', /'\)' has no matching '\('/, 6);
      assertRefused('()', /empty parentheses/, 1);
      assertRefused('(a = 1 b)', /"b" has no comparator/, 8);
    });

    it('reports a missing operand', () => {
      assertRefused('a = 1 AND', /expected a field name.*but found the end of the filter/, 10);
      assertRefused('a = 1 OR OR b = 2', /but found the keyword OR/, 10);
      assertRefused('a =', /expected a value after '='.*end of the filter/, 4);
      assertRefused('a = AND b = 1', /expected a value after '=', but found the keyword AND/, 5);
      assertRefused('= 1', /expected a field name/, 1);
      assertRefused('labels. = 1', /expected a field name after '\.'/, 9);
    });

    it('reports tokens glued together without whitespace', () => {
      assertRefused('labels.a = foo*', /missing whitespace between 'foo' and '\*'.*double quotes/, 15);
      assertRefused('labels.a = x"y"', /missing whitespace between 'x' and the string "y"/, 13);
      assertRefused('labels.a*', /expected a comparator.*after labels\.a/, 9);
    });

    it('refuses parenthesized values', () => {
      assertRefused('status = (RUNNING OR QUEUED)', /parenthesized values are not supported.*status = RUNNING OR status = QUEUED/, 10);
    });

    it(`limits the filter to ${MAX_FILTER_LENGTH} characters`, () => {
      const long = `labels.a = "${'x'.repeat(MAX_FILTER_LENGTH)}"`;
      const error = assertRefused(long, new RegExp(`${long.length} characters long; the limit is ${MAX_FILTER_LENGTH}`));
      assert.equal(error.metadata.column, undefined);
      const fits = `labels.a = "${'x'.repeat(MAX_FILTER_LENGTH - 13)}"`;
      assert.equal(fits.length, MAX_FILTER_LENGTH);
      assert.doesNotThrow(() => parseFilter(fits));
    });

    it(`limits nesting to ${MAX_FILTER_DEPTH} levels`, () => {
      const nest = (n: number) => `${'('.repeat(n)}a = 1${')'.repeat(n)}`;
      assert.equal(parse(nest(MAX_FILTER_DEPTH)), 'a=1');
      assertRefused(nest(MAX_FILTER_DEPTH + 1), /more than 32 levels deep/, MAX_FILTER_DEPTH + 1);
      assertRefused(`${'NOT '.repeat(MAX_FILTER_DEPTH + 1)}a = 1`, /more than 32 levels deep/);
      assertRefused(`${'-'.repeat(MAX_FILTER_DEPTH + 1)}a = 1`, /more than 32 levels deep/);
    });
  });
});
