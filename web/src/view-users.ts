import { ApiError, call, listAll, path } from './api.js';
import { confirmDialog, openDialog } from './dialog.js';
import { errorMessage, field, h, loading, replace, row, table, uid } from './dom.js';
import { labelsEditor, rolesEditor } from './editors.js';
import { authMethod, type DatabaseUser, roleText } from './format.js';
import { session } from './session.js';
import { type ProjectContext, projectHash } from './view-project.js';

type Method = 'MANAGED' | 'CUSTOMER' | 'SCRAM';

function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message}${error.errorCode ? ` (${error.errorCode})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

export function userHash(groupId: string, user: Pick<DatabaseUser, 'databaseName' | 'username'>): string {
  return projectHash(groupId, 'users', user.databaseName, user.username);
}

function userPath(groupId: string, user: Pick<DatabaseUser, 'databaseName' | 'username'>): string {
  return path('groups', groupId, 'databaseUsers', user.databaseName, user.username);
}

/** The new-user dialog: X.509 managed by dbcerts, X.509 from the customer's CA, or SCRAM. */
function openCreateDialog(context: ProjectContext, onCreated: (user: DatabaseUser) => void): void {
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
  const description = h('input', { type: 'text', name: 'description', maxlength: 100 });
  const roles = rolesEditor([{ roleName: 'readWrite', databaseName: '' }]);
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
  }

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
        submit.disabled = true;
        replace(status);
        try {
          const created = await call<DatabaseUser>('POST', path('groups', context.groupId, 'databaseUsers'), { body });
          dialog.close();
          onCreated(created);
        } catch (error) {
          replace(status, errorMessage(describeError(error)));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('fieldset', { class: 'choices' }, h('legend', null, 'Authentication'), radios),
    usernameField,
    passwordField,
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

function openRolesDialog(context: ProjectContext, user: DatabaseUser, onSaved: () => void): void {
  const roles = rolesEditor(user.roles);
  const status = h('div', { class: 'form-status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Save roles');
  const dialog = openDialog(`Roles of ${user.username}`, [
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (event: Event) => {
          event.preventDefault();
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

/** The project's database users, with create, edit-roles and delete where the key may. */
export async function renderUsers(context: ProjectContext): Promise<void> {
  const { groupId, section } = context;
  replace(section, h('h2', null, 'Database users'), loading('database users'));
  const users = await listAll<DatabaseUser>(path('groups', groupId, 'databaseUsers'));
  if (context.stale()) return;
  const canCreate = session.can('createDatabaseUser', groupId);
  const canUpdate = session.can('updateDatabaseUser', groupId);
  const canDelete = session.can('deleteDatabaseUser', groupId);
  const status = h('div', { class: 'form-status' });
  const rows = users.map((user) =>
    row(
      h('a', { href: userHash(groupId, user), class: 'name' }, user.username),
      authMethod(user),
      h('code', null, user.databaseName),
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
        user.x509Type === 'MANAGED'
          ? h('a', { href: userHash(groupId, user), class: 'button-link small' }, 'Certificates')
          : null,
        canUpdate
          ? h(
              'button',
              {
                type: 'button',
                class: 'secondary small',
                'aria-label': `Edit roles of ${user.username}`,
                onclick: () =>
                  openRolesDialog(context, user, () => {
                    context.announce(`Saved the roles of ${user.username}.`);
                    context.refresh();
                  }),
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
      ),
    ),
  );
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
                openCreateDialog(context, (created) => {
                  context.announce(`Created ${created.username}.`);
                  context.refresh();
                }),
            },
            'Add database user',
          )
        : null,
    ),
    canCreate ? null : h('p', { class: 'hint' }, 'Your roles in this project allow reading only.'),
    status,
    users.length === 0
      ? h('p', { class: 'empty' }, 'No database users yet.')
      : table(
          `${users.length} database user${users.length === 1 ? '' : 's'}`,
          ['Username', 'Authentication', 'Database', 'Roles', 'Labels', 'Description', 'Actions'],
          rows,
        ),
  );
}
