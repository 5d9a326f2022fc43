/** Small pieces every page uses. */
import type {ComponentChildren} from 'preact';
import {ApiError} from '../api';
import {idToken, signOut} from '../session';
import {formatAgo, formatTime, labelPairs, type OperationStatus} from '../format';

/** Moves focus to the ID token box (signing out first if a token was refused). */
function focusSignIn(): void {
  if (idToken()) signOut();
  window.setTimeout(() => document.getElementById('sign-in-token')?.focus(), 0);
}

/** An RPC failure in the server's own words, with what to do about 401/403. */
export function ErrorBanner({error, what}: {error: unknown; what?: string}) {
  if (error === undefined) return null;
  const prefix = what ? `${what}: ` : '';
  if (error instanceof ApiError) {
    let heading = `${error.status}${error.httpStatus ? ` (${error.httpStatus})` : ''}`;
    let hint: ComponentChildren = null;
    if (error.unauthenticated) {
      heading = 'Sign-in needed (401 UNAUTHENTICATED)';
      hint = (
        <p>
          {idToken() ? 'The server did not accept your ID token. ' : 'This server needs an ID token. '}
          <button type="button" class="small" onClick={focusSignIn}>
            Sign in
          </button>{' '}
          with one (for example the output of <code>gcloud auth print-identity-token</code>).
        </p>
      );
    } else if (error.permissionDenied) {
      heading = 'Permission denied (403 PERMISSION_DENIED)';
    }
    return (
      <div class="banner error" role="alert" data-http-status={error.httpStatus} data-status={error.status}>
        <strong>
          {prefix}
          {heading}
        </strong>
        <p class="server-message">{error.message}</p>
        {hint}
      </div>
    );
  }
  return (
    <div class="banner error" role="alert">
      <strong>{prefix}Something went wrong</strong>
      <p class="server-message">{error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error)}</p>
    </div>
  );
}

export function StatusBadge({status}: {status: OperationStatus}) {
  return <span class={`status status-${status.toLowerCase()}`}>{status}</span>;
}

export function Labels({labels}: {labels: Record<string, string> | undefined}) {
  const pairs = labelPairs(labels);
  if (pairs.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="labels">
      {pairs.map(pair => (
        <li key={pair}>{pair}</li>
      ))}
    </ul>
  );
}

/** A time, absolute, with how long ago in its tooltip (or the other way round). */
export function Time({iso, ago}: {iso: string | undefined; ago?: boolean}) {
  if (!iso) return <span class="muted">-</span>;
  return (
    <time dateTime={iso} title={ago ? formatTime(iso) : formatAgo(iso)}>
      {ago ? formatAgo(iso) : formatTime(iso)}
    </time>
  );
}

/** "Updated 3 s ago", with a Refresh button, for live pages. */
export function LiveNote({updatedAt, loading, refresh, how}: {updatedAt?: number; loading: boolean; refresh: () => void; how: string}) {
  return (
    <p class="live-note">
      <span aria-live="off">{loading ? 'Updating…' : updatedAt ? `Updated ${new Date(updatedAt).toLocaleTimeString()}` : ''}</span>{' '}
      <span class="muted">{how}</span>{' '}
      <button type="button" class="small" onClick={refresh}>
        Refresh
      </button>
    </p>
  );
}

/** First / previous / next over opaque page tokens; the trail of earlier tokens is the caller's. */
export function Pager(props: {
  label: string;
  hasPrevious: boolean;
  hasNext: boolean;
  onFirst: () => void;
  onPrevious: () => void;
  onNext: () => void;
  summary: string;
}) {
  return (
    <nav class="pager" aria-label={props.label}>
      <button type="button" onClick={props.onFirst} disabled={!props.hasPrevious}>
        First page
      </button>
      <button type="button" onClick={props.onPrevious} disabled={!props.hasPrevious}>
        ← Previous
      </button>
      <span class="pager-summary">{props.summary}</span>
      <button type="button" onClick={props.onNext} disabled={!props.hasNext}>
        Next →
      </button>
    </nav>
  );
}

/** A meter with words: "3.1 GiB free of 15.6 GiB". */
export function Capacity({free, total, format}: {free?: number; total?: number; format: (n: number) => string}) {
  if (total === undefined || total === 0) return <span class="muted">-</span>;
  const used = Math.max(0, Math.min(1, 1 - (free ?? 0) / total));
  const text = `${format(free ?? 0)} free of ${format(total)}`;
  return (
    <span class="capacity" title={`${Math.round(used * 100)}% used`}>
      <span class="capacity-bar" aria-hidden="true">
        <span class={used > 0.9 ? 'capacity-used high' : 'capacity-used'} style={{width: `${(used * 100).toFixed(1)}%`}} />
      </span>
      <span>{text}</span>
    </span>
  );
}
