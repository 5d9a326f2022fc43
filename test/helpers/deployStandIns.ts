/**
 * Stand-in `gcloud` and `firebase` executables for testing `npm run deploy` without a
 * cloud: written to a temporary directory that the test puts first on PATH, they append
 * each call's arguments to a log and keep the resources they "created" in a state file,
 * so a describe answers "not found" on a first run and "exists" on a re-run. Commands
 * they do not know, and a create of something that exists (or an update of something
 * that does not), fail as the real ones would.
 */
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';

export interface Call {
  program: 'gcloud' | 'firebase';
  args: string[];
  /** firebase only: what the --config file it was given would deploy. */
  deploys?: {indexes: number; fieldOverrides: number; ttlFields: string[]; rules: boolean; hosting: boolean};
}

export interface StandIns {
  dir: string;
  /** Directory to put first on PATH. */
  bin: string;
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  calls(): Call[];
  /** Forget the calls, keep the state (a re-run). */
  clearCalls(): void;
}

const GCLOUD = String.raw`
const fs = require('fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.STANDIN_LOG, JSON.stringify({program: 'gcloud', args}) + '\n');
// One file per resource, so concurrent stand-ins (parallel function deploys) never lose an update.
const file = key => require('path').join(process.env.STANDIN_STATE, encodeURIComponent(key));
const read = key => fs.existsSync(file(key)) ? JSON.parse(fs.readFileSync(file(key), 'utf8')) : undefined;
const flag = name => { const a = args.find(x => x.startsWith('--' + name + '=')); return a && a.slice(name.length + 3); };
const positional = args.filter(a => !a.startsWith('--'));
const [group, sub, verb] = positional;
const fail = (code, message) => { process.stderr.write('ERROR: (gcloud.' + positional.slice(0, 3).join('.') + ') ' + message + '\n'); process.exit(code); };
if (!args.includes('--quiet')) fail(2, 'expected --quiet: a prompt would hang a script');
const deny = process.env.STANDIN_DENY;
function describe(key, print) {
  if (deny && key.startsWith(deny)) fail(1, 'PERMISSION_DENIED: Permission denied on ' + key);
  const value = read(key);
  if (!value) fail(1, 'NOT_FOUND: ' + key + ' was not found.');
  process.stdout.write(print(value) + '\n');
}
function create(key, value) {
  try { fs.writeFileSync(file(key), JSON.stringify(value), {flag: 'wx'}); }
  catch { fail(1, 'ALREADY_EXISTS: ' + key + ' already exists.'); }
}
function need(key) { if (!read(key)) fail(1, 'NOT_FOUND: ' + key + ' was not found.'); }
const project = flag('project');
if (group === 'services' && sub === 'enable') process.exit(0);
if (group === 'firestore' && sub === 'databases') {
  const key = 'firestore/' + project;
  if (verb === 'describe') describe(key, db => flag('format') === 'value(locationId)' ? db.location : 'projects/' + project + '/databases/(default)');
  else if (verb === 'create') create(key, {location: flag('location')});
  else fail(3, 'unexpected firestore command');
  process.exit(0);
}
if (group === 'iam' && sub === 'service-accounts') {
  if (verb === 'describe') describe('sa/' + positional[3], sa => positional[3]);
  else if (verb === 'create') create('sa/' + positional[3] + '@' + project + '.iam.gserviceaccount.com', {});
  else fail(3, 'unexpected iam command');
  process.exit(0);
}
if (group === 'projects' && sub === 'add-iam-policy-binding') {
  const member = flag('member');
  if (member.startsWith('serviceAccount:')) need('sa/' + member.slice('serviceAccount:'.length));
  process.exit(0);
}
if (group === 'pubsub' && sub === 'topics') {
  const key = 'topic/' + positional[3];
  if (verb === 'describe') describe(key, () => positional[3]);
  else if (verb === 'create') create(key, {});
  else if (verb === 'add-iam-policy-binding') need(key);
  else fail(3, 'unexpected pubsub command');
  process.exit(0);
}
if (group === 'functions') {
  const key = 'function/' + positional[2];
  if (sub === 'deploy') fs.writeFileSync(file(key), JSON.stringify({region: flag('region')}));
  else if (sub === 'describe') describe(key, () => 'https://' + positional[2].toLowerCase() + '-standin-' + flag('region') + '.a.run.app');
  else if (sub === 'add-invoker-policy-binding') need(key);
  else fail(3, 'unexpected functions command');
  process.exit(0);
}
if (group === 'scheduler' && sub === 'jobs') {
  if (verb === 'describe') describe('job/' + positional[3], () => positional[3]);
  else if (verb === 'create' && positional[3] === 'http') create('job/' + positional[4], {});
  else if (verb === 'update' && positional[3] === 'http') need('job/' + positional[4]);
  else fail(3, 'unexpected scheduler command');
  process.exit(0);
}
fail(3, 'the stand-in does not know this command');
`;

const FIREBASE = String.raw`
const fs = require('fs');
const path = require('path');
const args = process.argv.slice(2);
const call = {program: 'firebase', args};
const at = args.indexOf('--config');
if (at !== -1) {
  const configPath = path.resolve(args[at + 1]);
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const base = path.dirname(configPath);
  const indexes = config.firestore && JSON.parse(fs.readFileSync(path.resolve(base, config.firestore.indexes), 'utf8'));
  call.deploys = {
    indexes: indexes ? indexes.indexes.length : 0,
    fieldOverrides: indexes ? indexes.fieldOverrides.length : 0,
    ttlFields: indexes ? indexes.fieldOverrides.filter(f => f.ttl).map(f => f.collectionGroup + '.' + f.fieldPath) : [],
    rules: Boolean(config.firestore && fs.existsSync(path.resolve(base, config.firestore.rules))),
    hosting: Boolean(config.hosting),
  };
}
fs.appendFileSync(process.env.STANDIN_LOG, JSON.stringify(call) + '\n');
if (!args.includes('--non-interactive')) { process.stderr.write('expected --non-interactive\n'); process.exit(2); }
process.stdout.write('+  Deploy complete!\n');
`;

export function writeStandIns(): StandIns {
  const dir = mkdtempSync(join(tmpdir(), 'gaffer-deploy-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'calls.jsonl');
  const state = join(dir, 'state');
  mkdirSync(state);
  for (const [name, source] of [['gcloud', GCLOUD], ['firebase', FIREBASE]] as const) {
    writeFileSync(join(bin, name), `#!${process.execPath}\n${source}`);
    chmodSync(join(bin, name), 0o755);
  }
  writeFileSync(log, '');
  return {
    dir,
    bin,
    env: (extra = {}) => ({
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      STANDIN_LOG: log,
      STANDIN_STATE: state,
      ...extra,
    }),
    calls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(line => line.trim())
        .map(line => JSON.parse(line) as Call),
    clearCalls: () => writeFileSync(log, ''),
  };
}
