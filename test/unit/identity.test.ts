import {strict as assert} from 'assert';
import {mkdtempSync, rmSync, writeFileSync} from 'fs';
import {createServer, type Server} from 'http';
import type {AddressInfo} from 'net';
import {tmpdir} from 'os';
import {join} from 'path';
import {exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike} from 'jose';
import {GafferError} from '../../src/core/errors';
import {
  claimAtPath,
  createWorkerIdentityVerifier,
  GCE_ISSUER,
  GCE_JWKS_URI,
  parseTrustedIssuers,
  type WorkerIdentity,
  type WorkerIdentityVerifier,
} from '../../src/core/identity';

const NOW = new Date('2031-05-06T07:08:09Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
/** `seconds` after NOW_S. */
const at = (seconds: number) => new Date((NOW_S + seconds) * 1000);
const K8S_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const GCE_AUD = 'https://gaffer.example.com';
const K8S_AUD = 'gaffer-workers';

interface Pair {
  privateKey: KeyLike;
  publicJwk: JWK;
}

async function pair(alg: 'RS256' | 'ES256' | 'EdDSA', kid: string): Promise<Pair> {
  const {privateKey, publicKey} = await generateKeyPair(alg, alg === 'EdDSA' ? {crv: 'Ed25519'} : undefined);
  return {privateKey, publicJwk: {...(await exportJWK(publicKey)), kid, alg, use: 'sig'}};
}

function sign(
  key: Pair | KeyLike,
  claims: JWTPayload,
  header: {alg?: string; kid?: string | null} = {},
): Promise<string> {
  const privateKey = 'privateKey' in key ? key.privateKey : key;
  const jwk = 'publicJwk' in key ? key.publicJwk : undefined;
  const alg = header.alg ?? jwk?.alg ?? 'RS256';
  const kid = header.kid === null ? undefined : header.kid ?? jwk?.kid;
  return new SignJWT(claims).setProtectedHeader(kid ? {alg, kid} : {alg}).sign(privateKey);
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function gceClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: GCE_ISSUER,
    aud: GCE_AUD,
    sub: '112233445566778899',
    azp: '112233445566778899',
    iat: NOW_S - 60,
    exp: NOW_S + 3540,
    google: {
      compute_engine: {
        project_id: 'my-project',
        project_number: 123456789012,
        zone: 'us-central1-a',
        instance_id: '1234567890123456789',
        instance_name: 'gaffer-worker-7',
      },
    },
    ...overrides,
  };
}

