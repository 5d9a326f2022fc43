import {strict as assert} from 'assert';
import {ConfigError, completionTopicName, parseConfig, runningCapOf} from '../../src/config';

describe('configuration', () => {
  it('has documented defaults', () => {
    const config = parseConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.stateProjectId, 'gaffer-local');
    assert.equal(config.maxRequestBytes, 262_144);
    assert.equal(config.waitDefaultTimeoutMs, 60_000);
    assert.equal(config.waitMaxTimeoutMs, 300_000);
    assert.equal(config.accessMode, 'loopback');
    assert.equal(config.leaseDurationMs, 180_000);
    assert.equal(config.defaultPipelineTimeoutMs, 7 * 24 * 3600_000);
    assert.deepEqual(config.workerIssuers, []);
    assert.equal(completionTopicName(config), 'projects/gaffer-local/topics/gaffer-operations');
    assert.equal(config.localStateDir, '.gaffer');
    assert.equal(config.localStateIntervalMs, 10_000);
  });

  it('reads the fair-share label (user-id unless told none) and the per-project running caps', () => {
    assert.equal(parseConfig({}).fairShareLabel, 'user-id');
    assert.equal(parseConfig({GAFFER_FAIR_SHARE_LABEL: 'none'}).fairShareLabel, '');
    assert.equal(parseConfig({GAFFER_FAIR_SHARE_LABEL: 'team'}).fairShareLabel, 'team');
    assert.throws(() => parseConfig({GAFFER_FAIR_SHARE_LABEL: 'Team!'}), /GAFFER_FAIR_SHARE_LABEL must be a label key/);
    assert.deepEqual(parseConfig({}).maxRunning, {});
    const caps = parseConfig({GAFFER_MAX_RUNNING: 'proj-a=10, proj-b=0,*=100'}).maxRunning;
    assert.deepEqual([runningCapOf(caps, 'proj-a'), runningCapOf(caps, 'proj-b'), runningCapOf(caps, 'other')], [10, 0, 100]);
    assert.equal(runningCapOf(parseConfig({GAFFER_MAX_RUNNING: '5'}).maxRunning, 'any'), 5);
    assert.equal(runningCapOf(parseConfig({GAFFER_MAX_RUNNING: 'proj-a=3'}).maxRunning, 'other'), undefined);
    assert.throws(() => parseConfig({GAFFER_MAX_RUNNING: 'proj-a=-1'}), /GAFFER_MAX_RUNNING must be N or PROJECT=N/);
  });

  it('keeps npm start\'s state in a directory unless told "none"', () => {
    assert.equal(parseConfig({GAFFER_LOCAL_STATE: '/var/lib/gaffer'}).localStateDir, '/var/lib/gaffer');
    assert.equal(parseConfig({GAFFER_LOCAL_STATE: 'none'}).localStateDir, undefined);
    assert.equal(parseConfig({GAFFER_LOCAL_STATE_INTERVAL: '2.5s'}).localStateIntervalMs, 2_500);
    assert.throws(() => parseConfig({GAFFER_LOCAL_STATE_INTERVAL: '0.5s'}), /GAFFER_LOCAL_STATE_INTERVAL must be at least "1s"/);
  });

  it('reads what it is given, the state project falling back to GOOGLE_CLOUD_PROJECT', () => {
    const config = parseConfig({PORT: '9000', GOOGLE_CLOUD_PROJECT: 'prod-project', GAFFER_LEASE_DURATION: '90s', GAFFER_COMPLETION_TOPIC: 'projects/other/topics/done'});
    assert.equal(config.port, 9000);
    assert.equal(config.stateProjectId, 'prod-project');
    assert.equal(config.leaseDurationMs, 90_000);
    assert.equal(completionTopicName(config), 'projects/other/topics/done');
  });

  it('derives the access mode from the caller issuers, and reads the IAM options', () => {
    assert.equal(parseConfig({}).accessMode, 'loopback');
    const config = parseConfig({
      GAFFER_CALLER_ISSUERS: '[{"kind":"google","audience":"https://gaffer.example.com"}]',
      GAFFER_ADMINS: 'user:Ann@Example.com,group:ops@example.com',
      GAFFER_IAM_POLICY: '{"bindings":[{"role":"roles/gaffer.sweeper","members":["serviceAccount:s@p.iam.gserviceaccount.com"]}]}',
      GAFFER_PLATFORM_AUTH: 'true',
    });
    assert.equal(config.accessMode, 'iam');
    assert.deepEqual(config.admins, ['user:ann@example.com', 'group:ops@example.com']);
    assert.deepEqual(config.inheritedBindings, [{role: 'roles/gaffer.sweeper', members: ['serviceAccount:s@p.iam.gserviceaccount.com']}]);
    assert.equal(config.platformAuth, true);
    assert.equal(config.maxTokenLifetimeMs, 4 * 3600_000);
  });

  it('refuses bad values, naming the variable and what it must be', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{PORT: 'eighty'}, /PORT must be an integer within \[0, 65535\], but was: "eighty"/],
      [{GAFFER_ACCESS: 'everyone'}, /GAFFER_ACCESS must be "iam" or "loopback"/],
      [{GAFFER_ACCESS: 'invoker'}, /GAFFER_ACCESS no longer exists .*GAFFER_CALLER_ISSUERS/],
      [{GAFFER_ACCESS: 'iam'}, /GAFFER_ACCESS=iam needs GAFFER_CALLER_ISSUERS/],
      [{GAFFER_CALLER_ISSUERS: '[{"kind":"google","audience":"a"}]', GAFFER_ACCESS: 'loopback'}, /contradicts GAFFER_CALLER_ISSUERS/],
      [{GAFFER_CALLER_ISSUERS: '[{"kind":"google"}]'}, /GAFFER_CALLER_ISSUERS .*"audience" is required/],
      [{GAFFER_ADMINS: 'ann@example.com'}, /GAFFER_ADMINS must list members/],
      [{GAFFER_IAM_POLICY: '{"bindings":[{"role":"roles/owner","members":["user:a@b.co"]}]}'}, /GAFFER_IAM_POLICY .*roles\/genomics/],
      [{GAFFER_PLATFORM_AUTH: 'yes'}, /GAFFER_PLATFORM_AUTH must be "true" or "false"/],
      [{GAFFER_MAX_TOKEN_LIFETIME: '10s'}, /GAFFER_MAX_TOKEN_LIFETIME must be at least "60s"/],
      [{GAFFER_LEASE_DURATION: '3 minutes'}, /GAFFER_LEASE_DURATION must be a duration/],
      [{GAFFER_LEASE_DURATION: '40s', GAFFER_CHECK_IN_INTERVAL: '30s'}, /at least twice GAFFER_CHECK_IN_INTERVAL/],
      [{GAFFER_WAIT_DEFAULT_TIMEOUT: '400s'}, /must not exceed GAFFER_WAIT_MAX_TIMEOUT/],
      [{GAFFER_PAGE_TOKEN_SECRET: 'short'}, /at least 32 characters/],
      [{FIRESTORE_EMULATOR_HOST: 'localhost'}, /must be host:port/],
      [{GAFFER_WORKER_ISSUERS: '[{"kind":"oidc"}]'}, /GAFFER_WORKER_ISSUERS/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => parseConfig(env), (err: Error) => err instanceof ConfigError && message.test(err.message), JSON.stringify(env));
    }
  });
});
