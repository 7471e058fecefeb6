import type { UserCertificate } from '../domain/certificate.js';
import { monthsUntilExpiration } from '../domain/certificate-request.js';
import { managedX509Subject } from '../domain/database-user.js';
import { AtlasError } from '../domain/errors.js';
import { type Page, type PageRequest, pageFromRows, pageOffset } from '../domain/pagination.js';
import { userCertificateValidity } from '../domain/validity.js';
import { certificatePem, issueUserCertificate } from '../pki/certificates.js';
import { generateKey, type KeyAlgorithm, privateKeyToPkcs8Pem } from '../pki/key-algorithms.js';
import { isUniqueViolation } from '../store/database.js';
import type { ListedCertificate } from '../store/repositories/certificates.js';
import type { StoredDatabaseUser } from '../store/repositories/database-users.js';
import type { Repositories, Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import { type AuditTrail, projectScope } from './audit.js';
import type { CertificateAuthorityService } from './certificate-authorities.js';
import type { Clock } from './clock.js';
import type { Principal } from './principal.js';

/** How many fresh serials to try before giving up (a collision in 2^63 is already a marvel). */
const SERIAL_ATTEMPTS = 5;

export interface IssuedUserCertificate {
  certificate: UserCertificate;
  /** The certificate, then the unencrypted PKCS#8 private key: Atlas' response body. */
  pem: string;
}

export class CertificateService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorityService,
    private readonly keyAlgorithm: KeyAlgorithm,
    private readonly serials: () => bigint,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  /**
   * The user a certs path names. Certificates belong to `$external` users, so a user
   * there wins over a namesake on `admin`.
   */
  private async userNamed(repositories: Repositories, groupId: string, username: string): Promise<StoredDatabaseUser> {
    const candidates = await repositories.databaseUsers.findByUsername(groupId, username, this.clock.now());
    const user = candidates.find((candidate) => candidate.databaseName === '$external') ?? candidates[0];
    if (!user) throw new AtlasError('USERNAME_NOT_FOUND', username);
    return user;
  }

  /** The PEM of the project's managed CA, for callers who may read the project. */
  async caCertificatePem(principal: Principal, groupId: string): Promise<string> {
    await this.access.project(this.store, principal, 'getManagedCaCertificate', groupId);
    return certificatePem((await this.authorities.active(groupId, principal)).signer.certificate);
  }

  /** Atlas' list: the user's unexpired certificates (dbcerts also hides revoked ones), oldest first. */
  async list(
    principal: Principal,
    groupId: string,
    username: string,
    page: PageRequest,
  ): Promise<Page<ListedCertificate>> {
    await this.access.project(this.store, principal, 'listDatabaseUserCertificates', groupId);
    const user = await this.userNamed(this.store, groupId, username);
    const now = this.clock.now();
    const rows = await this.store.certificates.listUnexpired(user.id, now, pageOffset(page), page.itemsPerPage + 1);
    const total = page.includeCount ? await this.store.certificates.countUnexpired(user.id, now) : undefined;
    return pageFromRows(rows, page, total);
  }

  /**
   * Issues an Atlas-managed certificate with a freshly generated key. The key exists
   * only in memory and in the returned PEM: it is never stored or logged.
   */
  async issue(
    principal: Principal,
    groupId: string,
    username: string,
    requestedMonths: number | undefined,
  ): Promise<IssuedUserCertificate> {
    const project = await this.access.project(this.store, principal, 'createDatabaseUserCertificate', groupId);
    const user = await this.userNamed(this.store, groupId, username);
    if (user.x509Type !== 'MANAGED') throw new AtlasError('USER_NOT_MANAGED_X509');
    const months = monthsUntilExpiration(requestedMonths);

    const [authority, key] = await Promise.all([
      this.authorities.active(groupId, principal),
      generateKey(this.keyAlgorithm),
    ]);
    const createdAt = this.clock.now();
    const { notBefore, notAfter } = userCertificateValidity(createdAt, months);
    const subject = managedX509Subject(user.username);

    for (let attempt = 1; ; attempt++) {
      const serial = this.serials();
      const issued = await issueUserCertificate(authority.signer, {
        subject,
        serial,
        notBefore,
        notAfter,
        publicKey: key.publicKey,
      });
      const certificate: UserCertificate = {
        serial,
        groupId,
        userId: user.id,
        caId: authority.record.id,
        subject,
        keyAlgorithm: key.algorithm,
        createdAt,
        notBefore,
        notAfter,
        der: issued.der,
      };
      try {
        await this.store.transaction(async (repositories) => {
          // The user may have been deleted (and its certificates revoked) meanwhile.
          const current = await this.userNamed(repositories, groupId, username);
          if (current.id !== user.id) throw new AtlasError('USERNAME_NOT_FOUND', username);
          await repositories.certificates.insert(certificate);
          await this.audit.record(repositories, principal, 'MONGODB_USER_X509_CERT_CREATED', projectScope(project), {
            targetUsername: user.username,
            database: user.databaseName,
            serial,
          });
        });
      } catch (error) {
        if (isUniqueViolation(error) && attempt < SERIAL_ATTEMPTS) continue;
        throw error;
      }
      return { certificate, pem: `${issued.pem}${privateKeyToPkcs8Pem(key.privateKey)}` };
    }
  }
}
