import { listAll } from './api.js';
import { h, loading, replace, row, table } from './dom.js';
import { formatCount, formatInstant } from './format.js';
import type { ViewContext } from './routes.js';
import { roleName, session } from './session.js';

interface Project {
  id: string;
  name: string;
  orgId: string;
  created: string;
}

/** The projects the key can see (Atlas' own listing decides which). */
export async function renderProjects(context: ViewContext): Promise<void> {
  replace(context.main, h('h1', null, 'Projects'), loading('projects'));
  const projects = await listAll<Project>('/groups');
  if (context.stale()) return;
  const info = session.info!;
  replace(
    context.main,
    h('h1', null, 'Projects'),
    h(
      'p',
      { class: 'lead' },
      `Organization ${info.orgId}. Roles: ${info.orgRoles.map(roleName).join(', ') || 'none'}.`,
    ),
    projects.items.length === 0
      ? h('p', { class: 'empty' }, 'This key sees no project.')
      : table(
          projects.complete
            ? `${formatCount(projects.totalCount)} project${projects.totalCount === 1 ? '' : 's'}`
            : `The first ${formatCount(projects.items.length)} of ${formatCount(projects.totalCount)} projects`,
          ['Name', 'Project ID', 'Created'],
          projects.items.map((project) =>
            row(
              h('a', { href: `#/projects/${encodeURIComponent(project.id)}/overview` }, project.name),
              h('code', null, project.id),
              formatInstant(project.created),
            ),
          ),
          { stacked: true },
        ),
  );
}
