import { newObjectId } from '../domain/ids.js';
import { isUniqueViolation } from '../store/database.js';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';
import type { DigestKeys } from './identities/digest-keys.js';

export interface BootstrapCredentials {
  orgId: string;
  groupId: string;
  publicKey: string;
  privateKey: string;
}

const BOOTSTRAP_SETTING = 'bootstrap';

const BOOTSTRAP_ORG_NAME = 'dbcerts';
// Atlas calls a first project "Project 0"; the API's name pattern has no space.
const BOOTSTRAP_PROJECT_NAME = 'Project0';

interface BootstrapRecord {
  orgId: string;
  groupId: string;
}

/**
 * The first organization, project and org-owner API key of a deployment. Idempotent:
 * given the credentials it printed before, and they still work, it returns them; if
 * they are lost (only the key's HA1 is stored, so they cannot be recovered), it mints
 * a new org-owner key for the same organization.
 */
export class BootstrapService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly digestKeys: DigestKeys,
  ) {}

  async bootstrap(known?: BootstrapCredentials): Promise<{ credentials: BootstrapCredentials; created: boolean }> {
    const recorded = await this.store.settings.get(BOOTSTRAP_SETTING);
    if (recorded) {
      const record = JSON.parse(recorded) as BootstrapRecord;
      if (
        known &&
        known.orgId === record.orgId &&
        (await this.digestKeys.verify(known.publicKey, known.privateKey)) !== undefined
      ) {
        return { credentials: known, created: false };
      }
      const { key, privateKey } = await this.digestKeys.mint(record.orgId, 'dbcerts bootstrap key (reissued)', [
        'ORG_OWNER',
      ]);
      return { credentials: { ...record, publicKey: key.publicKey, privateKey }, created: true };
    }

    const now = this.clock.now();
    const orgId = newObjectId(now);
    const groupId = newObjectId(now);
    try {
      const credentials = await this.store.transaction(async (repositories) => {
        // Written first: a concurrent bootstrap fails here (unique name) and rolls back.
        await repositories.settings.insert(BOOTSTRAP_SETTING, JSON.stringify({ orgId, groupId }));
        await repositories.organizations.insert({ id: orgId, name: BOOTSTRAP_ORG_NAME, createdAt: now });
        await repositories.projects.insert({
          id: groupId,
          orgId,
          name: BOOTSTRAP_PROJECT_NAME,
          tags: [],
          createdAt: now,
        });
        const { key, privateKey } = await this.digestKeys.mint(
          orgId,
          'dbcerts bootstrap key',
          ['ORG_OWNER'],
          repositories,
        );
        return { orgId, groupId, publicKey: key.publicKey, privateKey };
      });
      return { credentials, created: true };
    } catch (error) {
      if (isUniqueViolation(error)) return this.bootstrap(known);
      throw error;
    }
  }
}
