// What every view is handed, and the project routes: a module of no imports, so the
// views and the router can all name them without importing one another.

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

export const PROJECT_TABS = ['overview', 'users', 'ca', 'customer-ca', 'access', 'events'] as const;
export type ProjectTab = (typeof PROJECT_TABS)[number];

export interface ProjectRoute {
  groupId: string;
  tab: ProjectTab;
  user?: { databaseName: string; username: string };
  serial?: string;
}

export interface ProjectContext extends ViewContext {
  groupId: string;
  projectName: string;
  orgId: string;
  /** Where the tab draws. */
  section: HTMLElement;
}

export function projectHash(groupId: string, ...rest: string[]): string {
  return `#/projects/${[groupId, ...rest].map(encodeURIComponent).join('/')}`;
}

export function certificateHash(groupId: string, serial: string): string {
  return projectHash(groupId, 'certs', serial);
}
