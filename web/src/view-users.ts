import { ApiError, call, describeError, listAll, path } from './api.js';
import { confirmDialog, openDialog } from './dialog.js';
import { badge, errorMessage, field, h, loading, needsRole, replace, row, table, uid } from './dom.js';
import { labelsEditor, roleProblems, rolesEditor } from './editors.js';
import { authMethod, type DatabaseUser, formatCount, formatDay, roleText } from './format.js';
import { showIssued } from './issued.js';
import { session } from './session.js';
import { type ProjectContext, projectHash } from './routes.js';

type Method = 'MANAGED' | 'CUSTOMER' | 'SCRAM';

/** What a managed user's certificates cover (GET …/managedX509/users). */
export interface CertificateHolder {
  username: string;
  databaseName: string;
  certificateStatus: 'valid' | 'expiring' | 'none';
  validCertificates: number;
  certificates: number;
  validUntil?: string;
  lastIssuedAt?: string;
}

export const COVERAGE_LABELS: Record<CertificateHolder['certificateStatus'], string> = {
  valid: 'Valid certificate',
  expiring: 'Expiring soon',
  none: 'No valid certificate',
};

const COVERAGE_BADGES: Record<CertificateHolder['certificateStatus'], string> = {
  valid: 'active',
  expiring: 'expiring',
  none: 'revoked',
};

export function userHash(groupId: string, user: Pick<DatabaseUser, 'databaseName' | 'username'>): string {
  return projectHash(groupId, 'users', user.databaseName, user.username);
}

function userPath(groupId: string, user: Pick<DatabaseUser, 'databaseName' | 'username'>): string {
  return path('groups', groupId, 'databaseUsers', user.databaseName, user.username);
}

/**
 * The project's custom roles, for checking role names as the person types. The server
 * answers for them in the end; where it has no such list (404), the built-ins are all.
 */
async function customRoleNames(groupId: string): Promise<string[]> {
  try {
    const answer = await call<unknown>('GET', path('groups', groupId, 'customDBRoles', 'roles'));
    const list = Array.isArray(answer) ? answer : ((answer as { results?: unknown[] } | null)?.results ?? []);
    return list
      .map((role) => (role as { roleName?: unknown }).roleName)
      .filter((name): name is string => typeof name === 'string');
  } catch (error) {
    if (error instanceof ApiError) return [];
    throw error;
  }
}

/** Refuses to send roles that are sure to be refused, saying why; true when they may go. */
function checkRoles(
  roles: ReturnType<ReturnType<typeof rolesEditor>['values']>,
  custom: string[],
  status: HTMLElement,
) {
  const problems = roleProblems(roles, custom);
  if (problems.length === 0) return true;
  replace(
    status,
    h(
      'div',
      { class: 'error', role: 'alert' },
      h('p', null, 'Check the roles:'),
      h(
        'ul',
        null,
        problems.map((problem) => h('li', null, problem)),
      ),
    ),
  );
  return false;
}

/** A message for the user page that opens after a user was created and its first certificate could not be issued. */
let afterCreate: string | undefined;
export function takeAfterCreateMessage(): string | undefined {
  const message = afterCreate;
  afterCreate = undefined;
  return message;
}

/**
 * The new-user dialog: X.509 managed by dbcerts, X.509 from the customer's CA, or SCRAM.
 * A dbcerts-managed user can get its first certificate at once, as Atlas' own dialog offers.
 */
