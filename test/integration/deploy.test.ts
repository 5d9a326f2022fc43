/**
 * `npm run deploy` end to end against stand-in gcloud and firebase executables (first on
 * PATH): on a first run every resource is created, on a re-run only updated, every
 * deployable function is deployed with its trigger and nothing else is, and a dry run
 * runs nothing.
 */
import {strict as assert} from 'assert';
import {spawn} from 'child_process';
import {existsSync, readFileSync, rmSync} from 'fs';
import {join} from 'path';
import {DEPLOYABLES, ROOT_FUNCTION} from '../../functions/deployment';
import {Call, StandIns, writeStandIns} from '../helpers/deployStandIns';

const ROOT = join(__dirname, '../../..');
const PROJECT = 'gaffer-standin-1';
const REGION = 'europe-west1';
const INVOKER = 'user:ann@example.com';
const ADMIN = 'user:admin@example.com';
const SA = (id: string) => `${id}@${PROJECT}.iam.gserviceaccount.com`;
const urlOf = (name: string) => `https://${name.toLowerCase()}-standin-${REGION}.a.run.app`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function deploy(standIns: StandIns, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'build/scripts/deploy.js'), ...args], {
      cwd: ROOT,
      env: standIns.env(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', code => resolve({code: code ?? 1, stdout, stderr}));
  });
}

const FULL = ['--project', PROJECT, '--region', REGION, '--firestore-location', 'nam5', '--invoker', INVOKER, '--admin', ADMIN];

/** The value of --name=value in args. */
function flag(call: Call, name: string): string | undefined {
  return call.args.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}
function flags(call: Call, name: string): string[] {
  return call.args.filter(a => a.startsWith(`--${name}=`)).map(a => a.slice(name.length + 3));
}
function gcloud(calls: Call[], ...words: string[]): Call[] {
  return calls.filter(c => c.program === 'gcloud' && words.every((w, i) => c.args[i] === w));
}

