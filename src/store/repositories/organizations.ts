import type { Kysely } from 'kysely';
import type { Organization, Project, ResourceTag } from '../../domain/project.js';
import type { Database, ProjectsTable } from '../schema.js';
import { toDate } from './codec.js';

export class OrganizationsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(org: Organization): Promise<void> {
    await this.db
      .insertInto('organizations')
      .values({ id: org.id, name: org.name, created_at: org.createdAt.toISOString() })
      .execute();
  }

  async find(id: string): Promise<Organization | undefined> {
    const row = await this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && { id: row.id, name: row.name, createdAt: toDate(row.created_at) };
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
  constructor(private readonly db: Kysely<Database>) {}

  async insert(project: Project): Promise<void> {
    await this.db
      .insertInto('projects')
      .values({
        id: project.id,
        org_id: project.orgId,
        name: project.name,
        tags: JSON.stringify(project.tags),
        created_at: project.createdAt.toISOString(),
      })
      .execute();
  }

  async find(id: string): Promise<Project | undefined> {
    const row = await this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
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

  /** One page of an organization's projects, oldest first; `limit` rows at most. */
  async listByOrg(orgId: string, offset: number, limit: number): Promise<Project[]> {
    const rows = await this.db
      .selectFrom('projects')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('created_at')
      .orderBy('id')
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map(projectFromRow);
  }

  async countByOrg(orgId: string): Promise<number> {
    const row = await this.db
      .selectFrom('projects')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
