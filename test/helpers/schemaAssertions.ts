/**
 * Shared scaffolding of the JSON Schema unit tests (test/unit/*Schema.test.ts): loading a
 * schema and its examples, compiling it with ajv, asserting documents valid or invalid at
 * a path, and the walkers that check the schema document itself.
 *
 * schemaUnderTest registers a mocha before hook, so it is called inside a describe block.
 */
import {strict as assert} from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import Ajv, {ErrorObject, ValidateFunction} from 'ajv';
import addFormats from 'ajv-formats';

/** Schemas and examples: arbitrary JSON, walked freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test data is walked freely; the schema under test is what checks it
export type Json = any;

/** The repository root: helpers compile to build/test/helpers/, three levels below it. */
export const ROOT = path.join(__dirname, '../../..');

export function loadJson(file: string): Json {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return JSON.stringify(errors ?? [], null, 2);
}

/** The validator of `schema`: ajv in strict mode, collecting all errors, with ajv-formats. */
export function compileSchema(schema: Json): ValidateFunction {
  const ajv = new Ajv({strict: true, allErrors: true});
  addFormats(ajv);
  return ajv.compile(schema);
}

/** A schema under test, its examples, and assertions against its validator. */
export interface SchemaUnderTest {
  schema: Json;
  /** The example `name` (a fresh copy, free to change). */
  example(name: string): Json;
  /** The example full.json, which sets every field (a fresh copy). */
  full(): Json;
  /**
   * Asserts the schema document's header: the $id its file name gives, draft-07 $schema,
   * `title`, and a $comment that matches `api` and states each of `limits`.
   */
  assertHeader(expected: {title: string; api: RegExp; limits?: string[]}): void;
  assertValid(doc: Json): void;
  /**
   * Asserts the document is invalid and that at least one error sits at
   * `instancePath` (optionally with the given keyword / params subset).
   */
  assertInvalidAt(doc: Json, instancePath: string, keyword?: string, params?: Record<string, unknown>): ErrorObject[];
  /** Asserts every example (`.json` file) is valid, and that the `required` examples are there. */
  assertEveryExampleValid(required: string[]): void;
}

/**
 * Loads the schema in `file` and compiles it (see compileSchema) in a before hook of the
 * describe block this is called in; its examples are the JSON files in `examplesDir`.
 * With `matchErrorFields`, an entry of assertInvalidAt's `params` may also match a field
 * of the ajv error itself, not only of its params.
 */
export function schemaUnderTest(
  file: string,
  examplesDir: string,
  {matchErrorFields = false}: {matchErrorFields?: boolean} = {},
): SchemaUnderTest {
  const schema = loadJson(file);
  let validate: ValidateFunction;
  before(() => {
    validate = compileSchema(schema);
  });

  const example = (name: string): Json => loadJson(path.join(examplesDir, name));

  return {
    schema,
    example,
    full: () => example('full.json'),

    assertHeader({title, api, limits = []}: {title: string; api: RegExp; limits?: string[]}): void {
      assert.equal(schema.$id, `https://gaffer.dev/schemas/${path.basename(file)}`);
      assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
      assert.equal(schema.title, title);
      assert.match(schema.$comment, api);
      for (const limit of limits) {
        assert.ok(schema.$comment.includes(limit), `$comment should state the limit ${limit}`);
      }
    },

    assertValid(doc: Json): void {
      const ok = validate(doc);
      assert.equal(ok, true, `expected valid, got errors: ${describeErrors(validate.errors)}`);
    },

    assertInvalidAt(doc: Json, instancePath: string, keyword?: string, params?: Record<string, unknown>): ErrorObject[] {
      const ok = validate(doc);
      assert.equal(ok, false, `expected invalid at ${instancePath || '(root)'}`);
      const errors = validate.errors ?? [];
      const hit = errors.find(
        (e) =>
          e.instancePath === instancePath &&
          (keyword === undefined || e.keyword === keyword) &&
          (params === undefined ||
            Object.entries(params).every(([k, v]) => (e.params as Record<string, unknown>)[k] === v ||
              (matchErrorFields && (e as unknown as Record<string, unknown>)[k] === v))),
      );
      assert.ok(
        hit,
        `no error at "${instancePath}"${keyword ? ` with keyword ${keyword}` : ''}` +
          `${params ? ` and ${JSON.stringify(params)}` : ''}; got ${describeErrors(errors)}`,
      );
      return errors;
    },

    assertEveryExampleValid(required: string[]): void {
      const files = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
      assert.ok(required.every((r) => files.includes(r)));
      for (const f of files) {
        const ok = validate(example(f));
        assert.equal(ok, true, `${f}: ${describeErrors(validate.errors)}`);
      }
    },
  };
}

