/**
 * Who is calling: the ID token the user pasted (kept in sessionStorage, so it goes away
 * with the tab) and what the server told us about it. The dashboard has no privileges
 * of its own: it sends the token as `Authorization: Bearer` on every RPC, like any client.
 */

const TOKEN_KEY = 'gaffer.idToken';
const PROJECT_KEY = 'gaffer.project';

type Listener = () => void;
const listeners = new Set<Listener>();

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(): void {
  for (const listener of listeners) listener();
}

function storage(kind: 'session' | 'local'): Storage | undefined {
  try {
    return kind === 'session' ? window.sessionStorage : window.localStorage;
  } catch {
    // Storage can be disabled; the dashboard then forgets on reload.
    return undefined;
  }
}

let memoryToken: string | undefined;

export function idToken(): string | undefined {
  return storage('session')?.getItem(TOKEN_KEY) ?? memoryToken;
}

export function signIn(token: string): void {
  memoryToken = token;
  storage('session')?.setItem(TOKEN_KEY, token);
  deniedCancels.clear();
  changed();
}

export function signOut(): void {
  memoryToken = undefined;
  storage('session')?.removeItem(TOKEN_KEY);
  deniedCancels.clear();
  changed();
}

/** The last project used, when the URL names none (not a secret: localStorage). */
export function rememberedProject(): string {
  return storage('local')?.getItem(PROJECT_KEY) ?? '';
}

export function rememberProject(project: string): void {
  if (project) storage('local')?.setItem(PROJECT_KEY, project);
}

export interface TokenClaims {
  /** Who the token names, for display: email, else subject. */
  who?: string;
  expires?: Date;
}

/** The token's claims, for display only: the server verifies it, the dashboard cannot. */
export function tokenClaims(token: string): TokenClaims {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const json = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '='),
    );
    const claims = JSON.parse(json) as Record<string, unknown>;
    const who = typeof claims.email === 'string' ? claims.email : typeof claims.sub === 'string' ? claims.sub : undefined;
    const expires = typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined;
    return {...(who ? {who} : {}), ...(expires ? {expires} : {})};
  } catch {
    return {};
  }
}

/**
 * Projects where the server refused this caller a cancel (403), with its message: the
 * cancel button stays disabled there until the token changes. There is no RPC to ask
 * for permissions up front, so the server's first refusal is what we go by.
 */
const deniedCancels = new Map<string, string>();

export function cancelDenied(project: string): string | undefined {
  return deniedCancels.get(project);
}

export function denyCancel(project: string, message: string): void {
  deniedCancels.set(project, message);
}
