import { ApiError, call, countOf, describeError, type Page, path, type Query } from './api.js';
import { confirmDialog } from './dialog.js';
import { errorMessage, errorPanel, field, h, loading, needsRole, replace, row, table, uid } from './dom.js';
import {
  authMethod,
  type DatabaseUser,
  DEFAULT_LEAD_TIME_DAYS,
  displayStatus,
  type DisplayStatus,
  formatCount,
  formatInstant,
  type InventoryCertificate,
  relativeDays,
  roleText,
  serialHex,
  serialText,
  STATUS_LABELS,
  statusBadge,
} from './format.js';
import { showIssued } from './issued.js';
import { session } from './session.js';
import { certificateHash, type ProjectContext, projectHash } from './routes.js';
import { confirmDelete, takeAfterCreateMessage } from './view-users.js';

const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
];

const PAGE_SIZE = 50;
const DAY_MS = 86_400_000;

/** The project's expiry-alert lead time (Atlas' 30 days when the project has none, or it cannot be read). */
export async function leadTimeDays(groupId: string): Promise<number> {
  try {
    const settings = await call<{ leadTimeDays?: number }>(
      'GET',
      path('groups', groupId, 'userSecurity', 'managedX509', 'alerts'),
    );
    return typeof settings.leadTimeDays === 'number' ? settings.leadTimeDays : DEFAULT_LEAD_TIME_DAYS;
  } catch (error) {
    if (error instanceof ApiError) return DEFAULT_LEAD_TIME_DAYS;
    throw error;
  }
}

/** Whether the project has a customer CA (which stops managed issuance); undefined when the key cannot tell. */
async function customerCaIsOn(groupId: string): Promise<boolean | undefined> {
  if (!session.can('getUserSecurity', groupId)) return undefined;
  try {
    const settings = await call<{ customerX509?: { cas?: string } }>('GET', path('groups', groupId, 'userSecurity'));
    return settings.customerX509?.cas !== undefined;
  } catch (error) {
    if (error instanceof ApiError) return undefined;
    throw error;
  }
}

/** Asks for a revocation reason and revokes; true when revoked. */
export async function revokeCertificate(context: ProjectContext, serial: string, owner: string): Promise<boolean> {
  const reasonId = uid('reason');
  const reason = h(
    'select',
    { id: reasonId },
    REVOCATION_REASONS.map((name) => h('option', { value: name }, name)),
  );
  const confirmed = await confirmDialog({
    title: 'Revoke certificate?',
    message: [
      h(
        'p',
        null,
        'Certificate ',
        h('code', null, serial),
        ' of ',
        h('strong', { class: 'name' }, owner),
        ' will be revoked.',
      ),
      h(
        'p',
        null,
        'It is listed on the project’s CRL at once; mongod refuses it once it loads the new CRL. Revocation is final.',
      ),
      h('div', { class: 'field' }, h('label', { for: reasonId }, 'Reason'), reason),
    ],
    confirmLabel: 'Revoke certificate',
    danger: true,
  });
  if (!confirmed) return false;
  await call('POST', path('groups', context.groupId, 'userSecurity', 'managedX509', 'certs', serial, 'revoke'), {
    body: { reason: reason.value },
  });
  context.announce(`Revoked certificate ${serial}.`);
  return true;
}

