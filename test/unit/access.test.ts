/**
 * The access seam: who callers are (ID tokens of the configured issuers, development mode
 * for loopback peers only, tokens the platform verified) and what the IAM policies grant.
 * The HTTP answers of every role on every RPC are test/integration/accessMatrix.test.ts.
 */
import {strict as assert} from 'assert';
import {rmSync} from 'fs';
import {CallerAuthenticator, isLoopback, presentedToken} from '../../src/core/access';
import {CallerTokenReason, createCallerIdentityVerifier, parseCallerIssuers} from '../../src/core/callerIdentity';
import {GafferError} from '../../src/core/errors';
import {IamService, PERMISSIONS, ROLES, etagOf, normalizeBindings, parseMembers} from '../../src/core/iam';
import {memoryStores} from '../../src/store/memory';
import {TestClock} from '../helpers/core';
import {TestCallers, makeTestCallers, nowSeconds, sign} from '../helpers/tokens';

async function refusal(promise: Promise<unknown>): Promise<GafferError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GafferError, String(err));
    return err;
  }
  return assert.fail('expected a refusal');
}

function unsigned(token: string): string {
  const [header, payload] = token.split('.');
  return `${header}.${payload}.SIGNATURE_REMOVED_BY_GOOGLE`;
}

describe('access seam', () => {
  it('knows loopback addresses, IPv4-mapped ones included', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(address), true, address);
    for (const address of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', '2001:db8::1', '198.18.0.7', '', undefined]) {
      assert.equal(isLoopback(address), false, String(address));
    }
  });

  describe('development mode (no caller issuer)', () => {
    const dev = new CallerAuthenticator(undefined);

    it('lets a loopback peer in as a development principal, whatever it sends', async () => {
      const principal = await dev.authenticate({remoteAddress: '127.0.0.1', authorization: 'Bearer whatever'});
      assert.equal(principal.development, true);
      assert.equal(principal.member, 'loopback:127.0.0.1');
    });

    it('refuses every other peer with 401, whatever it claims in headers', async () => {
      for (const remoteAddress of ['198.18.0.7', '10.0.0.1', undefined]) {
        const err = await refusal(dev.authenticate({remoteAddress, authorization: 'Bearer x'}));
        assert.equal(err.code, 'UNAUTHENTICATED');
        assert.equal(err.reason, 'DEVELOPMENT_MODE_LOOPBACK_ONLY');
        assert.match(err.message, /GAFFER_CALLER_ISSUERS/);
      }
    });
  });

  describe('ID tokens', () => {
    let callers: TestCallers;
    let auth: CallerAuthenticator;
    before(async () => {
      callers = await makeTestCallers('gaffer-access-');
      auth = new CallerAuthenticator(createCallerIdentityVerifier(callers.callerIssuers));
    });
    after(() => rmSync(callers.dir, {recursive: true, force: true}));

    const from = (authorization?: string) => ({remoteAddress: '127.0.0.1', ...(authorization ? {authorization} : {})});

    it('an OIDC token proves user: and group: members', async () => {
      const token = await callers.token('Ann@Example.com', {groups: ['Team-A', 'ops@example.com', 'has space']});
      const principal = await auth.authenticate(from(`Bearer ${token}`));
      assert.equal(principal.member, 'user:ann@example.com');
      assert.deepEqual(principal.members, ['user:ann@example.com', 'group:team-a', 'group:ops@example.com']);
      assert.equal(principal.development, undefined);
    });

    it('a Google ID token proves user: and domain: (hd); a service account is serviceAccount:', async () => {
      const user = await auth.authenticate(from(`Bearer ${await callers.googleToken('bob@corp.example', {hd: 'corp.example'})}`));
      assert.deepEqual(user.members, ['user:bob@corp.example', 'domain:corp.example']);
      const sa = await auth.authenticate(from(`Bearer ${await callers.googleToken('runner@p.iam.gserviceaccount.com')}`));
      assert.equal(sa.member, 'serviceAccount:runner@p.iam.gserviceaccount.com');
      // Google's iss without the scheme is the same issuer.
      const bare = await auth.authenticate(from(`Bearer ${await callers.googleToken('c@corp.example', {iss: 'accounts.google.com'})}`));
      assert.equal(bare.member, 'user:c@corp.example');
    });

    const refusals: Array<[string, () => Promise<string | undefined>, string]> = [
      ['no token at all', async () => undefined, CallerTokenReason.MISSING],
      ['Basic credentials', async () => 'Basic YTpi', CallerTokenReason.MALFORMED],
      ['an expired token', async () => `Bearer ${await callers.token('a@example.com', {iat: nowSeconds() - 7200, exp: nowSeconds() - 3600})}`, CallerTokenReason.EXPIRED],
      ['a forged token (another key, same kid)', async () => `Bearer ${await sign(callers.impostor, {...(await claimsOf(callers.token('a@example.com')))})}`, CallerTokenReason.INVALID_SIGNATURE],
      ['a token for another audience', async () => `Bearer ${await callers.token('a@example.com', {aud: 'someone-else'})}`, CallerTokenReason.WRONG_AUDIENCE],
      ['a token of an unknown issuer', async () => `Bearer ${await callers.token('a@example.com', {iss: 'https://evil.example'})}`, CallerTokenReason.UNKNOWN_ISSUER],
      ['a token valid for 100 years', async () => `Bearer ${await callers.token('a@example.com', {exp: nowSeconds() + 100 * 365 * 86400})}`, CallerTokenReason.LIFETIME_TOO_LONG],
      ['a token with an unverified e-mail', async () => `Bearer ${await callers.token('a@example.com', {email_verified: false})}`, CallerTokenReason.MISSING_CLAIM],
      ['a token with no e-mail', async () => `Bearer ${await callers.token('a@example.com', {email: undefined})}`, CallerTokenReason.MISSING_CLAIM],
      ['an unsigned (platform-stripped) token where no platform checks', async () => `Bearer ${unsigned(await callers.googleToken('a@example.com'))}`, CallerTokenReason.INVALID_SIGNATURE],
    ];
    for (const [title, make, reason] of refusals) {
      it(`refuses ${title}: 401 ${reason}`, async () => {
        const err = await refusal(auth.authenticate(from(await make())));
        assert.equal(err.code, 'UNAUTHENTICATED', err.message);
        assert.equal(err.reason, reason, err.message);
      });
    }

    describe('behind Cloud Run\'s IAM check (GAFFER_PLATFORM_AUTH)', () => {
      let platform: CallerAuthenticator;
      before(() => {
        platform = new CallerAuthenticator(createCallerIdentityVerifier(callers.callerIssuers), true);
      });

      it('accepts a Google token whose signature the platform removed, in the header it checked', async () => {
        const token = unsigned(await callers.googleToken('ann@example.com', {aud: 'https://gaffer-xyz.run.app'}));
        const principal = await platform.authenticate({authorization: `Bearer ${token}`});
        assert.equal(principal.member, 'user:ann@example.com');
        // Sent as X-Serverless-Authorization (and no Authorization): the platform checked that one.
        const viaServerless = await platform.authenticate({serverlessAuthorization: `Bearer ${token}`});
        assert.equal(viaServerless.member, 'user:ann@example.com');
      });

      it('refuses an unsigned Authorization when X-Serverless-Authorization was the header checked', async () => {
        const real = unsigned(await callers.googleToken('mallory@example.com'));
        const forged = unsigned(await callers.googleToken('admin@example.com'));
        const err = await refusal(platform.authenticate({authorization: `Bearer ${forged}`, serverlessAuthorization: `Bearer ${real}`}));
        assert.equal(err.reason, CallerTokenReason.INVALID_SIGNATURE);
        // A signed Authorization beside it is verified by Gaffer itself.
        const signed = await callers.token('ann@example.com');
        const principal = await platform.authenticate({authorization: `Bearer ${signed}`, serverlessAuthorization: `Bearer ${real}`});
        assert.equal(principal.member, 'user:ann@example.com');
      });

      it('refuses unsigned tokens of other issuers, and expired ones', async () => {
        const other = unsigned(await callers.token('ann@example.com'));
        assert.equal((await refusal(platform.authenticate({authorization: `Bearer ${other}`}))).reason, CallerTokenReason.INVALID_SIGNATURE);
        const expired = unsigned(await callers.googleToken('ann@example.com', {iat: nowSeconds() - 7200, exp: nowSeconds() - 3600}));
        assert.equal((await refusal(platform.authenticate({authorization: `Bearer ${expired}`}))).reason, CallerTokenReason.EXPIRED);
      });

      it('picks the header the platform checked', () => {
        assert.deepEqual(presentedToken({authorization: 'Bearer a'}, true, CallerTokenReason), {token: 'a', presentation: {platformVerified: true}});
        assert.deepEqual(presentedToken({authorization: 'Bearer a', serverlessAuthorization: 'Bearer b'}, true, CallerTokenReason), {
          token: 'a',
          presentation: {},
        });
        assert.deepEqual(presentedToken({serverlessAuthorization: 'Bearer b'}, false, CallerTokenReason), undefined);
      });
    });
  });

  it('parses caller issuer configuration strictly', () => {
    assert.deepEqual(parseCallerIssuers('[{"kind":"google","audience":"https://x.run.app"}]'), [
      {kind: 'google', issuer: 'https://accounts.google.com', audience: 'https://x.run.app', jwksUri: 'https://www.googleapis.com/oauth2/v3/certs'},
    ]);
    for (const [bad, message] of [
      ['[{"kind":"google"}]', /"audience" is required/],
      ['[{"kind":"google","audience":"a","emailClaim":"mail"}]', /applies only to kind "oidc"/],
      ['[{"kind":"oidc","issuer":"https://i","audience":"a"}]', /jwksFile/],
      ['[{"kind":"saml","audience":"a"}]', /"kind" must be/],
      ['[{"kind":"google","audience":"a","issuer":"https://evil"}]', /must be one of/],
    ] as const) {
      assert.throws(() => parseCallerIssuers(bad), message);
    }
  });
});

