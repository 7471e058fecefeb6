import { ApiError, call, describeError, listAll, path, SERVICE_ACCOUNTS_VERSION } from './api.js';
import { confirmDialog, openDialog } from './dialog.js';
import { type Child, errorMessage, field, h, loading, needsRole, replace, row, table, uid } from './dom.js';
import { formatInstant } from './format.js';
import { copyText, guardSecret } from './issued.js';
import { roleName, session } from './session.js';
import type { ProjectContext } from './routes.js';

/** Project roles an owner can give a key or a service account, as Atlas lists them. */
const PROJECT_ROLES = [
  'GROUP_OWNER',
  'GROUP_READ_ONLY',
  'GROUP_DATABASE_ACCESS_ADMIN',
  'GROUP_DATA_ACCESS_ADMIN',
  'GROUP_DATA_ACCESS_READ_WRITE',
  'GROUP_DATA_ACCESS_READ_ONLY',
  'GROUP_CLUSTER_MANAGER',
  'GROUP_BACKUP_MANAGER',
  'GROUP_OBSERVABILITY_VIEWER',
  'GROUP_SEARCH_INDEX_EDITOR',
  'GROUP_STREAM_PROCESSING_OWNER',
];

interface ApiKey {
  id: string;
  desc: string;
  publicKey: string;
  privateKey: string;
  roles: Array<{ roleName: string; groupId?: string; orgId?: string }>;
}

interface ServiceAccount {
  clientId: string;
  name: string;
  description: string;
  createdAt: string;
  roles: string[];
  secrets: Array<{ id: string; secret?: string; expiresAt: string }>;
}

/** Checkboxes for project roles; at least one must be chosen. */
function rolePicker(legend: string, chosen: readonly string[]) {
  const boxes = PROJECT_ROLES.map((role) => {
    const input = h('input', { type: 'checkbox', id: uid('role'), value: role, checked: chosen.includes(role) });
    return h('div', { class: 'choice' }, input, h('label', { for: input.id }, roleName(role)));
  });
  return {
    element: h('fieldset', { class: 'choices role-picker' }, h('legend', null, legend), boxes),
    values: () =>
      boxes
        .map((box) => box.querySelector('input')!)
        .filter((input) => input.checked)
        .map((input) => input.value),
  };
}

/** A secret shown once (an API key's private key, a service account's secret), kept from being closed unsaved. */
function showSecretOnce(title: string, lines: Array<[string, string]>, secret: string, what: string): Promise<void> {
  let copied = false;
  const status = h('p', { class: 'form-status', role: 'status' });
  const guard = guardSecret(() => copied, what);
  const dialog = openDialog(
    title,
    [
      h(
        'p',
        { class: 'notice strong' },
        `This is the only time the ${what} is shown: dbcerts keeps only what checks it. Copy it now.`,
      ),
      h(
        'dl',
        { class: 'details' },
        lines.map(([name, value]) => [h('dt', null, name), h('dd', null, h('code', { class: 'secret' }, value))]),
      ),
      h(
        'div',
        { class: 'actions start' },
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            'data-autofocus': true,
            onclick: async () => {
              if (await copyText(secret)) {
                copied = true;
                replace(status, `Copied the ${what} to the clipboard.`);
              } else {
                replace(status, 'The browser did not allow copying: select the text above.');
              }
            },
          },
          `Copy the ${what}`,
        ),
      ),
      status,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Close'),
      ),
    ],
    { confirmClose: guard.confirmClose },
  );
  return dialog.closed.then(guard.release);
}

/**
 * A form whose last part is the roles in this project: at least one must be chosen.
 * `save` may return what to do once the dialog has closed (show a secret once).
 */
