import { type Page, type PageRequest, pageFromRows, pageOffset } from '../domain/pagination.js';
import { nameStartsWith, type Organization } from '../domain/project.js';
import type { Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import type { AuditTrail } from './audit.js';
import type { Principal } from './identities/principal.js';

export interface OrganizationSettings {
  apiAccessListRequired: boolean;
}

/** Organizations: a key belongs to exactly one and sees only that one. */
export class OrganizationService {
  constructor(
    private readonly store: Store,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  /** The caller's organization, when its name starts with `namePrefix` (ignoring case) if one is given. */
  async list(principal: Principal, page: PageRequest, namePrefix?: string): Promise<Page<Organization>> {
    const org = await this.access.organization(this.store, principal, 'listOrganizations');
    const matching = namePrefix === undefined || nameStartsWith(org.name, namePrefix) ? [org] : [];
    return pageFromRows(matching.slice(pageOffset(page)), page, matching.length);
  }

  get(principal: Principal, orgId: string): Promise<Organization> {
    return this.access.organization(this.store, principal, 'getOrganization', orgId);
  }

  async settings(principal: Principal, orgId: string): Promise<OrganizationSettings> {
    const org = await this.access.organization(this.store, principal, 'getOrganizationSettings', orgId);
    return { apiAccessListRequired: org.apiAccessListRequired };
  }

  async updateSettings(
    principal: Principal,
    orgId: string,
    changes: Partial<OrganizationSettings>,
  ): Promise<OrganizationSettings> {
    const org = await this.access.organization(this.store, principal, 'updateOrganizationSettings', orgId);
    const required = changes.apiAccessListRequired ?? org.apiAccessListRequired;
    if (required !== org.apiAccessListRequired) {
      await this.store.transaction(async (repositories) => {
        await repositories.organizations.setApiAccessListRequired(org.id, required);
        await this.audit.record(
          repositories,
          principal,
          required ? 'ORG_PUBLIC_API_ACCESS_LIST_REQUIRED' : 'ORG_PUBLIC_API_ACCESS_LIST_NOT_REQUIRED',
          { orgId: org.id },
        );
      });
    }
    return { apiAccessListRequired: required };
  }
}
