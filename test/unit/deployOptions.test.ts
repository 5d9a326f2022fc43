/**
 * The deploy's configuration (parsed once, every refusal naming the flag), its plan
 * (what a public deploy adds), and the files it stages.
 */
import {strict as assert} from 'assert';
import {DEPLOYABLES, ROOT_FUNCTION} from '../../functions/deployment';
import {DeployOptions, UsageError, parseDeployArgs} from '../../scripts/deploy/options';
import {commandsOf, eventarcLocation, planDeployment, serviceAccountEmail} from '../../scripts/deploy/plan';
import {renderCommand, shellQuote} from '../../scripts/deploy/run';
import {envYaml, hostingConfig, productionLockfile, productionPackage} from '../../scripts/deploy/stage';

const BASE = ['--project', 'my-project', '--region', 'us-central1', '--admin', 'user:admin@example.com'];

function parse(...extra: string[]): DeployOptions {
  const options = parseDeployArgs([...BASE, ...extra], path => {
    if (path === 'issuers.json') return '[{"kind": "gce", "audience": "https://g.example.com"}]';
    throw new Error('ENOENT: no such file');
  });
  assert.notEqual(options, 'help');
  return options as DeployOptions;
}

function refuses(args: string[], message: RegExp): void {
  const missing = (path: string): string => {
    throw new Error(`ENOENT: no such file, open '${path}'`);
  };
  assert.throws(() => parseDeployArgs(args, missing), (err: unknown) => err instanceof UsageError && message.test(err.message));
}

