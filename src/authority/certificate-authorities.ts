import {
  type CaStatus,
  type CertificateAuthority,
  MANAGED_CA_VALIDITY_YEARS,
  managedCaSubject,
} from '../domain/certificate.js';
import { AtlasError } from '../domain/errors.js';
import type { Actor } from '../domain/events.js';
import { newObjectId } from '../domain/ids.js';
import { randomSerial } from '../domain/serial.js';
import { addCalendarMonths, truncateToSecond } from '../domain/validity.js';
import {
  type CertificateAuthorityForSigning,
  certificatePem,
  createCaCertificate,
  parseCertificate,
  prepareSigner,
} from '../pki/certificates.js';
import { generateKey, type KeyAlgorithm, privateKeyToPkcs8Der } from '../pki/key-algorithms.js';
import type { SecretBox } from '../pki/secret-box.js';
import { isUniqueViolation } from '../store/database.js';
import type { StoredCertificateAuthority } from '../store/repositories/certificates.js';
import type { Store } from '../store/store.js';
import { type AccessControl, existingProject } from './access.js';
import { type AuditTrail, projectScope } from './audit.js';
import type { Clock } from './clock.js';
import type { Principal } from './identities/principal.js';

export interface ActiveAuthority {
  record: CertificateAuthority;
  signer: CertificateAuthorityForSigning;
}

function sealContext(caId: string): string {
  return `certificate_authorities.private_key:${caId}`;
}

/**
 * Each project's Atlas-managed CA, created on first use. Creation is exactly-once per
 * project: concurrent callers in this process share one attempt, and across processes
 * the database's one-active-CA-per-project index lets one insert win while the others
 * adopt the winner.
 */
