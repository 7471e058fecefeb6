import { MAX_DATABASE_USERS_PER_PROJECT } from './database-user.js';
import { AtlasError } from './errors.js';

/**
 * Atlas project limits (`/groups/{groupId}/limits`). dbcerts has one limit it enforces:
 * the number of database users, whose ceiling is the one the database-user service
 * applies (GROUP_USERS_LIMIT_EXCEEDED).
 */

export const DATABASE_USERS_LIMIT = 'atlas.project.security.databaseAccess.users';

export interface ProjectLimitDefinition {
  name: string;
  defaultLimit: number;
  /** The highest value the limit may be set to. */
  maximumLimit: number;
}

export const PROJECT_LIMITS: readonly ProjectLimitDefinition[] = [
  {
    name: DATABASE_USERS_LIMIT,
    defaultLimit: MAX_DATABASE_USERS_PER_PROJECT,
    maximumLimit: MAX_DATABASE_USERS_PER_PROJECT,
  },
];

/** A limit as Atlas answers it: its definition, its value in the project and what is used of it. */
export interface ProjectLimit extends ProjectLimitDefinition {
  value: number;
  currentUsage: number;
}

export function projectLimitDefinition(name: string): ProjectLimitDefinition | undefined {
  return PROJECT_LIMITS.find((limit) => limit.name === name);
}

/** A value a limit may be set to: a positive integer no higher than its maximum. */
export function checkLimitValue(limit: ProjectLimitDefinition, value: number): void {
  if (value <= 0) throw new AtlasError('ATTRIBUTE_NEGATIVE_OR_ZERO', 'value');
  if (value > limit.maximumLimit) throw new AtlasError('INVALID_ATTRIBUTE', 'value');
}