describe('deploy options', () => {
  it('reads --flag value and --flag=value, with defaults', () => {
    const options = parse('--firestore-location=nam5', '--invoker', 'group:team@example.com', '--invoker=user:ann@example.com');
    assert.equal(options.project, 'my-project');
    assert.equal(options.region, 'us-central1');
    assert.equal(options.firestoreLocation, 'nam5');
    assert.deepEqual(options.invokers, ['group:team@example.com', 'user:ann@example.com', 'user:admin@example.com']);
    assert.deepEqual(options.admins, ['user:admin@example.com']);
    assert.equal(options.dryRun, false);
    assert.equal(options.jobs, 4);
    assert.equal(parse().firestoreLocation, 'us-central1');
    assert.equal(parseDeployArgs(['--help']), 'help');
  });

  it('sets the functions\' environment and validates it with the functions\' own parser', () => {
    const options = parse('--set-env', 'GAFFER_LEASE_DURATION=300s', '--set-env', 'GAFFER_WORKER_ISSUERS=@issuers.json');
    assert.deepEqual(options.env, {
      IGNORED_ROUTES: ' ',
      NODE_OPTIONS: '--max-http-header-size=65536',
      NODE_ENV: 'production',
      GAFFER_LEASE_DURATION: '300s',
      GAFFER_WORKER_ISSUERS: '[{"kind": "gce", "audience": "https://g.example.com"}]',
      GAFFER_STATE_PROJECT: 'my-project',
      GAFFER_ACCESS: 'iam',
      GAFFER_PLATFORM_AUTH: 'true',
      GAFFER_CALLER_ISSUERS: '[{"kind":"google","audience":"https://us-central1-my-project.cloudfunctions.net/gaffer"}]',
      GAFFER_ADMINS: 'user:admin@example.com',
      GAFFER_IAM_POLICY:
        '{"bindings":[{"role":"roles/gaffer.sweeper","members":["serviceAccount:gaffer-scheduler@my-project.iam.gserviceaccount.com"]}]}',
    });
    assert.equal(options.config.accessMode, 'iam');
    assert.equal(options.config.platformAuth, true);
    assert.equal(options.publicEnv, undefined);
    assert.equal(options.config.leaseDurationMs, 300_000);
    assert.equal(options.config.workerIssuers.length, 1);
    assert.equal(options.completionTopic, 'projects/my-project/topics/gaffer-operations');
    assert.equal(parse('--set-env=GAFFER_COMPLETION_TOPIC=projects/other/topics/done').completionTopic, 'projects/other/topics/done');
  });

  it('refuses what it does not understand, naming the flag', () => {
    refuses([...BASE, '--forse'], /unknown option --forse/);
    refuses([...BASE, 'extra'], /unexpected argument "extra"/);
    refuses([...BASE, '--region', 'us-east1'], /--region given more than once/);
    refuses([...BASE, '--invoker'], /--invoker needs a value/);
    refuses([...BASE, '--dry-run=yes'], /--dry-run takes no value/);
    refuses(['--region', 'us-central1'], /--project is required/);
    refuses(['--project', 'p', '--region', 'us-central1'], /--project must be a project id/);
    refuses(['--project', 'my-project', '--region', 'us central1'], /--region must be a region such as us-central1/);
    refuses([...BASE, '--firestore-location', 'moon'], /--firestore-location must be a Firestore location/);
    refuses([...BASE, '--invoker', 'ann@example.com'], /--invoker must be user:EMAIL/);
    refuses([...BASE, '--jobs', '0'], /--jobs must be an integer within \[1, 16\]/);
    refuses([...BASE, '--set-env', 'GAFFER_LEASE_DURATION'], /--set-env must be NAME=VALUE/);
    refuses([...BASE, '--set-env', 'GAFFER_NOPE=1'], /GAFFER_NOPE: not a Gaffer option/);
    refuses([...BASE, '--set-env', 'GAFFER_ACCESS=loopback'], /GAFFER_ACCESS: not settable here: the deploy sets it to iam/);
    refuses([...BASE, '--set-env', 'GAFFER_PLATFORM_AUTH=false'], /GAFFER_PLATFORM_AUTH: not settable here/);
    refuses([...BASE, '--set-env', 'GAFFER_ADMINS=user:a@b.co'], /use --admin/);
    refuses(['--project', 'my-project', '--region', 'us-central1'], /--admin is required/);
    refuses([...BASE, '--admin', 'ann@example.com'], /--admin must be user:EMAIL/);
    refuses([...BASE, '--set-env', 'GAFFER_STATE_PROJECT=x'], /not settable here: the deploy sets it to --project/);
    refuses([...BASE, '--set-env', 'GAFFER_SWEEP_INTERVAL=10s'], /only for npm start/);
    refuses([...BASE, '--set-env', 'GAFFER_LEASE_DURATION=soon'], /--set-env: GAFFER_LEASE_DURATION must be a duration/);
    refuses([...BASE, '--set-env', 'GAFFER_WAIT_MAX_TIMEOUT=900s'], /must not exceed 300s/);
    refuses([...BASE, '--set-env', 'GAFFER_WORKER_ISSUERS=@missing.json'], /cannot read missing.json/);
  });

  it('--public: the root function verifies callers\' Google ID tokens itself; the rest stay behind Cloud Run\'s IAM check', () => {
    const options = parse('--public');
    assert.equal(options.public, true);
    assert.equal(options.env.GAFFER_PLATFORM_AUTH, 'true');
    assert.equal(options.publicEnv?.GAFFER_PLATFORM_AUTH, 'false');
    assert.equal(options.publicEnv?.GAFFER_ACCESS, 'iam');
    assert.deepEqual(JSON.parse(options.publicEnv?.GAFFER_CALLER_ISSUERS ?? ''), [
      {kind: 'google', audience: '32555940559.apps.googleusercontent.com'},
      {kind: 'google', audience: 'https://my-project.web.app'},
    ]);
    assert.equal(options.publicEnv?.GAFFER_WAIT_MAX_TIMEOUT, '50s');
    const deploys = commandsOf(planDeployment(options)).filter(c => c.args[0] === 'functions' && c.args[1] === 'deploy');
    for (const d of deploys) {
      const file = d.args.find(a => typeof a === 'string' && a.startsWith('--env-vars-file='));
      assert.equal(file, d.args[2] === ROOT_FUNCTION ? '--env-vars-file=build/deploy/env-public.yaml' : '--env-vars-file=build/deploy/env.yaml');
    }
  });

  it('accepts domain-scoped projects and knows their service account e-mails', () => {
    assert.equal(parseDeployArgs(['--project', 'example.com:my-project', '--region', 'us-central1', '--admin', 'user:a@example.com'], () => '') !== 'help', true);
    assert.equal(serviceAccountEmail('gaffer-runtime', 'my-project'), 'gaffer-runtime@my-project.iam.gserviceaccount.com');
    assert.equal(serviceAccountEmail('gaffer-runtime', 'example.com:my-project'), 'gaffer-runtime@my-project.example.com.iam.gserviceaccount.com');
  });
});

