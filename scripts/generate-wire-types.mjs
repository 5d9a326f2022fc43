// Generates src/wire/generated/<schema>.ts from schemas/<schema>.schema.json, so request
// body types can't drift from the schemas that validate them: `npm run build` runs this
// before tsc, and a schema change the code does not follow fails the build.
// `node scripts/generate-wire-types.mjs --check` exits 1 if a generated file is stale.
import {compileFromFile} from 'json-schema-to-typescript';
import {mkdirSync, readFileSync, readdirSync, writeFileSync} from 'fs';
import {dirname, join} from 'path';
import {fileURLToPath} from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemas = join(root, 'schemas');
const out = join(root, 'src/wire/generated');
const check = process.argv.includes('--check');

const BANNER = '/* Generated from schemas/%s.schema.json by scripts/generate-wire-types.mjs: do not edit. */\n/* eslint-disable */\n';

mkdirSync(out, {recursive: true});
let stale = 0;
for (const file of readdirSync(schemas).filter(f => f.endsWith('.schema.json')).sort()) {
  const name = file.replace(/\.schema\.json$/, '');
  const ts = await compileFromFile(join(schemas, file), {
    bannerComment: BANNER.replace('%s', name),
    additionalProperties: false,
    strictIndexSignatures: false,
    ignoreMinAndMaxItems: true,
    unreachableDefinitions: false,
    cwd: schemas,
    format: true,
    style: {singleQuote: true, printWidth: 120, bracketSpacing: false},
  });
  const target = join(out, `${name}.ts`);
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // not generated yet
  }
  if (current === ts) continue;
  if (check) {
    console.error(`stale: src/wire/generated/${name}.ts (run npm run build)`);
    stale++;
  } else {
    writeFileSync(target, ts);
  }
}
process.exit(stale > 0 ? 1 : 0);
