/**
 * Tokens of the AIP-160 filter language, as used by operations.list `filter`.
 * The lexer knows nothing of fields; it only splits text and reports where each
 * token starts, so every later error can point at a column.
 */

import {GafferError} from '../errors';

/** The longest filter accepted, in characters. */
export const MAX_FILTER_LENGTH = 2000;

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':';

export type TokenKind =
  | 'word' // bare text: a name, number, keyword or unquoted timestamp
  | 'string' // quoted text, escapes already decoded
  | 'comparator'
  | 'star' // the `*` presence wildcard
  | 'minus' // `-` negation (a `-` inside a word stays part of the word)
  | 'dot'
  | 'lparen'
  | 'rparen'
  | 'end';

export interface Token {
  kind: TokenKind;
  /** The decoded text: the word, the string's content, the comparator. */
  text: string;
  /** Offset of the first character in the filter (0-based). */
  position: number;
  /** Whether whitespace (or the start of the filter) comes right before it. */
  spaceBefore: boolean;
}

/** The INVALID_ARGUMENT every filter problem raises, pointing at a column when known. */
export function filterError(message: string, position?: number): GafferError {
  const where = position === undefined ? '' : ` at column ${position + 1}`;
  const description = `Invalid filter${where}: ${message}`;
  const metadata: Record<string, string> = {field: 'filter'};
  if (position !== undefined) metadata.column = String(position + 1);
  return new GafferError('INVALID_ARGUMENT', description, {
    reason: 'INVALID_FILTER',
    metadata,
    fieldViolations: [{field: 'filter', description}],
  });
}

const WHITESPACE = /\s/u;
const WORD_START = /[\p{L}\p{N}_]/u;
const WORD_PART = /[\p{L}\p{N}_\-/]/u;
/** RFC 3339 date-time; it contains ':' and '.', so it is matched whole before words. */
const TIMESTAMP = /\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})/y;
/** Something that starts like a timestamp, to explain a malformed one. */
const TIMESTAMP_START = /\d{4}-\d{2}-\d{2}[Tt]/y;

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

export function tokenize(filter: string): Token[] {
  if (filter.length > MAX_FILTER_LENGTH) {
    throw filterError(
      `the filter is ${filter.length} characters long; the limit is ${MAX_FILTER_LENGTH}. ` +
        'shorten it, or split the listing into several requests',
    );
  }
  return new Lexer(filter).run();
}

class Lexer {
  private position = 0;
  private readonly tokens: Token[] = [];

  constructor(private readonly text: string) {}

  run(): Token[] {
    let spaceBefore = true;
    while (this.position < this.text.length) {
      const char = this.text.charAt(this.position);
      if (WHITESPACE.test(char)) {
        this.position++;
        spaceBefore = true;
        continue;
      }
      this.tokens.push(this.next(char, spaceBefore));
      spaceBefore = false;
    }
    this.tokens.push({kind: 'end', text: '', position: this.text.length, spaceBefore});
    return this.tokens;
  }

  private next(char: string, spaceBefore: boolean): Token {
    const start = this.position;
    const token = (kind: TokenKind, text: string, end: number): Token => {
      this.position = end;
      return {kind, text, position: start, spaceBefore};
    };
    switch (char) {
      case '(':
        return token('lparen', char, start + 1);
      case ')':
        return token('rparen', char, start + 1);
      case '*':
        return token('star', char, start + 1);
      case '.':
        return token('dot', char, start + 1);
      case '-':
        return token('minus', char, start + 1);
      case ':':
      case '=':
        return token('comparator', char, start + 1);
      case '<':
      case '>':
        return this.text[start + 1] === '='
          ? token('comparator', `${char}=`, start + 2)
          : token('comparator', char, start + 1);
      case '!':
        if (this.text[start + 1] === '=') return token('comparator', '!=', start + 2);
        throw filterError("'!' must be followed by '='; to negate, write NOT or a leading '-'", start);
      case '"':
      case "'": {
        const [value, end] = this.quoted(start);
        return token('string', value, end);
      }
    }
    const timestamp = this.timestampAt(start);
    if (timestamp !== undefined) return token('word', timestamp, start + timestamp.length);
    if (WORD_START.test(char)) {
      const end = this.wordEnd(start);
      return token('word', this.text.slice(start, end), end);
    }
    throw filterError(
      `unexpected character ${JSON.stringify(char)}; put values with special characters in double quotes`,
      start,
    );
  }

  private timestampAt(start: number): string | undefined {
    TIMESTAMP.lastIndex = start;
    const found = TIMESTAMP.exec(this.text);
    if (found) {
      const after = this.text[start + found[0].length];
      // "2024-01-02T03:04:05Zabc" is not a timestamp followed by a word.
      if (after === undefined || !WORD_PART.test(after)) return found[0];
    }
    TIMESTAMP_START.lastIndex = start;
    if (TIMESTAMP_START.test(this.text)) {
      throw filterError(
        'malformed timestamp; write an RFC 3339 date-time with seconds and a zone, ' +
          'e.g. 2024-01-02T03:04:05Z or 2024-01-02T03:04:05.123+01:00',
        start,
      );
    }
    return undefined;
  }

  private wordEnd(start: number): number {
    let end = start + 1;
    while (end < this.text.length && WORD_PART.test(this.text.charAt(end))) end++;
    return end;
  }

  /** Reads the string whose opening quote is at `start`; returns its value and end offset. */
  private quoted(start: number): [string, number] {
    const quote = this.text.charAt(start);
    let value = '';
    let i = start + 1;
    while (i < this.text.length) {
      const char = this.text.charAt(i);
      if (char === quote) return [value, i + 1];
      if (char === '\\') {
        const [decoded, length] = this.escape(i);
        value += decoded;
        i += length;
      } else {
        value += char;
        i++;
      }
    }
    throw filterError(`the string starting here has no closing ${quote}`, start);
  }

  /** Decodes the escape at `at` (a backslash); returns the text and the length consumed. */
  private escape(at: number): [string, number] {
    const next = this.text[at + 1];
    if (next === undefined) throw filterError('a backslash ends the filter; escape it as \\\\', at);
    const simple = ESCAPES[next];
    if (simple !== undefined) return [simple, 2];
    if (next === 'u') {
      const hex = this.text.slice(at + 2, at + 6);
      if (/^[0-9a-fA-F]{4}$/.test(hex)) return [String.fromCharCode(parseInt(hex, 16)), 6];
      throw filterError('\\u must be followed by 4 hex digits', at);
    }
    throw filterError(
      `unknown escape \\${next}; the escapes are \\\\ \\" \\' \\n \\t \\r \\b \\f \\v \\0 \\uXXXX`,
      at,
    );
  }
}