describe('deploy plan', () => {
  it('maps Firestore multi-regions to the Eventarc region that delivers their events', () => {
    assert.equal(eventarcLocation('nam5'), 'us-central1');
    assert.equal(eventarcLocation('eur3'), 'europe-west4');
    assert.equal(eventarcLocation('europe-west1'), 'europe-west1');
  });

  it('passes every argument as one argv element, and shows it quoted as a shell would need', () => {
    assert.equal(shellQuote('--schedule=* * * * *'), `'--schedule=* * * * *'`);
    assert.equal(shellQuote(`it's`), `'it'\\''s'`);
    const commands = commandsOf(planDeployment(parse()));
    const job = commands.find(c => c.args[0] === 'scheduler' && c.args[2] === 'create')!;
    assert.ok(job.args.includes('--schedule=* * * * *'));
    assert.match(renderCommand(job), /'--uri=<url:expireLeases>'/);
    assert.match(renderCommand(job, new Map([['url:expireLeases', 'https://e.a.run.app']])), / --uri=https:\/\/e\.a\.run\.app /);
  });

  it('with --public (once Gaffer authenticates callers itself) adds Hosting and makes only the root function public', () => {
    const options: DeployOptions = {...parse(), public: true};
    const steps = planDeployment(options);
    const commands = commandsOf(steps);
    const publicBindings = commands.filter(c => c.args.includes('--member=allUsers'));
    assert.deepEqual(publicBindings.map(c => c.args[2]), [ROOT_FUNCTION]);
    const hosting = commands.filter(c => c.program === 'firebase' && c.args.includes('hosting'));
    assert.equal(hosting.length, 1);
    assert.ok(hosting[0]?.args.includes('build/deploy/firebase.json'));
    // Hosting rewrites to the root function's Cloud Run service, which must exist first.
    const deployAt = steps.findIndex(s => s.kind === 'parallel');
    const hostingAt = steps.findIndex(s => s.kind === 'run' && s.command.program === 'firebase' && s.command.args.includes('hosting'));
    assert.ok(deployAt < hostingAt);
    assert.deepEqual((hostingConfig('/repo', 'us-central1') as {hosting: unknown}).hosting, {
      public: '/repo/build/deploy/hosting',
      rewrites: [{source: '**', run: {serviceId: ROOT_FUNCTION, region: 'us-central1'}}],
    });
  });

  it('deploys nothing the list does not declare', () => {
    const deployed = commandsOf(planDeployment(parse())).filter(c => c.args[0] === 'functions' && c.args[1] === 'deploy');
    assert.deepEqual(deployed.map(c => c.args[2]), DEPLOYABLES.map(d => d.name));
  });
});

describe('deploy staging', () => {
  it('writes the environment as YAML strings, whatever they hold', () => {
    assert.equal(envYaml({B: 'a "quoted", comma', A: '[1, 2]'}), 'A: "[1, 2]"\nB: "a \\"quoted\\", comma"\n');
  });

  it('keeps only production dependencies in package.json and the lockfile', () => {
    const pkg = productionPackage({
      name: 'gaffer',
      version: '1.0.0',
      main: 'x.js',
      dependencies: {a: '^1'},
      devDependencies: {b: '^2'},
    });
    assert.deepEqual(pkg, {name: 'gaffer', version: '1.0.0', private: true, license: undefined, engines: undefined, main: 'build/functions/index.js', dependencies: {a: '^1'}});
    const lock = productionLockfile({
      name: 'gaffer',
      version: '1.0.0',
      lockfileVersion: 3,
      packages: {
        '': {dependencies: {a: '^1'}, devDependencies: {b: '^2'}},
        'node_modules/a': {version: '1.0.0'},
        'node_modules/b': {version: '2.0.0', dev: true},
      },
    });
    assert.deepEqual(Object.keys(lock.packages), ['', 'node_modules/a']);
    assert.deepEqual(lock.packages[''], {dependencies: {a: '^1'}});
  });
});
