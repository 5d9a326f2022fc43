/** Where the worker gets its identity token: none, a file, a command, or the GCE metadata server. */
import {execFile} from 'child_process';
import {readFile} from 'fs/promises';
import {promisify} from 'util';
import type {TokenSource} from './api';

const run = promisify(execFile);

/** Development mode: no token (the server must be in development mode too). */
export const noIdentity: TokenSource = {token: async () => undefined};

/** Read on every use: projected service-account tokens (Kubernetes) are rotated in place. */
export function tokenFile(path: string): TokenSource {
  return {token: async () => (await readFile(path, 'utf8')).trim()};
}

/** A command whose standard output is a token; re-run when the cached one nears expiry. */
export function tokenCommand(command: string): TokenSource {
  let cached: {token: string; expiresAt: number} | undefined;
  return {
    async token() {
      if (cached && cached.expiresAt - Date.now() > 60_000) return cached.token;
      const {stdout} = await run('/bin/sh', ['-c', command], {timeout: 30_000});
      const token = stdout.trim();
      cached = {token, expiresAt: expiryOf(token) ?? Date.now() + 5 * 60_000};
      return token;
    },
  };
}

/** A Compute Engine instance identity token for `audience` (format=full, as Gaffer's gce issuer needs). */
export function gceIdentity(audience: string): TokenSource {
  const url = `http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(audience)}&format=full`;
  let cached: {token: string; expiresAt: number} | undefined;
  return {
    async token() {
      if (cached && cached.expiresAt - Date.now() > 60_000) return cached.token;
      const res = await fetch(url, {headers: {'Metadata-Flavor': 'Google'}, signal: AbortSignal.timeout(10_000)});
      if (!res.ok) throw new Error(`metadata server answered ${res.status}`);
      const token = (await res.text()).trim();
      cached = {token, expiresAt: expiryOf(token) ?? Date.now() + 5 * 60_000};
      return token;
    },
  };
}

function expiryOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {exp?: number};
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
