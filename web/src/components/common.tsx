/** Small pieces every page uses. */
import type {ComponentChildren} from 'preact';
import {useEffect, useState} from 'preact/hooks';
import {ApiError} from '../api';
import {idToken, signOut} from '../session';
import {formatAgo, formatTime, labelPairs, lastSegment, type OperationStatus} from '../format';
import type {Polled} from '../poll';
import {Link, href} from '../router';

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

/**
 * A page: its heading (focused after navigating), under a breadcrumb if it has one; a
 * page of a whole project's things says which project.
 */
export function Page(props: {title: ComponentChildren; project?: string; breadcrumb?: ComponentChildren; children?: ComponentChildren}) {
  return (
    <section aria-labelledby="page-title">
      {props.breadcrumb && <p class="breadcrumb">{props.breadcrumb}</p>}
      <h1 id="page-title" tabIndex={-1}>
        {props.title}
        {props.project !== undefined && (
          <>
            {' '}
            <span class="muted">in {props.project}</span>
          </>
        )}
      </h1>
      {props.children}
    </section>
  );
}

/** One fact of a `dl.facts`: a term and what it is. */
export function Fact(props: {term: string; class?: string; valueClass?: string; children?: ComponentChildren}) {
  return (
    <div class={props.class}>
      <dt>{props.term}</dt>
      <dd class={props.valueClass}>{props.children}</dd>
    </div>
  );
}

/** A fact that is a time. */
export function TimeFact({term, iso}: {term: string; iso: string | undefined}) {
  return (
    <Fact term={term}>
      <Time iso={iso} />
    </Fact>
  );
}

/** A table's header: a row of column headers. */
export function Columns({names}: {names: string[]}) {
  return (
    <thead>
      <tr>
        {names.map(name => (
          <th scope="col" key={name}>
            {name}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** An operation's or a worker's id, linking to its page. */
export function IdLink({project, collection, name, ...data}: {project: string; collection: 'operations' | 'workers'; name: string; [data: `data-${string}`]: boolean}) {
  const id = lastSegment(name);
  return (
    <Link href={href(`${collection}/${encodeURIComponent(id)}`, {project})} class="mono" {...data}>
      {id}
    </Link>
  );
}

/** A form of a few fields and one submit button, handled here (no page load). */
export function InlineForm(props: {
  class: string;
  label: string;
  role?: 'search';
  submit: string;
  submitClass?: string;
  onSubmit: () => void;
  children: ComponentChildren;
}) {
  return (
    <form
      class={props.class}
      role={props.role}
      aria-label={props.label}
      onSubmit={event => {
        event.preventDefault();
        props.onSubmit();
      }}
    >
      {props.children}
      <button type="submit" class={props.submitClass ?? 'small'}>
        {props.submit}
      </button>
    </form>
  );
}

/**
 * A list page's filter box (the filter language in a search field), and the server's
 * 400 about the filter in its own words under it.
 */
export function FilterForm(props: {
  /** The input's id (its error's is `${id}-error`). */
  id: string;
  name?: string;
  label: string;
  placeholder: string;
  /** The filter shown (the URL's): the box follows it, but keeps what is typed until then. */
  filter: string;
  error: ApiError | undefined;
  /** The id of the help the input also refers to. */
  help?: string;
  /** Called with the filter typed (trimmed). */
  onSubmit: (filter: string) => void;
  /** More fields, after the filter. */
  children?: ComponentChildren;
}) {
  const [text, setText] = useState(props.filter);
  useEffect(() => setText(props.filter), [props.filter]);
  const errorId = `${props.id}-error`;
  const describedBy = [props.error ? errorId : '', props.help ?? ''].filter(Boolean).join(' ');
  return (
    <>
      <InlineForm class="filter-form" role="search" label={props.label} submit="Search" submitClass="primary" onSubmit={() => props.onSubmit(text.trim())}>
        <label for={props.id}>Filter</label>
        <input
          id={props.id}
          name={props.name}
          type="search"
          value={text}
          onInput={event => setText(event.currentTarget.value)}
          placeholder={props.placeholder}
          spellcheck={false}
          autocomplete="off"
          aria-invalid={props.error ? 'true' : 'false'}
          aria-describedby={describedBy || undefined}
        />
        {props.children}
      </InlineForm>
      {props.error && (
        <p id={errorId} class="field-error" role="alert">
          <strong>{props.error.status}:</strong> <span class="server-message">{props.error.message}</span>
        </p>
      )}
    </>
  );
}

/** "Refreshes every 10 s while visible." */
export function refreshesEvery(ms: number): string {
  return `Refreshes every ${ms / 1000} s while visible.`;
}

/** "Updated 3 s ago", with a Refresh button, for live pages. */
export function LiveNote({polled, how}: {polled: Pick<Polled<unknown>, 'updatedAt' | 'loading' | 'refresh'>; how: string}) {
  const {updatedAt, loading, refresh} = polled;
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

/** The page tokens of the pages before this one ('' = the first page), kept in history.state. */
export function pageTrail(state: unknown): string[] {
  const trail = (state as {trail?: unknown} | null)?.trail;
  return Array.isArray(trail) ? trail.filter((t): t is string => typeof t === 'string') : [];
}

/**
 * First / previous / next over opaque page tokens. `trail` holds the tokens of the pages
 * before this one (see pageTrail); `go` opens a page with the trail behind it.
 */
export function Pager(props: {
  label: string;
  trail: string[];
  pageToken: string;
  nextToken: string | undefined;
  go: (pageToken: string, trail: string[]) => void;
  summary: string;
}) {
  const {trail, pageToken, nextToken, go} = props;
  const hasPrevious = trail.length > 0 || Boolean(pageToken);
  return (
    <nav class="pager" aria-label={props.label}>
      <button type="button" onClick={() => go('', [])} disabled={!hasPrevious}>
        First page
      </button>
      <button type="button" onClick={() => go(trail.at(-1) ?? '', trail.slice(0, -1))} disabled={!hasPrevious}>
        ← Previous
      </button>
      <span class="pager-summary">{props.summary}</span>
      <button type="button" onClick={() => nextToken && go(nextToken, [...trail, pageToken])} disabled={!nextToken}>
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
