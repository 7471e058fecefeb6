import { call, describeError, downloadFile, listAll, path } from './api.js';
import { confirmDialog } from './dialog.js';
import { errorMessage, h, loading, needsRole, replace, row, table } from './dom.js';
import { formatInstant, serialText } from './format.js';
import { session } from './session.js';
import type { ProjectContext } from './routes.js';

interface ManagedCa {
  id: string;
  subject: string;
  serial: bigint | number;
  keyAlgorithm: string;
  notBefore: string;
  notAfter: string;
  status: string;
}

const CA_STATUS: Record<string, string> = {
  ACTIVE: 'Active: signs new certificates',
  RETIRED_TRUSTED: 'Retired, still trusted (live certificates)',
  RETIRED: 'Retired',
};

/**
 * A button that downloads a file of the API. It is fetched like any call (never a plain
 * link): a session that ended meanwhile leads to the sign-in page, never to the browser's
 * password prompt.
 */
function downloadButton(route: string, fileName: string, label: string, status: HTMLElement): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'secondary download',
      onclick: async () => {
        try {
          await downloadFile(route, fileName);
          replace(status, `Downloaded ${fileName}.`);
        } catch (error) {
          replace(status, errorMessage(describeError(error)));
        }
      },
    },
    label,
  );
}

/**
 * The project's managed CA and CRLs, as files for mongod's net.tls.CAFile and CRLFile.
 * Reading never creates the CA: until the first certificate it does not exist, and a
 * Project Owner may create it here (to set up mongod first), or rotate it.
 */
export async function renderCa(context: ProjectContext): Promise<void> {
  const { groupId, section } = context;
  replace(section, h('h2', null, 'CA & CRL'), loading('the CAs'));
  const managedX509 = path('groups', groupId, 'userSecurity', 'managedX509');
  const cas = await listAll<ManagedCa>(`${managedX509}/cas`);
  if (context.stale()) return;
  const prefix = `dbcerts-${groupId}`;
  const status = h('p', { class: 'form-status', role: 'status' });
  const canRotate = session.can('rotateManagedCa', groupId);
  const exists = cas.items.length > 0;

  const rotate = async () => {
    const confirmed = await confirmDialog({
      title: exists ? 'Rotate the project CA?' : 'Create the project CA?',
      message: exists
        ? [
            h(
              'p',
              null,
              'A new CA signs every certificate issued from now on. The current one is retired, but stays trusted (and keeps publishing its CRL) until its last certificate expires.',
            ),
            h(
              'p',
              null,
              'Give mongod the CA bundle (both CAs) before issuing new certificates, so it accepts old and new ones during the overlap.',
            ),
          ]
        : [
            h(
              'p',
              null,
              'The CA is otherwise created when the first certificate is issued. Create it now to set up mongod (net.tls.CAFile) first.',
            ),
          ],
      confirmLabel: exists ? 'Rotate the CA' : 'Create the CA',
    });
    if (!confirmed) return;
    try {
      await call('POST', `${managedX509}/ca/rotate`);
      context.announce(exists ? 'Rotated the project CA.' : 'Created the project CA.');
      context.refresh();
    } catch (error) {
      replace(status, errorMessage(describeError(error)));
    }
  };

  replace(
    section,
    h('h2', null, 'CA & CRL'),
    h(
      'p',
      null,
      'Give mongod the CA certificate (net.tls.CAFile) so it accepts the certificates dbcerts issues, and the CRL (net.tls.CRLFile) so it refuses revoked ones.',
    ),
    exists
      ? [
          h(
            'ul',
            { class: 'downloads' },
            h(
              'li',
              null,
              downloadButton(`${managedX509}/ca`, `${prefix}-ca.pem`, 'CA certificate (PEM)', status),
              h('span', { class: 'hint' }, ' the active CA'),
            ),
            h(
              'li',
              null,
              downloadButton(`${managedX509}/ca/bundle`, `${prefix}-ca-bundle.pem`, 'CA bundle (PEM)', status),
              h('span', { class: 'hint' }, ' every CA still trusted: use it during a CA rotation'),
            ),
            h(
              'li',
              null,
              downloadButton(`${managedX509}/crl.pem`, `${prefix}-crl.pem`, 'CRL (PEM)', status),
              h('span', { class: 'hint' }, ' the CRLs of every trusted CA'),
            ),
            h(
              'li',
              null,
              downloadButton(`${managedX509}/crl`, `${prefix}-crl.der`, 'CRL (DER)', status),
              h('span', { class: 'hint' }, ' the active CA’s CRL'),
            ),
          ),
          status,
          h(
            'pre',
            { class: 'snippet', 'aria-label': 'mongod.conf example', tabindex: 0 },
            `net:\n  tls:\n    mode: requireTLS\n    certificateKeyFile: /etc/ssl/mongod.pem\n    CAFile: /etc/ssl/${prefix}-ca.pem\n    CRLFile: /etc/ssl/${prefix}-crl.pem`,
          ),
          table(
            'Certificate authorities of the project',
            ['Subject', 'Status', 'Serial', 'Key', 'Valid from', 'Valid until', 'CRL'],
            cas.items.map((ca) =>
              row(
                h('code', null, ca.subject),
                CA_STATUS[ca.status] ?? ca.status,
                h('code', null, serialText(ca.serial)),
                ca.keyAlgorithm,
                formatInstant(ca.notBefore),
                formatInstant(ca.notAfter),
                downloadButton(
                  `${managedX509}/cas/${encodeURIComponent(ca.id)}/crl`,
                  `${prefix}-${ca.id}-crl.der`,
                  'CRL (DER)',
                  status,
                ),
              ),
            ),
            { stacked: true },
          ),
        ]
      : [
          h(
            'p',
            { class: 'empty' },
            'This project has no CA yet: dbcerts creates it when the first certificate is issued.',
          ),
          status,
        ],
    canRotate
      ? h(
          'p',
          null,
          h(
            'button',
            { type: 'button', class: exists ? 'secondary' : 'primary', onclick: () => void rotate() },
            exists ? 'Rotate the CA' : 'Create the CA now',
          ),
        )
      : needsRole(
          session.needs('rotateManagedCa', exists ? 'Rotating the CA' : 'Creating the CA before the first certificate'),
        ),
  );
}
