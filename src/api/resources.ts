import { type DeclaredOperation, declaredOperations, type Resource } from './operations.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { certificateRoutes } from './routes/certs.js';
import { customDbRoleRoutes } from './routes/custom-db-roles.js';
import { databaseUserRoutes } from './routes/database-users.js';
import { eventRoutes } from './routes/events.js';
import { groupRoutes } from './routes/groups.js';
import { managedX509Routes } from './routes/managed-x509.js';
import { organizationRoutes } from './routes/orgs.js';
import { projectApiKeyRoutes } from './routes/project-api-keys.js';
import { projectSettingsRoutes } from './routes/project-settings.js';
import { serviceAccountRoutes } from './routes/service-accounts.js';
import { userSecurityRoutes } from './routes/user-security.js';

/** Every Atlas resource served under v1.0 and v2, in the order its routes are registered. */
export const ATLAS_RESOURCES: readonly Resource[] = [
  groupRoutes,
  organizationRoutes,
  databaseUserRoutes,
  certificateRoutes,
  userSecurityRoutes,
  managedX509Routes,
  apiKeyRoutes,
  projectApiKeyRoutes,
  eventRoutes,
  projectSettingsRoutes,
  customDbRoleRoutes,
];

/** The resources Atlas has only in v2 (no v1.0 routes). */
export const V2_ONLY_RESOURCES: readonly Resource[] = [serviceAccountRoutes];

/** The registry: every declared operation, in the order the routes are registered. */
export const DECLARED_OPERATIONS: readonly DeclaredOperation[] = declaredOperations([
  ...ATLAS_RESOURCES,
  ...V2_ONLY_RESOURCES,
]);