/** Issuing, at the top of a managed user's page: dbcerts makes the key, or signs the person's CSR. */
function issueForm(context: ProjectContext, user: DatabaseUser, onIssued: () => void): HTMLFormElement {
  const modeName = uid('mode');
  const generate = h('input', { type: 'radio', name: modeName, id: uid('radio'), value: 'generate', checked: true });
  const useCsr = h('input', { type: 'radio', name: modeName, id: uid('radio'), value: 'csr' });
  const months = h('input', { type: 'number', name: 'months', min: 1, max: 24, step: 1, value: 3, required: true });
  const csrFile = h('input', { type: 'file', name: 'csrFile', accept: '.csr,.pem,.req,.txt' });
  const csrText = h('textarea', {
    name: 'csr',
    rows: 6,
    spellcheck: 'false',
    placeholder: '-----BEGIN CERTIFICATE REQUEST-----',
  });
  const csrFields = h(
    'div',
    { class: 'stack', hidden: true },
    field('CSR file', csrFile, 'A PKCS#10 request in PEM. Its subject is ignored: the certificate is for this user.'),
    field('Or paste the CSR', csrText),
  );
  const status = h('div', { class: 'form-status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Issue certificate');
  const toggle = () => {
    csrFields.hidden = !useCsr.checked;
  };
  generate.addEventListener('change', toggle);
  useCsr.addEventListener('change', toggle);
  csrFile.addEventListener('change', async () => {
    const file = csrFile.files?.[0];
    if (file) csrText.value = await file.text();
  });
  const headingId = uid('issue-heading');
  return h(
    'form',
    {
      class: 'stack card issue-card',
      'aria-labelledby': headingId,
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const body: Record<string, unknown> = { monthsUntilExpiration: Number(months.value) };
        if (useCsr.checked) {
          if (csrText.value.trim() === '') {
            replace(status, errorMessage('Choose a CSR file or paste one.'));
            return;
          }
          body.csr = csrText.value;
        }
        submit.disabled = true;
        replace(status, h('p', { role: 'status' }, 'Issuing…'));
        try {
          const pem = await call<string>(
            'POST',
            path('groups', context.groupId, 'databaseUsers', user.username, 'certs'),
            { body, text: true },
          );
          replace(status);
          csrText.value = '';
          csrFile.value = '';
          await showIssued(user.username, pem);
          onIssued();
        } catch (error) {
          replace(status, errorMessage(describeError(error)));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h2', { id: headingId }, 'Issue a certificate'),
    h(
      'div',
      { class: 'issue-grid' },
      h(
        'fieldset',
        { class: 'choices' },
        h('legend', null, 'Key'),
        h(
          'div',
          { class: 'choice' },
          generate,
          h('label', { for: generate.id }, 'dbcerts generates a key pair (you save the key once)'),
        ),
        h(
          'div',
          { class: 'choice' },
          useCsr,
          h('label', { for: useCsr.id }, 'I have a certificate signing request (my key stays with me)'),
        ),
      ),
      field('Valid for (months)', months, '1 to 24 months.'),
    ),
    csrFields,
    status,
    h('div', { class: 'actions' }, submit),
  );
}

type Sort = 'newest' | 'oldest' | 'expiry' | '-expiry';
const SORTS: Record<Sort, { label: string; query: Query }> = {
  newest: { label: 'Newest first', query: { orderBy: 'desc' } },
  oldest: { label: 'Oldest first', query: { orderBy: 'asc' } },
  expiry: { label: 'Expiring first', query: { sortBy: 'notAfter', orderBy: 'asc' } },
  '-expiry': { label: 'Expiring last', query: { sortBy: 'notAfter', orderBy: 'desc' } },
};

type Show = 'all' | DisplayStatus;
const SHOW_LABELS: Record<Show, string> = { all: 'All', ...STATUS_LABELS };

/** The filters of a status, as the inventory's parameters (expiring: within the lead time). */
function statusQuery(show: Show, leadEnd: string): Query {
  switch (show) {
    case 'all':
      return { status: 'all' };
    case 'active':
      return { status: 'active', expiresAfter: leadEnd };
    case 'expiring':
      return { status: 'active', expiresBefore: leadEnd };
    default:
      return { status: show };
  }
}

/**
 * A managed user's certificates, a page at a time from the server's inventory: filtered
 * by status, found by serial (decimal or hex), in four orders. Filters live in the address.
 */
function certificateList(context: ProjectContext, user: DatabaseUser, lead: number, canRevoke: boolean): HTMLElement {
  const { groupId, query } = context;
  const now = session.now();
  const leadEnd = new Date(now.getTime() + lead * DAY_MS).toISOString();
  const certsPath = path('groups', groupId, 'databaseUsers', user.username, 'certs');
  const state = {
    show: ((Object.keys(SHOW_LABELS) as Show[]).includes(query.get('status') as Show)
      ? query.get('status')
      : 'all') as Show,
    serial: query.get('serial') ?? '',
    sort: (query.get('sort') && query.get('sort')! in SORTS ? query.get('sort') : 'newest') as Sort,
    page: Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1),
  };
  const counts = h('div', { class: 'status-filters', role: 'group', 'aria-label': 'Show certificates' });
  const serial = h('input', {
    type: 'search',
    name: 'serial',
    value: state.serial,
    autocomplete: 'off',
    spellcheck: 'false',
    inputmode: 'text',
  });
  const sort = h(
    'select',
    { name: 'sort' },
    (Object.keys(SORTS) as Sort[]).map((value) =>
      h('option', { value, selected: value === state.sort }, SORTS[value].label),
    ),
  );
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const status = h('div', { class: 'form-status' });
  const shownCount: Partial<Record<Show, number>> = {};

  function drawCounts(): void {
    replace(
      counts,
      (Object.keys(SHOW_LABELS) as Show[]).map((show) =>
        h(
          'button',
          {
            type: 'button',
            class: `chip${show === state.show ? ' current' : ''}`,
            'aria-pressed': show === state.show ? 'true' : 'false',
            onclick: () => {
              state.show = show;
              state.page = 1;
              void load();
            },
          },
          SHOW_LABELS[show],
          shownCount[show] === undefined ? null : [' ', h('span', { class: 'count' }, formatCount(shownCount[show]!))],
        ),
      ),
    );
  }

  async function loadCounts(): Promise<void> {
    const values = await Promise.all(
      (Object.keys(SHOW_LABELS) as Show[]).map((show) => countOf(certsPath, statusQuery(show, leadEnd))),
    );
    (Object.keys(SHOW_LABELS) as Show[]).forEach((show, index) => {
      shownCount[show] = values[index]!;
    });
    drawCounts();
  }

  function certificateRow(certificate: InventoryCertificate) {
    const displayed = displayStatus(certificate, now, lead);
    const text = serialText(certificate._id);
    return row(
      statusBadge(displayed),
      h(
        'span',
        { class: 'serial' },
        h('a', { href: certificateHash(groupId, text) }, h('code', null, text)),
        h('span', { class: 'hint' }, `hex ${serialHex(certificate._id)}`),
      ),
      formatInstant(certificate.createdAt),
      h(
        'span',
        null,
        formatInstant(certificate.notAfter),
        displayed === 'revoked' ? null : h('span', { class: 'hint' }, ` ${relativeDays(certificate.notAfter, now)}`),
      ),
      displayed === 'revoked'
        ? `${formatInstant(certificate.revokedAt)}${certificate.revocationReason ? ` (${certificate.revocationReason})` : ''}`
        : `${certificate.keyAlgorithm ?? ''}${certificate.source === 'csr' ? ', from a CSR' : ''}`,
      canRevoke && displayed !== 'revoked' && displayed !== 'expired'
        ? h(
            'button',
            {
              type: 'button',
              class: 'danger small',
              'aria-label': `Revoke certificate ${text}`,
              onclick: async () => {
                try {
                  if (await revokeCertificate(context, text, user.username)) {
                    await Promise.all([load(), loadCounts()]);
                  }
                } catch (error) {
                  replace(status, errorMessage(describeError(error)));
                }
              },
            },
            'Revoke',
          )
        : '—',
    );
  }

  async function load(): Promise<void> {
    state.serial = serial.value.trim();
    state.sort = sort.value as Sort;
    context.setQuery({
      status: state.show === 'all' ? undefined : state.show,
      serial: state.serial || undefined,
      sort: state.sort === 'newest' ? undefined : state.sort,
      page: state.page === 1 ? undefined : String(state.page),
    });
    drawCounts();
    replace(results, loading('certificates'));
    let page: Page<InventoryCertificate>;
    try {
      page = await call<Page<InventoryCertificate>>('GET', certsPath, {
        query: {
          ...statusQuery(state.show, leadEnd),
          ...SORTS[state.sort].query,
          serial: state.serial || undefined,
          pageNum: state.page,
          itemsPerPage: PAGE_SIZE,
          includeCount: 'true',
        },
      });
    } catch (error) {
      if (error instanceof ApiError && error.errorCode === 'INVALID_QUERY_PARAMETER' && state.serial) {
        replace(
          results,
          errorMessage(`“${state.serial}” is not a serial: give it in decimal, or in hex as openssl prints it.`),
        );
        return;
      }
      replace(
        results,
        errorPanel(describeError(error), () => void load()),
      );
      return;
    }
    const total = page.totalCount ?? page.results.length;
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const first = (state.page - 1) * PAGE_SIZE + 1;
    const what = state.show === 'all' ? 'certificate' : `${SHOW_LABELS[state.show].toLowerCase()} certificate`;
    const caption =
      total === 0
        ? ''
        : `${formatCount(first)}–${formatCount(first + page.results.length - 1)} of ${formatCount(total)} ${what}${total === 1 ? '' : 's'}, ${SORTS[state.sort].label.toLowerCase()}`;
    const pager = (direction: -1 | 1, label: string) =>
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          disabled: direction < 0 ? state.page <= 1 : state.page >= pages,
          onclick: () => {
            state.page += direction;
            void load();
          },
        },
        label,
      );
    replace(
      results,
      page.results.length === 0
        ? h(
            'p',
            { class: 'empty', role: 'status' },
            state.serial
              ? `No certificate of ${user.username} has the serial ${state.serial}.`
              : state.show === 'all'
                ? 'No certificates yet.'
                : `No ${what}s.`,
          )
        : table(
            caption,
            ['Status', 'Serial', 'Created', 'Not after', 'Key / revocation', 'Actions'],
            page.results.map(certificateRow),
            { stacked: true },
          ),
      pages > 1
        ? h(
            'nav',
            { class: 'pager', 'aria-label': 'Certificate pages' },
            pager(-1, 'Previous page'),
            h('span', null, `Page ${formatCount(state.page)} of ${formatCount(pages)}`),
            pager(1, 'Next page'),
          )
        : null,
    );
  }

  sort.addEventListener('change', () => {
    state.page = 1;
    void load();
  });
  void Promise.all([load(), loadCounts()]).catch((error: unknown) =>
    replace(status, errorMessage(describeError(error))),
  );
  return h(
    'div',
    { class: 'certificates' },
    h('h2', null, 'Certificates'),
    h(
      'p',
      { class: 'hint' },
      `Expiring soon means within the project’s alert lead time (${lead} days). Serials are exact; the hex form is what openssl prints.`,
    ),
    counts,
    h(
      'form',
      {
        class: 'filters',
        role: 'search',
        'aria-label': 'Find certificates',
        onsubmit: (event: Event) => {
          event.preventDefault();
          state.page = 1;
          void load();
        },
      },
      field('Find by serial', serial, 'Decimal, or hex as openssl prints it'),
      field('Order', sort),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, 'Find')),
    ),
    status,
    results,
  );
}

