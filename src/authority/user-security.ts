import { AtlasError } from '../domain/errors.js';
import { type BundleCertificate, inspectCaBundle } from '../pki/ca-bundle.js';
import type { Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import { type AuditTrail, projectScope } from './audit.js';
import type { Clock } from './clock.js';
import type { Principal } from './identities/principal.js';

export interface UserSecurity {
  /** The customer CA bundle as uploaded, byte for byte; absent when customer X.509 is off. */
  customerX509Cas?: string;
}

export interface UserSecurityUpdate {
  customerX509?: { cas?: string };
  ldap?: Record<string, unknown>;
}

/**
 * Atlas' userSecurity: customer-managed ("self-managed") X.509. Uploading a CA bundle
 * turns it on (and Atlas-managed certificate generation off); deleting it turns it off.
 * LDAP is not implemented: any attempt to enable it is refused.
 */
export class UserSecurityService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  async get(principal: Principal, groupId: string): Promise<UserSecurity> {
    await this.access.project(this.store, principal, 'getUserSecurity', groupId);
    return this.read(groupId);
  }

  private async read(groupId: string): Promise<UserSecurity> {
    const cas = await this.store.userSecurity.customerCas(groupId);
    return cas === undefined ? {} : { customerX509Cas: cas };
  }

  /** Checks a bundle as an upload would, without saving it (the console's preview). */
  inspect(cas: string): BundleCertificate[] {
    const result = inspectCaBundle(cas, this.clock.now());
    if ('problem' in result) {
      const { problem } = result;
      switch (problem.kind) {
        case 'empty':
          throw new AtlasError('INVALID_X509_CA_CERTIFICATE', 'it holds no PEM certificate');
        case 'not-a-certificate':
          throw new AtlasError('INVALID_X509_CA_CERTIFICATE', problem.detail);
        case 'not-a-ca':
          throw new AtlasError('INVALID_X509_CA_CERTIFICATE', `${problem.subject} is not a CA certificate`);
        case 'not-yet-valid':
          throw new AtlasError('INVALID_X509_CA_CERTIFICATE', `${problem.subject} is not valid yet`);
        case 'expired':
          throw new AtlasError('EXPIRED_X509_CA_CERTIFICATE');
      }
    }
    return result.certificates;
  }

  async update(principal: Principal, groupId: string, update: UserSecurityUpdate): Promise<UserSecurity> {
    const project = await this.access.project(this.store, principal, 'updateUserSecurity', groupId);
    if (
      update.ldap !== undefined &&
      (update.ldap.authenticationEnabled === true || update.ldap.authorizationEnabled === true)
    ) {
      throw new AtlasError('LDAP_NOT_SUPPORTED');
    }
    const cas = update.customerX509?.cas;
    if (cas !== undefined) {
      this.inspect(cas);
      await this.store.transaction(async (repositories) => {
        await repositories.userSecurity.setCustomerCas(groupId, cas, this.clock.now());
        await this.audit.record(repositories, principal, 'DBCERTS_CUSTOMER_X509_UPDATED', projectScope(project));
      });
    }
    return this.read(groupId);
  }

  async disableCustomerX509(principal: Principal, groupId: string): Promise<UserSecurity> {
    const project = await this.access.project(this.store, principal, 'disableCustomerX509', groupId);
    await this.store.transaction(async (repositories) => {
      if ((await repositories.userSecurity.customerCas(groupId)) === undefined) return;
      await repositories.userSecurity.setCustomerCas(groupId, null, this.clock.now());
      await this.audit.record(repositories, principal, 'DBCERTS_CUSTOMER_X509_DISABLED', projectScope(project));
    });
    return this.read(groupId);
  }
}
