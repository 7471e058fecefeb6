import type { Kysely } from 'kysely';
import type { ApiKey, ProjectRoleAssignment } from '../../domain/api-key.js';
import type { OrgRole, ProjectRole } from '../../domain/roles.js';
import { CATALOG_GENERATION_ID } from '../migrations/0015_catalog_generation.js';
import type { ColumnReader } from '../database.js';
import type { ApiKeysTable, Database } from '../schema.js';
import { toDate } from './codec.js';
import { ReusableQuery } from './reusable-query.js';

/** Programmatic identities share this table: API keys, and service accounts (no Digest secrets). */
export type IdentityKind = 'API_KEY' | 'SERVICE_ACCOUNT';

/** An API key as stored: its Digest secrets stay sealed until authentication opens them. */
export interface StoredApiKey extends ApiKey {
  sealedDigestHa1Md5: string;
  sealedDigestHa1Sha256: string;
  /** Service accounts only. */
  name?: string;
}

function fromRow(row: ApiKeysTable, projectRoles: ProjectRoleAssignment[]): StoredApiKey {
  return {
    id: row.id,
    orgId: row.org_id,
    publicKey: row.public_key,
    description: row.description,
    roles: JSON.parse(row.roles) as OrgRole[],
    projectRoles,
    privateKeyTail: row.private_key_tail,
    createdAt: toDate(row.created_at),
    sealedDigestHa1Md5: row.digest_ha1_md5,
    sealedDigestHa1Sha256: row.digest_ha1_sha256,
    ...(row.name !== null ? { name: row.name } : {}),
  };
}

/** The row of identity_generation that 0011 made (0015 added the catalog's). */
export const IDENTITY_GENERATION_ID = 1;

// Read on every request a key authenticates.
const KEY_BY_PUBLIC_KEY = new ReusableQuery(2, (db, publicKey: string, kind: IdentityKind) =>
  db.selectFrom('api_keys').selectAll().where('public_key', '=', publicKey).where('kind', '=', kind),
);
// The identity generation, then the catalog's (ids 1 and 2).
const GENERATIONS = new ReusableQuery(0, (db) =>
  db
    .selectFrom('identity_generation')
    .select('generation')
    .where('id', 'in', [IDENTITY_GENERATION_ID, CATALOG_GENERATION_ID])
    .orderBy('id'),
);
const PROJECT_ROLES_OF_KEY = new ReusableQuery(1, (db, apiKeyId: string) =>
  db.selectFrom('api_key_project_roles').selectAll().where('api_key_id', '=', apiKeyId).orderBy('project_id'),
);

