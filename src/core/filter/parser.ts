/**
 * AIP-160 filter syntax -> AST. Only syntax is checked here; which fields exist
 * and what their values mean is the planner's business.
 *
 *   filter     := [expression]
 *   expression := sequence {AND sequence}
 *   sequence   := factor {WS factor}          (juxtaposition is an implicit AND)
 *   factor     := term {OR term}              (so OR binds tighter than AND)
 *   term       := [NOT | '-'] simple
 *   simple     := restriction | '(' expression ')'
 *   restriction:= field comparator value      (a bare value is refused)
 *   field      := segment {'.' segment}       (segment: a word or a quoted string)
 *   value      := word-run | string | '*'     (word-run: adjacent words and dots, e.g. 1.5)
 */

import {Comparator, Token, filterError, tokenize} from './lexer';

/** Deepest nesting of parentheses and negations accepted. */
export const MAX_FILTER_DEPTH = 32;

export interface FieldPath {
  /** Decoded segments: labels."a b" is ['labels', 'a b']. */
  segments: string[];
  position: number;
}

export interface FilterValue {
  /** bare: unquoted text; quoted: a string literal; wildcard: `*`. */
  kind: 'bare' | 'quoted' | 'wildcard';
  text: string;
  position: number;
}

export interface Restriction {
  kind: 'restriction';
  field: FieldPath;
  comparator: Comparator;
  value: FilterValue;
  position: number;
}

export type FilterExpr =
  | {kind: 'and'; operands: FilterExpr[]}
  | {kind: 'or'; operands: FilterExpr[]}
  | {kind: 'not'; operand: FilterExpr; position: number}
  | Restriction;

const KEYWORDS = ['AND', 'OR', 'NOT'];

/** Parses a filter; undefined for an empty (or all-whitespace) one, which matches everything. */
export function parseFilter(filter: string): FilterExpr | undefined {
  const parser = new Parser(tokenize(filter));
  return parser.parse();
}

/** Shows a field path the way a user would write it. */
export function formatFieldPath(segments: readonly string[]): string {
  return segments.map(s => (/^[A-Za-z_][\w-]*$/.test(s) ? s : JSON.stringify(s))).join('.');
}

class Parser {
  private index = 0;
  private depth = 0;

  /** The 'end' token the lexer always puts last: what reading past the end gives. */
  private readonly end: Token;

  constructor(private readonly tokens: Token[]) {
    const last = tokens[tokens.length - 1];
    if (last?.kind !== 'end') throw new Error('the token list must end with the end token');
    this.end = last;
  }

  parse(): FilterExpr | undefined {
    if (this.peek().kind === 'end') return undefined;
    const expr = this.expression();
    const extra = this.peek();
    if (extra.kind === 'rparen') throw filterError("')' has no matching '('", extra.position);
    if (extra.kind !== 'end') throw this.unexpected(extra, 'AND, OR or the end of the filter');
    return expr;
  }

  private expression(): FilterExpr {
    return this.joined('and', () => this.sequence(), () => this.accept('AND'));
  }

  private sequence(): FilterExpr {
    return this.joined('and', () => this.factor(), () => this.startsImplicitAnd());
  }

  private factor(): FilterExpr {
    return this.joined('or', () => this.term(), () => this.accept('OR'));
  }

  /**
   * One `operand`, and another for as long as `more()` says one follows (having read what
   * separates them): one alone is itself, several are joined as `kind`.
   */
  private joined(kind: 'and' | 'or', operand: () => FilterExpr, more: () => boolean): FilterExpr {
    const operands: [FilterExpr, ...FilterExpr[]] = [operand()];
    while (more()) operands.push(operand());
    return operands.length === 1 ? operands[0] : {kind, operands};
  }

  /** Reads the keyword if it comes next. */
  private accept(keyword: 'AND' | 'OR'): boolean {
    if (!this.isKeyword(this.peek(), keyword)) return false;
    this.advance();
    return true;
  }

  /** A further factor follows when the next token can start a term and isn't glued on. */
  private startsImplicitAnd(): boolean {
    const next = this.peek();
    if (next.kind === 'end' || next.kind === 'rparen') return false;
    if (this.isKeyword(next, 'AND') || this.isKeyword(next, 'OR')) return false;
    const previous = this.tokens[this.index - 1] ?? next;
    if (!next.spaceBefore && previous.kind !== 'rparen' && next.kind !== 'lparen') {
      throw filterError(
        `missing whitespace between ${describe(previous)} and ${describe(next)}; separate conditions ` +
          'with whitespace, AND or OR, and put values with special characters in double quotes',
        next.position,
      );
    }
    return true;
  }

