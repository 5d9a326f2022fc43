/**
 * One operation: status, its pipeline, a timeline of its actions drawn from its events,
 * the events, cancel (with a confirmation) and each action's logs.
 *
 * Live: while the operation is not done, the page holds one operations.wait at a time
 * (10 s): a completion shows at once (the server pushes it), any other change within 10 s.
 * Each wait costs one read of the operation when it returns.
 */
import {useEffect, useMemo, useRef, useState} from 'preact/hooks';
import {ApiError, cancelOperation, getOperation, listLogs, waitOperation} from '../api';
import {Columns, ErrorBanner, Fact, Labels, LiveNote, Page, StatusBadge, TimeFact} from '../components/common';
import {Timeline} from '../components/Timeline';
import {codeName, eventType, formatDuration, formatTime, operationStatus, shellQuote} from '../format';
import {usePoll} from '../poll';
import {Link, href} from '../router';
import {cancelDenied, denyCancel} from '../session';
import {buildTimeline, chronological} from '../timeline';
import type {ActionJson, EventJson, LogEntryJson, OperationJson} from '../wire';

export const WAIT_SECONDS = 10;
const EVENTS_SHOWN = 500;

export function operationName(project: string, id: string): string {
  return `projects/${encodeURIComponent(project)}/operations/${encodeURIComponent(id)}`;
}

export function OperationPage({project, id, session}: {project: string; id: string; session: number}) {
  const name = operationName(project, id);
  const op = usePoll<OperationJson>(
    (signal, reason) => (reason === 'poll' ? waitOperation(name, WAIT_SECONDS, signal) : getOperation(name, signal)),
    [name, session],
    data => (data.done ? undefined : 0),
  );
  const data = op.data;
  useEffect(() => {
    document.title = `Operation ${id} · Gaffer`;
  }, [id]);

  return (
    <Page
      breadcrumb={<Link href={href('', {project})}>← Operations in {project}</Link>}
      title={
        <>
          Operation <span class="mono">{id}</span> {data && <StatusBadge status={operationStatus(data)} />}
        </>
      }
    >
      <ErrorBanner error={op.error} what="Reading the operation" />
      {data && (
        <>
          <LiveNote
            polled={op}
            how={data.done ? 'Done: it no longer changes.' : `Live: waits on the operation, ${WAIT_SECONDS} s at a time.`}
          />
          <Summary op={data} />
          <CancelControl op={data} project={project} onCancelled={op.refresh} />
          <Pipeline op={data} />
          <section aria-labelledby="timeline-title" class="card">
            <h2 id="timeline-title">Timeline</h2>
            <Timeline timeline={buildTimeline(data)} />
          </section>
          <Events op={data} />
          <Logs op={data} name={name} session={session} />
        </>
      )}
    </Page>
  );
}

function Summary({op}: {op: OperationJson}) {
  const m = op.metadata ?? {};
  const ran = m.startTime
    ? formatDuration((m.endTime ? Date.parse(m.endTime) : Date.now()) - Date.parse(m.startTime)) + (m.endTime ? '' : ' so far')
    : '';
  return (
    <dl class="facts">
      <Fact term="Name" class="span2" valueClass="mono">
        {op.name}
      </Fact>
      <TimeFact term="Created" iso={m.createTime} />
      <TimeFact term="Started" iso={m.startTime} />
      <TimeFact term="Ended" iso={m.endTime} />
      <Fact term="Run time">{ran || '-'}</Fact>
      <Fact term="Labels">
        <Labels labels={m.labels} />
      </Fact>
      {op.done && (
        <div class="wide">
          <dt>Result</dt>
          <dd data-result>
            {op.error ? (
              <span class="result-error">
                {codeName(op.error.code)} ({op.error.code}): {op.error.message}
              </span>
            ) : (
              'succeeded'
            )}
          </dd>
        </div>
      )}
      {m.pubSubTopic && (
        <Fact term="Pub/Sub topic" valueClass="mono">
          {m.pubSubTopic}
        </Fact>
      )}
      {m.submitter && (
        <div>
          <dt>Submitted by</dt>
          <dd class="mono" data-submitter>
            {m.submitter}
          </dd>
        </div>
      )}
      {m.cancelledBy && (
        <div>
          <dt>Cancelled by</dt>
          <dd class="mono" data-cancelled-by>
            {m.cancelledBy}
          </dd>
        </div>
      )}
    </dl>
  );
}

/**
 * Cancel behind a confirmation. Whether the caller may cancel is known only from the
 * server's answer: after a 403 the button is disabled (for this project, until the
 * token changes) and the server's message says why.
 */
