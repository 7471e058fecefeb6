import { foldName } from '../../domain/project.js';
import type { MigrationStep } from './step.js';

export const migration: MigrationStep = {
  name: '0007_project_settings',
  async up(db, { types }) {
    // Atlas filters project lists by a case-insensitive name prefix; SQLite's lower() only
    // folds ASCII, so the folded name is kept beside the name (written by the application).
    await db.schema
      .alterTable('projects')
      .addColumn('name_folded', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    const projects = await db.selectFrom('projects').select(['id', 'name']).execute();
    for (const project of projects as Array<{ id: string; name: string }>) {
      await db
        .updateTable('projects')
        .set({ name_folded: foldName(project.name) })
        .where('id', '=', project.id)
        .execute();
    }
    await db.schema
      .createIndex('projects_by_org_folded_name')
      .on('projects')
      .columns(['org_id', 'name_folded'])
      .execute();

    // A project without a row has Atlas' default settings.
    await db.schema
      .createTable('project_settings')
      .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('managed_slow_ms', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    // Limits set away from their default; a limit without a row has its default value.
    await db.schema
      .createTable('project_limits')
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('value', types.int64, (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('project_limits_pk', ['project_id', 'name'])
      .execute();
  },
};