async function openCreateDialog(context: ProjectContext): Promise<void> {
  const custom = await customRoleNames(context.groupId);
  const canIssue = session.can('createDatabaseUserCertificate', context.groupId);
  const methodName = uid('method');
  const choices: Array<[Method, string]> = [
    ['MANAGED', 'X.509 certificate issued by dbcerts'],
    ['CUSTOMER', 'X.509 certificate from your own CA (a distinguished name)'],
    ['SCRAM', 'Password (SCRAM)'],
  ];
  const radios = choices.map(([value, label], index) => {
    const id = uid('radio');
    const input = h('input', { type: 'radio', name: methodName, id, value, checked: index === 0 });
    input.addEventListener('change', update);
    return h('div', { class: 'choice' }, input, h('label', { for: id }, label));
  });
  const username = h('input', {
    type: 'text',
    name: 'username',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const usernameField = field('Username', username, '');
  const password = h('input', { type: 'password', name: 'password', minlength: 8, autocomplete: 'new-password' });
  const passwordField = field('Password', password, 'At least 8 characters. It is kept only as SCRAM verifiers.');
  const issueNow = h('input', { type: 'checkbox', id: uid('issue'), checked: canIssue, disabled: !canIssue });
  const months = h('input', { type: 'number', name: 'months', min: 1, max: 24, step: 1, value: 3 });
  const issueFields = h(
    'fieldset',
    { class: 'choices' },
    h('legend', null, 'First certificate'),
    h('div', { class: 'choice' }, issueNow, h('label', { for: issueNow.id }, 'Issue its first certificate now')),
    field('Valid for (months)', months, '1 to 24 months. You download it, with its private key, right after.'),
    canIssue ? null : needsRole(session.needs('createDatabaseUserCertificate', 'Issuing a certificate')),
  );
  const description = h('input', { type: 'text', name: 'description', maxlength: 100 });
  const roles = rolesEditor([{ roleName: 'readWrite', databaseName: '' }], custom);
  const labels = labelsEditor([]);
  const status = h('div', { class: 'form-status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create user');

  function method(): Method {
    return (
      (radios.map((radio) => radio.querySelector('input')!).find((input) => input.checked)?.value as Method) ??
      'MANAGED'
    );
  }
  function update(): void {
    const current = method();
    const label = usernameField.querySelector('label')!;
    const hint = usernameField.querySelector('.hint')!;
    label.textContent = current === 'CUSTOMER' ? 'Distinguished name' : 'Username';
    hint.textContent =
      current === 'MANAGED'
        ? 'Its certificates will have the subject CN=<username>.'
        : current === 'CUSTOMER'
          ? 'RFC 2253, exactly as in the subject of the certificates your CA issues, e.g. CN=app,OU=db,O=Example.'
          : 'The name the client authenticates with.';
    passwordField.hidden = current !== 'SCRAM';
    password.required = current === 'SCRAM';
    issueFields.hidden = current !== 'MANAGED';
    submit.textContent = current === 'MANAGED' && issueNow.checked ? 'Create user and issue' : 'Create user';
  }
  issueNow.addEventListener('change', update);

  const form = h(
    'form',
    {
      class: 'stack',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const current = method();
        const body: Record<string, unknown> = {
          databaseName: current === 'SCRAM' ? 'admin' : '$external',
          username: username.value.trim(),
          roles: roles.values(),
          labels: labels.values(),
        };
        if (current !== 'SCRAM') body.x509Type = current;
        else body.password = password.value;
        if (description.value.trim() !== '') body.description = description.value.trim();
        if (!checkRoles(roles.values(), custom, status)) return;
        const firstCertificate = current === 'MANAGED' && issueNow.checked;
        const monthsValue = Number(months.value);
        if (firstCertificate && !(Number.isInteger(monthsValue) && monthsValue >= 1 && monthsValue <= 24)) {
          replace(status, errorMessage('The first certificate is valid for 1 to 24 months.'));
          months.focus();
          return;
        }
        submit.disabled = true;
        replace(status);
        let created: DatabaseUser;
        try {
          created = await call<DatabaseUser>('POST', path('groups', context.groupId, 'databaseUsers'), { body });
        } catch (error) {
          replace(status, errorMessage(describeError(error)));
          submit.disabled = false;
          return;
        }
        dialog.close();
        context.announce(`Created ${created.username}.`);
        if (firstCertificate) {
          try {
            const pem = await call<string>(
              'POST',
              path('groups', context.groupId, 'databaseUsers', created.username, 'certs'),
              { body: { monthsUntilExpiration: monthsValue }, text: true },
            );
            await showIssued(created.username, pem);
          } catch (error) {
            afterCreate = `${created.username} was created, but its first certificate was not issued: ${describeError(error)}`;
          }
        }
        context.navigate(userHash(context.groupId, created));
      },
    },
    h('fieldset', { class: 'choices' }, h('legend', null, 'Authentication'), radios),
    usernameField,
    passwordField,
    issueFields,
    roles.element,
    labels.element,
    field('Description (optional)', description, 'Up to 100 characters.'),
    status,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel'),
      submit,
    ),
  );
  const dialog = openDialog('Add a database user', [form]);
  update();
  username.focus();
}

async function openRolesDialog(context: ProjectContext, user: DatabaseUser, onSaved: () => void): Promise<void> {
  const custom = await customRoleNames(context.groupId);
  const roles = rolesEditor(user.roles, custom);
  const status = h('div', { class: 'form-status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Save roles');
  const dialog = openDialog(`Roles of ${user.username}`, [
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (event: Event) => {
          event.preventDefault();
          if (!checkRoles(roles.values(), custom, status)) return;
          submit.disabled = true;
          try {
            await call('PATCH', userPath(context.groupId, user), { body: { roles: roles.values() } });
            dialog.close();
            onSaved();
          } catch (error) {
            replace(status, errorMessage(describeError(error)));
          } finally {
            submit.disabled = false;
          }
        },
      },
      roles.element,
      status,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel'),
        submit,
      ),
    ),
  ]);
}

