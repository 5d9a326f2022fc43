/**
 * Dependencies point one way: functions → http → core ← store / pubsub, and everything
 * may use the wire types. The core imports nothing of store, http, config or the Google
 * Cloud clients; the agent and the CLI share only src/wire with the server. Only the
 * composition roots (src/app.ts, src/server.ts, functions/index.ts) and dev tooling wire
 * layers together. This test reads every import and fails the build when one breaks it.
 */
import {strict as assert} from 'assert';
import {readFileSync, readdirSync, statSync} from 'fs';
import {builtinModules} from 'module';
import {dirname, join, relative, resolve} from 'path';

const ROOT = join(__dirname, '../../..');

/** A layer: the source paths it covers, and what it may import besides itself. */
interface Layer {
  name: string;
  covers: (path: string) => boolean;
  /** Other layers it may import. */
  layers: readonly string[];
  /** Packages it may import (Node's built-ins are always allowed). */
  packages: readonly string[];
}

const LAYERS: readonly Layer[] = [
  // Small utilities of no layer's own (sleep, pidAlive): they import nothing.
  {name: 'lib', covers: p => p.startsWith('src/lib/'), layers: [], packages: []},
  {name: 'wire', covers: p => p.startsWith('src/wire/'), layers: [], packages: []},
  {name: 'core', covers: p => p.startsWith('src/core/'), layers: ['wire', 'lib'], packages: ['jose']},
  {name: 'store', covers: p => p.startsWith('src/store/'), layers: ['core', 'wire', 'lib'], packages: ['@google-cloud/firestore']},
  {name: 'pubsub', covers: p => p.startsWith('src/pubsub/'), layers: ['core', 'wire', 'lib'], packages: ['@google-cloud/pubsub']},
  {name: 'http', covers: p => p.startsWith('src/http/'), layers: ['core', 'wire', 'lib'], packages: ['ajv', 'ajv-formats']},
  {
    name: 'functions',
    covers: p => p.startsWith('functions/') && p !== 'functions/index.ts',
    layers: ['http', 'core', 'wire', 'lib'],
    packages: [],
  },
  {name: 'agent', covers: p => p.startsWith('src/agent/'), layers: ['wire', 'lib'], packages: []},
  {name: 'cli', covers: p => p.startsWith('src/cli/'), layers: ['wire', 'lib'], packages: ['yaml']},
  // Composition roots and tooling: they wire the layers together.
  {
    name: 'root',
    covers: p => ['src/app.ts', 'src/server.ts', 'src/config.ts', 'functions/index.ts'].includes(p) || p.startsWith('src/dev/'),
    layers: ['lib', 'wire', 'core', 'store', 'pubsub', 'http', 'functions', 'root'],
    packages: ['@google-cloud/firestore', '@google-cloud/pubsub', '@google-cloud/functions-framework', 'express'],
  },
];

function layerOf(path: string): Layer | undefined {
  return LAYERS.find(l => l.covers(path));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap(name => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return path === 'src/wire/generated' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|^\s*import\s+'([^']+)'|require\('([^']+)'\)/gm;

function importsOf(path: string): string[] {
  const text = readFileSync(join(ROOT, path), 'utf8');
  return [...text.matchAll(IMPORT)].map(m => m[1] ?? m[2] ?? m[3] ?? '');
}

/** The repository path an import names, or the package it names. */
function target(from: string, specifier: string): {path?: string; pkg?: string} {
  if (specifier.startsWith('.')) {
    const resolved = relative(ROOT, resolve(ROOT, dirname(from), specifier));
    return {path: resolved.endsWith('.json') ? resolved : `${resolved}.ts`};
  }
  const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  return {pkg};
}

function isBuiltin(pkg: string): boolean {
  return pkg.startsWith('node:') || builtinModules.includes(pkg);
}

describe('architecture: which way imports go', () => {
  const files = [...sourceFiles('src'), ...sourceFiles('functions')];

  it('puts every source file in a layer', () => {
    assert.deepEqual(
      files.filter(f => !layerOf(f)),
      [],
      'a new directory needs a layer in test/unit/architecture.test.ts (and in docs/design.md\'s map)',
    );
  });

  it('has no import against the direction of the layers', () => {
    const violations: string[] = [];
    for (const file of files) {
      const layer = layerOf(file);
      if (!layer) continue;
      for (const specifier of importsOf(file)) {
        const {path, pkg} = target(file, specifier);
        if (pkg !== undefined) {
          if (!isBuiltin(pkg) && !layer.packages.includes(pkg)) violations.push(`${file} (${layer.name}) imports package ${pkg}`);
          continue;
        }
        if (path === undefined || path.endsWith('.json')) continue;
        const to = layerOf(path);
        if (!to) violations.push(`${file} imports ${path}, which is in no layer`);
        else if (to !== layer && !layer.layers.includes(to.name)) violations.push(`${file} (${layer.name}) imports ${path} (${to.name})`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('catches a violation (the check itself works)', () => {
    const core = layerOf('src/core/checkIn.ts');
    const store = layerOf(target('src/core/checkIn.ts', '../store/firestore/index').path ?? '');
    assert.equal(core?.name, 'core');
    assert.equal(store?.name, 'store');
    assert.equal(core.layers.includes('store'), false);
    assert.equal(layerOf('src/cli/main.ts')?.layers.includes('core'), false);
  });
});
