import { ApiError, call, listAll, path } from './api.js';
import { confirmDialog, openDialog } from './dialog.js';
import { errorMessage, field, h, loading, replace, row, table, uid } from './dom.js';
import {
  authMethod,
  type DatabaseUser,
  DEFAULT_LEAD_TIME_DAYS,
  displayStatus,
  formatInstant,
  type InventoryCertificate,
  roleText,
  serialHex,
  serialText,
  statusBadge,
} from './format.js';
import { session } from './session.js';
import { type ProjectContext, projectHash } from './view-project.js';
import { confirmDelete } from './view-users.js';

const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
];

function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message}${error.errorCode ? ` (${error.errorCode})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

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

function safeFileName(username: string): string {
  return username.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'certificate';
}

/**
 * The one chance to save what was issued. The PEM lives in this dialog only (a blob URL
 * revoked when it closes, never stored by the page); dbcerts kept no copy of the key.
 */
function showIssued(username: string, pem: string, withKey: boolean): Promise<void> {
  const url = URL.createObjectURL(new Blob([pem], { type: 'application/x-pem-file' }));
  const fileName = `${safeFileName(username)}.pem`;
  const downloadArea = h('div', { class: 'download-area' });
  const link = h(
    'a',
    {
      href: url,
      download: fileName,
      class: 'button-link primary',
      'data-autofocus': true,
      onclick: () => {
        // After the browser has taken the file, the link goes away: one download only.
        window.setTimeout(() => {
          URL.revokeObjectURL(url);
          replace(downloadArea, h('p', { role: 'status' }, `Downloaded ${fileName}.`));
        }, 0);
      },
    },
    'Download PEM',
  );
  downloadArea.appendChild(link);
  const dialog = openDialog('Certificate issued', [
    withKey
      ? h(
          'p',
          { class: 'notice strong' },
          'This file holds the certificate and its private key. dbcerts does not keep the private key: download it now, this is the only time it is shown.',
        )
      : h('p', { class: 'notice' }, 'This file holds the certificate. Your private key never left your machine.'),
    downloadArea,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Close'),
    ),
  ]);
  return dialog.closed.then(() => URL.revokeObjectURL(url));
}

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
  return h(
    'form',
    {
      class: 'stack card',
      'aria-labelledby': 'issue-heading',
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
            {
              body,
              text: true,
            },
          );
          replace(status);
          csrText.value = '';
          csrFile.value = '';
          await showIssued(user.username, pem, !useCsr.checked);
          onIssued();
        } catch (error) {
          replace(status, errorMessage(describeError(error)));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h3', { id: 'issue-heading' }, 'Issue a certificate'),
    h(
      'fieldset',
      { class: 'choices' },
      h('legend', null, 'Key'),
      h(
        'div',
        { class: 'choice' },
        generate,
        h('label', { for: generate.id }, 'dbcerts generates a key pair (you download both once)'),
      ),
      h(
        'div',
        { class: 'choice' },
        useCsr,
        h('label', { for: useCsr.id }, 'I have a certificate signing request (my key stays with me)'),
      ),
    ),
    field('Valid for (months)', months, '1 to 24 months.'),
    csrFields,
    status,
    h('div', { class: 'actions' }, submit),
  );
}

/** One database user: its details, and for a dbcerts-managed X.509 user its certificates. */
export async function renderUser(context: ProjectContext, databaseName: string, username: string): Promise<void> {
  const { groupId, section } = context;
  replace(section, loading('the user'));
  const userPath = path('groups', groupId, 'databaseUsers', databaseName, username);
  const user = await call<DatabaseUser>('GET', userPath);
  const managed = user.x509Type === 'MANAGED';
  const [certificates, lead] = managed
    ? await Promise.all([
        listAll<InventoryCertificate>(path('groups', groupId, 'databaseUsers', username, 'certs'), { status: 'all' }),
        leadTimeDays(groupId),
      ])
    : [[], DEFAULT_LEAD_TIME_DAYS];
  if (context.stale()) return;
  const now = session.now();
  const canRevoke = session.can('revokeCertificate', groupId);
  const canIssue = session.can('createDatabaseUserCertificate', groupId);
  const status = h('div', { class: 'form-status' });

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

  const rows = certificates
    .slice()
    .reverse()
    .map((certificate) => {
      const state = displayStatus(certificate, now, lead);
      const serial = serialText(certificate._id);
      return row(
        statusBadge(state),
        h(
          'span',
          { class: 'serial' },
          h('code', null, serial),
          h('span', { class: 'hint' }, `hex ${serialHex(certificate._id)}`),
        ),
        h('code', { class: 'subject' }, certificate.subject),
        formatInstant(certificate.createdAt),
        formatInstant(certificate.notAfter),
        state === 'revoked'
          ? `${formatInstant(certificate.revokedAt)}${certificate.revocationReason ? ` (${certificate.revocationReason})` : ''}`
          : `${certificate.keyAlgorithm ?? ''}${certificate.source === 'csr' ? ', from a CSR' : ''}`,
        canRevoke && state !== 'revoked' && state !== 'expired'
          ? h(
              'button',
              {
                type: 'button',
                class: 'danger small',
                'aria-label': `Revoke certificate ${serial}`,
                onclick: () => revoke(serial),
              },
              'Revoke',
            )
          : '—',
      );
    });

  async function revoke(serial: string): Promise<void> {
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
          h('strong', { class: 'name' }, user.username),
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
    if (!confirmed) return;
    try {
      await call('POST', path('groups', groupId, 'userSecurity', 'managedX509', 'certs', serial, 'revoke'), {
        body: { reason: reason.value },
      });
      context.announce(`Revoked certificate ${serial}.`);
      context.refresh();
    } catch (error) {
      replace(status, errorMessage(describeError(error)));
    }
  }

  replace(
    section,
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
      : null,
    status,
    managed
      ? [
          h('h2', null, 'Certificates'),
          h(
            'p',
            { class: 'hint' },
            `Expiring soon means within the project’s alert lead time (${lead} days). Serials are exact; the hex form is what openssl prints.`,
          ),
          rows.length === 0
            ? h('p', { class: 'empty' }, 'No certificates yet.')
            : table(
                `${rows.length} certificate${rows.length === 1 ? '' : 's'}, newest first`,
                ['Status', 'Serial', 'Subject', 'Created', 'Not after', 'Key / revocation', 'Actions'],
                rows,
              ),
          canIssue ? issueForm(context, user, () => context.refresh()) : null,
        ]
      : h(
          'p',
          { class: 'hint' },
          user.x509Type === 'CUSTOMER'
            ? 'This user authenticates with certificates issued by your own CA (see Customer CA).'
            : 'This user does not use dbcerts certificates.',
        ),
  );
}