/** Deletes after a confirmation that names the user and what happens to its certificates. */
export async function confirmDelete(context: ProjectContext, user: DatabaseUser): Promise<boolean> {
  const consequences =
    user.x509Type === 'MANAGED'
      ? 'Every certificate dbcerts issued to this user will be revoked (reason cessationOfOperation) and listed on the project’s CRL.'
      : user.x509Type === 'CUSTOMER'
        ? 'Certificates your own CA issued to this name are not revoked by dbcerts: revoke them with your CA.'
        : 'Its password stops working.';
  const confirmed = await confirmDialog({
    title: 'Delete database user?',
    message: [
      h(
        'p',
        null,
        'You are about to delete ',
        h('strong', { class: 'name' }, user.username),
        ` (${authMethod(user)}).`,
      ),
      h('p', null, consequences),
      h('p', null, 'This cannot be undone.'),
    ],
    confirmLabel: 'Delete user',
    danger: true,
  });
  if (!confirmed) return false;
  await call('DELETE', userPath(context.groupId, user));
  context.announce(`Deleted ${user.username}.`);
  return true;
}

function labelsCell(user: DatabaseUser): HTMLElement | string {
  if (user.labels.length === 0) return '—';
  return h(
    'ul',
    { class: 'plain' },
    user.labels.map((label) => h('li', null, h('span', { class: 'label' }, `${label.key}=${label.value}`))),
  );
}

/** A managed user's certificate status: badge, until when, how many. */
export function coverageCell(holder: CertificateHolder | undefined): HTMLElement | string {
  if (!holder) return '—';
  return h(
    'span',
    { class: 'coverage' },
    badge(COVERAGE_LABELS[holder.certificateStatus], COVERAGE_BADGES[holder.certificateStatus]),
    holder.validUntil
      ? h(
          'span',
          { class: 'hint' },
          ` until ${formatDay(holder.validUntil)} (${formatCount(holder.validCertificates)} valid)`,
        )
      : h('span', { class: 'hint' }, ` ${formatCount(holder.certificates)} issued`),
  );
}

const SORTS = {
  name: 'Name, A to Z',
  '-name': 'Name, Z to A',
  expiry: 'Certificate coverage ends soonest',
  method: 'Authentication',
} as const;
type Sort = keyof typeof SORTS;

const FILTERS = {
  '': 'Every user',
  none: 'No valid certificate',
  expiring: 'Certificates expiring soon',
  valid: 'Valid certificate',
  other: 'Not dbcerts-managed X.509',
} as const;
type Filter = keyof typeof FILTERS;