export class CertificateAuthorityService {
  readonly #creating = new Map<string, Promise<ActiveAuthority>>();
  readonly #signers = new Map<string, Promise<CertificateAuthorityForSigning>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly secrets: SecretBox,
    private readonly caKeyAlgorithm: KeyAlgorithm,
    private readonly audit: AuditTrail,
    private readonly access: AccessControl,
  ) {}

  /** The project's active CA, if it has one yet. */
  async findActive(groupId: string): Promise<CertificateAuthority | undefined> {
    return this.store.certificateAuthorities.findActive(groupId);
  }

  /**
   * The PEM of the project's active CA (created now if the project has none yet): what
   * a self-managed mongod lists in `net.tls.CAFile`. No access check: for the operator.
   */
  async caCertificatePem(groupId: string): Promise<string> {
    await existingProject(this.store, groupId);
    const { signer } = await this.active(groupId);
    return certificatePem(signer.certificate);
  }

  /**
   * The project's active CA, for a read: a project without one answers 404 (reads never
   * create it; issuing, rotating and the operator's command line do).
   */
  async existing(groupId: string): Promise<ActiveAuthority> {
    const existing = await this.store.certificateAuthorities.findActive(groupId);
    if (!existing) throw new AtlasError('MANAGED_X509_CA_NOT_FOUND', groupId);
    return { record: existing, signer: await this.signerFor(existing) };
  }

  /**
   * The project's active CA, created now (by `actor`, for the audit trail) if it has none;
   * from the catalog cache at `generation` when one is given.
   */
  async active(groupId: string, actor?: Actor, generation?: bigint): Promise<ActiveAuthority> {
    const existing = await this.access.catalog.activeAuthority(groupId, generation);
    if (existing) return { record: existing, signer: await this.signerFor(existing) };
    let pending = this.#creating.get(groupId);
    if (!pending) {
      pending = this.create(groupId, actor).finally(() => this.#creating.delete(groupId));
      this.#creating.set(groupId, pending);
    }
    return pending;
  }

  /** A new CA for the project, not yet stored. */
  private async newAuthority(groupId: string, generation: number): Promise<StoredCertificateAuthority> {
    const now = truncateToSecond(this.clock.now());
    const key = await generateKey(this.caKeyAlgorithm);
    const subject = managedCaSubject(groupId, generation);
    const serial = randomSerial();
    const notAfter = addCalendarMonths(now, MANAGED_CA_VALIDITY_YEARS * 12);
    const certificate = await createCaCertificate({ subject, serial, notBefore: now, notAfter, key });
    const id = newObjectId(now);
    return {
      id,
      groupId,
      keyAlgorithm: this.caKeyAlgorithm,
      subject,
      serial,
      der: certificate.der,
      notBefore: now,
      notAfter,
      createdAt: now,
      sealedPrivateKey: this.secrets.seal(privateKeyToPkcs8Der(key.privateKey), sealContext(id)),
    };
  }

  /**
   * Rotates the project's managed CA: a new CA signs from now on; the old one is retired
   * but stays trusted (and keeps publishing CRLs) until its last certificate expires. A
   * project without a CA gets its first one.
   */
  async rotate(principal: Principal, groupId: string): Promise<CertificateAuthority> {
    const project = await this.access.project(this.store, principal, 'rotateManagedCa', groupId);
    const existing = await this.store.certificateAuthorities.findActive(groupId);
    if (!existing) return (await this.active(groupId, principal)).record;
    const current = { record: existing };
    const generation = (await this.store.certificateAuthorities.listByProject(groupId)).length + 1;
    const next = await this.newAuthority(groupId, generation);
    try {
      await this.store.transaction(async (repositories) => {
        if (!(await repositories.certificateAuthorities.retire(current.record.id, next.createdAt))) {
          throw new AtlasError('CA_ROTATION_CONFLICT');
        }
        await repositories.certificateAuthorities.insert(next);
        await this.audit.record(repositories, principal, 'DBCERTS_CA_ROTATED', projectScope(project), {
          caId: next.id,
          serial: next.serial,
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AtlasError('CA_ROTATION_CONFLICT');
      throw error;
    }
    return next;
  }

  /** Every CA of the project with its status, newest first. */
  async list(principal: Principal, groupId: string): Promise<Array<CertificateAuthority & { status: CaStatus }>> {
    await this.access.project(this.store, principal, 'listManagedCas', groupId);
    return this.withStatus(groupId);
  }

  private async withStatus(groupId: string): Promise<Array<CertificateAuthority & { status: CaStatus }>> {
    const now = this.clock.now();
    const authorities = await this.store.certificateAuthorities.listByProject(groupId);
    return Promise.all(
      authorities.map(async ({ sealedPrivateKey: _sealed, ...authority }) => {
        if (!authority.retiredAt) return { ...authority, status: 'ACTIVE' as const };
        const lastExpiry = await this.store.certificates.lastExpiryOfCa(authority.id);
        const trusted = lastExpiry !== undefined && lastExpiry > now && authority.notAfter > now;
        return { ...authority, status: trusted ? ('RETIRED_TRUSTED' as const) : ('RETIRED' as const) };
      }),
    );
  }

  /** The CAs a relying party must trust now: the active one and retired ones with live certificates. */
  async trusted(groupId: string): Promise<StoredCertificateAuthority[]> {
    const statuses = new Map((await this.withStatus(groupId)).map((authority) => [authority.id, authority.status]));
    const all = await this.store.certificateAuthorities.listByProject(groupId);
    return all.filter((authority) => statuses.get(authority.id) !== 'RETIRED');
  }

  /** The trust bundle (PEM): what mongod's net.tls.CAFile should hold during a rotation. */
  async trustBundlePem(principal: Principal, groupId: string): Promise<string> {
    await this.access.project(this.store, principal, 'getManagedCaTrustBundle', groupId);
    await this.existing(groupId);
    return this.trustedPem(groupId);
  }

  /** The same, without an access check, the CA created now if need be: for the operator's command line. */
  async trustBundlePemFor(groupId: string): Promise<string> {
    await existingProject(this.store, groupId);
    await this.active(groupId);
    return this.trustedPem(groupId);
  }

  private async trustedPem(groupId: string): Promise<string> {
    return (await this.trusted(groupId)).map((authority) => certificatePem(parseCertificate(authority.der))).join('');
  }

  private async create(groupId: string, actor: Actor | undefined): Promise<ActiveAuthority> {
    const record = await this.newAuthority(groupId, 1);
    const { serial } = record;
    try {
      await this.store.transaction(async (repositories) => {
        await repositories.certificateAuthorities.insert(record);
        const project = await repositories.projects.find(groupId);
        if (project) {
          await this.audit.record(repositories, actor, 'DBCERTS_CA_CREATED', projectScope(project), { serial });
        }
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.store.certificateAuthorities.findActive(groupId);
      if (!winner) throw error;
      return { record: winner, signer: await this.signerFor(winner) };
    }
    return { record, signer: await this.signerFor(record) };
  }

  /** The CA's certificate and its unsealed signing key, kept in memory after first use. */
  signerFor(authority: StoredCertificateAuthority): Promise<CertificateAuthorityForSigning> {
    let signer = this.#signers.get(authority.id);
    if (!signer) {
      signer = (async () => {
        const pkcs8 = this.secrets.open(authority.sealedPrivateKey, sealContext(authority.id));
        return prepareSigner(authority.der, authority.keyAlgorithm as KeyAlgorithm, pkcs8);
      })();
      signer.catch(() => this.#signers.delete(authority.id));
      this.#signers.set(authority.id, signer);
    }
    return signer;
  }
}