function CancelControl({op, project, onCancelled}: {op: OperationJson; project: string; onCancelled: () => void}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [notice, setNotice] = useState('');
  const denied = cancelDenied(project);
  if (op.done && !notice) return null;
  const running = operationStatus(op) === 'RUNNING';

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await cancelOperation(op.name);
      setNotice(running ? 'Cancel requested: the worker stops the operation at its next check-in.' : 'Cancelled.');
      onCancelled();
    } catch (err) {
      if (err instanceof ApiError && err.permissionDenied) denyCancel(project, err.message);
      setError(err);
    } finally {
      setBusy(false);
      dialog.current?.close();
    }
  };

  return (
    <div class="cancel">
      {!op.done && (
        <button
          type="button"
          class="danger"
          disabled={Boolean(denied) || busy}
          aria-describedby={denied && error === undefined ? 'cancel-denied' : undefined}
          onClick={() => dialog.current?.showModal()}
        >
          Cancel operation…
        </button>
      )}
      {denied && error === undefined && (
        <p id="cancel-denied" class="muted" data-cancel-denied>
          You may not cancel operations in {project}: <span class="server-message">{denied}</span>
        </p>
      )}
      {notice && (
        <p class="banner info" role="status">
          {notice}
        </p>
      )}
      <ErrorBanner error={error} what="Cancelling" />
      <dialog ref={dialog} aria-labelledby="cancel-title" aria-describedby="cancel-text" class="confirm">
        <h2 id="cancel-title">Cancel operation {op.name.split('/').pop()}?</h2>
        <p id="cancel-text">
          {running
            ? 'It is running: its worker stops its actions at its next check-in, and it ends CANCELED.'
            : 'It is queued: it ends CANCELED at once and never runs.'}{' '}
          This cannot be undone.
        </p>
        <div class="dialog-buttons">
          <button type="button" autofocus onClick={() => dialog.current?.close()}>
            Keep it
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => void confirm()}>
            {busy ? 'Cancelling…' : 'Yes, cancel it'}
          </button>
        </div>
      </dialog>
    </div>
  );
}

function commandLine(action: ActionJson): string {
  const words = [...(action.entrypoint ? [action.entrypoint] : []), ...(action.commands ?? [])];
  return words.length ? shellQuote(words) : '(the image’s default)';
}

function Env({env}: {env: Record<string, string> | undefined}) {
  const entries = Object.entries(env ?? {});
  if (entries.length === 0) return <span class="muted">-</span>;
  return (
    <ul class="env">
      {entries.map(([k, v]) => (
        <li key={k} class="mono">
          {k}={v}
        </li>
      ))}
    </ul>
  );
}

