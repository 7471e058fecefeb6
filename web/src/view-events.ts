import { call, describeError, path, type Page } from './api.js';
import { badge, errorPanel, field, h, loading, replace, row, table } from './dom.js';
import { EVENT_TYPE_WORDS, eventTypeText, formatCount, formatInstant, serialText } from './format.js';
import type { ProjectContext } from './routes.js';

/**
 * The event types a project's trail can hold (docs/compatibility.md, "Audit trail"). The
 * feed lists dbcerts' own types only when named, so "all" names every one of these.
 */
const EVENT_TYPES = Object.keys(EVENT_TYPE_WORDS);

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

function filtersFrom(query: URLSearchParams): Filters {
  const date = (value: string | null) => (value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : '');
  const type = query.get('type') ?? '';
  return {
    eventType: EVENT_TYPES.includes(type) ? type : '',
    minDate: date(query.get('from')),
    maxDate: date(query.get('to')),
    pageNum: Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1),
  };
}

/** The project's audit trail, newest first, filtered by type and dates, a page at a time; the filters are in the address. */
export async function renderEvents(
  context: ProjectContext,
  filters: Filters = filtersFrom(context.query),
): Promise<void> {
  const { groupId, section } = context;
  context.setQuery({
    type: filters.eventType || undefined,
    from: filters.minDate || undefined,
    to: filters.maxDate || undefined,
    page: filters.pageNum === 1 ? undefined : String(filters.pageNum),
  });
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
    EVENT_TYPES.map((name) => h('option', { value: name, selected: name === filters.eventType }, eventTypeText(name))),
  );
  const minDate = h('input', { type: 'date', name: 'minDate', value: filters.minDate });
  const maxDate = h('input', { type: 'date', name: 'maxDate', value: filters.maxDate });
  const go = (pageNum: number) =>
    renderEvents(context, { eventType: type.value, minDate: minDate.value, maxDate: maxDate.value, pageNum }).catch(
      (error: unknown) => {
        replace(
          section,
          h('h2', null, 'Events'),
          errorPanel(describeError(error), () => void go(pageNum)),
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
          `${formatCount(total)} event${total === 1 ? '' : 's'}, newest first (page ${filters.pageNum} of ${pages})`,
          ['When', 'Event', 'Outcome', 'By', 'Details'],
          page.results.map((event) =>
            row(
              formatInstant(event.created),
              h(
                'span',
                { class: 'event-type' },
                eventTypeText(event.eventTypeName),
                h('code', { class: 'hint' }, event.eventTypeName),
              ),
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