function k8sClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: K8S_ISSUER,
    aud: ['https://kubernetes.default.svc', K8S_AUD],
    sub: 'system:serviceaccount:batch:gaffer-worker',
    iat: NOW_S - 10,
    nbf: NOW_S - 10,
    exp: NOW_S + 600,
    'kubernetes.io': {
      namespace: 'batch',
      pod: {name: 'worker-abc12', uid: '5e9b1b0f-0000-4000-8000-000000000001'},
      serviceaccount: {name: 'gaffer-worker', uid: '5e9b1b0f-0000-4000-8000-000000000002'},
    },
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<GafferError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GafferError, `expected a GafferError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the token to be refused');
}

async function assertRefused(
  verifier: WorkerIdentityVerifier,
  token: string,
  reason: string,
  message?: RegExp,
  code = 'UNAUTHENTICATED',
): Promise<GafferError> {
  const err = await rejection(verifier.verify(token));
  assert.equal(err.code, code, err.message);
  assert.equal(err.reason, reason, err.message);
  if (message) assert.match(err.message, message);
  if (typeof token !== 'string') return err;
  if (token.length > 10) assert.ok(!err.message.includes(token), 'the message must not contain the token');
  for (const segment of token.split('.')) {
    if (segment.length > 20) assert.ok(!err.message.includes(segment), 'the message must not contain the token');
  }
  return err;
}

describe('worker identity', () => {
  let dir: string;
  let rsa: Pair;
  let ec: Pair;
  let ed: Pair;
  let rsaImpostor: Pair; // same kid as rsa, different key
  let gceJwks: string;
  let k8sJwks: string;
  let clock: Date;
  let verifier: WorkerIdentityVerifier;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gaffer-identity-'));
    rsa = await pair('RS256', 'gce-key-1');
    rsaImpostor = await pair('RS256', 'gce-key-1');
    ec = await pair('ES256', 'k8s-key-1');
    ed = await pair('EdDSA', 'k8s-key-2');
    gceJwks = join(dir, 'gce-jwks.json');
    k8sJwks = join(dir, 'k8s-jwks.json');
    writeFileSync(gceJwks, JSON.stringify({keys: [rsa.publicJwk]}));
    writeFileSync(k8sJwks, JSON.stringify({keys: [ec.publicJwk, ed.publicJwk]}));
  });

  after(() => rmSync(dir, {recursive: true, force: true}));

  beforeEach(() => {
    clock = NOW;
    verifier = createWorkerIdentityVerifier(
      [
        {kind: 'gce', issuer: GCE_ISSUER, audience: GCE_AUD, jwksFile: gceJwks},
        {
          kind: 'oidc',
          issuer: K8S_ISSUER,
          audience: K8S_AUD,
          jwksFile: k8sJwks,
          workerClaim: 'kubernetes.io.pod.name',
          projectId: 'k8s-project',
        },
      ],
      {now: () => clock},
    );
  });

  describe('accepts', () => {
    // The whole identity each kind of token stands for.
    const identities: Array<{title: string; token: () => Promise<string>; identity: WorkerIdentity}> = [
      {
        title: 'a GCE instance identity token',
        token: () => sign(rsa, gceClaims()),
        identity: {projectId: 'my-project', workerId: 'gaffer-worker-7', issuer: GCE_ISSUER, subject: '112233445566778899', expiresAt: at(3540)},
      },
      {
        title: 'a Kubernetes service-account token: nested workerClaim, fixed projectId, aud array',
        token: () => sign(ec, k8sClaims()),
        identity: {
          projectId: 'k8s-project',
          workerId: 'worker-abc12',
          issuer: K8S_ISSUER,
          subject: 'system:serviceaccount:batch:gaffer-worker',
          expiresAt: at(600),
        },
      },
    ];
    for (const {title, token, identity} of identities) {
      it(title, async () => {
        assert.deepEqual(await verifier.verify(await token()), identity);
      });
    }

    it('a GCE token of a domain-scoped project', async () => {
      const claims = gceClaims();
      (claims.google as {compute_engine: {project_id: string}}).compute_engine.project_id = 'example.com:my-project';
      const identity = await verifier.verify(await sign(rsa, claims));
      assert.equal(identity.projectId, 'example.com:my-project');
    });

    it('an EdDSA token', async () => {
      const identity = await verifier.verify(await sign(ed, k8sClaims()));
      assert.equal(identity.workerId, 'worker-abc12');
    });

    it('a token without kid, trying each key of the set', async () => {
      const other = await pair('ES256', 'k8s-key-3');
      const file = join(dir, 'two-ec.json');
      writeFileSync(file, JSON.stringify({keys: [other.publicJwk, ec.publicJwk]}));
      const v = createWorkerIdentityVerifier(
        [{kind: 'oidc', issuer: K8S_ISSUER, audience: K8S_AUD, jwksFile: file, workerClaim: 'kubernetes.io.pod.name', projectId: 'k8s-project'}],
        {now: () => clock},
      );
      assert.equal((await v.verify(await sign(ec, k8sClaims(), {kid: null}))).workerId, 'worker-abc12');
      const stranger = await pair('ES256', 'x');
      await assertRefused(v, await sign(stranger, k8sClaims(), {kid: null}), 'WORKER_TOKEN_INVALID_SIGNATURE');
    });

    it('a token just past exp or before nbf within the clock tolerance', async () => {
      clock = new Date((NOW_S + 3540 + 20) * 1000);
      assert.equal((await verifier.verify(await sign(rsa, gceClaims()))).workerId, 'gaffer-worker-7');
      clock = new Date((NOW_S - 10 - 20) * 1000);
      assert.equal((await verifier.verify(await sign(ec, k8sClaims()))).workerId, 'worker-abc12');
    });

    it('surrounding whitespace, as read from a token file', async () => {
      const token = await sign(rsa, gceClaims());
      assert.equal((await verifier.verify(`${token}\n`)).workerId, 'gaffer-worker-7');
    });

    it('projectClaim and the default workerClaim "sub"', async () => {
      const v = createWorkerIdentityVerifier(
        [{kind: 'oidc', issuer: 'https://issuer.example', audience: 'gaffer', jwksFile: k8sJwks, projectClaim: 'tenant.project'}],
        {now: () => clock},
      );
      const token = await sign(ec, {
        iss: 'https://issuer.example',
        aud: 'gaffer',
        sub: 'worker-9',
        exp: NOW_S + 60,
        tenant: {project: 'tenant-project'},
      });
      const identity = await v.verify(token);
      assert.equal(identity.workerId, 'worker-9');
      assert.equal(identity.projectId, 'tenant-project');
    });

    it('the right config when one issuer is configured with several audiences', async () => {
      const v = createWorkerIdentityVerifier(
        [
          {kind: 'oidc', issuer: K8S_ISSUER, audience: 'aud-a', jwksFile: k8sJwks, projectId: 'project-a'},
          {kind: 'oidc', issuer: K8S_ISSUER, audience: 'aud-b', jwksFile: k8sJwks, projectId: 'project-b'},
        ],
        {now: () => clock},
      );
      const claims = {iss: K8S_ISSUER, sub: 'w1', exp: NOW_S + 60};
      assert.equal((await v.verify(await sign(ec, {...claims, aud: 'aud-b'}))).projectId, 'project-b');
      assert.equal((await v.verify(await sign(ec, {...claims, aud: 'aud-a'}))).projectId, 'project-a');
      await assertRefused(v, await sign(ec, {...claims, aud: 'aud-c'}), 'WORKER_TOKEN_WRONG_AUDIENCE', /"aud-a" or "aud-b"/);
    });
  });

  describe('refuses', () => {
    it('a missing token', async () => {
      await assertRefused(verifier, '', 'WORKER_TOKEN_MISSING', /No worker token/);
      await assertRefused(verifier, '   ', 'WORKER_TOKEN_MISSING');
      await assertRefused(verifier, undefined as unknown as string, 'WORKER_TOKEN_MISSING');
    });

    it('malformed tokens', async () => {
      await assertRefused(verifier, 'abc', 'WORKER_TOKEN_MALFORMED', /1 segment\b/);
      await assertRefused(verifier, 'a.b', 'WORKER_TOKEN_MALFORMED', /2 segments/);
      await assertRefused(verifier, 'garbage!.more garbage.~~~', 'WORKER_TOKEN_MALFORMED', /base64url/);
      await assertRefused(verifier, 'eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln', 'WORKER_TOKEN_MALFORMED');
      await assertRefused(verifier, `${b64({alg: 'RS256'})}.${b64(['array'])}.c2ln`, 'WORKER_TOKEN_MALFORMED');
      await assertRefused(verifier, 'a.b.c.d.e', 'WORKER_TOKEN_MALFORMED', /5 segments/);
      await assertRefused(verifier, `${'a'.repeat(20000)}.b.c`, 'WORKER_TOKEN_MALFORMED', /characters long/);
    });

    it('an expired token, using the injected clock', async () => {
      const token = await sign(rsa, gceClaims());
      clock = new Date((NOW_S + 3540 + 31) * 1000);
      const err = await assertRefused(verifier, token, 'WORKER_TOKEN_EXPIRED', /expired at 2031-05-06T08:07:09\.000Z/);
      assert.match(err.message, /fetch a fresh token/);
    });

    it('a token that is not yet valid (nbf) or issued in the future (iat)', async () => {
      clock = new Date((NOW_S - 10 - 31) * 1000);
      await assertRefused(verifier, await sign(ec, k8sClaims()), 'WORKER_TOKEN_NOT_YET_VALID', /not valid before .*clock/);
      clock = new Date((NOW_S - 60 - 31) * 1000);
      await assertRefused(verifier, await sign(rsa, gceClaims()), 'WORKER_TOKEN_NOT_YET_VALID', /issued at/);
    });

    it('a token with no exp', async () => {
      const claims = gceClaims();
      delete claims.exp;
      await assertRefused(verifier, await sign(rsa, claims), 'WORKER_TOKEN_MISSING_CLAIM', /no "exp" claim/);
    });

    it('a token valid for longer than the maximum lifetime (4 hours unless configured)', async () => {
      const century = await sign(rsa, gceClaims({exp: NOW_S + 100 * 365 * 86_400}));
      await assertRefused(verifier, century, 'WORKER_TOKEN_LIFETIME_TOO_LONG', /valid for 876\d+h.*at most 4h \(GAFFER_MAX_TOKEN_LIFETIME\)/);
      // No iat or nbf: counted from now.
      const claims = gceClaims({exp: NOW_S + 5 * 3600});
      delete claims.iat;
      await assertRefused(verifier, await sign(rsa, claims), 'WORKER_TOKEN_LIFETIME_TOO_LONG');
      // Exactly the maximum is fine, and a longer one where the maximum is configured longer.
      const fourHours = await sign(rsa, gceClaims({iat: NOW_S - 60, exp: NOW_S - 60 + 4 * 3600}));
      assert.equal((await verifier.verify(fourHours)).workerId, 'gaffer-worker-7');
      const daily = createWorkerIdentityVerifier([{kind: 'gce', issuer: GCE_ISSUER, audience: GCE_AUD, jwksFile: gceJwks}], {
        now: () => clock,
        maxLifetimeSeconds: 86_400,
      });
      assert.equal((await daily.verify(await sign(rsa, gceClaims({exp: NOW_S + 20 * 3600})))).workerId, 'gaffer-worker-7');
    });

    it('a forged token: another key with the same kid', async () => {
      await assertRefused(
        verifier,
        await sign(rsaImpostor, gceClaims()),
        'WORKER_TOKEN_INVALID_SIGNATURE',
        /signature does not verify against the keys of issuer "https:\/\/accounts.google.com"/,
      );
    });

    it('a token whose kid is not in the key set', async () => {
      await assertRefused(
        verifier,
        await sign(rsaImpostor, gceClaims(), {kid: 'rotated-away'}),
        'WORKER_TOKEN_INVALID_SIGNATURE',
        /kid "rotated-away"/,
      );
    });

    it('a tampered payload', async () => {
      const [header, , signature] = (await sign(rsa, gceClaims())).split('.');
      const claims = gceClaims();
      (claims.google as {compute_engine: {project_id: string}}).compute_engine.project_id = 'other-project';
      await assertRefused(verifier, `${header}.${b64(claims)}.${signature}`, 'WORKER_TOKEN_INVALID_SIGNATURE');
    });

    it('alg none and HS256 tokens', async () => {
      const none = `${b64({alg: 'none', typ: 'JWT'})}.${b64(gceClaims())}.`;
      await assertRefused(verifier, none, 'WORKER_TOKEN_INVALID_SIGNATURE', /"alg" is "none".*asymmetric/);
      const hs = await new SignJWT(gceClaims())
        .setProtectedHeader({alg: 'HS256', kid: 'gce-key-1'})
        .sign(new TextEncoder().encode('a-shared-secret-that-is-long-enough-for-hs256'));
      await assertRefused(verifier, hs, 'WORKER_TOKEN_INVALID_SIGNATURE', /"alg" is "HS256"/);
      // The classic confusion: the public key as an HMAC secret.
      const confused = await new SignJWT(gceClaims())
        .setProtectedHeader({alg: 'HS256'})
        .sign(new TextEncoder().encode(JSON.stringify(rsa.publicJwk)));
      await assertRefused(verifier, confused, 'WORKER_TOKEN_INVALID_SIGNATURE');
    });

    it('an algorithm that does not fit the key (ES256 header, RSA key set)', async () => {
      await assertRefused(verifier, await sign(ec, gceClaims(), {kid: 'gce-key-1'}), 'WORKER_TOKEN_INVALID_SIGNATURE');
    });

    it('a token with the wrong audience', async () => {
      await assertRefused(
        verifier,
        await sign(rsa, gceClaims({aud: 'https://someone-else.example.com'})),
        'WORKER_TOKEN_WRONG_AUDIENCE',
        /audience is "https:\/\/someone-else.example.com"; this Gaffer accepts "https:\/\/gaffer.example.com" for issuer .*GAFFER_WORKER_ISSUERS/,
      );
      await assertRefused(verifier, await sign(ec, k8sClaims({aud: ['https://kubernetes.default.svc']})), 'WORKER_TOKEN_WRONG_AUDIENCE');
    });

    it('a token with no aud', async () => {
      const claims = gceClaims();
      delete claims.aud;
      await assertRefused(verifier, await sign(rsa, claims), 'WORKER_TOKEN_MISSING_CLAIM', /"aud"/);
    });

    it('a token of an unknown issuer, or with no issuer', async () => {
      const err = await assertRefused(
        verifier,
        await sign(rsa, gceClaims({iss: 'https://evil.example.com'})),
        'WORKER_TOKEN_UNKNOWN_ISSUER',
        /issuer is "https:\/\/evil.example.com"; this Gaffer trusts "https:\/\/accounts.google.com", "https:\/\/kubernetes.default.svc.cluster.local"/,
      );
      assert.equal(err.metadata.issuer, 'https://evil.example.com');
      const claims = gceClaims();
      delete claims.iss;
      await assertRefused(verifier, await sign(rsa, claims), 'WORKER_TOKEN_MISSING_CLAIM', /"iss"/);
    });

    it('a GCE token without the compute_engine claims (format=standard)', async () => {
      const claims = gceClaims();
      delete claims.google;
      const err = await assertRefused(
        verifier,
        await sign(rsa, claims),
        'WORKER_TOKEN_MISSING_CLAIM',
        /no "google.compute_engine.instance_name" claim; request .*format=full/,
      );
      assert.equal(err.metadata.claim, 'google.compute_engine.instance_name');
    });

    it('a token missing the configured worker claim', async () => {
      const claims = k8sClaims();
      delete (claims['kubernetes.io'] as {pod?: unknown}).pod;
      await assertRefused(verifier, await sign(ec, claims), 'WORKER_TOKEN_MISSING_CLAIM', /"kubernetes.io.pod.name"/);
    });

    it('a token with no sub', async () => {
      const claims = gceClaims();
      delete claims.sub;
      await assertRefused(verifier, await sign(rsa, claims), 'WORKER_TOKEN_MISSING_CLAIM', /"sub"/);
    });

    it('a worker id with bad characters, naming the claim', async () => {
      const claims = gceClaims();
      (claims.google as {compute_engine: {instance_name: string}}).compute_engine.instance_name = 'bad/name';
      await assertRefused(
        verifier,
        await sign(rsa, claims),
        'WORKER_TOKEN_MISSING_CLAIM',
        /"google.compute_engine.instance_name" claim must be a worker id .*"bad\/name"/,
      );
      const v = createWorkerIdentityVerifier(
        [{kind: 'oidc', issuer: K8S_ISSUER, audience: K8S_AUD, jwksFile: k8sJwks, projectId: 'k8s-project'}],
        {now: () => clock},
      );
      await assertRefused(v, await sign(ec, k8sClaims()), 'WORKER_TOKEN_MISSING_CLAIM', /"sub" claim .*kubernetes.io.pod.name/);
      await assertRefused(v, await sign(ec, k8sClaims({sub: 'x'.repeat(129)})), 'WORKER_TOKEN_MISSING_CLAIM');
      await assertRefused(v, await sign(ec, k8sClaims({sub: '-leading-dash'})), 'WORKER_TOKEN_MISSING_CLAIM');
    });

    it('a project id that is not one', async () => {
      for (const projectId of ['UPPER-project', 'abc', 'my_project', '1project']) {
        const claims = gceClaims();
        (claims.google as {compute_engine: {project_id: string}}).compute_engine.project_id = projectId;
        await assertRefused(verifier, await sign(rsa, claims), 'WORKER_TOKEN_MISSING_CLAIM', /"google.compute_engine.project_id"/);
      }
    });
  });

  describe('remote key sets', () => {
    let server: Server;
    let base: string;
    let healthy = true;

    before(async () => {
      server = createServer((_req, res) => {
        if (!healthy) {
          res.writeHead(500).end('down');
          return;
        }
        res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({keys: [ec.publicJwk]}));
      });
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(() => new Promise<void>(resolve => server.close(() => resolve())));

    it('verifies with keys fetched from jwksUri', async () => {
      healthy = true;
      const v = createWorkerIdentityVerifier(
        [{kind: 'oidc', issuer: K8S_ISSUER, audience: K8S_AUD, jwksUri: `${base}/ok`, workerClaim: 'kubernetes.io.pod.name', projectId: 'k8s-project'}],
        {now: () => clock},
      );
      assert.equal((await v.verify(await sign(ec, k8sClaims()))).workerId, 'worker-abc12');
    });

    it('is UNAVAILABLE, not UNAUTHENTICATED, when the key set cannot be fetched', async () => {
      healthy = false;
      const v = createWorkerIdentityVerifier(
        [{kind: 'oidc', issuer: K8S_ISSUER, audience: K8S_AUD, jwksUri: `${base}/down`, projectId: 'k8s-project'}],
        {now: () => clock},
      );
      await assertRefused(v, await sign(ec, k8sClaims()), 'WORKER_JWKS_UNAVAILABLE', /retry later/, 'UNAVAILABLE');
    });
  });

  describe('createWorkerIdentityVerifier', () => {
    it('refuses a JWKS file with private or symmetric keys, or none', async () => {
      const {privateKey} = await generateKeyPair('ES256', {extractable: true});
      const privateFile = join(dir, 'private.json');
      writeFileSync(privateFile, JSON.stringify({keys: [await exportJWK(privateKey)]}));
      const base = {kind: 'oidc', issuer: K8S_ISSUER, audience: K8S_AUD, projectId: 'k8s-project'} as const;
      assert.throws(() => createWorkerIdentityVerifier([{...base, jwksFile: privateFile}]), /private key/);
      const octFile = join(dir, 'oct.json');
      writeFileSync(octFile, JSON.stringify({keys: [{kty: 'oct', k: 'c2VjcmV0'}]}));
      assert.throws(() => createWorkerIdentityVerifier([{...base, jwksFile: octFile}]), /symmetric/);
      const emptyFile = join(dir, 'empty.json');
      writeFileSync(emptyFile, '{"keys": []}');
      assert.throws(() => createWorkerIdentityVerifier([{...base, jwksFile: emptyFile}]), /at least one key/);
      assert.throws(() => createWorkerIdentityVerifier([{...base, jwksFile: join(dir, 'nope.json')}]), /cannot be read/);
    });

    it('validates configs built in code too', () => {
      assert.throws(
        () => createWorkerIdentityVerifier([{kind: 'oidc', issuer: K8S_ISSUER, audience: K8S_AUD, jwksFile: k8sJwks}]),
        /trusted issuer \[0\]: needs the workers' project/,
      );
      assert.throws(() => createWorkerIdentityVerifier([], {clockToleranceSeconds: -1}), /clockToleranceSeconds/);
    });
  });

  describe('claimAtPath', () => {
    it('finds keys that contain dots, longest first, backtracking', () => {
      const claims = {'kubernetes.io': {pod: {name: 'p'}}, a: {b: {c: 1}}, 'a.b': {d: 2}, 'x.y': 3};
      assert.equal(claimAtPath(claims, 'kubernetes.io.pod.name'), 'p');
      assert.equal(claimAtPath(claims, 'a.b.c'), 1);
      assert.equal(claimAtPath(claims, 'a.b.d'), 2);
      assert.equal(claimAtPath(claims, 'x.y'), 3);
      assert.equal(claimAtPath(claims, 'kubernetes.io.pod.uid'), undefined);
      assert.equal(claimAtPath(claims, 'constructor'), undefined);
      assert.equal(claimAtPath(claims, 'a.b.c.d'), undefined);
    });
  });
});

describe('parseTrustedIssuers', () => {
  const gce = {kind: 'gce', audience: 'https://gaffer.example.com'};
  const k8s = {
    kind: 'oidc',
    issuer: 'https://kubernetes.default.svc.cluster.local',
    audience: 'gaffer',
    jwksFile: '/etc/gaffer/k8s-jwks.json',
    workerClaim: 'kubernetes.io.pod.name',
    projectId: 'k8s-project',
  };
  const parse = (value: unknown) => parseTrustedIssuers(JSON.stringify(value));

  it('parses issuers, filling in the gce and oidc defaults', () => {
    assert.deepEqual(parse([gce, k8s, {...k8s, audience: 'other', workerClaim: undefined}]), [
      {kind: 'gce', issuer: GCE_ISSUER, audience: 'https://gaffer.example.com', jwksUri: GCE_JWKS_URI},
      k8s,
      {...k8s, audience: 'other', workerClaim: 'sub'},
    ]);
    assert.deepEqual(parse([{...gce, jwksFile: '/keys.json'}]), [
      {kind: 'gce', issuer: GCE_ISSUER, audience: 'https://gaffer.example.com', jwksFile: '/keys.json'},
    ]);
    const withClaim = {...k8s, projectId: undefined, projectClaim: 'tenant.project', jwksFile: undefined, jwksUri: 'https://issuer.example/jwks'};
    const [parsed] = parse([withClaim]);
    assert.ok(parsed);
    assert.equal(parsed.projectClaim, 'tenant.project');
    assert.equal(parsed.jwksUri, 'https://issuer.example/jwks');
    assert.equal('projectId' in parsed, false);
  });

  it('reads @file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gaffer-issuers-'));
    try {
      const file = join(dir, 'issuers.json');
      writeFileSync(file, JSON.stringify([k8s]));
      assert.deepEqual(parseTrustedIssuers(`@${file}`), [k8s]);
      writeFileSync(file, '[{"kind": "oidc"');
      assert.throws(() => parseTrustedIssuers(`@${file}`), /must be a JSON array .*\(in file ".*issuers.json"\)/);
      writeFileSync(file, JSON.stringify([{...k8s, audience: undefined}]));
      assert.throws(() => parseTrustedIssuers(`@${file}`), /entry \[0\] \(in file ".*issuers.json"\): "audience" is required/);
      assert.throws(() => parseTrustedIssuers(`@${join(dir, 'missing.json')}`), /names file ".*missing.json", which cannot be read: ENOENT/);
      assert.throws(() => parseTrustedIssuers('@'), /must name a file after "@"/);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });

  const refusals: Array<[string, unknown, RegExp]> = [
    ['invalid JSON', '[{', /must be a JSON array of trusted issuers, or "@"/],
    ['not an array', {kind: 'gce'}, /must be a JSON array of trusted issuers, but the JSON is an object/],
    ['an empty array', [], /at least one trusted issuer/],
    ['an entry that is not an object', ['gce'], /entry \[0\]: must be a JSON object, but is a string/],
    ['unknown keys', [k8s, {...gce, audiences: ['x'], jwks: 'y'}], /entry \[1\]: has unknown keys "audiences", "jwks"; allowed keys: kind, issuer/],
    ['a missing kind', [{...k8s, kind: undefined}], /"kind" is required: "gce" or "oidc"/],
    ['an unknown kind', [{...k8s, kind: 'k8s'}], /"kind" must be "gce" or "oidc", but is "k8s"/],
    ['a missing audience', [{...k8s, audience: undefined}], /entry \[0\]: "audience" is required/],
    ['an empty audience', [{...k8s, audience: ''}], /"audience" must be a non-empty string/],
    ['a non-string audience', [{...k8s, audience: ['a']}], /"audience" must be a non-empty string.*\["a"\]/],
    ['an oidc issuer without issuer', [{...k8s, issuer: undefined}], /"issuer" is required for kind "oidc"/],
    ['both jwksFile and jwksUri', [{...k8s, jwksUri: 'https://x.example/jwks'}], /set "jwksFile" or "jwksUri", not both/],
    ['neither jwksFile nor jwksUri', [{...k8s, jwksFile: undefined}], /set "jwksFile" \(a JWKS JSON file\) or "jwksUri"/],
    ['a plain-http jwksUri', [{...k8s, jwksFile: undefined, jwksUri: 'http://issuer.example/jwks'}], /must be an https URL/],
    ['a relative jwksUri', [{...k8s, jwksFile: undefined, jwksUri: '/jwks'}], /must be an absolute URL/],
    ['gce with projectClaim', [{...gce, projectClaim: 'p'}], /"projectClaim" applies only to kind "oidc"/],
    ['gce with workerClaim and projectId', [{...gce, workerClaim: 'sub', projectId: 'my-project'}], /"workerClaim", "projectId" apply only/],
    ['oidc with both projectClaim and projectId', [{...k8s, projectClaim: 'p'}], /set "projectClaim" .* or "projectId" .*, not both/],
    ['oidc with neither projectClaim nor projectId', [{...k8s, projectId: undefined}], /needs the workers' project/],
    ['a bad projectId', [{...k8s, projectId: 'My_Project'}], /"projectId" must be a Google Cloud project ID .*"My_Project"/],
    ['a bad claim path', [{...k8s, workerClaim: 'kubernetes..pod'}], /"workerClaim" must be a dotted claim path/],
    ['a duplicate issuer and audience', [k8s, {...k8s, projectId: 'other-project'}], /entry \[1\]: issuer .* with audience "gaffer" is listed twice/],
  ];
  for (const [what, value, message] of refusals) {
    it(`refuses ${what}`, () => {
      assert.throws(() => (typeof value === 'string' ? parseTrustedIssuers(value) : parse(value)), message);
    });
  }
});
