/**
 * Serving the dashboard's static files (src/http/dashboard.ts) with literal requests and
 * responses: only its own paths, app routes to index.html, gzip, caching and security
 * headers, no way out of the built directory, and everything else handed to the RPCs.
 */
import {strict as assert} from 'assert';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';
import {gunzipSync} from 'zlib';
import {DashboardResponse, dashboardHandler, withDashboard} from '../../src/http/dashboard';
import type {HttpRequest} from '../../src/http/rpc';

interface Sent {
  status?: number;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  ended: boolean;
}

function request(method: string, url: string, headers: Record<string, string> = {}): HttpRequest {
  const path = url.split('?')[0]!;
  return {method, url, originalUrl: url, path, headers, socket: {remoteAddress: '127.0.0.1'}};
}

function response(): {res: DashboardResponse; sent: Sent} {
  const sent: Sent = {headers: {}, ended: false};
  const res: DashboardResponse = {
    get headersSent() {
      return sent.ended;
    },
    status(code: number) {
      sent.status = code;
    },
    setHeader(name: string, value: string) {
      sent.headers[name.toLowerCase()] = value;
    },
    end(body?: string | Uint8Array) {
      sent.body = body;
      sent.ended = true;
    },
    on() {},
  };
  return {res, sent};
}

const text = (body: string | Uint8Array | undefined) => (body === undefined ? '' : Buffer.from(body).toString('utf8'));

describe('dashboard static files', () => {
  let root: string;
  let dir: string;
  const BIG_JS = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'gaffer-dashboard-'));
    dir = join(root, 'web');
    mkdirSync(join(dir, 'assets'), {recursive: true});
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Gaffer</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), BIG_JS);
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
    writeFileSync(join(root, 'secret.txt'), 'not for you');
  });
  after(() => {
    rmSync(root, {recursive: true, force: true});
  });

  const serve = (method: string, url: string, headers: Record<string, string> = {}) => {
    const {res, sent} = response();
    const handled = dashboardHandler(dir)(request(method, url, headers), res);
    return {handled, ...sent};
  };

  it('redirects the server root and /dashboard to /dashboard/, keeping the query', () => {
    assert.deepEqual([serve('GET', '/?project=p').status, serve('GET', '/?project=p').headers.location], [302, '/dashboard/?project=p']);
    assert.equal(serve('GET', '/dashboard').headers.location, '/dashboard/');
  });

  it('serves index.html for the app’s pages, with a content security policy and no caching', () => {
    for (const url of ['/dashboard/', '/dashboard/operations/123?project=p', '/dashboard/workers/w-1']) {
      const sent = serve('GET', url);
      assert.equal(sent.status, 200, url);
      assert.equal(text(sent.body), '<!doctype html><title>Gaffer</title>');
      assert.equal(sent.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(sent.headers['cache-control'], 'no-cache');
      assert.match(sent.headers['content-security-policy']!, /default-src 'self'; script-src 'self'/);
      assert.equal(sent.headers['x-frame-options'], 'DENY');
    }
  });

  it('serves hashed assets as immutable, gzipped when the client accepts it', () => {
    const plain = serve('GET', '/dashboard/assets/index-abc123.js');
    assert.equal(plain.status, 200);
    assert.equal(text(plain.body), BIG_JS);
    assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers.vary, 'Accept-Encoding');

    const gzipped = serve('GET', '/dashboard/assets/index-abc123.js', {'accept-encoding': 'gzip, deflate, br'});
    assert.equal(gzipped.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gzipped.body as Uint8Array).toString('utf8'), BIG_JS);
    assert.equal(Number(gzipped.headers['content-length']), (gzipped.body as Uint8Array).length);
    assert.ok((gzipped.body as Uint8Array).length < BIG_JS.length / 10);
  });

  it('answers HEAD without a body', () => {
    const sent = serve('HEAD', '/dashboard/favicon.svg');
    assert.equal(sent.status, 200);
    assert.equal(sent.headers['content-type'], 'image/svg+xml');
    assert.equal(sent.body, undefined);
  });

  it('never serves a file outside the built directory, and 404s a missing asset', () => {
    for (const url of [
      '/dashboard/../secret.txt',
      '/dashboard/%2e%2e/secret.txt',
      '/dashboard/assets/missing.js',
      '/dashboard/%E0%A4%A.js',
    ]) {
      const sent = serve('GET', url);
      assert.equal(sent.handled, true, url);
      assert.notEqual(text(sent.body), 'not for you', url);
      if (url.endsWith('.js') || url.endsWith('.txt')) assert.equal(sent.status, 404, url);
    }
  });

  it('leaves every other request to the RPCs', async () => {
    for (const [method, url] of [
      ['GET', '/v2alpha1/projects/p/operations'],
      ['POST', '/v2alpha1/pipelines:run'],
      ['POST', '/'],
      ['POST', '/dashboard/'],
      ['GET', '/dashboards'],
    ] as const) {
      const {res, sent} = response();
      let forwarded = false;
      await withDashboard(async () => {
        forwarded = true;
      }, dashboardHandler(dir))(request(method, url), res);
      assert.equal(forwarded, true, `${method} ${url}`);
      assert.equal(sent.ended, false);
    }
  });

  it('says how to build the dashboard when it is not built', () => {
    const {res, sent} = response();
    dashboardHandler(join(dir, 'nowhere'))(request('GET', '/dashboard/'), res);
    assert.equal(sent.status, 404);
    assert.match(text(sent.body), /The dashboard is not built .*npm run build/);
  });
});
