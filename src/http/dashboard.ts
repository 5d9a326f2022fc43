/**
 * Serves the web dashboard (web/, built by `npm run build` into build/web) at
 * /dashboard/, beside the RPCs. It lives under one prefix of its own so that no Google
 * API path can ever collide with it and every other unknown path stays a google.rpc
 * NOT_FOUND; `GET /` redirects to it, for people who open the server's root in a browser.
 *
 * Only the HttpRequest/HttpResponse shapes of rpc.ts are used (plus `end` taking bytes,
 * which express's and the functions framework's responses both accept), so the local
 * server and the functions framework's combined `gaffer` function can both mount it
 * with `withDashboard(handler)`.
 *
 * Files are read once, on first use, and kept in memory with their gzip form: the
 * bundle is a few tens of KiB. Hashed assets are immutable; index.html is revalidated.
 */
import {existsSync, readFileSync, readdirSync, statSync} from 'fs';
import {extname, join, relative, sep} from 'path';
import {gzipSync} from 'zlib';
import type {HttpHandler, HttpRequest, HttpResponse} from './rpc';

/** Where the dashboard is served. */
export const DASHBOARD_PREFIX = '/dashboard/';

/** The built dashboard, relative to this file once compiled (build/src/http -> build/web). */
export const DEFAULT_DASHBOARD_DIR = join(__dirname, '..', '..', 'web');

/** HttpResponse whose `end` also takes bytes (express's and the functions framework's do). */
export interface DashboardResponse extends HttpResponse {
  end(body?: string | Uint8Array): unknown;
}

interface StaticFile {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Everything the page may load comes from this origin: no inline script, no CDN, no
 * web font. The ID token a user pastes lives in sessionStorage, so scripts are locked down.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function load(dir: string): Map<string, StaticFile> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const files = new Map<string, StaticFile>();
  for (const path of walk(dir)) {
    const key = relative(dir, path).split(sep).join('/');
    const type = TYPES[extname(path)] ?? 'application/octet-stream';
    const body = readFileSync(path);
    const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
    files.set(key, {
      body,
      ...(compressible ? {gzip: gzipSync(body, {level: 9})} : {}),
      type,
      // Vite names built assets by content hash.
      immutable: key.startsWith('assets/'),
    });
  }
  return files;
}

function header(req: HttpRequest, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function send(req: HttpRequest, res: DashboardResponse, file: StaticFile): void {
  const gzip = file.gzip && /\bgzip\b/.test(header(req, 'accept-encoding')) ? file.gzip : undefined;
  const body = gzip ?? file.body;
  res.status(200);
  res.setHeader('Content-Type', file.type);
  res.setHeader('Content-Length', String(body.length));
  res.setHeader('Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (file.gzip) res.setHeader('Vary', 'Accept-Encoding');
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  if (file.type.startsWith('text/html')) {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Frame-Options', 'DENY');
  }
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendText(res: DashboardResponse, status: number, text: string): void {
  res.status(status);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(text);
}

function redirect(res: DashboardResponse, location: string): void {
  res.status(302);
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-cache');
  res.end();
}

function queryOf(req: HttpRequest): string {
  const url = req.originalUrl ?? req.url;
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at);
}

/**
 * Serves the dashboard's paths; answers false (and sends nothing) for every other
 * request, so the caller hands it on to the RPCs.
 */
export function dashboardHandler(dir: string = DEFAULT_DASHBOARD_DIR): (req: HttpRequest, res: DashboardResponse) => boolean {
  let files: Map<string, StaticFile> | undefined;
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = req.path;
    if (path === '/' || path === DASHBOARD_PREFIX.slice(0, -1)) {
      redirect(res, `${DASHBOARD_PREFIX}${queryOf(req)}`);
      return true;
    }
    if (!path.startsWith(DASHBOARD_PREFIX)) return false;
    files ??= load(dir);
    if (!files) {
      sendText(res, 404, `The dashboard is not built (no ${join(dir, 'index.html')}): run \`npm run build\`.\n`);
      return true;
    }
    let key: string;
    try {
      key = decodeURIComponent(path.slice(DASHBOARD_PREFIX.length));
    } catch {
      sendText(res, 404, 'Not found: the path has a malformed percent-encoding.\n');
      return true;
    }
    // Only names in the built file set are served (no path is ever joined onto `dir`).
    const file = files.get(key);
    if (file) {
      send(req, res, file);
    } else if (!/\.[A-Za-z0-9]+$/.test(key)) {
      // A page of the dashboard (/dashboard/operations/123): the app routes it.
      const index = files.get('index.html');
      if (index) send(req, res, index);
      else sendText(res, 404, `Not found: ${path}\n`);
    } else {
      sendText(res, 404, `Not found: ${path}\n`);
    }
    return true;
  };
}

/** `api` behind the dashboard: dashboard paths are served, everything else goes to `api`. */
export function withDashboard(
  api: HttpHandler,
  dashboard: (req: HttpRequest, res: DashboardResponse) => boolean = dashboardHandler(),
): (req: HttpRequest, res: DashboardResponse) => Promise<void> {
  return async (req, res) => {
    if (!dashboard(req, res)) await api(req, res);
  };
}
