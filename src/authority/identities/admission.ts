import { admittingEntry } from '../../domain/access-list.js';
import { AtlasError } from '../../domain/errors.js';
import { canonicalAddress } from '../../domain/ip-address.js';
import type { Store } from '../../store/store.js';
import type { AuditTrail } from '../audit.js';
import type { Clock } from '../clock.js';
import type { AuthenticatedIdentity, Principal } from './principal.js';
import type { AccessRules, RolesAndAccess } from './roles-and-access.js';

/**
 * Who may call, in three separate steps:
 * 1. the credential: a Digest key (digest-keys.ts) or a client secret and the tokens
 *    and sessions granted with it (client-secrets.ts) yields an AuthenticatedIdentity;
 * 2. the source address: `admit` applies the identity's access list, whatever its kind
 *    and however it authenticated, and makes it the request's Principal;
 * 3. the roles: each operation's REQUIRED_ROLES, which AccessControl (access.ts) checks
 *    against the Principal's roles as the use case runs.
 */
export class Admission {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly audit: AuditTrail,
    private readonly rolesAndAccess: RolesAndAccess,
  ) {}

  /**
   * Admits an authenticated identity's request from `remoteAddress`: one with an access
   * list may only be used from its entries (IP_ADDRESS_NOT_ON_ACCESS_LIST); one without is
   * refused when its organization requires one (RESOURCE_REQUIRES_ACCESS_LIST). Both 403s
   * carry the caller's address and are on the audit trail. The admitting entry's use is
   * recorded. `access`, when given, is the rules read along with the credential.
   */
  async admit(
    identity: AuthenticatedIdentity,
    remoteAddress: string,
    request: { method: string; resource: string },
    access?: AccessRules,
  ): Promise<Principal> {
    const { record } = identity;
    const address = canonicalAddress(remoteAddress);
    const actor = { apiKeyId: record.id, publicKey: record.publicKey, remoteAddress: address };
    const refuse = async (error: AtlasError): Promise<never> => {
      const target = { method: request.method, path: `/${request.resource}`, status: error.status };
      await this.store.events.insert(
        this.audit.event(actor, 'DBCERTS_REQUEST_REFUSED', { orgId: record.orgId }, target, 'FAILURE', error.errorCode),
      );
      throw error;
    };
    const { entries, accessListRequired } = access ?? (await this.rolesAndAccess.accessRules(record));
    if (entries.length > 0) {
      const entry = admittingEntry(entries, address);
      if (!entry) return refuse(new AtlasError('IP_ADDRESS_NOT_ON_ACCESS_LIST', address));
      await this.store.accessLists.recordUse(record.id, entry.cidrBlock, this.clock.now(), address);
    } else if (accessListRequired) {
      return refuse(new AtlasError('RESOURCE_REQUIRES_ACCESS_LIST', address));
    }
    const caller = {
      ...actor,
      orgId: record.orgId,
      orgRoles: record.roles,
      projectRoles: new Map(record.projectRoles.map((assignment) => [assignment.groupId, assignment.roles])),
      resource: request.resource,
      ...('catalogGeneration' in identity && identity.catalogGeneration !== undefined
        ? { catalogGeneration: identity.catalogGeneration }
        : {}),
    };
    return identity.kind === 'API_KEY'
      ? { ...caller, kind: 'API_KEY', via: identity.via }
      : { ...caller, kind: 'SERVICE_ACCOUNT', via: identity.via };
  }
}
