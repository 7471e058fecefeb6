import { listAll, path } from './api.js';
import { h, loading, replace, row, s, table } from './dom.js';
import {
  type DatabaseUser,
  type DisplayStatus,
  displayStatus,
  formatDay,
  formatInstant,
  type InventoryCertificate,
  STATUS_LABELS,
  serialText,
  statusBadge,
} from './format.js';
import { session } from './session.js';
import type { ProjectContext } from './view-project.js';
import { leadTimeDays } from './view-user.js';
import { userHash } from './view-users.js';
import { singleCommonName } from './x509.js';

const DAY_MS = 86_400_000;
const WIDTH = 1000;
const LABEL_WIDTH = 200;
const RIGHT = 16;
const TOP = 58;
const ROW_HEIGHT = 30;
const BAR_HEIGHT = 16;

/** Fills with at least 3:1 contrast on white (non-text contrast); the status is also in words. */
const FILLS: Record<DisplayStatus, string> = {
  active: '#1b7f3b',
  expiring: '#a65200',
  expired: '#5f6b7a',
  revoked: 'url(#revoked-hatch)',
};

interface TimelineRow {
  label: string;
  user?: DatabaseUser;
  certificates: InventoryCertificate[];
}

/** A marker's name beside its line, on the side with room. */
function markerLabel(at: number, y: number, text: string): SVGTextElement {
  const right = at > WIDTH * 0.7;
  return s(
    'text',
    { x: right ? at - 6 : at + 6, y, class: 'marker-label', 'text-anchor': right ? 'end' : 'start' },
    text,
  );
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/**
 * Every certificate of the project on one time axis: a row per user, a bar per
 * certificate from its creation to its expiry, colored (and labelled) by status, with
 * today and the alert lead time marked. A table below says the same in words.
 */
export async function renderTimeline(context: ProjectContext): Promise<void> {
  const { groupId, section } = context;
  replace(section, h('h2', null, 'Certificates timeline'), loading('certificates'));
  const [certificates, users, lead] = await Promise.all([
    listAll<InventoryCertificate>(path('groups', groupId, 'userSecurity', 'managedX509', 'certs'), { status: 'all' }),
    listAll<DatabaseUser>(path('groups', groupId, 'databaseUsers')),
    leadTimeDays(groupId),
  ]);
  if (context.stale()) return;
  const now = session.now();
  const leadEnd = new Date(now.getTime() + lead * DAY_MS);

  // Rows: managed users by name, certificates matched to them by subject (CN=<username>).
  const managed = users.filter((user) => user.x509Type === 'MANAGED');
  const rows = new Map<string, TimelineRow>();
  for (const user of managed) rows.set(`user:${user.username}`, { label: user.username, user, certificates: [] });
  for (const certificate of certificates) {
    const name = singleCommonName(certificate.subject);
    const key = name !== undefined && rows.has(`user:${name}`) ? `user:${name}` : `subject:${certificate.subject}`;
    if (!rows.has(key)) rows.set(key, { label: certificate.subject, certificates: [] });
    rows.get(key)!.certificates.push(certificate);
  }
  const ordered = [...rows.values()].sort((a, b) => a.label.localeCompare(b.label));

  const times = certificates.flatMap((certificate) => [
    new Date(certificate.createdAt).getTime(),
    new Date(certificate.notAfter).getTime(),
  ]);
  const start = Math.min(now.getTime() - 30 * DAY_MS, ...times);
  const end = Math.max(leadEnd.getTime() + 15 * DAY_MS, ...times);
  const x = (time: number) => LABEL_WIDTH + ((time - start) / (end - start)) * (WIDTH - LABEL_WIDTH - RIGHT);
  const height = TOP + Math.max(ordered.length, 1) * ROW_HEIGHT + 12;

  // Month ticks, thinned to about ten.
  const ticks: Date[] = [];
  const first = new Date(start);
  const cursor = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1));
  const months = Math.max(1, Math.round((end - start) / (30 * DAY_MS)));
  const step = Math.max(1, Math.ceil(months / 10));
  while (cursor.getTime() < end) {
    ticks.push(new Date(cursor));
    cursor.setUTCMonth(cursor.getUTCMonth() + step);
  }

  const chart = s(
    'svg',
    {
      class: 'timeline',
      viewBox: `0 0 ${WIDTH} ${height}`,
      role: 'group',
      'aria-labelledby': 'timeline-title',
      'aria-describedby': 'timeline-description',
      preserveAspectRatio: 'xMinYMin meet',
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
        s('line', { x1: x(tick.getTime()), x2: x(tick.getTime()), y1: TOP - 6, y2: height - 8, stroke: '#d0d7de' }),
        s('text', { x: x(tick.getTime()) + 3, y: TOP - 10, class: 'tick-label' }, tick.toISOString().slice(0, 7)),
      ),
    ),
    ordered.map((entry, index) => {
      const y = TOP + index * ROW_HEIGHT;
      return s(
        'g',
        { class: 'row' },
        index % 2 === 0 ? s('rect', { x: 0, y, width: WIDTH, height: ROW_HEIGHT, fill: '#f6f8fa' }) : null,
        s(
          'g',
          null,
          s('title', null, entry.label),
          s('text', { x: 8, y: y + ROW_HEIGHT / 2 + 5, class: 'row-label' }, truncate(entry.label, 26)),
        ),
        entry.certificates.length === 0
          ? s('text', { x: LABEL_WIDTH + 4, y: y + ROW_HEIGHT / 2 + 5, class: 'row-empty' }, 'no certificates')
          : null,
        entry.certificates.map((certificate) => {
          const status = displayStatus(certificate, now, lead);
          const from = x(new Date(certificate.createdAt).getTime());
          const to = x(new Date(certificate.notAfter).getTime());
          const description = `${entry.label}: certificate ${serialText(certificate._id)}, ${STATUS_LABELS[status]}, created ${formatInstant(certificate.createdAt)}, expires ${formatInstant(certificate.notAfter)}`;
          const bar = s('rect', {
            x: from,
            y: y + (ROW_HEIGHT - BAR_HEIGHT) / 2,
            width: Math.max(2, to - from),
            height: BAR_HEIGHT,
            rx: 3,
            fill: FILLS[status],
            stroke: status === 'revoked' ? '#b3261e' : 'none',
            class: `bar bar-${status}`,
            'data-serial': serialText(certificate._id),
          });
          return entry.user
            ? s(
                'a',
                { href: userHash(groupId, entry.user), 'aria-label': description },
                s('title', null, description),
                bar,
              )
            : s('g', { 'aria-label': description, role: 'img' }, s('title', null, description), bar);
        }),
      );
    }),
    s('line', {
      x1: x(now.getTime()),
      x2: x(now.getTime()),
      y1: 36,
      y2: height - 8,
      class: 'today-line',
      stroke: '#0b3d91',
      'stroke-width': 2,
    }),
    markerLabel(x(now.getTime()), 14, 'Today'),
    s('line', {
      x1: x(leadEnd.getTime()),
      x2: x(leadEnd.getTime()),
      y1: 36,
      y2: height - 8,
      class: 'lead-line',
      stroke: '#a65200',
      'stroke-width': 2,
      'stroke-dasharray': '6 4',
    }),
    markerLabel(x(leadEnd.getTime()), 32, `Alert lead time: ${lead} days`),
  );

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
      `Alert lead time (${formatDay(leadEnd)})`,
    ),
  );

  const listing = certificates
    .slice()
    .sort((a, b) => a.notAfter.localeCompare(b.notAfter))
    .map((certificate) => {
      const name = singleCommonName(certificate.subject);
      return row(
        name ?? certificate.subject,
        h('code', null, serialText(certificate._id)),
        statusBadge(displayStatus(certificate, now, lead)),
        formatInstant(certificate.createdAt),
        formatInstant(certificate.notAfter),
      );
    });

  replace(
    section,
    h('h2', { id: 'timeline-title' }, 'Certificates timeline'),
    h(
      'p',
      { id: 'timeline-description', class: 'hint' },
      `One row per user, one bar per certificate from its creation to its expiry. Certificates that expire before the alert lead time line (${lead} days from today) are expiring soon.`,
    ),
    certificates.length === 0 && managed.length === 0
      ? h('p', { class: 'empty' }, 'No dbcerts-managed X.509 users in this project yet.')
      : [h('div', { class: 'timeline-wrap' }, chart), legend],
    h(
      'details',
      { class: 'as-table' },
      h('summary', null, 'The same certificates as a table'),
      listing.length === 0
        ? h('p', { class: 'empty' }, 'No certificates.')
        : table('Certificates by expiry', ['User', 'Serial', 'Status', 'Created', 'Not after'], listing),
    ),
  );
}
