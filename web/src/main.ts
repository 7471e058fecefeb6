import { describeError, SessionEndedError } from './api.js';
import { errorPanel, h, replace } from './dom.js';
import { session } from './session.js';
import { type ProjectRoute, PROJECT_TABS, type ProjectTab, type ViewContext } from './routes.js';
import { renderProject } from './view-project.js';
import { renderProjects } from './view-projects.js';
import { renderSignIn } from './view-signin.js';

/**
 * The dbcerts web console: a single page with hash routes, each with its filters in a
 * query after `?` (so a reload or a shared link shows the same list):
 *   #/signin · #/projects · #/projects/<groupId>/<tab>
 *   #/projects/<groupId>/users/<db>/<username> · #/projects/<groupId>/certs/<serial>
 */

type Route = { name: 'signin' } | { name: 'projects' } | ({ name: 'project' } & ProjectRoute);

function splitHash(hash: string): { path: string; query: URLSearchParams } {
  const text = hash.replace(/^#\/?/, '');
  const mark = text.indexOf('?');
  return mark === -1
    ? { path: text, query: new URLSearchParams() }
    : { path: text.slice(0, mark), query: new URLSearchParams(text.slice(mark + 1)) };
}

function parseRoute(path: string): Route {
  const parts = path
    .split('/')
    .filter((part) => part !== '')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  if (parts[0] === 'signin') return { name: 'signin' };
  if (parts[0] === 'projects' && parts[1] !== undefined) {
    const groupId = parts[1];
    if (parts[2] === 'certs' && parts[3] !== undefined) {
      return { name: 'project', groupId, tab: 'users', serial: parts[3] };
    }
    const tab = (PROJECT_TABS as readonly string[]).includes(parts[2] ?? '') ? (parts[2] as ProjectTab) : 'users';
    if (tab === 'users' && parts[3] !== undefined && parts[4] !== undefined) {
      return { name: 'project', groupId, tab, user: { databaseName: parts[3], username: parts.slice(4).join('/') } };
    }
    return { name: 'project', groupId, tab };
  }
  return { name: 'projects' };
}

const main = document.getElementById('main') as HTMLElement;
const identityBar = document.getElementById('identity') as HTMLElement;
const announcer = document.getElementById('announcer') as HTMLElement;
let renderCount = 0;
let endedMessage: string | undefined;

function announce(text: string): void {
  announcer.textContent = '';
  // A new text node each time, so the same message twice is still announced.
  window.setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

function renderIdentity(): void {
  const info = session.info;
  if (!info) {
    replace(identityBar);
    return;
  }
  const who =
    info.identity.kind === 'API_KEY'
      ? `API key ${info.identity.publicKey}`
      : `Service account ${info.identity.name || info.identity.clientId}`;
  replace(
    identityBar,
    h('span', { class: 'who' }, who),
    h(
      'button',
      {
        type: 'button',
        class: 'secondary small',
        onclick: async () => {
          try {
            await session.signOut();
          } catch {
            // Signed out here in any case; the server ends the session at its timeout.
          } finally {
            endedMessage = 'You signed out.';
            renderIdentity();
            go('#/signin');
          }
        },
      },
      'Sign out',
    ),
  );
}

/** Shows `hash`: a new hash renders through hashchange, the same one is rendered again. */
function go(hash: string): void {
  if (location.hash === hash) void route();
  else location.hash = hash;
}

function setQuery(values: Record<string, string | undefined>): void {
  const { path, query } = splitHash(location.hash);
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === '') query.delete(name);
    else query.set(name, value);
  }
  const text = query.toString();
  history.replaceState(history.state, '', `#/${path}${text ? `?${text}` : ''}`);
}

async function route(): Promise<void> {
  const id = ++renderCount;
  const { path, query } = splitHash(location.hash);
  const context: ViewContext = {
    main,
    query,
    stale: () => id !== renderCount,
    navigate: go,
    setQuery,
    announce,
    refresh: () => void route(),
    signedIn: (hash) => {
      endedMessage = undefined;
      renderIdentity();
      go(hash);
    },
  };
  const current = parseRoute(path);
  try {
    if (current.name === 'signin' || !session.info) {
      renderIdentity();
      renderSignIn(context, endedMessage, current.name === 'signin' ? '#/projects' : location.hash || '#/projects');
    } else if (current.name === 'projects') {
      await renderProjects(context);
    } else {
      await renderProject(context, current);
    }
  } catch (error) {
    if (context.stale()) return;
    if (error instanceof SessionEndedError) return; // the ended listener shows the sign-in page
    replace(
      main,
      h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' }, h('a', { href: '#/projects' }, 'Projects')),
      h('h1', null, current.name === 'projects' ? 'Projects' : 'Something went wrong'),
      errorPanel(describeError(error), context.refresh),
    );
  }
  if (!context.stale()) {
    // Move focus to the new page's heading so keyboard and screen-reader users start there.
    const heading = main.querySelector('h1');
    if (heading && (document.activeElement === document.body || !document.activeElement?.isConnected)) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
    const title = heading?.textContent;
    document.title = title ? `${title} · dbcerts console` : 'dbcerts console';
  }
}

session.onEnded(() => {
  endedMessage = 'Your session has ended. Sign in again to continue.';
  renderIdentity();
  void route();
});

window.addEventListener('hashchange', (event) => {
  // In-page anchors (the skip link) are not routes.
  if (!location.hash.startsWith('#/') && location.hash !== '') {
    event.preventDefault();
    return;
  }
  void route();
});

// Coming back to the tab: if the session may have timed out meanwhile, ask the server.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && session.info && session.probablyEnded()) void session.ensureAlive();
});

function start(): void {
  void session
    .load()
    .catch(() => undefined)
    .then(() => {
      renderIdentity();
      void route();
    });
}

start();
