import { ApiError, errorFrom, setApiHooks } from './api.js';
import { parseJson } from './json.js';
import type { ConsoleSession } from './wire.js';

/**
 * The signed-in session, as `GET /console/session` describes it. The session id stays in
 * its HttpOnly cookie (this code never sees it); the CSRF token lives in memory only.
 * What the key may do comes from the server, computed from the same role table as the
 * API's own checks: the console only hides what the API would refuse anyway.
 */

export type Credentials = { publicKey: string; privateKey: string } | { clientId: string; clientSecret: string };

/** The server records activity at most once a minute: check in a little earlier than the timeout. */
const ACTIVITY_SLACK_MS = 75_000;

let current: ConsoleSession | undefined;
let clockOffsetMs = 0;
let lastActivityMs = 0;
const endedListeners: Array<() => void> = [];
/** Tells the console's other tabs of a sign-in or sign-out here. */
const tabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('dbcerts-console-session') : undefined;

/** Role names as Atlas' UI writes them. */
const ROLE_NAMES: Record<string, string> = {
  ORG_OWNER: 'Organization Owner',
  ORG_MEMBER: 'Organization Member',
  ORG_GROUP_CREATOR: 'Organization Project Creator',
  ORG_BILLING_ADMIN: 'Organization Billing Admin',
  ORG_BILLING_READ_ONLY: 'Organization Billing Viewer',
  ORG_READ_ONLY: 'Organization Read Only',
  ORG_STREAM_PROCESSING_ADMIN: 'Organization Stream Processing Admin',
  GROUP_OWNER: 'Project Owner',
  GROUP_CLUSTER_MANAGER: 'Project Cluster Manager',
  GROUP_STREAM_PROCESSING_OWNER: 'Project Stream Processing Owner',
  GROUP_DATA_ACCESS_ADMIN: 'Project Data Access Admin',
  GROUP_DATA_ACCESS_READ_WRITE: 'Project Data Access Read/Write',
  GROUP_DATA_ACCESS_READ_ONLY: 'Project Data Access Read Only',
  GROUP_DATABASE_ACCESS_ADMIN: 'Project Database Access Admin',
  GROUP_BACKUP_MANAGER: 'Project Backup Manager',
  GROUP_OBSERVABILITY_VIEWER: 'Project Observability Viewer',
  GROUP_SEARCH_INDEX_EDITOR: 'Project Search Index Editor',
  GROUP_READ_ONLY: 'Project Read Only',
};

export function roleName(role: string): string {
  return ROLE_NAMES[role] ?? role;
}

function adopt(info: ConsoleSession): ConsoleSession {
  current = info;
  clockOffsetMs = new Date(info.now).getTime() - Date.now();
  lastActivityMs = Date.now();
  return info;
}

function end(): void {
  if (!current) return;
  current = undefined;
  for (const listener of endedListeners) listener();
}

async function sessionRequest(method: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method === 'DELETE' && current) headers['X-CSRF-Token'] = current.csrfToken;
  return fetch('/console/session', {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

export const session = {
  get info(): ConsoleSession | undefined {
    return current;
  },

  /** Now, by the server's clock (statuses are computed as the server computes them). */
  now(): Date {
    return new Date(Date.now() + clockOffsetMs);
  },

  /** Whether the key may call `operation` (an operation name of the server's role table). */
  can(operation: string, groupId?: string): boolean {
    if (!current) return false;
    const { operations } = current;
    if (operations.organization.includes(operation)) return true;
    if (groupId === undefined) return false;
    return (operations.projects[groupId] ?? operations.everyProject).includes(operation);
  },

  /** "Needs the Project Owner role": why a control the key may not use is not there. */
  needs(operation: string, what: string): string {
    const roles = current?.requiredRoles[operation] ?? [];
    const names = roles.map(roleName);
    const role = names.length === 0 ? 'another role' : `the ${names.join(' or the ')} role`;
    return `${what} needs ${role}${roles.some((name) => name.startsWith('GROUP_')) ? ' in this project' : ''}.`;
  },

  onEnded(listener: () => void): void {
    endedListeners.push(listener);
  },

  /** The current session, if the browser has one (start-up). */
  async load(): Promise<ConsoleSession | undefined> {
    const response = await sessionRequest('GET');
    if (response.status === 401) {
      end();
      return undefined;
    }
    if (!response.ok) throw await errorFrom(response);
    return adopt(parseJson(await response.text()) as unknown as ConsoleSession);
  },

  async signIn(credentials: Credentials): Promise<ConsoleSession> {
    const response = await sessionRequest('POST', credentials);
    if (!response.ok) throw await errorFrom(response);
    const info = adopt(parseJson(await response.text()) as unknown as ConsoleSession);
    tabs?.postMessage('signed-in');
    return info;
  },

  async signOut(): Promise<void> {
    try {
      const response = await sessionRequest('DELETE');
      if (!response.ok && response.status !== 401) throw await errorFrom(response);
    } finally {
      current = undefined;
      tabs?.postMessage('signed-out');
    }
  },

  /** True when the session may have timed out by now (idle or past its lifetime). */
  probablyEnded(): boolean {
    if (!current) return true;
    const idleMs = current.idleTimeoutSeconds * 1000;
    return (
      Date.now() - lastActivityMs > idleMs - ACTIVITY_SLACK_MS ||
      this.now().getTime() >= new Date(current.expiresAt).getTime()
    );
  },

  /**
   * Checks with the server when the session may have ended, so an API call never meets
   * the Digest challenge (which would make the browser ask for a password).
   */
  async ensureAlive(): Promise<boolean> {
    if (!current) return false;
    if (!this.probablyEnded()) return true;
    try {
      if (await this.load()) return true;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
    end();
    return false;
  },
};

// Another tab signed out: this one's session is gone too. Another tab signed in: the
// cookie is a new session now, with a new CSRF token to learn.
tabs?.addEventListener('message', (event: MessageEvent) => {
  if (event.data === 'signed-out') end();
  else if (event.data === 'signed-in' && current) void session.load().catch(() => end());
});

setApiHooks({
  csrfToken: () => current?.csrfToken,
  beforeCall: () => session.ensureAlive(),
  afterCall: () => {
    lastActivityMs = Date.now();
  },
  ended: end,
});