/** The node of `doc` at a JSON pointer such as ajv's instancePath ("/pipeline/actions/0"; "" is the root). */
export function valueAt(doc: Json, pointer: string): Json {
  return pointer === '' ? doc : pointer.split('/').slice(1).reduce((node: Json, key) => node[key], doc);
}

/**
 * Walks the whole schema document and asserts that every message object (a node with
 * `properties` that `isMessage` accepts, by default every such node) declares type object,
 * sets additionalProperties: false and describes each of its properties. Keys listed in
 * `skipKeys` are not descended into. Returns how many message objects it checked.
 */
export function assertClosedAndDescribed(
  schema: Json,
  {isMessage = () => true, skipKeys = []}: {isMessage?: (node: Json) => boolean; skipKeys?: string[]} = {},
): number {
  let messages = 0;
  const visit = (node: Json, where: string): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((n, i) => visit(n, `${where}/${i}`));
      return;
    }
    if (node.properties && isMessage(node)) {
      messages++;
      assert.equal(node.type, 'object', `${where} must declare type object`);
      assert.equal(node.additionalProperties, false, `${where} must set additionalProperties: false`);
      for (const [name, p] of Object.entries<Json>(node.properties)) {
        assert.equal(typeof p.description, 'string', `${where}/properties/${name} needs a description`);
      }
    }
    for (const [k, v] of Object.entries(node)) {
      if (!skipKeys.includes(k)) visit(v, `${where}/${k}`);
    }
  };
  visit(schema, '#');
  return messages;
}

/**
 * The fields of closed messages (additionalProperties: false, with properties) that
 * `example` never sets, as "Message.field"; the root message is named `rootName`, the
 * others by their definition. The example is walked along the schema: $refs and one-entry
 * allOfs are resolved, arrays followed through `items` and maps through their
 * `additionalProperties` schema; `dispatch` may swap the definition a node is checked
 * against (e.g. an Any for the message its @type names). Messages are told apart by
 * description.
 */
export function unsetFields(
  schema: Json,
  example: Json,
  rootName: string,
  dispatch: (node: Json, def: Json) => Json = (_node, def) => def,
): string[] {
  const used = new Set<string>();
  const resolve = (s: Json): Json => {
    if (s.$ref) return resolve(schema.definitions[s.$ref.replace('#/definitions/', '')]);
    if (s.allOf && s.allOf.length === 1 && !s.type) return resolve(s.allOf[0]);
    return s;
  };
  const collect = (node: Json, def: Json): void => {
    const d = dispatch(node, resolve(def));
    if (d.type === 'object' && node && typeof node === 'object' && !Array.isArray(node)) {
      if (d.additionalProperties === false && d.properties) {
        for (const [k, v] of Object.entries(node)) {
          used.add(`${d.description}::${k}`);
          collect(v, d.properties[k]);
        }
      } else if (d.additionalProperties && typeof d.additionalProperties === 'object') {
        for (const v of Object.values(node)) collect(v, d.additionalProperties);
      }
    } else if (d.type === 'array' && Array.isArray(node)) {
      for (const v of node) collect(v, d.items);
    }
  };
  collect(example, schema);
  const missing: string[] = [];
  const all = [
    [rootName, schema],
    ...Object.entries<Json>(schema.definitions).filter(([, d]) => d.additionalProperties === false && d.properties),
  ] as [string, Json][];
  for (const [name, d] of all) {
    for (const k of Object.keys(d.properties)) {
      if (!used.has(`${d.description}::${k}`)) missing.push(`${name}.${k}`);
    }
  }
  return missing;
}
