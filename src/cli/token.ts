/**
 * The caller's ID token for the CLI: GAFFER_ID_TOKEN (a token), or the output of a command
 * (--token-command, GAFFER_TOKEN_COMMAND; e.g. `gcloud auth print-identity-token`), run
 * once and reused until the token is within a minute of its expiry. None: no
 * Authorization header (a server in development mode needs none).
 */
import {execFile} from 'child_process';
import type {TokenSource} from './client';
import {CliError} from './io';

export function tokenSource(command: string | undefined, token: string | undefined): TokenSource {
  if (token !== undefined && token.trim() !== '') {
    const fixed = token.trim();
    return async () => fixed;
  }
  if (command === undefined || command.trim() === '') return async () => undefined;
  let cached: {token: string; expires: number} | undefined;
  return async () => {
    if (cached && cached.expires - Date.now() > 60_000) return cached.token;
    const printed = await run(command);
    cached = {token: printed, expires: expiryOf(printed)};
    return printed;
  };
}

function run(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], {timeout: 30_000, maxBuffer: 64 * 1024}, (err, stdout, stderr) => {
      if (err) {
        reject(new CliError(`the token command failed (${command}): ${(stderr || err.message).trim()}`));
        return;
      }
      const token = stdout.trim();
      if (token === '') reject(new CliError(`the token command printed nothing: ${command}`));
      else resolve(token);
    });
  });
}

/** The token's exp in ms (0 when it is not a JWT: fetched again next time). */
function expiryOf(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {exp?: unknown};
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}
