import type { CertificateAuthority, UserCertificate } from '../domain/certificate.js';
import { monthsUntilExpiration } from '../domain/certificate-request.js';
import { managedX509Subject, usernameLookups } from '../domain/database-user.js';
import { AtlasError } from '../domain/errors.js';
import { type Page, type PagePosition, type PageRequest, pageFromRows, pageOffset } from '../domain/pagination.js';
import {
  type CertificateStatus,
  isRevocationReason,
  REVOCATION_REASONS,
  type RevocationReason,
} from '../domain/revocation.js';
import { parseSerial } from '../domain/serial.js';
import { userCertificateValidity } from '../domain/validity.js';
import { certificatePem, issueUserCertificate } from '../pki/certificates.js';
import { toPem } from '../pki/pem.js';
import { acceptCsr, CsrError } from '../pki/csr.js';
import type { KeyAlgorithm } from '../pki/key-algorithms.js';
import type { KeySource } from '../pki/key-pool.js';
import type { CertificateCoverage, CertificateHolder, InventoryFilter } from '../store/repositories/certificates.js';
import type { StoredDatabaseUser } from '../store/repositories/database-users.js';
import type { Repositories, Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import { type AuditTrail, projectScope } from './audit.js';
import type { CertificateAuthorityService } from './certificate-authorities.js';
import type { Clock } from './clock.js';
import { DAY_MS, DEFAULT_LEAD_TIME_DAYS } from './expiry-alerts.js';
import type { Principal } from './identities/principal.js';
import type { RevocationListService } from './revocation-lists.js';

/** How many fresh serials to try before giving up (a collision in 2^63 is already a marvel). */
const SERIAL_ATTEMPTS = 5;

export interface IssuedUserCertificate {
  certificate: UserCertificate;
  /**
   * The response body: the certificate, then the unencrypted PKCS#8 private key (Atlas'
   * answer), or the certificate alone when the client sent a CSR and kept its key.
   */
  pem: string;
}

export interface IssueRequest {
  monthsUntilExpiration?: number;
  /** PKCS#10, PEM: dbcerts signs the client's key instead of generating one. */
  csr?: string;
}

export interface InventoryQuery {
  /** A user's list (by creation, under Atlas' list operation) or the project's view (by expiry). */
  view: 'user' | 'project';
  /** One user's certificates (else the whole project's). */
  username?: string;
  statuses?: readonly CertificateStatus[];
  expiresBefore?: Date;
  expiresAfter?: Date;
  /** A search: only these serials. */
  serials?: readonly bigint[];
  /** Another order than the view's own. */
  sortBy?: 'createdAt' | 'notAfter';
  descending?: boolean;
}

// The service answers in the store's row shapes; the API layer reads them from here.
export type { CertificateCoverage, CertificateHolder };

/** A certificate with the user it was issued to (absent once that user is deleted). */
export interface CertificateDetails {
  certificate: UserCertificate;
  /** The certificate as PEM text. */
  pem: string;
  issuer: CertificateAuthority;
  user?: { username: string; databaseName: string };
}

export class CertificateService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorityService,
    private readonly revocationLists: RevocationListService,
    private readonly keyAlgorithm: KeyAlgorithm,
    private readonly keys: KeySource,
    private readonly serials: () => bigint,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  /**
   * The user a certs path names (a customer X.509 user by any spelling of its DN).
   * Certificates belong to `$external` users, so a user there wins over a namesake on `admin`.
   */
  private async userNamed(
    repositories: Repositories,
    groupId: string,
    username: string,
    principal?: Principal,
  ): Promise<StoredDatabaseUser> {
    const generation = principal && this.access.catalog.generationFor(repositories, principal);
    for (const name of usernameLookups(username)) {
      const now = this.clock.now();
      const candidates =
        generation === undefined
          ? await repositories.databaseUsers.findByUsername(groupId, name, now)
          : await this.access.catalog.usersNamed(groupId, name, now, generation);
      const user = candidates.find((candidate) => candidate.databaseName === '$external') ?? candidates[0];
      if (user) return user;
    }
    throw new AtlasError('USERNAME_NOT_FOUND', username);
  }

  /** The PEM of the project's managed CA, for callers who may read the project (404 before it exists). */
  async caCertificatePem(principal: Principal, groupId: string): Promise<string> {
    await this.access.project(this.store, principal, 'getManagedCaCertificate', groupId);
    return certificatePem((await this.authorities.existing(groupId)).signer.certificate);
  }

  /**
   * Atlas' list: the user's unexpired certificates (dbcerts also hides revoked ones),
   * oldest first, as the JSON array of the page's items.
   */
  async list(
    principal: Principal,
    groupId: string,
    username: string,
    page: PageRequest,
  ): Promise<{ itemsJson: string; position: PagePosition }> {
    await this.access.project(this.store, principal, 'listDatabaseUserCertificates', groupId);
    const user = await this.userNamed(this.store, groupId, username, principal);
    return this.store.certificates.unexpiredPage(user.id, this.clock.now(), page);
  }

  /**
   * The inventory: certificates in every state, with filters. A user's list is ordered
   * by creation (under the Atlas list's own operation); the project's view by expiry,
   * also when it is narrowed to one user.
   */
  async inventory(
    principal: Principal,
    groupId: string,
    query: InventoryQuery,
    page: PageRequest,
  ): Promise<Page<UserCertificate>> {
    const operation = query.view === 'project' ? 'listCertificateInventory' : 'listDatabaseUserCertificates';
    await this.access.project(this.store, principal, operation, groupId);
    const byExpiry = query.sortBy === undefined ? query.view === 'project' : query.sortBy === 'notAfter';
    const filter: InventoryFilter = {
      groupId,
      now: this.clock.now(),
      order: byExpiry ? 'expiry' : 'created',
      ...(query.descending ? { descending: true } : {}),
      ...(query.username !== undefined
        ? { userId: (await this.userNamed(this.store, groupId, query.username, principal)).id }
        : {}),
      ...(query.statuses ? { statuses: query.statuses } : {}),
      ...(query.expiresBefore ? { expiresBefore: query.expiresBefore } : {}),
      ...(query.expiresAfter ? { expiresAfter: query.expiresAfter } : {}),
      ...(query.serials ? { serials: query.serials } : {}),
    };
    const rows = await this.store.certificates.listInventory(filter, pageOffset(page), page.itemsPerPage + 1);
    const total = page.includeCount ? await this.store.certificates.countInventory(filter) : undefined;
    return pageFromRows(rows, page, total);
  }

  /** One certificate of the project, with its issuing CA and its user. */
  async details(principal: Principal, groupId: string, serialText: string): Promise<CertificateDetails> {
    await this.access.project(this.store, principal, 'getManagedCertificate', groupId);
    const serial = parseSerial(serialText);
    if (serial === undefined) throw new AtlasError('INVALID_CERTIFICATE_SERIAL', serialText);
    const certificate = await this.store.certificates.find(serial);
    // Another project's serial is answered exactly like an unknown one.
    if (!certificate || certificate.groupId !== groupId) throw new AtlasError('CERTIFICATE_DOES_NOT_EXIST');
    const [issuer, user] = await Promise.all([
      this.store.certificateAuthorities.find(groupId, certificate.caId),
      this.store.databaseUsers.findById(certificate.userId),
    ]);
    if (!issuer) throw new Error(`certificate ${serial} names CA ${certificate.caId}, which is not stored`);
    const { sealedPrivateKey: _sealed, ...publicIssuer } = issuer;
    return {
      certificate,
      pem: toPem('CERTIFICATE', certificate.der),
      issuer: publicIssuer,
      ...(user ? { user: { username: user.username, databaseName: user.databaseName } } : {}),
    };
  }

  /**
   * The project's Atlas-managed X.509 users and what their certificates cover, measured
   * against the project's alert lead time: who has no valid certificate, whose end soon.
   */
  async holders(
    principal: Principal,
    groupId: string,
    coverage: readonly CertificateCoverage[] | undefined,
    page: PageRequest,
  ): Promise<{ page: Page<CertificateHolder>; leadTimeDays: number; now: Date }> {
    await this.access.project(this.store, principal, 'listManagedX509Users', groupId);
    const now = this.clock.now();
    const leadTimeDays = (await this.store.alerts.settings(groupId))?.leadTimeDays ?? DEFAULT_LEAD_TIME_DAYS;
    const leadEnd = new Date(now.getTime() + leadTimeDays * DAY_MS);
    const { certificates } = this.store;
    const rows = await certificates.listCertificateHolders(
      groupId,
      now,
      leadEnd,
      coverage,
      pageOffset(page),
      page.itemsPerPage + 1,
    );
    const total = page.includeCount
      ? await certificates.countCertificateHolders(groupId, now, leadEnd, coverage)
      : undefined;
    return { page: pageFromRows(rows, page, total), leadTimeDays, now };
  }

  /**
   * Issues an Atlas-managed certificate. Without a CSR the key pair is generated here and
   * exists only in memory and in the returned PEM: it is never stored or logged. With a
   * CSR the client keeps its key and gets the certificate alone.
   */
  async issue(
    principal: Principal,
    groupId: string,
    username: string,
    request: IssueRequest,
  ): Promise<IssuedUserCertificate> {
    const project = await this.access.project(this.store, principal, 'createDatabaseUserCertificate', groupId);
    const user = await this.userNamed(this.store, groupId, username, principal);
    if (user.x509Type !== 'MANAGED') throw new AtlasError('USER_NOT_MANAGED_X509');
    const generation = this.access.catalog.generationFor(this.store, principal);
    if ((await this.access.catalog.customerCas(groupId, generation)) !== undefined)
      throw new AtlasError('CANNOT_GENERATE_CERT_IF_ADVANCED_X509');
    const months = monthsUntilExpiration(request.monthsUntilExpiration);
    const csr = request.csr === undefined ? undefined : await this.acceptCsr(request.csr);

    const [authority, key] = await Promise.all([
      this.authorities.active(groupId, principal, generation),
      csr ? undefined : this.keys.take(this.keyAlgorithm),
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
        publicKey: csr ? csr.spki : key!.spki,
      });
      const certificate: UserCertificate = {
        serial,
        groupId,
        userId: user.id,
        caId: authority.record.id,
        subject,
        keyAlgorithm: csr ? csr.keyAlgorithm : key!.algorithm,
        createdAt,
        notBefore,
        notAfter,
        der: issued.der,
        source: csr ? 'csr' : 'generated',
      };
      const event = this.audit.event(principal, 'MONGODB_USER_X509_CERT_CREATED', projectScope(project), {
        targetUsername: user.username,
        database: user.databaseName,
        serial,
      });
      const outcome = await this.store.recordIssuedCertificate(certificate, event, this.clock.now());
      if (outcome === 'serial-taken') {
        if (attempt < SERIAL_ATTEMPTS) continue;
        throw new Error(`${SERIAL_ATTEMPTS} random serials in a row were taken`);
      }
      // The user was deleted (and its certificates revoked) or expired meanwhile.
      if (outcome === 'user-gone') throw new AtlasError('USERNAME_NOT_FOUND', username);
      return { certificate, pem: key ? `${issued.pem}${key.pkcs8Pem}` : issued.pem };
    }
  }

  private async acceptCsr(pem: string) {
    try {
      return await acceptCsr(pem);
    } catch (error) {
      if (error instanceof CsrError) throw new AtlasError('INVALID_CERTIFICATE_SIGNING_REQUEST', error.message);
      throw error;
    }
  }

  /**
   * Revokes one certificate of the project (RFC 5280 reason, default unspecified),
   * records it, and reissues the issuing CA's CRL at once.
   */
  async revoke(
    principal: Principal,
    groupId: string,
    serialText: string,
    reasonText = 'unspecified',
  ): Promise<UserCertificate> {
    const project = await this.access.project(this.store, principal, 'revokeCertificate', groupId);
    const serial = parseSerial(serialText);
    if (serial === undefined) throw new AtlasError('INVALID_CERTIFICATE_SERIAL', serialText);
    if (!isRevocationReason(reasonText)) {
      throw new AtlasError('INVALID_REVOCATION_REASON', reasonText, Object.keys(REVOCATION_REASONS).join(', '));
    }
    const reason: RevocationReason = reasonText;
    const now = this.clock.now();
    const revoked = await this.store.transaction(async (repositories) => {
      const certificate = await repositories.certificates.find(serial);
      // Another project's serial is answered exactly like an unknown one.
      if (!certificate || certificate.groupId !== groupId) throw new AtlasError('CERTIFICATE_DOES_NOT_EXIST');
      if (!(await repositories.certificates.revoke(serial, now, reason))) {
        throw new AtlasError('CERTIFICATE_ALREADY_REVOKED', serialText);
      }
      const user = await repositories.databaseUsers.findById(certificate.userId);
      await this.audit.record(repositories, principal, 'MONGODB_USER_X509_CERT_REVOKED', projectScope(project), {
        serial,
        reason,
        ...(user ? { targetUsername: user.username, database: user.databaseName } : {}),
      });
      return { ...certificate, revokedAt: now, revocationReason: reason };
    });
    await this.revocationLists.reissue(groupId, revoked.caId);
    return revoked;
  }
}
