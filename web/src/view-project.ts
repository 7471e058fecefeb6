import { call, describeError, path, SessionEndedError } from './api.js';
import { errorPanel, h, loading, replace } from './dom.js';
import {
  type ProjectContext,
  projectHash,
  type ProjectRoute,
  PROJECT_TABS,
  type ProjectTab,
  type ViewContext,
} from './routes.js';
import { renderAccess } from './view-access.js';
import { renderCa } from './view-ca.js';
import { renderCertificate } from './view-certificate.js';
import { renderCustomerCa } from './view-customer-ca.js';
import { renderEvents } from './view-events.js';
import { renderOverview } from './view-overview.js';
import { renderUser } from './view-user.js';
import { renderUsers } from './view-users.js';

const TAB_LABELS: Record<ProjectTab, string> = {
  overview: 'Overview',
  users: 'Database users',
  ca: 'CA & CRL',
  'customer-ca': 'Customer CA',
  access: 'API access',
  events: 'Events',
};

/**
 * A project: its sections as navigation links, and the selected section. The navigation
 * is drawn first and stays whatever fails below it, with a way to retry.
 */
export async function renderProject(context: ViewContext, route: ProjectRoute): Promise<void> {
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
  let project: { id: string; name: string; orgId: string };
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
    if (serial) return await renderCertificate(projectContext, serial);
    switch (tab) {
      case 'overview':
        return await renderOverview(projectContext);
      case 'users':
        return await (user
          ? renderUser(projectContext, user.databaseName, user.username)
          : renderUsers(projectContext));
      case 'ca':
        return await renderCa(projectContext);
      case 'customer-ca':
        return await renderCustomerCa(projectContext);
      case 'access':
        return await renderAccess(projectContext);
      case 'events':
        return await renderEvents(projectContext);
    }
  } catch (error) {
    failed(error);
  }
}