describe('npm run deploy (stand-in gcloud and firebase)', function () {
  this.timeout(60_000);
  let standIns: StandIns;
  before(() => (standIns = writeStandIns()));
  after(() => rmSync(standIns.dir, {recursive: true, force: true}));

  it('on a first run creates every resource, deploys every function with its trigger and prints the root URL', async () => {
    const run = await deploy(standIns, FULL);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), urlOf(ROOT_FUNCTION));
    const calls = standIns.calls();

    // Created, because each describe said "not found".
    assert.equal(gcloud(calls, 'firestore', 'databases', 'create').length, 1);
    assert.equal(flag(gcloud(calls, 'firestore', 'databases', 'create')[0]!, 'location'), 'nam5');
    assert.deepEqual(
      gcloud(calls, 'iam', 'service-accounts', 'create').map(c => c.args[3]).sort(),
      ['gaffer-build', 'gaffer-events', 'gaffer-runtime', 'gaffer-scheduler'],
    );
    assert.deepEqual(gcloud(calls, 'pubsub', 'topics', 'create').map(c => c.args[3]), [`projects/${PROJECT}/topics/gaffer-operations`]);

    // Every deployable, once, and nothing else.
    const deploys = gcloud(calls, 'functions', 'deploy');
    assert.deepEqual(deploys.map(c => c.args[2]).sort(), DEPLOYABLES.map(d => d.name).sort());
    for (const d of DEPLOYABLES) {
      const call = deploys.find(c => c.args[2] === d.name)!;
      assert.ok(call.args.includes('--gen2'), d.name);
      assert.equal(flag(call, 'entry-point'), d.name);
      assert.equal(flag(call, 'region'), REGION);
      assert.equal(flag(call, 'runtime'), 'nodejs22');
      assert.equal(flag(call, 'source'), 'build/deploy/source');
      assert.equal(flag(call, 'timeout'), `${d.timeoutSeconds}s`);
      assert.equal(flag(call, 'memory'), d.memory);
      assert.equal(flag(call, 'service-account'), SA('gaffer-runtime'));
      assert.equal(flag(call, 'build-service-account'), `projects/${PROJECT}/serviceAccounts/${SA('gaffer-build')}`);
      if (d.trigger.kind === 'firestore-trigger') {
        assert.ok(!call.args.includes('--trigger-http'), d.name);
        assert.deepEqual(flags(call, 'trigger-event-filters'), [`type=${d.trigger.eventType}`, 'database=(default)']);
        assert.deepEqual(flags(call, 'trigger-event-filters-path-pattern'), [`document=${d.trigger.document}`]);
        // nam5 has no Eventarc location of its own: its events are delivered in us-central1.
        assert.equal(flag(call, 'trigger-location'), 'us-central1');
        assert.equal(flag(call, 'trigger-service-account'), SA('gaffer-events'));
      } else {
        assert.ok(call.args.includes('--trigger-http') && call.args.includes('--no-allow-unauthenticated'), d.name);
        assert.equal(flag(call, 'trigger-location'), undefined);
      }
    }
    const waiting = deploys.filter(c => flag(c, 'timeout') === '310s').map(c => c.args[2]).sort();
    assert.deepEqual(waiting, [ROOT_FUNCTION, 'waitOperation', 'waitOperationV2beta'].sort());

    // Scheduler jobs: exactly the scheduled functions, each calling its own URL as the scheduler's account.
    const jobs = gcloud(calls, 'scheduler', 'jobs', 'create', 'http');
    const scheduled = DEPLOYABLES.filter(d => d.trigger.kind === 'scheduled-http');
    assert.equal(jobs.length, scheduled.length);
    for (const d of scheduled) {
      const job = jobs.find(c => d.trigger.kind === 'scheduled-http' && c.args[4] === d.trigger.job)!;
      assert.ok(job, d.name);
      assert.equal(flag(job, 'uri'), urlOf(d.name));
      assert.equal(flag(job, 'oidc-token-audience'), urlOf(d.name));
      assert.equal(flag(job, 'oidc-service-account-email'), SA('gaffer-scheduler'));
      assert.equal(flag(job, 'http-method'), 'POST');
      assert.equal(flag(job, 'location'), REGION);
    }
    assert.equal(gcloud(calls, 'scheduler', 'jobs', 'update').length, 0);

    // Who may invoke what: the scheduler only the sweeps, Eventarc only the trigger, callers every HTTP function.
    const invokers = gcloud(calls, 'functions', 'add-invoker-policy-binding').map(c => `${c.args[2]} ${flag(c, 'member')}`);
    const expected = DEPLOYABLES.flatMap(d =>
      d.trigger.kind === 'scheduled-http'
        ? [`${d.name} serviceAccount:${SA('gaffer-scheduler')}`]
        : d.trigger.kind === 'firestore-trigger'
          ? [`${d.name} serviceAccount:${SA('gaffer-events')}`]
          : [`${d.name} ${INVOKER}`, `${d.name} ${ADMIN}`],
    );
    assert.deepEqual(invokers.sort(), expected.sort());
    assert.ok(!invokers.some(i => i.includes('allUsers')), 'nothing is public');

    // Project roles: the least each account needs.
    const roles = gcloud(calls, 'projects', 'add-iam-policy-binding').map(c => `${flag(c, 'member')} ${flag(c, 'role')}`);
    assert.deepEqual(roles.sort(), [
      `serviceAccount:${SA('gaffer-build')} roles/artifactregistry.writer`,
      `serviceAccount:${SA('gaffer-build')} roles/logging.logWriter`,
      `serviceAccount:${SA('gaffer-build')} roles/storage.objectAdmin`,
      `serviceAccount:${SA('gaffer-events')} roles/eventarc.eventReceiver`,
      `serviceAccount:${SA('gaffer-runtime')} roles/datastore.user`,
    ]);
    const publish = gcloud(calls, 'pubsub', 'topics', 'add-iam-policy-binding');
    assert.deepEqual(publish.map(c => `${c.args[3]} ${flag(c, 'member')} ${flag(c, 'role')}`), [
      `projects/${PROJECT}/topics/gaffer-operations serviceAccount:${SA('gaffer-runtime')} roles/pubsub.publisher`,
    ]);

    // Firestore: one firebase deploy of every index, field override, TTL policy and the rules.
    const firebase = calls.filter(c => c.program === 'firebase');
    assert.equal(firebase.length, 1);
    const indexFile = JSON.parse(readFileSync(join(ROOT, 'firestore.indexes.json'), 'utf8')) as {
      indexes: unknown[];
      fieldOverrides: Array<{ttl?: boolean}>;
    };
    assert.deepEqual(firebase[0]!.args.slice(0, 3), ['deploy', '--only', 'firestore:indexes,firestore:rules']);
    assert.deepEqual(firebase[0]!.deploys, {
      indexes: indexFile.indexes.length,
      fieldOverrides: indexFile.fieldOverrides.length,
      ttlFields: ['samples.expireTime', 'logs.expireTime', 'reports.expireTime', 'queueStats.expireTime', 'requests.expireTime'],
      rules: true,
      hosting: false,
    });
    assert.equal(firebase[0]!.args[firebase[0]!.args.indexOf('--project') + 1], PROJECT);

    // The functions' environment, and the staged source they are built from.
    const env = readFileSync(join(ROOT, 'build/deploy/env.yaml'), 'utf8');
    assert.match(env, new RegExp(`^GAFFER_STATE_PROJECT: "${PROJECT}"$`, 'm'));
    assert.match(env, /^GAFFER_ACCESS: "iam"$/m);
    assert.match(env, /^GAFFER_PLATFORM_AUTH: "true"$/m);
    assert.match(env, new RegExp(`^GAFFER_ADMINS: "${ADMIN}"$`, 'm'));
    assert.match(env, /^IGNORED_ROUTES: " "$/m);
    const staged = JSON.parse(readFileSync(join(ROOT, 'build/deploy/source/package.json'), 'utf8')) as {
      main: string;
      scripts?: unknown;
      devDependencies?: unknown;
    };
    assert.equal(staged.main, 'build/functions/index.js');
    // The dashboard the gaffer function serves at /dashboard/.
    assert.ok(existsSync(join(ROOT, 'build/deploy/source/build/web/index.html')), 'the built dashboard is staged');
    assert.equal(staged.scripts, undefined);
    assert.equal(staged.devDependencies, undefined);
  });

  it('on a re-run creates nothing, updates the scheduler jobs and redeploys the same functions', async () => {
    standIns.clearCalls();
    const run = await deploy(standIns, FULL);
    assert.equal(run.code, 0, run.stderr);
    const calls = standIns.calls();
    assert.deepEqual(
      calls.filter(c => c.program === 'gcloud' && c.args.includes('create')).map(c => c.args.join(' ')),
      [],
    );
    assert.equal(gcloud(calls, 'scheduler', 'jobs', 'update', 'http').length, DEPLOYABLES.filter(d => d.trigger.kind === 'scheduled-http').length);
    assert.deepEqual(
      gcloud(calls, 'functions', 'deploy').map(c => c.args[2]).sort(),
      DEPLOYABLES.map(d => d.name).sort(),
    );
    assert.match(run.stderr, /exists: nothing to change/);
    assert.equal(run.stdout.trim(), urlOf(ROOT_FUNCTION));
  });

  it('with --dry-run prints every command and runs none', async () => {
    standIns.clearCalls();
    const run = await deploy(standIns, [...FULL, '--dry-run']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(standIns.calls(), []);
    for (const d of DEPLOYABLES) assert.ok(run.stderr.includes(`gcloud functions deploy ${d.name} `), d.name);
    assert.match(run.stderr, /gcloud scheduler jobs create http gaffer-expire-leases .*'--uri=<url:expireLeases>'/);
    assert.match(run.stderr, /firebase deploy --only firestore:indexes,firestore:rules/);
    assert.match(run.stderr, /commands printed, none run/);
  });

  it('stops, creating nothing, when a describe fails for another reason than "not found"', async () => {
    const fresh = writeStandIns();
    try {
      const run = await deploy(fresh, FULL, {STANDIN_DENY: 'sa/'});
      assert.equal(run.code, 1);
      assert.match(run.stderr, /could not tell whether it exists:[\s\S]*PERMISSION_DENIED/);
      assert.equal(gcloud(fresh.calls(), 'iam', 'service-accounts', 'create').length, 0);
      assert.equal(gcloud(fresh.calls(), 'functions', 'deploy').length, 0);
    } finally {
      rmSync(fresh.dir, {recursive: true, force: true});
    }
  });

  it('with --public: Hosting in front of the gaffer function, which then verifies callers\' tokens itself', async () => {
    const fresh = writeStandIns();
    try {
      const run = await deploy(fresh, [...FULL, '--public']);
      assert.equal(run.code, 0, run.stderr);
      const calls = fresh.calls();
      const publicBindings = gcloud(calls, 'functions', 'add-invoker-policy-binding').filter(c => flag(c, 'member') === 'allUsers');
      assert.deepEqual(publicBindings.map(c => c.args[2]), [ROOT_FUNCTION]);
      const root = gcloud(calls, 'functions', 'deploy').find(c => c.args[2] === ROOT_FUNCTION)!;
      assert.equal(flag(root, 'env-vars-file'), 'build/deploy/env-public.yaml');
      const publicEnv = readFileSync(join(ROOT, 'build/deploy/env-public.yaml'), 'utf8');
      assert.match(publicEnv, /^GAFFER_PLATFORM_AUTH: "false"$/m, 'nothing in front checks tokens: every one must be signed');
      assert.match(publicEnv, /^GAFFER_ACCESS: "iam"$/m);
      const privateEnv = readFileSync(join(ROOT, 'build/deploy/env.yaml'), 'utf8');
      assert.match(privateEnv, /^GAFFER_PLATFORM_AUTH: "true"$/m);
      assert.ok(calls.some(c => c.program === 'firebase' && c.args.includes('hosting')));
    } finally {
      rmSync(fresh.dir, {recursive: true, force: true});
    }
  });

  it('refuses unknown flags and malformed values before running anything', async () => {
    standIns.clearCalls();
    for (const [args, message] of [
      [['--project', PROJECT, '--region', REGION, '--force'], /unknown option --force/],
      [['--project', 'Not_A_Project', '--region', REGION], /--project must be a project id/],
      [['--project', PROJECT], /--region is required/],
      [['--project', PROJECT, '--region', REGION, '--public'], /--admin is required/],
    ] as const) {
      const run = await deploy(standIns, [...args]);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
    }
    assert.deepEqual(standIns.calls(), []);
  });
});
