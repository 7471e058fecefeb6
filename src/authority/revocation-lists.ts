import { AtlasError } from '../domain/errors.js';
import { isObjectId } from '../domain/ids.js';
import { CRL_VALIDITY_MS, isRevocationReason } from '../domain/revocation.js';
import { truncateToSecond } from '../domain/validity.js';
import { createCrl, crlPem, crlSerials } from '../pki/crl.js';
import type { StoredCertificateAuthority } from '../store/repositories/certificates.js';
import type { Store } from '../store/store.js';
import { type AccessControl, existingProject } from './access.js';
import type { CertificateAuthorityService } from './certificate-authorities.js';
import type { Clock } from './clock.js';
import type { Principal } from './identities/principal.js';

/**
 * Certificate revocation lists, one per CA. A CRL is reissued on every revocation and
 * whenever the stored one is half-way to its nextUpdate (or misses a revocation it
 * does not list yet), each time with the next CRL number, so the numbers only grow.
 */
export class RevocationListService {
  /** The serials each CA's latest CRL lists, by CRL number: read once per CRL, not per request. */
  private readonly listed = new Map<string, { crlNumber: bigint; serials: Set<bigint> }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorityService,
    private readonly access: AccessControl,
  ) {}

  /** Issues a new CRL for the CA `caId` of the project, now. */
  async reissue(groupId: string, caId: string): Promise<Uint8Array> {
    const authority = await this.store.certificateAuthorities.find(groupId, caId);
    if (!authority) throw new Error(`no CA ${caId} in project ${groupId}`);
    return this.issue(authority);
  }

  private async issue(authority: StoredCertificateAuthority): Promise<Uint8Array> {
    const signer = await this.authorities.signerFor(authority);
    const issued = await this.store.transaction(async (repositories) => {
      const previous = await repositories.revocationLists.latest(authority.id, true);
      const crlNumber = (previous?.crlNumber ?? 0n) + 1n;
      const thisUpdate = truncateToSecond(this.clock.now());
      const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
      const revoked = await repositories.certificates.revokedByCa(authority.id, thisUpdate);
      const der = await createCrl(signer, {
        crlNumber,
        thisUpdate,
        nextUpdate,
        entries: revoked.map((entry) => ({
          serial: entry.serial,
          revokedAt: entry.revokedAt,
          reason: isRevocationReason(entry.reason) ? entry.reason : 'unspecified',
        })),
      });
      await repositories.revocationLists.save({ caId: authority.id, crlNumber, thisUpdate, nextUpdate, der });
      return { crlNumber, der, serials: new Set(revoked.map((entry) => entry.serial)) };
    });
    this.listed.set(authority.id, { crlNumber: issued.crlNumber, serials: issued.serials });
    return issued.der;
  }

  /**
   * The CA's current CRL, reissued first if it is missing, half-way to expiry, or misses a
   * revocation. "Misses" compares serials, not times: a revocation stamped before the newest
   * one listed can commit after that CRL was signed (concurrent revocations, or a process
   * killed between a revocation's commit and its CRL).
   */
  private async current(authority: StoredCertificateAuthority): Promise<Uint8Array> {
    const latest = await this.store.revocationLists.latest(authority.id);
    const now = this.clock.now();
    if (latest === undefined || now.getTime() >= latest.thisUpdate.getTime() + CRL_VALIDITY_MS / 2) {
      return this.issue(authority);
    }
    const listed = this.serialsListedBy(authority.id, latest.crlNumber, latest.der);
    const revoked = await this.store.certificates.revokedByCa(authority.id, now);
    return revoked.some((entry) => !listed.has(entry.serial)) ? this.issue(authority) : latest.der;
  }

  private serialsListedBy(caId: string, crlNumber: bigint, der: Uint8Array): Set<bigint> {
    const cached = this.listed.get(caId);
    if (cached?.crlNumber === crlNumber) return cached.serials;
    const serials = crlSerials(der);
    this.listed.set(caId, { crlNumber, serials });
    return serials;
  }

  private async requireCa(groupId: string, caId: string): Promise<StoredCertificateAuthority> {
    const authority = isObjectId(caId) ? await this.store.certificateAuthorities.find(groupId, caId) : undefined;
    if (!authority) throw new AtlasError('RESOURCE_NOT_FOUND', `certificate authority ${caId}`);
    return authority;
  }

  /** DER of the active CA's CRL (or of `caId`'s), for a caller who may read the project. */
  async crlDer(principal: Principal, groupId: string, caId?: string): Promise<Uint8Array> {
    await this.access.project(this.store, principal, 'getCertificateRevocationList', groupId);
    const authority = caId === undefined ? (await this.authorities.existing(groupId)).record : undefined;
    return this.crlDerOf(groupId, caId ?? authority!.id);
  }

  /** PEM of the CRLs of every CA the project's relying parties trust: mongod's net.tls.CRLFile. */
  async crlPemBundle(principal: Principal, groupId: string): Promise<string> {
    await this.access.project(this.store, principal, 'getCertificateRevocationList', groupId);
    await this.authorities.existing(groupId);
    return this.trustedCrlsPem(groupId);
  }

  /** The same, without an access check, the CA created now if need be: for the operator's command line. */
  async crlDerFor(groupId: string, caId?: string): Promise<Uint8Array> {
    await existingProject(this.store, groupId);
    return this.crlDerOf(groupId, caId ?? (await this.authorities.active(groupId)).record.id);
  }

  async crlPemBundleFor(groupId: string): Promise<string> {
    await existingProject(this.store, groupId);
    await this.authorities.active(groupId);
    return this.trustedCrlsPem(groupId);
  }

  private async crlDerOf(groupId: string, caId: string): Promise<Uint8Array> {
    return this.current(await this.requireCa(groupId, caId));
  }

  private async trustedCrlsPem(groupId: string): Promise<string> {
    const trusted = await this.authorities.trusted(groupId);
    const crls = await Promise.all(trusted.map((authority) => this.current(authority)));
    return crls.map(crlPem).join('');
  }
}
