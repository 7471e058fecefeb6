import { call, path, type Page } from './api.js';
import { badge, field, h, loading, replace, row, table } from './dom.js';
import { formatInstant, serialText } from './format.js';
import type { ProjectContext } from './view-project.js';

/**
 * The event types a project's trail can hold (docs/compatibility.md, "Audit trail"). The
 * feed lists dbcerts' own types only when named, so "all" names every one of these.
 */
const EVENT_TYPES = [
  'MONGODB_USER_ADDED',
  'MONGODB_USER_UPDATED',
  'MONGODB_USER_DELETED',
  'MONGODB_USER_X509_CERT_CREATED',
  'MONGODB_USER_X509_CERT_REVOKED',
  'MONGODB_ROLE_ADDED',
  'MONGODB_ROLE_UPDATED',
  'MONGODB_ROLE_DELETED',
  'API_KEY_ADDED_TO_GROUP',
  'API_KEY_ROLES_CHANGED',
  'API_KEY_REMOVED_FROM_GROUP',
  'SERVICE_ACCOUNT_ADDED_TO_GROUP',
  'SERVICE_ACCOUNT_ROLES_CHANGED',
  'SERVICE_ACCOUNT_REMOVED_FROM_GROUP',
  'GROUP_CREATED',
  'DBCERTS_CA_CREATED',
  'DBCERTS_CA_ROTATED',
  'DBCERTS_CUSTOMER_X509_UPDATED',
  'DBCERTS_CUSTOMER_X509_DISABLED',
  'DBCERTS_X509_ALERT_SETTINGS_CHANGED',
  'NDS_X509_USER_AUTHENTICATION_MANAGED_USER_CERTS_EXPIRATION_CHECK',
  'DBCERTS_REQUEST_REFUSED',
];

const PAGE_SIZE = 50;

interface AuditEvent {
  id: string;
  created: string;
  eventTypeName: string;
  outcome: string;
  publicKey?: string;
  remoteAddress?: string;
  targetUsername?: string;
  database?: string;
  serial?: bigint | number;
  reason?: string;
  errorCode?: string;
  method?: string;
  path?: string;
  status?: number;
  roles?: string[];
  targetPublicKey?: string;
  caId?: string;
  notAfter?: string;
  customDbRoleName?: string;
}

interface Filters {
  eventType: string;
  minDate: string;
  maxDate: string;
  pageNum: number;
}

function details(event: AuditEvent): HTMLElement {
  const parts: Array<[string, string]> = [];
  if (event.targetUsername !== undefined) parts.push(['user', event.targetUsername]);
  if (event.database !== undefined) parts.push(['database', event.database]);
  if (event.serial !== undefined) parts.push(['serial', serialText(event.serial)]);
  if (event.reason !== undefined) parts.push(['reason', event.reason]);
  if (event.targetPublicKey !== undefined) parts.push(['key', event.targetPublicKey]);
  if (event.customDbRoleName !== undefined) parts.push(['custom role', event.customDbRoleName]);
  if (event.roles !== undefined) parts.push(['roles', event.roles.join(', ')]);
  if (event.caId !== undefined) parts.push(['CA', event.caId]);
  if (event.notAfter !== undefined) parts.push(['not after', event.notAfter]);
  if (event.method !== undefined)
    parts.push(['request', `${event.method} ${event.path ?? ''} → ${event.status ?? ''}`]);
  if (event.errorCode !== undefined) parts.push(['error', event.errorCode]);
  if (parts.length === 0) return h('span', null, '—');
  return h(
    'dl',
    { class: 'inline-details' },
    parts.map(([name, value]) => [h('dt', null, name), h('dd', null, value)]),
  );
}

/** The project's audit trail, newest first, filtered by type and dates, a page at a time. */
export async function renderEvents(
  context: ProjectContext,
  filters: Filters = { eventType: '', minDate: '', maxDate: '', pageNum: 1 },
): Promise<void> {
  const { groupId, section } = context;
  replace(section, h('h2', null, 'Events'), loading('events'));
  const page = await call<Page<AuditEvent>>('GET', path('groups', groupId, 'events'), {
    query: {
      eventType: filters.eventType || EVENT_TYPES,
      minDate: filters.minDate || undefined,
      maxDate: filters.maxDate ? `${filters.maxDate}T23:59:59Z` : undefined,
      pageNum: filters.pageNum,
      itemsPerPage: PAGE_SIZE,
      includeCount: 'true',
    },
  });
  if (context.stale()) return;

  const type = h(
    'select',
    { name: 'eventType' },
    h('option', { value: '' }, 'All event types'),
    EVENT_TYPES.map((name) => h('option', { value: name, selected: name === filters.eventType }, name)),
  );
  const minDate = h('input', { type: 'date', name: 'minDate', value: filters.minDate });
  const maxDate = h('input', { type: 'date', name: 'maxDate', value: filters.maxDate });
  const go = (pageNum: number) =>
    renderEvents(context, { eventType: type.value, minDate: minDate.value, maxDate: maxDate.value, pageNum }).catch(
      (error: unknown) => {
        replace(
          section,
          h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)),
        );
      },
    );
  const total = page.totalCount ?? page.results.length;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  replace(
    section,
    h('h2', null, 'Events'),
    h(
      'form',
      {
        class: 'filters',
        'aria-label': 'Filter events',
        onsubmit: (event: Event) => {
          event.preventDefault();
          void go(1);
        },
      },
      field('Event type', type),
      field('From (UTC date)', minDate),
      field('To (UTC date)', maxDate),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters')),
    ),
    page.results.length === 0
      ? h('p', { class: 'empty' }, 'No events match.')
      : table(
          `${total} event${total === 1 ? '' : 's'}, newest first (page ${filters.pageNum} of ${pages})`,
          ['When', 'Event', 'Outcome', 'By', 'Details'],
          page.results.map((event) =>
            row(
              formatInstant(event.created),
              h('code', null, event.eventTypeName),
              badge(
                event.outcome === 'SUCCESS' ? 'Success' : 'Failure',
                event.outcome === 'SUCCESS' ? 'active' : 'revoked',
              ),
              h(
                'span',
                null,
                event.publicKey ?? 'dbcerts',
                event.remoteAddress ? h('span', { class: 'hint' }, ` from ${event.remoteAddress}`) : null,
              ),
              details(event),
            ),
          ),
        ),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Event pages' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          disabled: filters.pageNum <= 1,
          onclick: () => void go(filters.pageNum - 1),
        },
        'Newer',
      ),
      h('span', null, `Page ${filters.pageNum} of ${pages}`),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          disabled: filters.pageNum >= pages,
          onclick: () => void go(filters.pageNum + 1),
        },
        'Older',
      ),
    ),
  );
}
