import { type Kysely, sql } from 'kysely';
import { foldName, type Organization, type Project, type ResourceTag } from '../../domain/project.js';
import type { Database, ProjectsTable } from '../schema.js';
import { toDate } from './codec.js';
import { ReusableQuery } from './reusable-query.js';

// Read on every authenticated request.
const ORGANIZATION_BY_ID = new ReusableQuery(1, (db, id: string) =>
  db.selectFrom('organizations').selectAll().where('id', '=', id),
);
const PROJECT_BY_ID = new ReusableQuery(1, (db, id: string) =>
  db.selectFrom('projects').selectAll().where('id', '=', id),
);

export class OrganizationsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts an organization; the access list requirement is off unless said otherwise. */
  async insert(org: Omit<Organization, 'apiAccessListRequired'> & Partial<Organization>): Promise<void> {
    await this.db
      .insertInto('organizations')
      .values({
        id: org.id,
        name: org.name,
        created_at: org.createdAt.toISOString(),
        api_access_list_required: org.apiAccessListRequired ? 1 : 0,
      })
      .execute();
  }

  async find(id: string): Promise<Organization | undefined> {
    const row = await ORGANIZATION_BY_ID.executeTakeFirst(this.db, id);
    return (
      row && {
        id: row.id,
        name: row.name,
        createdAt: toDate(row.created_at),
        apiAccessListRequired: Number(row.api_access_list_required) === 1,
      }
    );
  }

  async setApiAccessListRequired(id: string, required: boolean): Promise<void> {
    await this.db
      .updateTable('organizations')
      .set({ api_access_list_required: required ? 1 : 0 })
      .where('id', '=', id)
      .execute();
  }
}

function projectFromRow(row: ProjectsTable): Project {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    tags: JSON.parse(row.tags) as ResourceTag[],
    createdAt: toDate(row.created_at),
  };
}

export class ProjectsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly lockRows = false,
  ) {}

  /**
   * Locks the project's row until the transaction ends (PostgreSQL), so per-project
   * rules that count rows (at most 100 users) hold under concurrent writes. SQLite
   * serialises writers already.
   */
  async lock(id: string): Promise<void> {
    if (!this.lockRows) return;
    await this.db.selectFrom('projects').select('id').where('id', '=', id).forUpdate().execute();
  }

  async insert(project: Project): Promise<void> {
    await this.db
      .insertInto('projects')
      .values({
        id: project.id,
        org_id: project.orgId,
        name: project.name,
        tags: JSON.stringify(project.tags),
        created_at: project.createdAt.toISOString(),
        name_folded: foldName(project.name),
      })
      .execute();
  }

  /** Renames and re-tags a project (fails with a unique violation when the name is taken). */
  async update(id: string, changes: { name: string; tags: ResourceTag[] }): Promise<void> {
    await this.db
      .updateTable('projects')
      .set({ name: changes.name, name_folded: foldName(changes.name), tags: JSON.stringify(changes.tags) })
      .where('id', '=', id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('projects').where('id', '=', id).execute();
  }

  async find(id: string): Promise<Project | undefined> {
    const row = await PROJECT_BY_ID.executeTakeFirst(this.db, id);
    return row && projectFromRow(row);
  }

  async findByName(orgId: string, name: string): Promise<Project | undefined> {
    const row = await this.db
      .selectFrom('projects')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && projectFromRow(row);
  }

  /**
   * One page of an organization's projects, oldest first; `limit` rows at most. With
   * `namePrefix`, only those whose name starts with it, ignoring case.
   */
  async listByOrg(orgId: string, offset: number, limit: number, namePrefix?: string): Promise<Project[]> {
    const rows = await this.db
      .selectFrom('projects')
      .selectAll()
      .where('org_id', '=', orgId)
      .$if(namePrefix !== undefined, (query) => query.where('name_folded', 'like', prefixPattern(namePrefix!)))
      .orderBy('created_at')
      .orderBy('id')
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map(projectFromRow);
  }

  /** Every project of every organization (for background scans). */
  async all(): Promise<Project[]> {
    const rows = await this.db.selectFrom('projects').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(projectFromRow);
  }

  /** One page of the given projects of an organization, oldest first (`namePrefix` as for listByOrg). */
  async listByIds(
    orgId: string,
    ids: readonly string[],
    offset: number,
    limit: number,
    namePrefix?: string,
  ): Promise<Project[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('projects')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', 'in', ids)
      .$if(namePrefix !== undefined, (query) => query.where('name_folded', 'like', prefixPattern(namePrefix!)))
      .orderBy('created_at')
      .orderBy('id')
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map(projectFromRow);
  }

  async countByIds(orgId: string, ids: readonly string[], namePrefix?: string): Promise<number> {
    if (ids.length === 0) return 0;
    const row = await this.db
      .selectFrom('projects')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('org_id', '=', orgId)
      .where('id', 'in', ids)
      .$if(namePrefix !== undefined, (query) => query.where('name_folded', 'like', prefixPattern(namePrefix!)))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async countByOrg(orgId: string, namePrefix?: string): Promise<number> {
    const row = await this.db
      .selectFrom('projects')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('org_id', '=', orgId)
      .$if(namePrefix !== undefined, (query) => query.where('name_folded', 'like', prefixPattern(namePrefix!)))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}

/**
 * A LIKE pattern for names starting with `prefix` (folded). The name pattern allows `_`
 * (a LIKE wildcard) and the filter is free text, so `\`, `%` and `_` are escaped; both
 * engines take `\` as the escape character (PostgreSQL by default, SQLite with ESCAPE).
 */
function prefixPattern(prefix: string) {
  const escaped = foldName(prefix).replace(/[\\%_]/g, (character) => `\\${character}`);
  return sql<string>`${`${escaped}%`} escape '\\'`;
}
