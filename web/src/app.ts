import { call, describeError, path, SessionEndedError } from './api.js';
import { errorPanel, h, loading, replace } from './dom.js';
import { session } from './session.js';
import type { Group } from './wire.js';

/**
 * The console's spine: its routes, the context a view draws in, and navigation. Views
 * import this module and the shared ones, never each other; this module imports no view
 * (main.ts hands them to `start`), so nothing here forms a cycle.
 *
 * A single page with hash routes, each with its filters in a query after `?` (so a
 * reload or a shared link shows the same list):
 *   #/signin · #/projects · #/projects/<groupId>/<tab>
 *   #/projects/<groupId>/users/<db>/<username> · #/projects/<groupId>/certs/<serial>
 */

export interface ViewContext {
  main: HTMLElement;
  /** The route's filters. */
  query: URLSearchParams;
  /** True once another view has started rendering: an async view stops drawing then. */
  stale(): boolean;
  navigate(hash: string): void;
  /** Puts the view's filters in the address (no new render, no history entry). */
  setQuery(values: Record<string, string | undefined>): void;
  /** A short message for screen readers (and the visible status line). */
  announce(text: string): void;
  /** Re-renders the current route. */
  refresh(): void;
  /** After signing in: show who, then go on to `hash`. */
  signedIn(hash: string): void;
}

export interface ProjectContext extends ViewContext {
  groupId: string;
  projectName: string;
  orgId: string;
  /** Where the tab draws. */
  section: HTMLElement;
}

/** A project's sections, in the order of its navigation, with their labels. */
const TAB_LABELS = {
  overview: 'Overview',
  users: 'Database users',
  ca: 'CA & CRL',
  'customer-ca': 'Customer CA',
  access: 'API access',
  events: 'Events',
} as const;

export type ProjectTab = keyof typeof TAB_LABELS;
const PROJECT_TABS = Object.keys(TAB_LABELS) as ProjectTab[];

/** What each route draws; main.ts supplies them, so a route without its view does not compile. */
export interface Views {
  signIn(context: ViewContext, message: string | undefined, next: string): void;
  projects(context: ViewContext): Promise<void>;
  tabs: Record<ProjectTab, (context: ProjectContext) => Promise<void>>;
  user(context: ProjectContext, databaseName: string, username: string): Promise<void>;
  certificate(context: ProjectContext, serial: string): Promise<void>;
}

interface ProjectRoute {
  groupId: string;
  tab: ProjectTab;
  user?: { databaseName: string; username: string };
  serial?: string;
}

type Route = { name: 'signin' } | { name: 'projects' } | ({ name: 'project' } & ProjectRoute);

export function projectHash(groupId: string, ...rest: string[]): string {
  return `#/projects/${[groupId, ...rest].map(encodeURIComponent).join('/')}`;
}

export function certificateHash(groupId: string, serial: string): string {
  return projectHash(groupId, 'certs', serial);
}

export function userHash(groupId: string, user: { databaseName: string; username: string }): string {
  return projectHash(groupId, 'users', user.databaseName, user.username);
}

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

let pendingMessage: string | undefined;

/** A message for the next page to show (say, what went wrong after a create that navigated away). */
export function leaveMessage(text: string): void {
  pendingMessage = text;
}

/** The message the previous page left, once. */
export function takeMessage(): string | undefined {
  const message = pendingMessage;
  pendingMessage = undefined;
  return message;
}

/**
 * A project: its sections as navigation links, and the selected section. The navigation
 * is drawn first and stays whatever fails below it, with a way to retry.
 */
async function renderProject(views: Views, context: ViewContext, route: ProjectRoute): Promise<void> {
  const { groupId, tab, user, serial } = route;
  const current = h(
    'span',
    { 'aria-current': 'page' },
    user ? user.username : serial ? `Certificate ${serial}` : 'Project',
  );
  const projectLink = h('a', { href: projectHash(groupId, 'users') }, 'Project');
  const heading = h('h1', null, user ? user.username : serial ? `Certificate ${serial}` : 'Project');
  const section = h('section', { class: 'project-section', 'aria-label': TAB_LABELS[tab] }, loading('the project'));
  replace(
    context.main,
    h(
      'nav',
      { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' },
      h('a', { href: '#/projects' }, 'Projects'),
      ' / ',
      user || serial ? [projectLink, ' / ', current] : current,
    ),
    heading,
    h(
      'nav',
      { class: 'tabs-nav', 'aria-label': 'Project sections' },
      h(
        'ul',
        null,
        PROJECT_TABS.map((name) =>
          h(
            'li',
            null,
            h(
              'a',
              {
                href: projectHash(groupId, name),
                class: name === tab && !serial ? 'current' : undefined,
                'aria-current': name === tab && !user && !serial ? 'page' : undefined,
              },
              TAB_LABELS[name],
            ),
          ),
        ),
      ),
    ),
    section,
  );
  const failed = (error: unknown) => {
    if (error instanceof SessionEndedError) throw error;
    if (context.stale()) return;
    replace(
      section,
      h('h2', null, serial ? 'Certificate' : TAB_LABELS[tab]),
      errorPanel(describeError(error), context.refresh),
    );
  };
  let project: Group;
  try {
    project = await call('GET', path('groups', groupId));
  } catch (error) {
    return failed(error);
  }
  if (context.stale()) return;
  projectLink.textContent = project.name;
  if (!user && !serial) {
    current.textContent = project.name;
    heading.textContent = project.name;
  }
  const projectContext: ProjectContext = {
    ...context,
    groupId,
    projectName: project.name,
    orgId: project.orgId,
    section,
  };
  try {
    if (serial) return await views.certificate(projectContext, serial);
    if (user) return await views.user(projectContext, user.databaseName, user.username);
    return await views.tabs[tab](projectContext);
  } catch (error) {
    failed(error);
  }
}

/** Runs the console: draws the current route, and each one navigated to, with `views`. */
export function start(views: Views): void {
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
        views.signIn(context, endedMessage, current.name === 'signin' ? '#/projects' : location.hash || '#/projects');
      } else if (current.name === 'projects') {
        await views.projects(context);
      } else {
        await renderProject(views, context, current);
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

  void session
    .load()
    .catch(() => undefined)
    .then(() => {
      renderIdentity();
      void route();
    });
}
