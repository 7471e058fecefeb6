import { call, countOf, describeError, path } from './api.js';
import { confirmDialog } from './dialog.js';
import { badge, errorMessage, field, h, loading, needsRole, replace, row, table } from './dom.js';
import { formatCount, formatInstant } from './format.js';
import { session } from './session.js';
import type { ProjectContext } from './routes.js';
import { type BundleEntry, previewBundle } from './x509.js';

/**
 * Turning customer X.509 on stops dbcerts issuing managed certificates in the project
 * (Atlas answers CANNOT_GENERATE_CERT_IF_ADVANCED_X509): say so, with what it touches, first.
 */
async function confirmBlockingIssuance(groupId: string): Promise<boolean> {
  const managedX509 = path('groups', groupId, 'userSecurity', 'managedX509');
  const [users, valid] = await Promise.all([
    countOf(`${managedX509}/users`),
    countOf(`${managedX509}/certs`, { status: 'active' }),
  ]);
  return confirmDialog({
    title: 'Block dbcerts-managed issuance?',
    message: [
      h(
        'p',
        null,
        'While this project has a customer CA, dbcerts issues no certificate to its Atlas-managed X.509 users: issuing is refused (CANNOT_GENERATE_CERT_IF_ADVANCED_X509) until customer X.509 is turned off again.',
      ),
      h(
        'p',
        null,
        `This project has ${formatCount(users)} dbcerts-managed X.509 user${users === 1 ? '' : 's'} and ${formatCount(valid)} valid certificate${valid === 1 ? '' : 's'}; those keep working until they expire, but none can be renewed.`,
      ),
    ],
    cancelLabel: 'Do not save',
    confirmLabel: 'Save and block managed issuance',
    danger: true,
  });
}

/** Each certificate of a bundle: subject, issuer, validity and whether it can be a CA. */
function previewTable(entries: BundleEntry[], now: Date, caption: string): HTMLElement {
  if (entries.length === 0) return h('p', { class: 'empty' }, 'No PEM certificate found yet.');
  return table(
    caption,
    ['#', 'Subject', 'Issuer', 'Valid from', 'Valid until', 'Check'],
    entries.map((entry) => {
      if ('problem' in entry) {
        return row(
          String(entry.index + 1),
          h('span', { class: 'error-text' }, entry.problem),
          '—',
          '—',
          '—',
          badge('Unreadable', 'revoked'),
        );
      }
      const { summary } = entry;
      const check = !summary.isCa
        ? badge('Not a CA', 'revoked')
        : summary.notAfter.getTime() <= now.getTime()
          ? badge('Expired', 'expired')
          : summary.notBefore.getTime() > now.getTime()
            ? badge('Not yet valid', 'expiring')
            : badge('OK', 'active');
      return row(
        String(entry.index + 1),
        h('code', null, summary.subject),
        h('code', null, summary.issuer),
        formatInstant(summary.notBefore),
        formatInstant(summary.notAfter),
        check,
      );
    }),
  );
}

/**
 * Customer-managed X.509: the project's own CA bundle (Atlas' userSecurity). A pasted or
 * uploaded bundle is previewed here, certificate by certificate, before it is saved.
 */
export async function renderCustomerCa(context: ProjectContext): Promise<void> {
  const { groupId, section } = context;
  if (!session.can('getUserSecurity', groupId)) {
    replace(
      section,
      h('h2', null, 'Customer CA'),
      needsRole(session.needs('getUserSecurity', 'Reading and changing the customer CA')),
    );
    return;
  }
  replace(section, h('h2', null, 'Customer CA'), loading('the customer CA settings'));
  const settings = await call<{ customerX509?: { cas?: string } }>('GET', path('groups', groupId, 'userSecurity'));
  if (context.stale()) return;
  const now = session.now();
  const current = settings.customerX509?.cas;
  const canSave = session.can('updateUserSecurity', groupId);
  const canDisable = session.can('disableCustomerX509', groupId);

  const status = h('div', { class: 'form-status' });
  const text = h('textarea', {
    name: 'cas',
    rows: 10,
    spellcheck: 'false',
    placeholder: '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----',
  });
  const file = h('input', { type: 'file', name: 'casFile', accept: '.pem,.crt,.cer,.txt' });
  const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Save CA bundle');
  const refreshPreview = () => {
    const entries = previewBundle(text.value);
    replace(
      preview,
      text.value.trim() === '' ? null : previewTable(entries, now, 'Certificates in the bundle to save'),
    );
    // What the server would refuse is not offered: unreadable, not a CA, or expired.
    save.disabled =
      entries.length === 0 ||
      entries.some(
        (entry) => 'problem' in entry || !entry.summary.isCa || entry.summary.notAfter.getTime() <= now.getTime(),
      );
  };
  text.addEventListener('input', refreshPreview);
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    text.value = await chosen.text();
    refreshPreview();
  });

  const form = h(
    'form',
    {
      class: 'stack card',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        save.disabled = true;
        try {
          if (current === undefined && !(await confirmBlockingIssuance(groupId))) {
            save.disabled = false;
            return;
          }
          await call('PATCH', path('groups', groupId, 'userSecurity'), { body: { customerX509: { cas: text.value } } });
          context.announce('Saved the customer CA bundle.');
          context.refresh();
        } catch (error) {
          replace(status, errorMessage(describeError(error)));
          save.disabled = false;
        }
      },
    },
    h('h3', null, current === undefined ? 'Upload a CA bundle' : 'Replace the CA bundle'),
    h(
      'p',
      { class: 'hint' },
      'The root and intermediate CA certificates (PEM) that issue your users’ certificates. Each is shown below before you save; dbcerts checks them again when saving.',
    ),
    current === undefined
      ? h(
          'p',
          { class: 'notice strong' },
          'Saving a customer CA stops dbcerts issuing certificates to this project’s Atlas-managed X.509 users, as in Atlas.',
        )
      : null,
    field('PEM bundle', text),
    field('Or upload a PEM file', file),
    preview,
    status,
    h('div', { class: 'actions' }, save),
  );

  replace(
    section,
    h('h2', null, 'Customer CA'),
    current === undefined
      ? h(
          'p',
          null,
          'Customer-managed X.509 is off: users with a distinguished name cannot be verified by a CA of yours yet.',
        )
      : [
          h('p', null, 'Customer-managed X.509 is on. The current bundle:'),
          previewTable(previewBundle(current), now, 'Certificates in the current bundle'),
          canDisable
            ? h(
                'p',
                null,
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'danger small',
                    onclick: async () => {
                      const confirmed = await confirmDialog({
                        title: 'Turn customer X.509 off?',
                        message: [
                          h(
                            'p',
                            null,
                            'The CA bundle is removed; users with a distinguished name can no longer be verified.',
                          ),
                        ],
                        confirmLabel: 'Turn off',
                        danger: true,
                      });
                      if (!confirmed) return;
                      try {
                        await call('DELETE', path('groups', groupId, 'userSecurity', 'customerX509'));
                        context.announce('Customer X.509 is off.');
                        context.refresh();
                      } catch (error) {
                        replace(status, errorMessage(describeError(error)));
                      }
                    },
                  },
                  'Turn customer X.509 off',
                ),
              )
            : null,
        ],
    canSave ? form : needsRole(session.needs('updateUserSecurity', 'Changing the customer CA')),
  );
}
