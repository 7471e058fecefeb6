import { migration as foundation } from './0001_foundation.js';
import { migration as guardRails } from './0002_guard_rails.js';
import { migration as certificateLifecycle } from './0003_certificate_lifecycle.js';
import { migration as serviceAccounts } from './0004_service_accounts.js';
import { migration as consoleSessions } from './0005_console_sessions.js';
import { migration as usernameAsSent } from './0006_username_as_sent.js';
import { migration as projectSettings } from './0007_project_settings.js';
import { migration as customDbRoles } from './0009_custom_db_roles.js';
import { migration as identityGeneration } from './0011_identity_generation.js';
import { migration as catalogGeneration } from './0015_catalog_generation.js';
import { migration as catalogCoversAuthorities } from './0016_catalog_covers_authorities.js';
import { migration as listIndexCoversItems } from './0017_list_index_covers_items.js';
import type { MigrationStep } from './step.js';

export type { MigrationContext, MigrationStep } from './step.js';

/**
 * Every migration, oldest first. Gaps in the numbers are migrations that never shipped;
 * 0013 and 0014 are taken by work in progress.
 */
export const MIGRATIONS: readonly MigrationStep[] = [
  foundation,
  guardRails,
  certificateLifecycle,
  serviceAccounts,
  consoleSessions,
  usernameAsSent,
  projectSettings,
  customDbRoles,
  identityGeneration,
  catalogGeneration,
  catalogCoversAuthorities,
  listIndexCoversItems,
];
