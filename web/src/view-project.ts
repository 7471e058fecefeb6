import { call, path } from './api.js';
import { h, loading, replace } from './dom.js';
import type { ViewContext } from './main.js';
import { renderCa } from './view-ca.js';
import { renderCustomerCa } from './view-customer-ca.js';
import { renderEvents } from './view-events.js';
import { renderTimeline } from './view-timeline.js';
import { renderUser } from './view-user.js';
import { renderUsers } from './view-users.js';

export const PROJECT_TABS = ['users', 'timeline', 'ca', 'customer-ca', 'events'] as const;
export type ProjectTab = (typeof PROJECT_TABS)[number];

const TAB_LABELS: Record<ProjectTab, string> = {
  users: 'Database users',
  timeline: 'Certificates timeline',
  ca: 'CA & CRL',
  'customer-ca': 'Customer CA',
  events: 'Events',
};

export interface ProjectContext extends ViewContext {
  groupId: string;
  projectName: string;
  /** Where the tab draws. */
  section: HTMLElement;
}

export function projectHash(groupId: string, ...rest: string[]): string {
  return `#/projects/${[groupId, ...rest].map(encodeURIComponent).join('/')}`;
}

/** A project: its name, its sections as navigation links, and the selected section. */
export async function renderProject(
  context: ViewContext,
  groupId: string,
  tab: ProjectTab,
  user?: { databaseName: string; username: string },
): Promise<void> {
  replace(context.main, h('h1', null, 'Project'), loading('the project'));
  const project = await call<{ id: string; name: string }>('GET', path('groups', groupId));
  if (context.stale()) return;
  const section = h('section', { class: 'project-section', 'aria-label': TAB_LABELS[tab] });
  replace(
    context.main,
    h(
      'nav',
      { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' },
      h('a', { href: '#/projects' }, 'Projects'),
      ' / ',
      user
        ? [
            h('a', { href: projectHash(groupId, 'users') }, project.name),
            ' / ',
            h('span', { 'aria-current': 'page' }, user.username),
          ]
        : h('span', { 'aria-current': 'page' }, project.name),
    ),
    h('h1', null, user ? user.username : project.name),
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
                class: name === tab ? 'current' : undefined,
                'aria-current': name === tab && !user ? 'page' : undefined,
              },
              TAB_LABELS[name],
            ),
          ),
        ),
      ),
    ),
    section,
  );
  const projectContext: ProjectContext = { ...context, groupId, projectName: project.name, section };
  switch (tab) {
    case 'users':
      return user ? renderUser(projectContext, user.databaseName, user.username) : renderUsers(projectContext);
    case 'timeline':
      return renderTimeline(projectContext);
    case 'ca':
      return renderCa(projectContext);
    case 'customer-ca':
      return renderCustomerCa(projectContext);
    case 'events':
      return renderEvents(projectContext);
  }
}
