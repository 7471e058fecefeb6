import type { MigrationStep } from './step.js';

export const migration: MigrationStep = {
  name: '0009_custom_db_roles',
  async up(db) {
    // A project's custom roles, by name; they go with their project.
    await db.schema
      .createTable('custom_db_roles')
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('role_name', 'text', (c) => c.notNull())
      .addColumn('actions', 'text', (c) => c.notNull())
      .addColumn('inherited_roles', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('custom_db_roles_pk', ['project_id', 'role_name'])
      .execute();
  },
};