export class ApiKeysRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** Outside a transaction, the store's fast reader: this runs on every request. */
    private readonly readColumn: ColumnReader,
  ) {}

  /**
   * The identity generation, which moves (in the same transaction) with every change to a
   * key, its secrets, project roles or access list, or its organization's access-list
   * requirement: an identity read at generation g is still current while the generation
   * is g. And, read in the same statement, the catalog generation, which moves with every
   * change to a project, a database user, a managed CA or a project's user security (the
   * same rule, for them).
   */
  async generations(): Promise<{ identity: bigint; catalog: bigint }> {
    const [identity, catalog] = await this.readColumn(GENERATIONS.compiled(this.db));
    if (identity === undefined || catalog === undefined) throw new Error('identity_generation lacks a row');
    return { identity: BigInt(identity as bigint), catalog: BigInt(catalog as bigint) };
  }

  /** Inserts the key; its project roles are assigned separately. */
  async insert(key: StoredApiKey, kind: IdentityKind = 'API_KEY', name: string | null = null): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: key.id,
        org_id: key.orgId,
        public_key: key.publicKey,
        description: key.description,
        roles: JSON.stringify(key.roles),
        private_key_tail: key.privateKeyTail,
        digest_ha1_md5: key.sealedDigestHa1Md5,
        digest_ha1_sha256: key.sealedDigestHa1Sha256,
        created_at: key.createdAt.toISOString(),
        kind,
        name,
      })
      .execute();
  }

  private async withProjectRoles(rows: ApiKeysTable[]): Promise<StoredApiKey[]> {
    if (rows.length === 0) return [];
    const assignments =
      rows.length === 1
        ? await PROJECT_ROLES_OF_KEY.execute(this.db, rows[0]!.id)
        : await this.db
            .selectFrom('api_key_project_roles')
            .selectAll()
            .where(
              'api_key_id',
              'in',
              rows.map((row) => row.id),
            )
            .orderBy('project_id')
            .execute();
    return rows.map((row) =>
      fromRow(
        row,
        assignments
          .filter((assignment) => assignment.api_key_id === row.id)
          .map((assignment) => ({
            groupId: assignment.project_id,
            roles: JSON.parse(assignment.roles) as ProjectRole[],
          })),
      ),
    );
  }

  async findByPublicKey(publicKey: string, kind: IdentityKind = 'API_KEY'): Promise<StoredApiKey | undefined> {
    const row = await KEY_BY_PUBLIC_KEY.executeTakeFirst(this.db, publicKey, kind);
    return row && (await this.withProjectRoles([row]))[0];
  }

  async find(orgId: string, id: string, kind: IdentityKind = 'API_KEY'): Promise<StoredApiKey | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return row && (await this.withProjectRoles([row]))[0];
  }

  async listByOrg(
    orgId: string,
    offset: number,
    limit: number,
    kind: IdentityKind = 'API_KEY',
  ): Promise<StoredApiKey[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('kind', '=', kind)
      .orderBy('created_at')
      .orderBy('id')
      .offset(offset)
      .limit(limit)
      .execute();
    return this.withProjectRoles(rows);
  }

  async countByOrg(orgId: string, kind: IdentityKind = 'API_KEY'): Promise<number> {
    const row = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('org_id', '=', orgId)
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Keys assigned to a project, oldest first. */
  async listByProject(
    groupId: string,
    offset: number,
    limit: number,
    kind: IdentityKind = 'API_KEY',
  ): Promise<StoredApiKey[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .innerJoin('api_key_project_roles', 'api_key_project_roles.api_key_id', 'api_keys.id')
      .selectAll('api_keys')
      .where('api_key_project_roles.project_id', '=', groupId)
      .where('api_keys.kind', '=', kind)
      .orderBy('api_keys.created_at')
      .orderBy('api_keys.id')
      .offset(offset)
      .limit(limit)
      .execute();
    return this.withProjectRoles(rows);
  }

  async countByProject(groupId: string, kind: IdentityKind = 'API_KEY'): Promise<number> {
    const row = await this.db
      .selectFrom('api_key_project_roles')
      .innerJoin('api_keys', 'api_keys.id', 'api_key_project_roles.api_key_id')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('api_key_project_roles.project_id', '=', groupId)
      .where('api_keys.kind', '=', kind)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async update(id: string, changes: { description?: string; roles?: OrgRole[]; name?: string }): Promise<void> {
    const set: Partial<Pick<ApiKeysTable, 'description' | 'roles' | 'name'>> = {};
    if (changes.description !== undefined) set.description = changes.description;
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.roles !== undefined) set.roles = JSON.stringify(changes.roles);
    if (Object.keys(set).length > 0) await this.db.updateTable('api_keys').set(set).where('id', '=', id).execute();
  }

  /** Deletes the key; its project roles, access list (and service account secrets) go with it. */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('service_account_secrets').where('account_id', '=', id).execute();
    await this.db.deleteFrom('api_key_project_roles').where('api_key_id', '=', id).execute();
    await this.db.deleteFrom('api_key_access_list').where('api_key_id', '=', id).execute();
    await this.db.deleteFrom('api_keys').where('id', '=', id).execute();
  }

  async projectRoles(id: string, groupId: string): Promise<ProjectRole[]> {
    const row = await this.db
      .selectFrom('api_key_project_roles')
      .select('roles')
      .where('api_key_id', '=', id)
      .where('project_id', '=', groupId)
      .executeTakeFirst();
    return row ? (JSON.parse(row.roles) as ProjectRole[]) : [];
  }

  /** Assigns the key to the project with exactly these roles (replacing any it had there). */
  async setProjectRoles(id: string, groupId: string, roles: ProjectRole[]): Promise<void> {
    await this.db
      .insertInto('api_key_project_roles')
      .values({ api_key_id: id, project_id: groupId, roles: JSON.stringify(roles) })
      .onConflict((oc) => oc.columns(['api_key_id', 'project_id']).doUpdateSet({ roles: JSON.stringify(roles) }))
      .execute();
  }

  /** Removes the key from the project; false if it was not assigned. */
  async removeFromProject(id: string, groupId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('api_key_project_roles')
      .where('api_key_id', '=', id)
      .where('project_id', '=', groupId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
