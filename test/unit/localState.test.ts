/**
 * The local state directory's bookkeeping, without emulators: one `npm start` at a time,
 * a lock a dead process left is taken over, and the snapshot to import is the one
 * `current` names (none, or an unfinished one: start empty).
 */
import {strict as assert} from 'assert';
import {spawnSync} from 'child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import {LocalState, LocalStateError, findMetadata} from '../../src/dev/localState';

describe('local state directory (GAFFER_LOCAL_STATE)', () => {
  let dir: string;
  const logged: string[] = [];
  const log = (message: string) => logged.push(message);
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'gaffer-state-')), 'state');
    logged.length = 0;
  });
  afterEach(() => rmSync(join(dir, '..'), {recursive: true, force: true}));

  it('is used by one npm start at a time, and released on close', async () => {
    mkdirSync(dir, {recursive: true});
    // Another live process (our parent) holds it.
    writeFileSync(join(dir, 'lock'), `${process.ppid}\n`);
    assert.throws(() => LocalState.open(dir, log), (err: unknown) => err instanceof LocalStateError && /in use by another npm start/.test(err.message));
    // A process that is gone left it: taken over.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'});
    writeFileSync(join(dir, 'lock'), `${gone.stdout}\n`);
    const state = LocalState.open(dir, log);
    assert.ok(existsSync(join(dir, 'lock')));
    assert.equal(await state.close(), undefined, 'nothing to snapshot: no emulator was started');
    assert.ok(!existsSync(join(dir, 'lock')));
  });

  it('imports the snapshot `current` names, and starts empty without one', async () => {
    const empty = LocalState.open(dir, log);
    assert.equal(empty.firestoreImport(), undefined);
    await empty.close();

    const metadata = join(dir, 'firestore', 'snapshot-2', 'firestore_export_1', 'firestore_export_1.overall_export_metadata');
    mkdirSync(join(metadata, '..'), {recursive: true});
    writeFileSync(metadata, '');
    writeFileSync(join(dir, 'firestore', 'current'), 'snapshot-2\n');
    const state = LocalState.open(dir, log);
    assert.equal(state.firestoreImport(), metadata);
    assert.equal(findMetadata(join(dir, 'firestore')), metadata);

    writeFileSync(join(dir, 'firestore', 'current'), 'snapshot-3\n');
    assert.equal(state.firestoreImport(), undefined);
    assert.match(logged.join('\n'), /holds no Firestore export: starting with an empty database/);
    await state.close();
  });

  it('forgets emulators it recorded once they are gone', () => {
    mkdirSync(dir, {recursive: true});
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'});
    writeFileSync(join(dir, 'emulators.json'), JSON.stringify([{kind: 'firestore', pid: Number(gone.stdout), host: '127.0.0.1:1'}]));
    const state = LocalState.open(dir, log);
    assert.ok(!existsSync(join(dir, 'emulators.json')));
    assert.deepEqual(logged, [], 'nothing was running, nothing was stopped');
    return state.close();
  });
});