  private term(): FilterExpr {
    const next = this.peek();
    if (next.kind === 'minus' || this.isKeyword(next, 'NOT')) {
      this.advance();
      return this.nested(next.position, () => ({kind: 'not', operand: this.term(), position: next.position}));
    }
    return this.simple();
  }

  private simple(): FilterExpr {
    const open = this.peek();
    if (open.kind !== 'lparen') return this.restriction();
    this.advance();
    if (this.peek().kind === 'rparen') throw filterError('empty parentheses', open.position);
    const inner = this.nested(open.position, () => this.expression());
    const close = this.peek();
    if (close.kind !== 'rparen') {
      if (close.kind === 'end') throw filterError("'(' is never closed; add a ')'", open.position);
      throw this.unexpected(close, "AND, OR or ')'");
    }
    this.advance();
    return inner;
  }

  private nested<T>(position: number, parse: () => T): T {
    if (++this.depth > MAX_FILTER_DEPTH) {
      throw filterError(
        `the filter nests parentheses and NOTs more than ${MAX_FILTER_DEPTH} levels deep; simplify it`,
        position,
      );
    }
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private restriction(): Restriction {
    const field = this.fieldPath();
    const comparator = this.peek();
    if (comparator.kind !== 'comparator') throw this.bareValue(field, comparator);
    this.advance();
    const value = this.value(comparator);
    return {kind: 'restriction', field, comparator: comparator.text as Comparator, value, position: field.position};
  }

  private fieldPath(): FieldPath {
    const first = this.peek();
    const segments = [this.segment('a field name such as status, createTime or labels.KEY')];
    while (this.peek().kind === 'dot') {
      this.advance();
      segments.push(this.segment("a field name after '.'"));
    }
    return {segments, position: first.position};
  }

  private segment(expected: string): string {
    const token = this.peek();
    const keyword = this.isKeyword(token, 'AND') || this.isKeyword(token, 'OR') || this.isKeyword(token, 'NOT');
    // After a dot any word is a name (labels.OR); at the start a keyword is misplaced.
    const afterDot = this.tokens[this.index - 1]?.kind === 'dot';
    if ((token.kind === 'word' && (!keyword || afterDot)) || token.kind === 'string') {
      this.advance();
      return token.text;
    }
    throw this.unexpected(token, expected);
  }

  private value(comparator: Token): FilterValue {
    const first = this.peek();
    if (first.kind === 'string' || first.kind === 'star') {
      this.advance();
      return {kind: first.kind === 'string' ? 'quoted' : 'wildcard', text: first.text, position: first.position};
    }
    if (first.kind === 'lparen') {
      throw filterError(
        'parenthesized values are not supported; write one comparison per value, e.g. ' +
          'status = RUNNING OR status = QUEUED',
        first.position,
      );
    }
    if (!this.startsBareValue(first)) {
      throw this.unexpected(first, `a value after '${comparator.text}'`);
    }
    return {kind: 'bare', text: this.bareRun(), position: first.position};
  }

  private startsBareValue(token: Token): boolean {
    if (token.kind === 'word') return !KEYWORDS.includes(token.text);
    return token.kind === 'minus' || token.kind === 'dot';
  }

  /** Joins adjacent words, dots and a leading minus: -1.5, my.project, type.googleapis.com/x.Y. */
  private bareRun(): string {
    let text = this.advance().text;
    for (;;) {
      const next = this.peek();
      if (next.spaceBefore || (next.kind !== 'word' && next.kind !== 'dot')) return text;
      text += this.advance().text;
    }
  }

  private bareValue(field: FieldPath, next: Token): Error {
    const written = formatFieldPath(field.segments);
    const lower = written.toLowerCase();
    if (field.segments.length === 1 && (lower === 'and' || lower === 'or' || lower === 'not')) {
      return filterError(
        `keywords are case-sensitive: write ${lower.toUpperCase()} instead of ${written}`,
        field.position,
      );
    }
    if (next.kind === 'end' || next.spaceBefore || next.kind === 'rparen') {
      return filterError(
        `${JSON.stringify(written)} has no comparator; searching all fields for a bare value is not ` +
          'supported. Compare a field instead, e.g. status = RUNNING, done = true, labels.KEY = VALUE',
        field.position,
      );
    }
    return this.unexpected(next, `a comparator (= != < <= > >= :) after ${written}`);
  }

  private unexpected(token: Token, expected: string): Error {
    return filterError(`expected ${expected}, but found ${describe(token)}`, token.position);
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'word' && token.text === keyword;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? this.end;
  }

  private advance(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the filter';
    case 'string':
      return `the string ${JSON.stringify(token.text)}`;
    case 'word':
      return KEYWORDS.includes(token.text) ? `the keyword ${token.text}` : `'${token.text}'`;
    default:
      return `'${token.text}'`;
  }
}