function roleFormDialog(options: {
  title: string;
  submitLabel: string;
  fields?: Child[];
  chosen: readonly string[];
  save: (roles: string[]) => Promise<(() => Promise<void>) | void>;
}): void {
  const picker = rolePicker('Roles in this project', options.chosen);
  const status = h('div', { class: 'form-status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, options.submitLabel);
  const dialog = openDialog(options.title, [
    h(
      'form',
      {
        class: 'stack',
        onsubmit: async (event: Event) => {
          event.preventDefault();
          const roles = picker.values();
          if (roles.length === 0) {
            replace(status, errorMessage('Choose at least one role.'));
            return;
          }
          submit.disabled = true;
          try {
            const afterwards = await options.save(roles);
            dialog.close();
            await afterwards?.();
          } catch (error) {
            replace(status, errorMessage(describeError(error)));
          } finally {
            submit.disabled = false;
          }
        },
      },
      options.fields ?? [],
      picker.element,
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

function createKeyDialog(context: ProjectContext): void {
  const description = h('input', { type: 'text', name: 'desc', required: true, maxlength: 250 });
  roleFormDialog({
    title: 'Create a project API key',
    submitLabel: 'Create API key',
    fields: [field('Description', description, 'What uses this key, e.g. “terraform” or “backup job”.')],
    chosen: ['GROUP_READ_ONLY'],
    save: async (roles) => {
      const key = await call<ApiKey>('POST', path('groups', context.groupId, 'apiKeys'), {
        body: { desc: description.value.trim(), roles },
      });
      return async () => {
        await showSecretOnce(
          'API key created',
          [
            ['Public key', key.publicKey],
            ['Private key', key.privateKey],
          ],
          key.privateKey,
          'private key',
        );
        context.refresh();
      };
    },
  });
}

function assignAccountDialog(context: ProjectContext, candidates: ServiceAccount[], canCreate: boolean): void {
  const modeName = uid('mode');
  const useExisting = h('input', {
    type: 'radio',
    name: modeName,
    id: uid('radio'),
    checked: candidates.length > 0,
    disabled: candidates.length === 0,
  });
  const createNew = h('input', {
    type: 'radio',
    name: modeName,
    id: uid('radio'),
    checked: candidates.length === 0,
    disabled: !canCreate,
  });
  const existing = h(
    'select',
    { name: 'clientId' },
    candidates.map((account) => h('option', { value: account.clientId }, `${account.name} (${account.clientId})`)),
  );
  const name = h('input', { type: 'text', name: 'name', maxlength: 64 });
  const description = h('input', { type: 'text', name: 'description', maxlength: 250 });
  const hours = h('input', { type: 'number', name: 'hours', min: 8, max: 8760, step: 1, value: 720 });
  const existingFields = h('div', { class: 'stack' }, field('Service account', existing));
  const newFields = h(
    'div',
    { class: 'stack' },
    field('Name', name, "Letters, digits, spaces and - _ . , '"),
    field('Description', description),
    field('Secret valid for (hours)', hours, '8 to 8,760 hours (a year).'),
    canCreate ? null : needsRole(session.needs('createServiceAccount', 'Creating a service account')),
  );
  const toggle = () => {
    existingFields.hidden = !useExisting.checked;
    newFields.hidden = !createNew.checked;
  };
  useExisting.addEventListener('change', toggle);
  createNew.addEventListener('change', toggle);
  roleFormDialog({
    title: 'Add a service account to the project',
    submitLabel: 'Add to project',
    fields: [
      h(
        'fieldset',
        { class: 'choices' },
        h('legend', null, 'Which account'),
        h(
          'div',
          { class: 'choice' },
          useExisting,
          h('label', { for: useExisting.id }, 'An existing service account of the organization'),
        ),
        h('div', { class: 'choice' }, createNew, h('label', { for: createNew.id }, 'A new service account')),
      ),
      existingFields,
      newFields,
    ],
    chosen: ['GROUP_READ_ONLY'],
    save: async (roles) => {
      let clientId = existing.value;
      let secret: string | undefined;
      if (createNew.checked) {
        // An organization member with no other role: its project roles say what it may do.
        const created = await call<ServiceAccount>('POST', path('orgs', context.orgId, 'serviceAccounts'), {
          version: SERVICE_ACCOUNTS_VERSION,
          body: {
            name: name.value.trim(),
            description: description.value.trim() || name.value.trim(),
            roles: ['ORG_MEMBER'],
            secretExpiresAfterHours: Number(hours.value),
          },
        });
        clientId = created.clientId;
        secret = created.secrets[0]?.secret;
      }
      // Atlas' "Add One Service Account to One Project": the invitation, with the project roles.
      await call('POST', `${path('groups', context.groupId, 'serviceAccounts', clientId)}:invite`, {
        version: SERVICE_ACCOUNTS_VERSION,
        body: { roles },
      });
      return async () => {
        if (secret !== undefined) {
          await showSecretOnce(
            'Service account created',
            [
              ['Client ID', clientId],
              ['Client secret', secret],
            ],
            secret,
            'client secret',
          );
        }
        context.refresh();
      };
    },
  });
  toggle();
}

async function orgAccounts(orgId: string): Promise<ServiceAccount[]> {
  try {
    return (await listAll<ServiceAccount>(path('orgs', orgId, 'serviceAccounts'), {}, 5000, SERVICE_ACCOUNTS_VERSION))
      .items;
  } catch (error) {
    if (error instanceof ApiError) return [];
    throw error;
  }
}

/**
 * Who may call the API in this project: its API keys and service accounts, with their
 * roles here. A Project Owner creates keys, adds service accounts (an existing one of
 * the organization, or a new one for an Organization Owner), changes roles, removes them.
 */
export async function renderAccess(context: ProjectContext): Promise<void> {
  const { groupId, section, orgId } = context;
  replace(section, h('h2', null, 'API access'), loading('API keys and service accounts'));
  const [keys, accounts] = await Promise.all([
    listAll<ApiKey>(path('groups', groupId, 'apiKeys')),
    listAll<ServiceAccount>(path('groups', groupId, 'serviceAccounts'), {}, 5000, SERVICE_ACCOUNTS_VERSION),
  ]);
  if (context.stale()) return;
  const status = h('div', { class: 'form-status' });
  const canCreateKey = session.can('createProjectApiKey', groupId);
  const canAssignKey = session.can('assignProjectApiKey', groupId);
  const canRemoveKey = session.can('removeProjectApiKey', groupId);
  const canAssignAccount = session.can('assignProjectServiceAccount', groupId);
  const canRemoveAccount = session.can('removeProjectServiceAccount', groupId);
  const canCreateAccount = session.can('createServiceAccount');
  const projectRoles = (key: ApiKey) =>
    key.roles.filter((role) => role.groupId === groupId).map((role) => role.roleName);
  const fail = (error: unknown) => replace(status, errorMessage(describeError(error)));

  const remove = async (what: string, name: string, target: string, version?: string) => {
    const confirmed = await confirmDialog({
      title: `Remove ${what} from the project?`,
      message: [
        h('p', null, h('strong', { class: 'name' }, name), ` loses its roles in this project at its next request.`),
      ],
      confirmLabel: `Remove ${what}`,
      danger: true,
    });
    if (!confirmed) return;
    try {
      await call('DELETE', target, version !== undefined ? { version } : {});
      context.announce(`Removed ${name} from the project.`);
      context.refresh();
    } catch (error) {
      fail(error);
    }
  };

  replace(
    section,
    h('h2', null, 'API access'),
    status,
    h(
      'div',
      { class: 'section-head' },
      h('h3', null, 'API keys'),
      canCreateKey
        ? h('button', { type: 'button', class: 'primary', onclick: () => createKeyDialog(context) }, 'Create API key')
        : null,
    ),
    canCreateKey ? null : needsRole(session.needs('createProjectApiKey', 'Creating or changing API keys')),
    keys.items.length === 0
      ? h('p', { class: 'empty' }, 'No API key has a role in this project.')
      : table(
          'API keys with a role in this project',
          ['Public key', 'Description', 'Roles here', 'Actions'],
          keys.items.map((key) =>
            row(
              h('code', null, key.publicKey),
              key.desc,
              projectRoles(key).map(roleName).join(', ') || '—',
              h(
                'div',
                { class: 'row-actions' },
                canAssignKey
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'secondary small',
                        'aria-label': `Edit roles of API key ${key.publicKey}`,
                        onclick: () =>
                          roleFormDialog({
                            title: `Roles of API key ${key.publicKey}`,
                            submitLabel: 'Save roles',
                            chosen: projectRoles(key),
                            save: async (roles) => {
                              await call('PATCH', path('groups', groupId, 'apiKeys', key.id), { body: { roles } });
                              context.announce(`Saved the roles of ${key.publicKey}.`);
                              context.refresh();
                            },
                          }),
                      },
                      'Edit roles',
                    )
                  : null,
                canRemoveKey
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'danger small',
                        'aria-label': `Remove API key ${key.publicKey}`,
                        onclick: () =>
                          void remove('API key', key.publicKey, path('groups', groupId, 'apiKeys', key.id)),
                      },
                      'Remove',
                    )
                  : null,
                !canAssignKey && !canRemoveKey ? '—' : null,
              ),
            ),
          ),
          { stacked: true },
        ),
    h(
      'div',
      { class: 'section-head' },
      h('h3', null, 'Service accounts'),
      canAssignAccount
        ? h(
            'button',
            {
              type: 'button',
              class: 'primary',
              onclick: async () => {
                try {
                  const assigned = new Set(accounts.items.map((account) => account.clientId));
                  const candidates = (await orgAccounts(orgId)).filter((account) => !assigned.has(account.clientId));
                  assignAccountDialog(context, candidates, canCreateAccount);
                } catch (error) {
                  fail(error);
                }
              },
            },
            'Add service account',
          )
        : null,
    ),
    canAssignAccount
      ? null
      : needsRole(session.needs('assignProjectServiceAccount', 'Adding or changing service accounts')),
    accounts.items.length === 0
      ? h('p', { class: 'empty' }, 'No service account has a role in this project.')
      : table(
          'Service accounts with a role in this project',
          ['Name', 'Client ID', 'Roles here', 'Secrets expire', 'Actions'],
          accounts.items.map((account) =>
            row(
              account.name,
              h('code', null, account.clientId),
              account.roles.map(roleName).join(', ') || '—',
              account.secrets.map((secret) => formatInstant(secret.expiresAt)).join(', ') || '—',
              h(
                'div',
                { class: 'row-actions' },
                canAssignAccount
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'secondary small',
                        'aria-label': `Edit roles of service account ${account.name}`,
                        onclick: () =>
                          roleFormDialog({
                            title: `Roles of ${account.name}`,
                            submitLabel: 'Save roles',
                            chosen: account.roles,
                            save: async (roles) => {
                              const target = path('groups', groupId, 'serviceAccounts', account.clientId);
                              await call('PATCH', target, { version: SERVICE_ACCOUNTS_VERSION, body: { roles } });
                              context.announce(`Saved the roles of ${account.name}.`);
                              context.refresh();
                            },
                          }),
                      },
                      'Edit roles',
                    )
                  : null,
                canRemoveAccount
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'danger small',
                        'aria-label': `Remove service account ${account.name}`,
                        onclick: () =>
                          void remove(
                            'service account',
                            account.name,
                            path('groups', groupId, 'serviceAccounts', account.clientId),
                            SERVICE_ACCOUNTS_VERSION,
                          ),
                      },
                      'Remove',
                    )
                  : null,
                !canAssignAccount && !canRemoveAccount ? '—' : null,
              ),
            ),
          ),
          { stacked: true },
        ),
  );
}