async function claimsOf(token: Promise<string>): Promise<Record<string, unknown>> {
  const [, payload = ''] = (await token).split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
}

describe('IAM policies', () => {
  const ann = {member: 'user:ann@example.com', members: ['user:ann@example.com', 'group:team-a', 'domain:example.com']};
  const bob = {member: 'user:bob@other.example', members: ['user:bob@other.example']};
  let iam: IamService;
  beforeEach(() => {
    iam = new IamService({
      policies: memoryStores().policies,
      clock: new TestClock(),
      inherited: [{role: 'roles/gaffer.sweeper', members: ['serviceAccount:sched@p.iam.gserviceaccount.com']}],
      cacheTtlMs: 0,
    });
  });

  it('grants each role exactly its permissions, through any of the caller\'s members', async () => {
    const expected: Record<string, string[]> = {
      'roles/genomics.viewer': ['genomics.operations.get', 'genomics.operations.list', 'gaffer.workers.get', 'gaffer.workers.list'],
      'roles/genomics.pipelinesRunner': [
        'genomics.operations.create',
        'genomics.operations.get',
        'genomics.operations.list',
        'genomics.operations.cancel',
        'gaffer.workers.get',
        'gaffer.workers.list',
      ],
    };
    for (const [role, permissions] of Object.entries(expected)) {
      for (const member of ['user:ann@example.com', 'group:team-a', 'domain:example.com']) {
        const project = `p-${role.split('.').pop()?.toLowerCase()}-${member.split(':')[0]}`;
        await iam.setPolicy(project, {bindings: [{role, members: [member]}]});
        for (const permission of PERMISSIONS) {
          assert.equal(await iam.holds(ann, permission, project), permissions.includes(permission), `${role} via ${member}: ${permission}`);
          assert.equal(await iam.holds(bob, permission, project), false);
        }
      }
    }
    await iam.setPolicy('admin-project', {bindings: [{role: 'roles/genomics.admin', members: ['user:ann@example.com']}]});
    for (const permission of PERMISSIONS) {
      const onProject = !['gaffer.leases.expire', 'gaffer.outbox.dispatch', 'gaffer.queueStats.record'].includes(permission);
      assert.equal(await iam.holds(ann, permission, 'admin-project'), onProject, permission);
    }
  });

  it('grants on every project ("*") only through inherited bindings', async () => {
    const sched = {member: 'serviceAccount:sched@p.iam.gserviceaccount.com', members: ['serviceAccount:sched@p.iam.gserviceaccount.com']};
    assert.equal(await iam.holds(sched, 'gaffer.leases.expire', '*'), true);
    assert.equal(await iam.holds(sched, 'genomics.operations.get', 'any-project'), false);
    await iam.setPolicy('p1', {bindings: [{role: 'roles/gaffer.sweeper', members: ['user:ann@example.com']}]});
    assert.equal(await iam.holds(ann, 'gaffer.leases.expire', '*'), false);
    const err = await refusal(iam.authorize(bob, 'genomics.operations.cancel', 'p1'));
    assert.equal(err.code, 'PERMISSION_DENIED');
    assert.match(err.message, /Permission 'genomics\.operations\.cancel' denied on resource 'projects\/p1' \(or it may not exist\)/);
  });

  it('setIamPolicy at a stale etag is ABORTED and changes nothing; the current etag succeeds', async () => {
    const empty = await iam.getPolicy('p2');
    assert.deepEqual(empty, {version: 1, etag: etagOf('p2', 0)});
    const first = await iam.setPolicy('p2', {etag: empty.etag, bindings: [{role: 'roles/genomics.viewer', members: ['user:ann@example.com']}]});
    const err = await refusal(iam.setPolicy('p2', {etag: empty.etag, bindings: []}));
    assert.equal(err.code, 'ABORTED');
    assert.equal(err.reason, 'ETAG_MISMATCH');
    assert.deepEqual(await iam.getPolicy('p2'), first);
    const second = await iam.setPolicy('p2', {etag: first.etag, bindings: []});
    assert.notEqual(second.etag, first.etag);
    assert.equal(second.bindings, undefined);
  });

  it('normalizes bindings and refuses unknown roles, bad members and conditions', () => {
    assert.deepEqual(
      normalizeBindings([
        {role: 'roles/genomics.viewer', members: ['user:B@x.com', 'user:a@x.com']},
        {role: 'roles/genomics.viewer', members: ['user:b@x.com']},
        {role: 'roles/genomics.admin', members: []},
      ]),
      [{role: 'roles/genomics.viewer', members: ['user:a@x.com', 'user:b@x.com']}],
    );
    assert.throws(() => normalizeBindings([{role: 'roles/owner', members: ['user:a@x.com']}]), /one of roles\/genomics/);
    assert.throws(() => normalizeBindings([{role: 'roles/genomics.viewer', members: ['allUsers']}]), /members\[0\]/);
    assert.throws(() => normalizeBindings([{role: 'roles/genomics.viewer', members: ['a@x.com']}]), /members\[0\]/);
    assert.throws(() => normalizeBindings([{role: 'roles/genomics.viewer', members: ['user:a@x.com'], condition: {}}]), /condition/);
    assert.deepEqual(parseMembers(' user:Ann@X.com , group:ops '), ['user:ann@x.com', 'group:ops']);
    assert.throws(() => parseMembers('ann@x.com'), /members/);
    assert.ok(Object.keys(ROLES).includes('roles/genomics.pipelinesRunner'));
  });

  it('testIamPermissions answers the subset held, and refuses wildcards', async () => {
    await iam.setPolicy('p3', {bindings: [{role: 'roles/genomics.viewer', members: ['group:team-a']}]});
    assert.deepEqual(await iam.test(ann, 'p3', ['genomics.operations.get', 'genomics.operations.cancel', 'other.things.do']), {
      permissions: ['genomics.operations.get'],
    });
    assert.deepEqual(await iam.test(bob, 'p3', ['genomics.operations.get']), {});
    assert.equal((await refusal(iam.test(ann, 'p3', ['genomics.*']))).code, 'INVALID_ARGUMENT');
  });
});