/** One database user: issuing first, then its details and, for a dbcerts-managed X.509 user, its certificates. */
export async function renderUser(context: ProjectContext, databaseName: string, username: string): Promise<void> {
  const { groupId, section } = context;
  replace(section, loading('the user'));
  const userPath = path('groups', groupId, 'databaseUsers', databaseName, username);
  const user = await call<DatabaseUser>('GET', userPath);
  const managed = user.x509Type === 'MANAGED';
  const [lead, customerCa] = managed
    ? await Promise.all([leadTimeDays(groupId), customerCaIsOn(groupId)])
    : [DEFAULT_LEAD_TIME_DAYS, undefined];
  if (context.stale()) return;
  const canRevoke = session.can('revokeCertificate', groupId);
  const canIssue = session.can('createDatabaseUserCertificate', groupId);
  const status = h('div', { class: 'form-status' });
  const afterCreate = takeAfterCreateMessage();
  if (afterCreate) replace(status, errorMessage(afterCreate));

  const details = h(
    'dl',
    { class: 'details' },
    h('dt', null, 'Authentication'),
    h('dd', null, authMethod(user)),
    h('dt', null, 'Database'),
    h('dd', null, h('code', null, user.databaseName)),
    h('dt', null, 'Roles'),
    h('dd', null, user.roles.map(roleText).join(', ') || '—'),
    h('dt', null, 'Labels'),
    h(
      'dd',
      null,
      user.labels.length === 0 ? '—' : user.labels.map((label) => `${label.key}=${label.value}`).join(', '),
    ),
    user.description ? [h('dt', null, 'Description'), h('dd', null, user.description)] : null,
  );

  const issuing = !managed
    ? null
    : !canIssue
      ? needsRole(session.needs('createDatabaseUserCertificate', 'Issuing a certificate'))
      : customerCa
        ? h(
            'p',
            { class: 'notice strong' },
            'Issuing is blocked: this project has a customer CA (see ',
            h('a', { href: projectHash(groupId, 'customer-ca') }, 'Customer CA'),
            '). dbcerts issues certificates again once customer X.509 is turned off.',
          )
        : issueForm(context, user, () => context.refresh());

  replace(
    section,
    status,
    issuing,
    managed ? certificateList(context, user, lead, canRevoke) : null,
    managed && !canRevoke ? needsRole(session.needs('revokeCertificate', 'Revoking a certificate')) : null,
    h('div', { class: 'section-head' }, h('h2', null, 'User details')),
    details,
    session.can('deleteDatabaseUser', groupId)
      ? h(
          'p',
          null,
          h(
            'button',
            {
              type: 'button',
              class: 'danger small',
              onclick: async () => {
                try {
                  if (await confirmDelete(context, user)) context.navigate(projectHash(groupId, 'users'));
                } catch (error) {
                  replace(status, errorMessage(describeError(error)));
                }
              },
            },
            'Delete user',
          ),
        )
      : needsRole(session.needs('deleteDatabaseUser', 'Deleting this user')),
    managed
      ? null
      : h(
          'p',
          { class: 'hint' },
          user.x509Type === 'CUSTOMER'
            ? 'This user authenticates with certificates issued by your own CA (see Customer CA).'
            : 'This user does not use dbcerts certificates.',
        ),
  );
}