function Pipeline({op}: {op: OperationJson}) {
  const pipeline = op.metadata?.pipeline ?? {};
  const actions = pipeline.actions ?? [];
  const vm = pipeline.resources?.virtualMachine;
  const place = [...(pipeline.resources?.regions ?? []), ...(pipeline.resources?.zones ?? [])].join(', ');
  return (
    <section aria-labelledby="pipeline-title" class="card">
      <h2 id="pipeline-title">Pipeline</h2>
      <dl class="facts small">
        <Fact term="Where">{place || '-'}</Fact>
        <Fact term="Machine">
          {vm?.machineType ?? '-'}
          {vm?.preemptible ? ' (preemptible)' : ''}
        </Fact>
        <Fact term="Timeout">{pipeline.timeout ?? 'default'}</Fact>
        <Fact term="Environment" class="wide">
          <Env env={pipeline.environment} />
        </Fact>
      </dl>
      <div class="table-wrap">
        <table class="actions">
          <caption class="visually-hidden">Actions, in the order they run</caption>
          <Columns names={['#', 'Image', 'Command', 'Flags', 'Timeout', 'Environment']} />
          <tbody>
            {actions.map((action, i) => (
              <tr key={i} data-action={i + 1}>
                <td>
                  {i + 1}
                  {action.name ? <span class="muted"> {action.name}</span> : null}
                </td>
                <td class="mono" data-image>
                  {action.imageUri}
                </td>
                <td>
                  <code data-command>{commandLine(action)}</code>
                </td>
                <td>{(action.flags ?? []).join(', ') || <span class="muted">-</span>}</td>
                <td>{action.timeout ?? <span class="muted">-</span>}</td>
                <td>
                  <Env env={action.environment} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function EventDetails({event}: {event: EventJson}) {
  const stderr = event.details.stderr;
  if (typeof stderr !== 'string' || !stderr) return null;
  return (
    <details>
      <summary>stderr</summary>
      <pre class="log">{stderr}</pre>
    </details>
  );
}

function Events({op}: {op: OperationJson}) {
  const [all, setAll] = useState(false);
  const events = useMemo(() => chronological(op.metadata?.events ?? []), [op]);
  const start = Date.parse(op.metadata?.createTime ?? events[0]?.timestamp ?? '');
  const shown = all ? events : events.slice(0, EVENTS_SHOWN);
  return (
    <section aria-labelledby="events-title" class="card">
      <h2 id="events-title">
        Events <span class="muted">({events.length}, oldest first)</span>
      </h2>
      {events.length === 0 ? (
        <p class="muted">No events yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="events compact">
            <Columns names={['Time', 'After', 'Type', 'Description']} />
            <tbody>
              {shown.map((event, i) => (
                <tr key={i} data-event-type={eventType(event)} data-timestamp={event.timestamp}>
                  <td>
                    <time dateTime={event.timestamp}>{formatTime(event.timestamp)}</time>
                  </td>
                  <td class="num">+{formatDuration(Date.parse(event.timestamp) - start)}</td>
                  <td>{eventType(event).replace(/Event$/, '')}</td>
                  <td>
                    <span data-description>{event.description}</span>
                    <EventDetails event={event} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!all && events.length > EVENTS_SHOWN && (
        <button type="button" onClick={() => setAll(true)}>
          Show all {events.length} events
        </button>
      )}
    </section>
  );
}

type LogsState =
  | {kind: 'loading'}
  | {kind: 'unavailable'; message: string}
  | {kind: 'error'; error: unknown}
  | {kind: 'ready'; action: number; entries: LogEntryJson[]; nextPageToken?: string; more: boolean};

/** Each action's logs, from the logs RPC (a server without it answers 404: "not available"). */
function Logs({op, name, session}: {op: OperationJson; name: string; session: number}) {
  const actions = op.metadata?.pipeline?.actions ?? [];
  const [action, setAction] = useState(1);
  const [state, setState] = useState<LogsState>({kind: 'loading'});
  const [reload, setReload] = useState(0);

  const load = (pageToken: string | undefined, previous: LogEntryJson[], signal?: AbortSignal) => {
    if (!pageToken) setState({kind: 'loading'});
    else setState(s => (s.kind === 'ready' ? {...s, more: true} : s));
    listLogs(name, action, pageToken, signal).then(
      result => {
        if (signal?.aborted) return;
        if (!result.available) setState({kind: 'unavailable', message: result.message});
        else {
          const next = result.value.nextPageToken;
          setState({
            kind: 'ready',
            action,
            entries: [...previous, ...(result.value.entries ?? [])],
            ...(next ? {nextPageToken: next} : {}),
            more: false,
          });
        }
      },
      (error: unknown) => {
        if (!signal?.aborted) setState({kind: 'error', error});
      },
    );
  };
  useEffect(() => {
    const abort = new AbortController();
    load(undefined, [], abort.signal);
    return () => abort.abort();
    // Reloaded when the operation finishes: its logs are complete then.
  }, [name, action, session, reload, op.done]);
  // Until another action's output has been read, say so rather than show the last one's.
  const shown: LogsState = state.kind === 'ready' && state.action !== action ? {kind: 'loading'} : state;

  return (
    <section aria-labelledby="logs-title" class="card">
      <h2 id="logs-title">Logs</h2>
      <div class="log-actions" role="group" aria-label="Action">
        {actions.map((a, i) => (
          <button type="button" key={i} aria-pressed={action === i + 1} onClick={() => setAction(i + 1)} title={a.imageUri}>
            Action {i + 1}
          </button>
        ))}
        <button type="button" class="small" onClick={() => setReload(n => n + 1)}>
          Refresh
        </button>
      </div>
      <div class="log-panel" data-logs={shown.kind} aria-live="polite">
        {shown.kind === 'loading' && <p class="muted">Loading logs…</p>}
        {shown.kind === 'unavailable' && (
          <p class="muted" data-logs-unavailable>
            Logs are not available on this server. <span class="server-message">({shown.message})</span>
          </p>
        )}
        {shown.kind === 'error' && <ErrorBanner error={shown.error} what="Reading logs" />}
        {shown.kind === 'ready' && (
          <>
            {shown.entries.length === 0 ? (
              <p class="muted">No output from action {action}.</p>
            ) : (
              <pre class="log" tabIndex={0} aria-label={`Output of action ${action}`}>
                {shown.entries.map((entry, i) => (
                  <span key={i} class={`log-line ${entry.stream}`} data-stream={entry.stream}>
                    <span class="log-time">{formatTime(entry.timestamp).slice(11)} </span>
                    {entry.stream === 'stderr' ? <span class="log-stream">err </span> : <span class="log-stream">out </span>}
                    {entry.text.replace(/\n$/, '')}
                    {'\n'}
                  </span>
                ))}
              </pre>
            )}
            {shown.nextPageToken && (
              <button type="button" disabled={shown.more} onClick={() => load(shown.nextPageToken, shown.entries)}>
                {shown.more ? 'Loading…' : 'Load more'}
              </button>
            )}
          </>
        )}
      </div>
    </section>
  );
}
