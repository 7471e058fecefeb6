import type { Kysely } from 'kysely';
import type { CustomDbRole, InheritedRole, PrivilegeGrant } from '../../domain/custom-db-role.js';
import type { CustomDbRolesTable, Database } from '../schema.js';
import { toDate } from './codec.js';

function fromRow(row: CustomDbRolesTable): CustomDbRole {
  return {
    groupId: row.project_id,
    roleName: row.role_name,
    actions: JSON.parse(row.actions) as PrivilegeGrant[],
    inheritedRoles: JSON.parse(row.inherited_roles) as InheritedRole[],
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

function toRow(role: CustomDbRole): CustomDbRolesTable {
  return {
    project_id: role.groupId,
    role_name: role.roleName,
    actions: JSON.stringify(role.actions),
    inherited_roles: JSON.stringify(role.inheritedRoles),
    created_at: role.createdAt.toISOString(),
    updated_at: role.updatedAt.toISOString(),
  };
}

/** A project's custom database roles, oldest first. */
export class CustomDbRolesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(groupId: string): Promise<CustomDbRole[]> {
    const rows = await this.db
      .selectFrom('custom_db_roles')
      .selectAll()
      .where('project_id', '=', groupId)
      .orderBy('created_at')
      .orderBy('role_name')
      .execute();
    return rows.map(fromRow);
  }

  async names(groupId: string): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('custom_db_roles')
      .select('role_name')
      .where('project_id', '=', groupId)
      .execute();
    return new Set(rows.map((row) => row.role_name));
  }

  async find(groupId: string, roleName: string): Promise<CustomDbRole | undefined> {
    const row = await this.db
      .selectFrom('custom_db_roles')
      .selectAll()
      .where('project_id', '=', groupId)
      .where('role_name', '=', roleName)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async insert(role: CustomDbRole): Promise<void> {
    await this.db.insertInto('custom_db_roles').values(toRow(role)).execute();
  }

  async update(role: CustomDbRole): Promise<void> {
    const { project_id, role_name, created_at: _created, ...changes } = toRow(role);
    await this.db
      .updateTable('custom_db_roles')
      .set(changes)
      .where('project_id', '=', project_id)
      .where('role_name', '=', role_name)
      .execute();
  }

  async delete(groupId: string, roleName: string): Promise<void> {
    await this.db
      .deleteFrom('custom_db_roles')
      .where('project_id', '=', groupId)
      .where('role_name', '=', roleName)
      .execute();
  }
}
