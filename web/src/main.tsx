/**
 * The Gaffer dashboard: operations, one operation, workers, one worker, the queue, for
 * the project named in the URL (?project=), as the caller whose ID token is pasted in
 * the sign-in box. Served by the Gaffer server at /dashboard/.
 */
import {render} from 'preact';
import {useEffect, useRef, useState} from 'preact/hooks';
import {InlineForm} from './components/common';
import {OperationPage} from './pages/Operation';
import {OperationsPage} from './pages/Operations';
import {QueuePage} from './pages/Queue';
import {WorkerPage} from './pages/Worker';
import {WorkersPage} from './pages/Workers';
import {Link, href, navigate, useLocation, type Route} from './router';
import {idToken, onSessionChange, rememberProject, rememberedProject, signIn, signOut, tokenClaims} from './session';
import './style.css';

function useSessionVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => onSessionChange(() => setVersion(v => v + 1)), []);
  return version;
}

function SignIn() {
  const token = idToken();
  const [text, setText] = useState('');
  if (token) {
    const claims = tokenClaims(token);
    return (
      <div class="sign-in" data-signed-in>
        <span>
          Signed in
          {claims.who ? (
            <>
              {' '}
              as <strong>{claims.who}</strong>
            </>
          ) : null}
          {claims.expires ? <span class="muted"> · expires {claims.expires.toLocaleTimeString()}</span> : null}
        </span>
        <button type="button" class="small" onClick={signOut}>
          Sign out
        </button>
      </div>
    );
  }
  return (
    <InlineForm
      class="sign-in"
      label="Sign in"
      submit="Sign in"
      onSubmit={() => {
        if (text.trim()) signIn(text.trim());
        setText('');
      }}
    >
      <label for="sign-in-token">ID token</label>
      <input
        id="sign-in-token"
        type="password"
        autocomplete="off"
        spellcheck={false}
        value={text}
        onInput={event => setText(event.currentTarget.value)}
        placeholder="gcloud auth print-identity-token"
        title="Sent as Authorization: Bearer on every request; kept in this tab only (sessionStorage)."
      />
    </InlineForm>
  );
}

function ProjectBox({project, route}: {project: string; route: Route}) {
  const [text, setText] = useState(project);
  useEffect(() => setText(project), [project]);
  return (
    <InlineForm
      class="project"
      label="Project"
      submit="Go"
      onSubmit={() => {
        const next = text.trim();
        if (!next) return;
        rememberProject(next);
        // Lists stay on their page; an operation or worker belongs to its project.
        const page = route.page === 'workers' || route.page === 'worker' ? 'workers' : route.page === 'queue' ? 'queue' : '';
        navigate(href(page, {project: next}));
      }}
    >
      <label for="project">Project</label>
      <input
        id="project"
        value={text}
        onInput={event => setText(event.currentTarget.value)}
        spellcheck={false}
        autocomplete="off"
        required
        size={18}
      />
    </InlineForm>
  );
}

const NAV: Array<{page: string; label: string; matches: Route['page'][]}> = [
  {page: '', label: 'Operations', matches: ['operations', 'operation']},
  {page: 'workers', label: 'Workers', matches: ['workers', 'worker']},
  {page: 'queue', label: 'Queue', matches: ['queue']},
];

function App() {
  const location = useLocation();
  const session = useSessionVersion();
  const project = location.query.get('project') ?? '';
  const {route} = location;
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // A URL without a project: the last one used, if any.
  useEffect(() => {
    const remembered = rememberedProject();
    if (!project && remembered) {
      const url = new URL(window.location.href);
      url.searchParams.set('project', remembered);
      navigate(`${url.pathname}${url.search}`, {replace: true, state: window.history.state});
    } else if (project) rememberProject(project);
  }, [project]);

  // After navigating, focus moves to the new page's heading (not on the first load).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route.page, route.page === 'operation' || route.page === 'worker' ? route.id : '']);

  useEffect(() => {
    if (route.page === 'operations') document.title = `Operations · ${project} · Gaffer`;
    if (route.page === 'workers') document.title = `Workers · ${project} · Gaffer`;
  }, [route.page, project]);

  let page;
  if (!project) {
    page = (
      <section class="card">
        <h1 id="page-title" tabIndex={-1}>
          Choose a project
        </h1>
        <p>
          Type a project id in the <label for="project">Project</label> box above (or add <code>?project=ID</code> to the URL).
        </p>
      </section>
    );
  } else if (route.page === 'operations')
    page = <OperationsPage project={project} query={location.query} state={location.state} session={session} />;
  else if (route.page === 'operation') page = <OperationPage key={route.id} project={project} id={route.id} session={session} />;
  else if (route.page === 'workers')
    page = <WorkersPage project={project} query={location.query} state={location.state} session={session} />;
  else if (route.page === 'worker') page = <WorkerPage key={route.id} project={project} id={route.id} session={session} />;
  else if (route.page === 'queue') page = <QueuePage project={project} session={session} />;
  else
    page = (
      <section class="card">
        <h1 tabIndex={-1}>No such page</h1>
        <p>
          <Link href={href('', {project})}>Go to the operations</Link>
        </p>
      </section>
    );

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href={href('', {project})} class="brand">
          Gaffer
        </Link>
        <nav aria-label="Pages">
          <ul>
            {NAV.map(item => (
              <li key={item.page}>
                <Link href={href(item.page, {project})} aria-current={item.matches.includes(route.page) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <ProjectBox project={project} route={route} />
        <SignIn />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
render(<App />, root);
