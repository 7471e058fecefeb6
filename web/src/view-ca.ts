import { ApiError, listAll, path, V1 } from './api.js';
import { errorMessage, h, loading, replace, row, table } from './dom.js';
import { formatInstant, serialText } from './format.js';
import { session } from './session.js';
import type { ProjectContext } from './view-project.js';

interface ManagedCa {
  id: string;
  subject: string;
  serial: bigint | number;
  keyAlgorithm: string;
  notBefore: string;
  notAfter: string;
  status: string;
}

/**
 * A download link to an existing API route. The session cookie authenticates it like any
 * call; when the session may have timed out, the server is asked first, so the browser
 * never meets the Digest challenge (and its password prompt).
 */
function downloadLink(href: string, fileName: string, label: string): HTMLAnchorElement {
  const link = h('a', { href, download: fileName, class: 'button-link' }, label);
  link.addEventListener('click', async (event) => {
    if (!session.probablyEnded() || link.dataset.checked === 'yes') {
      delete link.dataset.checked;
      return;
    }
    event.preventDefault();
    if (await session.ensureAlive()) {
      link.dataset.checked = 'yes';
      link.click();
    }
  });
  return link;
}

const CA_STATUS: Record<string, string> = {
  ACTIVE: 'Active: signs new certificates',
  RETIRED_TRUSTED: 'Retired, still trusted (live certificates)',
  RETIRED: 'Retired',
};

/** The project's managed CA and CRLs, as files for mongod's net.tls.CAFile and CRLFile. */
export async function renderCa(context: ProjectContext): Promise<void> {
  const { groupId, section } = context;
  replace(section, h('h2', null, 'CA & CRL'), loading('the CAs'));
  let cas: ManagedCa[] = [];
  let problem: string | undefined;
  try {
    cas = await listAll<ManagedCa>(path('groups', groupId, 'userSecurity', 'managedX509', 'cas'));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    problem = error.message;
  }
  if (context.stale()) return;
  const base = `${V1}${path('groups', groupId, 'userSecurity', 'managedX509')}`;
  const prefix = `dbcerts-${groupId}`;
  replace(
    section,
    h('h2', null, 'CA & CRL'),
    h(
      'p',
      null,
      'Give mongod the CA certificate (net.tls.CAFile) so it accepts the certificates dbcerts issues, and the CRL (net.tls.CRLFile) so it refuses revoked ones.',
    ),
    h(
      'ul',
      { class: 'downloads' },
      h(
        'li',
        null,
        downloadLink(`${base}/ca`, `${prefix}-ca.pem`, 'CA certificate (PEM)'),
        h('span', { class: 'hint' }, ' the active CA'),
      ),
      h(
        'li',
        null,
        downloadLink(`${base}/ca/bundle`, `${prefix}-ca-bundle.pem`, 'CA bundle (PEM)'),
        h('span', { class: 'hint' }, ' every CA still trusted: use it during a CA rotation'),
      ),
      h(
        'li',
        null,
        downloadLink(`${base}/crl.pem`, `${prefix}-crl.pem`, 'CRL (PEM)'),
        h('span', { class: 'hint' }, ' the CRLs of every trusted CA'),
      ),
      h(
        'li',
        null,
        downloadLink(`${base}/crl`, `${prefix}-crl.der`, 'CRL (DER)'),
        h('span', { class: 'hint' }, ' the active CA’s CRL'),
      ),
    ),
    h(
      'pre',
      { class: 'snippet', 'aria-label': 'mongod.conf example' },
      `net:\n  tls:\n    mode: requireTLS\n    certificateKeyFile: /etc/ssl/mongod.pem\n    CAFile: /etc/ssl/${prefix}-ca.pem\n    CRLFile: /etc/ssl/${prefix}-crl.pem`,
    ),
    problem ? errorMessage(problem) : null,
    cas.length === 0
      ? h('p', { class: 'empty' }, 'The project CA is created when it is first used (downloading it creates it).')
      : table(
          'Certificate authorities of the project',
          ['Subject', 'Status', 'Serial', 'Key', 'Valid from', 'Valid until', 'CRL'],
          cas.map((ca) =>
            row(
              h('code', null, ca.subject),
              CA_STATUS[ca.status] ?? ca.status,
              h('code', null, serialText(ca.serial)),
              ca.keyAlgorithm,
              formatInstant(ca.notBefore),
              formatInstant(ca.notAfter),
              downloadLink(`${base}/cas/${encodeURIComponent(ca.id)}/crl`, `${prefix}-${ca.id}-crl.der`, 'CRL (DER)'),
            ),
          ),
        ),
  );
}
