import { call, countOf, listAll, type Page, path } from './api.js';
import { field, h, loading, replace, row, s, table } from './dom.js';
import {
  type DisplayStatus,
  displayStatus,
  formatCount,
  formatDay,
  formatInstant,
  type InventoryCertificate,
  relativeDays,
  STATUS_LABELS,
  serialText,
  statusBadge,
} from './format.js';
import { session } from './session.js';
import { certificateHash, type ProjectContext, projectHash } from './routes.js';
import { leadTimeDays } from './view-user.js';
import { type CertificateHolder, COVERAGE_LABELS, coverageCell, userHash } from './view-users.js';
import { singleCommonName } from './x509.js';

const DAY_MS = 86_400_000;
const ROW_HEIGHT = 28;
const BAR_HEIGHT = 14;
const TOP = 56;
/** Rows drawn at most: the most urgent first; the lists below name everyone. */
const MAX_ROWS = 60;
const RANGES = { '30': 'Next 30 days', '90': 'Next 90 days', '365': 'Next 12 months' } as const;
type Range = keyof typeof RANGES;

/** Fills with at least 3:1 contrast on white (non-text contrast); the status is also in words. */
const FILLS: Record<DisplayStatus, string> = {
  active: '#1b7f3b',
  expiring: '#a65200',
  expired: '#5f6b7a',
  revoked: 'url(#revoked-hatch)',
};

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** "Jun 3": short enough for a phone, unambiguous with the year in the table below. */
function shortDate(time: number): string {
  return new Date(time).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

function stat(value: number, label: string, kind: string, href?: string): HTMLLIElement {
  const content = [
    h('span', { class: 'stat-value' }, formatCount(value)),
    ' ',
    h('span', { class: 'stat-label' }, label),
  ];
  return h('li', { class: `stat stat-${kind}` }, href ? h('a', { href }, content) : content);
}

/**
 * The near-term timeline: one row per managed user, the most urgent first (no valid
 * certificate, then whose coverage ends soonest), one bar per certificate within the
 * window, today and the alert lead time marked; drawn at the width it is shown at, so
 * its text stays readable on a phone.
 */
function timeline(
  context: ProjectContext,
  holders: CertificateHolder[],
  certificates: InventoryCertificate[],
  range: number,
  lead: number,
): SVGSVGElement {
  const { groupId, section } = context;
  const now = session.now().getTime();
  const width = Math.max(300, Math.floor(section.clientWidth || 960) - 2);
  const labelWidth = width < 560 ? 92 : 180;
  const start = now - Math.max(7, Math.round(range / 6)) * DAY_MS;
  const end = now + range * DAY_MS;
  const x = (time: number) =>
    labelWidth + ((Math.min(Math.max(time, start), end) - start) / (end - start)) * (width - labelWidth - 12);
  const byUser = new Map<string, InventoryCertificate[]>();
  for (const certificate of certificates) {
    const name = singleCommonName(certificate.subject) ?? certificate.subject;
    byUser.set(name, [...(byUser.get(name) ?? []), certificate]);
  }
  const rows = holders.slice(0, MAX_ROWS);
  const height = TOP + Math.max(rows.length, 1) * ROW_HEIGHT + 10;
  const stepDays = range <= 30 ? 7 : range <= 90 ? 14 : 0;
  const ticks: number[] = [];
  if (stepDays > 0) {
    for (let tick = now + stepDays * DAY_MS; tick < end; tick += stepDays * DAY_MS) ticks.push(tick);
    for (let tick = now - stepDays * DAY_MS; tick > start; tick -= stepDays * DAY_MS) ticks.push(tick);
  } else {
    const cursor = new Date(start);
    cursor.setUTCDate(1);
    cursor.setUTCMonth(cursor.getUTCMonth() + 1);
    const every = width < 560 ? 3 : 1;
    for (; cursor.getTime() < end; cursor.setUTCMonth(cursor.getUTCMonth() + every)) ticks.push(cursor.getTime());
  }
  const leadEnd = now + lead * DAY_MS;
  const marker = (time: number, y: number, text: string, kind: string) => {
    const at = x(time);
    const right = at > width * 0.65;
    return [
      s('line', { x1: at, x2: at, y1: y + 4, y2: height - 6, class: `${kind}-line` }),
      s('text', { x: right ? at - 5 : at + 5, y, class: 'marker-label', 'text-anchor': right ? 'end' : 'start' }, text),
    ];
  };
  return s(
    'svg',
    {
      class: 'timeline',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'group',
      'aria-labelledby': 'timeline-title',
      'aria-describedby': 'timeline-description',
    },
    s(
      'defs',
      null,
      s(
        'pattern',
        { id: 'revoked-hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        s('rect', { width: 6, height: 6, fill: '#fbe9e7' }),
        s('rect', { width: 3, height: 6, fill: '#b3261e' }),
      ),
    ),
    ticks.map((tick) =>
      s(
        'g',
        { class: 'tick' },
        s('line', { x1: x(tick), x2: x(tick), y1: TOP - 6, y2: height - 6 }),
        s('text', { x: x(tick), y: TOP - 10, class: 'tick-label', 'text-anchor': 'middle' }, shortDate(tick)),
      ),
    ),
    rows.map((holder, index) => {
      const y = TOP + index * ROW_HEIGHT;
      const own = byUser.get(holder.username) ?? [];
      return s(
        'g',
        { class: 'row' },
        index % 2 === 0 ? s('rect', { x: 0, y, width, height: ROW_HEIGHT, class: 'stripe' }) : null,
        s(
          'a',
          {
            href: userHash(groupId, holder),
            'aria-label': `${holder.username}: ${COVERAGE_LABELS[holder.certificateStatus]}`,
          },
          s('title', null, holder.username),
          s(
            'text',
            { x: 6, y: y + ROW_HEIGHT / 2 + 4, class: 'row-label' },
            truncate(holder.username, labelWidth < 100 ? 11 : 24),
          ),
        ),
        holder.certificateStatus === 'none'
          ? s('text', { x: x(now) + 6, y: y + ROW_HEIGHT / 2 + 4, class: 'row-none' }, 'no valid certificate')
          : null,
        own.map((certificate) => {
          const status = displayStatus(certificate, new Date(now), lead);
          const serial = serialText(certificate._id);
          const from = x(new Date(certificate.createdAt).getTime());
          const to = x(new Date(certificate.notAfter).getTime());
          const description = `${holder.username}: certificate ${serial}, ${STATUS_LABELS[status]}, expires ${formatInstant(certificate.notAfter)}`;
          return s(
            'a',
            { href: certificateHash(groupId, serial), 'aria-label': description },
            s('title', null, description),
            s('rect', {
              x: from,
              y: y + (ROW_HEIGHT - BAR_HEIGHT) / 2,
              width: Math.max(2, to - from),
              height: BAR_HEIGHT,
              rx: 3,
              fill: FILLS[status],
              stroke: status === 'revoked' ? '#b3261e' : 'none',
              class: `bar bar-${status}`,
              'data-serial': serial,
            }),
          );
        }),
      );
    }),
    marker(now, 14, 'Today', 'today'),
    lead <= range ? marker(leadEnd, 32, `Alert lead time: ${lead} days`, 'lead') : null,
  );
}

/**
 * The project at a glance: what expires within 7 and 30 days, who has no valid
 * certificate left, what was revoked; then the near-term timeline and the lists behind
 * the numbers. Every count is the server's (the inventory's totalCount), whatever the size.
 */
export async function renderOverview(context: ProjectContext): Promise<void> {
  const { groupId, section, query } = context;
  replace(section, h('h2', null, 'Overview'), loading('the overview'));
  const inventory = path('groups', groupId, 'userSecurity', 'managedX509', 'certs');
  const holdersPath = path('groups', groupId, 'userSecurity', 'managedX509', 'users');
  const range = Number((query.get('range') ?? '90') in RANGES ? (query.get('range') ?? '90') : '90');
  const now = session.now();
  const within = (days: number) => new Date(now.getTime() + days * DAY_MS).toISOString();
  const windowStart = new Date(now.getTime() - Math.max(7, Math.round(range / 6)) * DAY_MS).toISOString();
  const lead = await leadTimeDays(groupId);
  const [week, month, inLead, valid, expired, revoked, holders, windowCertificates, soon] = await Promise.all([
    countOf(inventory, { status: 'active', expiresBefore: within(7) }),
    countOf(inventory, { status: 'active', expiresBefore: within(30) }),
    countOf(inventory, { status: 'active', expiresBefore: within(lead) }),
    countOf(inventory, { status: 'active' }),
    countOf(inventory, { status: 'expired' }),
    countOf(inventory, { status: 'revoked' }),
    listAll<CertificateHolder>(holdersPath),
    listAll<InventoryCertificate>(inventory, { status: 'all', expiresAfter: windowStart, sortBy: 'notAfter' }, 3000),
    call<Page<InventoryCertificate>>('GET', inventory, {
      query: { status: 'active', expiresBefore: within(lead), itemsPerPage: 100, includeCount: 'true' },
    }),
  ]);
  if (context.stale()) return;
  const urgency = (holder: CertificateHolder) =>
    holder.validUntil === undefined ? -1 : new Date(holder.validUntil).getTime();
  const ordered = holders.items.slice().sort((a, b) => urgency(a) - urgency(b) || a.username.localeCompare(b.username));
  const without = ordered.filter((holder) => holder.certificateStatus === 'none');
  const expiringUsers = ordered.filter((holder) => holder.certificateStatus === 'expiring');

  const rangeSelect = h(
    'select',
    { name: 'range' },
    (Object.keys(RANGES) as Range[]).map((value) =>
      h('option', { value, selected: Number(value) === range }, RANGES[value]),
    ),
  );
  rangeSelect.addEventListener('change', () => {
    context.setQuery({ range: rangeSelect.value === '90' ? undefined : rangeSelect.value });
    context.refresh();
  });

  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    (Object.keys(STATUS_LABELS) as DisplayStatus[]).map((status) =>
      h('li', null, h('span', { class: `swatch swatch-${status}`, 'aria-hidden': 'true' }), STATUS_LABELS[status]),
    ),
    h('li', null, h('span', { class: 'swatch swatch-today', 'aria-hidden': 'true' }), `Today (${formatDay(now)})`),
    h(
      'li',
      null,
      h('span', { class: 'swatch swatch-lead', 'aria-hidden': 'true' }),
      `Alert lead time (${formatDay(within(lead))})`,
    ),
  );

  const chartWrap = h('div', { class: 'timeline-wrap' });
  const soonTotal = soon.totalCount ?? soon.results.length;
  replace(
    section,
    h('h2', null, 'Overview'),
    h(
      'ul',
      { class: 'stats', 'aria-label': 'Certificates at a glance' },
      stat(week, 'expire within 7 days', week > 0 ? 'urgent' : 'calm'),
      stat(month, 'expire within 30 days', month > 0 ? 'warning' : 'calm'),
      stat(
        without.length,
        'users without a valid certificate',
        without.length > 0 ? 'urgent' : 'calm',
        `${projectHash(groupId, 'users')}?status=none`,
      ),
      stat(revoked, 'revoked', 'neutral'),
      stat(valid, 'valid certificates', 'calm'),
      stat(expired, 'expired', 'neutral'),
    ),
    lead !== 7 && lead !== 30
      ? h(
          'p',
          { class: 'hint' },
          `${formatCount(inLead)} valid certificates expire within the alert lead time (${lead} days).`,
        )
      : null,
    h(
      'div',
      { class: 'section-head' },
      h('h3', { id: 'timeline-title' }, 'Certificates timeline'),
      h(
        'form',
        { class: 'inline-form', onsubmit: (event: Event) => event.preventDefault() },
        field('Window', rangeSelect),
      ),
    ),
    h(
      'p',
      { id: 'timeline-description', class: 'hint' },
      `One row per dbcerts-managed X.509 user, those without a valid certificate first, then by when their last valid certificate ends; one bar per certificate. Bars reaching past the alert lead time line (${lead} days) are safe.`,
    ),
    holders.items.length === 0
      ? h('p', { class: 'empty' }, 'No dbcerts-managed X.509 users in this project yet.')
      : [
          chartWrap,
          legend,
          ordered.length > MAX_ROWS || !windowCertificates.complete
            ? h(
                'p',
                { class: 'hint' },
                `The chart shows the ${Math.min(MAX_ROWS, ordered.length)} most urgent of ${formatCount(ordered.length)} users${windowCertificates.complete ? '' : ` and the first ${formatCount(windowCertificates.items.length)} certificates by expiry`}; the lists below and the users page show all.`,
              )
            : null,
        ],
    h('h3', null, `Users without a valid certificate (${formatCount(without.length)})`),
    without.length === 0
      ? h('p', { class: 'empty' }, 'Every dbcerts-managed X.509 user has a valid certificate.')
      : table(
          'Users without a valid certificate',
          ['User', 'Certificate', 'Last issued'],
          without
            .slice(0, 100)
            .map((holder) =>
              row(
                h('a', { href: userHash(groupId, holder) }, holder.username),
                coverageCell(holder),
                holder.lastIssuedAt ? formatInstant(holder.lastIssuedAt) : 'never',
              ),
            ),
          { stacked: true },
        ),
    expiringUsers.length > 0
      ? h(
          'p',
          { class: 'hint' },
          `${formatCount(expiringUsers.length)} more user${expiringUsers.length === 1 ? '' : 's'} will have none within ${lead} days: `,
          h('a', { href: `${projectHash(groupId, 'users')}?status=expiring` }, 'see them'),
          '.',
        )
      : null,
    h('h3', null, `Expiring within ${lead} days (${formatCount(soonTotal)})`),
    soon.results.length === 0
      ? h('p', { class: 'empty' }, `No valid certificate expires within ${lead} days.`)
      : table(
          soonTotal > soon.results.length
            ? `The ${soon.results.length} soonest of ${formatCount(soonTotal)}, by expiry`
            : 'Certificates by expiry',
          ['User', 'Serial', 'Status', 'Expires'],
          soon.results.map((certificate) => {
            const name = singleCommonName(certificate.subject);
            const serial = serialText(certificate._id);
            return row(
              name !== undefined
                ? h('a', { href: userHash(groupId, { username: name, databaseName: '$external' }) }, name)
                : certificate.subject,
              h('a', { href: certificateHash(groupId, serial) }, h('code', null, serial)),
              statusBadge(displayStatus(certificate, now, lead)),
              h(
                'span',
                null,
                formatInstant(certificate.notAfter),
                h('span', { class: 'hint' }, ` ${relativeDays(certificate.notAfter, now)}`),
              ),
            );
          }),
          { stacked: true },
        ),
  );
  if (holders.items.length > 0)
    chartWrap.appendChild(timeline(context, ordered, windowCertificates.items, range, lead));
}
