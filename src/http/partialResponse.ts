/**
 * Google's partial-response system parameter: `fields=name,metadata(labels,createTime),done`
 * or `operations/name`. Parsed before the RPC runs (a bad selector changes nothing) and
 * applied to the JSON it returns; arrays apply the selection to each element.
 */
import {GafferError} from '../core/errors';

/** Selected field -> its sub-selection (`true`: the whole field). */
export type FieldSelection = Map<string, FieldSelection | true>;

function badFields(text: string, detail: string): GafferError {
  return new GafferError('INVALID_ARGUMENT', `Invalid field selection ${JSON.stringify(text)}: ${detail}.`, {
    reason: 'INVALID_FIELD_SELECTION',
    fieldViolations: [{field: 'fields', description: detail}],
  });
}

/** Selections deeper or longer than this are refused (a response is never that deep). */
export const MAX_FIELDS_DEPTH = 16;
export const MAX_FIELDS_LENGTH = 2048;

export function parseFields(text: string): FieldSelection {
  if (text.length > MAX_FIELDS_LENGTH) throw badFields(`${text.slice(0, 40)}...`, `the selection is ${text.length} characters long; the limit is ${MAX_FIELDS_LENGTH}`);
  let pos = 0;
  let depth = 0;
  const name = (): string => {
    const match = /^[A-Za-z_@$][A-Za-z0-9_@$.]*|^\*/.exec(text.slice(pos));
    if (!match) throw badFields(text, `expected a field name at position ${pos + 1}`);
    pos += match[0].length;
    return match[0];
  };
  const merge = (into: FieldSelection, key: string, sub: FieldSelection | true) => {
    const existing = into.get(key);
    if (existing === true || sub === true) into.set(key, true);
    else if (existing) for (const [k, v] of sub) merge(existing, k, v);
    else into.set(key, sub);
  };
  // A path (a/b/c) with an optional sub-selection, as one nested selection.
  const item = (): [string, FieldSelection | true] => {
    if (++depth > MAX_FIELDS_DEPTH) throw badFields(text.length > 80 ? `${text.slice(0, 77)}...` : text, `the selection nests more than ${MAX_FIELDS_DEPTH} levels deep`);
    try {
      return itemAt();
    } finally {
      depth--;
    }
  };
  const itemAt = (): [string, FieldSelection | true] => {
    const head = name();
    if (text[pos] === '/') {
      pos++;
      const [key, sub] = item();
      return [head, new Map([[key, sub]])];
    }
    if (text[pos] === '(') {
      pos++;
      const sub = list();
      if (text[pos] !== ')') throw badFields(text, `expected ")" at position ${pos + 1}`);
      pos++;
      return [head, sub];
    }
    return [head, true];
  };
  const list = (): FieldSelection => {
    const selection: FieldSelection = new Map();
    for (;;) {
      const [key, sub] = item();
      merge(selection, key, sub);
      if (text[pos] !== ',') return selection;
      pos++;
    }
  };
  const selection = list();
  if (pos !== text.length) throw badFields(text, `unexpected ${JSON.stringify(text[pos])} at position ${pos + 1}`);
  return selection;
}

export function applyFields(value: unknown, selection: FieldSelection): unknown {
  if (Array.isArray(value)) return value.map(item => applyFields(item, selection));
  if (value === null || typeof value !== 'object') return value;
  if (selection.has('*')) return value;
  const source = value as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const [key, sub] of selection) {
    if (!(key in source)) continue;
    picked[key] = sub === true ? source[key] : applyFields(source[key], sub);
  }
  return picked;
}