/** The project's database users with their certificate status; search, filter and order them. */
export async function renderUsers(context: ProjectContext): Promise<void> {
  const { groupId, section } = context;
  replace(section, h('h2', null, 'Database users'), loading('database users'));
  const [users, holders] = await Promise.all([
    listAll<DatabaseUser>(path('groups', groupId, 'databaseUsers')),
    listAll<CertificateHolder>(path('groups', groupId, 'userSecurity', 'managedX509', 'users')),
  ]);
  if (context.stale()) return;
  const coverage = new Map(holders.items.map((holder) => [holder.username, holder]));
  const canCreate = session.can('createDatabaseUser', groupId);
  const canUpdate = session.can('updateDatabaseUser', groupId);
  const canDelete = session.can('deleteDatabaseUser', groupId);
  const status = h('div', { class: 'form-status' });

  const search = h('input', {
    type: 'search',
    name: 'q',
    value: context.query.get('q') ?? '',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const filter = h(
    'select',
    { name: 'status' },
    (Object.keys(FILTERS) as Filter[]).map((value) =>
      h('option', { value, selected: value === (context.query.get('status') ?? '') }, FILTERS[value]),
    ),
  );
  const sort = h(
    'select',
    { name: 'sort' },
    (Object.keys(SORTS) as Sort[]).map((value) =>
      h('option', { value, selected: value === (context.query.get('sort') ?? 'name') }, SORTS[value]),
    ),
  );
  const results = h('div', { class: 'results' });

  const userRow = (user: DatabaseUser) => {
    const holder = user.x509Type === 'MANAGED' ? coverage.get(user.username) : undefined;
    return row(
      h('a', { href: userHash(groupId, user), class: 'name' }, user.username),
      authMethod(user),
      user.x509Type === 'MANAGED' ? coverageCell(holder) : '—',
      user.roles.length === 0
        ? '—'
        : h(
            'ul',
            { class: 'plain' },
            user.roles.map((role) => h('li', null, roleText(role))),
          ),
      labelsCell(user),
      user.description ?? '—',
      h(
        'div',
        { class: 'row-actions' },
        canUpdate
          ? h(
              'button',
              {
                type: 'button',
                class: 'secondary small',
                'aria-label': `Edit roles of ${user.username}`,
                onclick: () =>
                  void openRolesDialog(context, user, () => {
                    context.announce(`Saved the roles of ${user.username}.`);
                    context.refresh();
                  }).catch((error: unknown) => replace(status, errorMessage(describeError(error)))),
              },
              'Edit roles',
            )
          : null,
        canDelete
          ? h(
              'button',
              {
                type: 'button',
                class: 'danger small',
                'aria-label': `Delete ${user.username}`,
                onclick: async () => {
                  try {
                    if (await confirmDelete(context, user)) context.refresh();
                  } catch (error) {
                    replace(status, errorMessage(describeError(error)));
                  }
                },
              },
              'Delete',
            )
          : null,
        !canUpdate && !canDelete ? '—' : null,
      ),
    );
  };

  const coverageRank = (user: DatabaseUser) => {
    const holder = coverage.get(user.username);
    if (user.x509Type !== 'MANAGED' || !holder) return Number.MAX_SAFE_INTEGER;
    return holder.validUntil ? new Date(holder.validUntil).getTime() : 0;
  };

  function draw(): void {
    const text = search.value.trim().toLowerCase();
    const wanted = filter.value as Filter;
    const order = sort.value as Sort;
    context.setQuery({ q: text || undefined, status: wanted || undefined, sort: order === 'name' ? undefined : order });
    const shown = users.items.filter((user) => {
      if (wanted === 'other' && user.x509Type === 'MANAGED') return false;
      if (wanted !== '' && wanted !== 'other') {
        if (user.x509Type !== 'MANAGED' || coverage.get(user.username)?.certificateStatus !== wanted) return false;
      }
      if (text === '') return true;
      const haystack = [
        user.username,
        user.description ?? '',
        ...user.labels.map((label) => `${label.key}=${label.value}`),
        ...user.roles.map(roleText),
      ]
        .join('\n')
        .toLowerCase();
      return haystack.includes(text);
    });
    shown.sort((a, b) => {
      if (order === 'expiry') return coverageRank(a) - coverageRank(b) || a.username.localeCompare(b.username);
      if (order === 'method') return authMethod(a).localeCompare(authMethod(b)) || a.username.localeCompare(b.username);
      return order === '-name' ? b.username.localeCompare(a.username) : a.username.localeCompare(b.username);
    });
    const total = users.totalCount;
    const caption =
      shown.length === users.items.length
        ? `${formatCount(total)} database user${total === 1 ? '' : 's'}`
        : `${formatCount(shown.length)} of ${formatCount(total)} database users`;
    replace(
      results,
      users.complete
        ? null
        : h('p', { class: 'notice' }, `Only the first ${formatCount(users.items.length)} users are listed here.`),
      shown.length === 0
        ? h(
            'p',
            { class: 'empty', role: 'status' },
            users.items.length === 0 ? 'No database users yet.' : 'No user matches.',
          )
        : table(
            caption,
            ['Username', 'Authentication', 'Certificate', 'Roles', 'Labels', 'Description', 'Actions'],
            shown.map(userRow),
            { stacked: true },
          ),
    );
  }

  let typing: number | undefined;
  search.addEventListener('input', () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(draw, 150);
  });
  filter.addEventListener('change', draw);
  sort.addEventListener('change', draw);

  replace(
    section,
    h(
      'div',
      { class: 'section-head' },
      h('h2', null, 'Database users'),
      canCreate
        ? h(
            'button',
            {
              type: 'button',
              class: 'primary',
              onclick: () =>
                void openCreateDialog(context).catch((error: unknown) =>
                  replace(status, errorMessage(describeError(error))),
                ),
            },
            'Add database user',
          )
        : null,
    ),
    canCreate ? null : needsRole(session.needs('createDatabaseUser', 'Adding, editing or deleting users')),
    status,
    h(
      'form',
      {
        class: 'filters',
        role: 'search',
        'aria-label': 'Find database users',
        onsubmit: (event: Event) => {
          event.preventDefault();
          draw();
        },
      },
      field('Search', search, 'Name, description, label or role'),
      field('Show', filter),
      field('Order', sort),
    ),
    results,
  );
  draw();
}
