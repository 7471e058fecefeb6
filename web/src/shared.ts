import { ApiError, call, path } from './api.js';
import type { ProjectContext } from './app.js';
import { confirmDialog } from './dialog.js';
import { badge, h, uid } from './dom.js';
import { authMethod, DEFAULT_LEAD_TIME_DAYS, formatCount, formatDay } from './format.js';
import type { CloudDatabaseUser, ExpiryAlertSettings } from './wire.js';
import type * as Wire from './wire.js';

/**
 * What more than one view of a project uses: the settings they read, the confirmations
 * they ask for, the cells they draw. Views share through here (or app.ts), never by
 * importing one another.
 */

/**
 * What a managed user's certificates cover (GET …/managedX509/users). The schema has the
 * status as a string; these three are the words the server writes.
 */
export type CertificateHolder = Omit<Wire.CertificateHolder, 'certificateStatus'> & {
  certificateStatus: 'valid' | 'expiring' | 'none';
};

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

const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
];

export function userPath(groupId: string, user: Pick<CloudDatabaseUser, 'databaseName' | 'username'>): string {
  return path('groups', groupId, 'databaseUsers', user.databaseName, user.username);
}

/** The project's expiry-alert lead time (Atlas' 30 days when the project has none, or it cannot be read). */
export async function leadTimeDays(groupId: string): Promise<number> {
  try {
    const settings = await call<ExpiryAlertSettings>(
      'GET',
      path('groups', groupId, 'userSecurity', 'managedX509', 'alerts'),
    );
    return typeof settings.leadTimeDays === 'number' ? settings.leadTimeDays : DEFAULT_LEAD_TIME_DAYS;
  } catch (error) {
    if (error instanceof ApiError) return DEFAULT_LEAD_TIME_DAYS;
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

/** Deletes after a confirmation that names the user and what happens to its certificates. */
export async function confirmDelete(context: ProjectContext, user: CloudDatabaseUser): Promise<boolean> {
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
