import type { DatabaseUserRole } from './database-user.js';
import { AtlasError } from './errors.js';

/**
 * Atlas' database roles: the built-in roles a database user may hold, and the custom
 * roles a project defines (UserCustomDBRole: privilege actions on resources, and roles
 * inherited). Custom roles live on the `admin` database, as in MongoDB.
 */

/**
 * The privilege actions Atlas grants in custom roles (DatabasePrivilegeAction.action), in
 * Atlas' order, with the resources MongoDB defines each on: the cluster, databases and
 * collections (namespaces), or either.
 */
const ACTION_RESOURCES = {
  FIND: 'namespace',
  INSERT: 'namespace',
  REMOVE: 'namespace',
  UPDATE: 'namespace',
  BYPASS_DOCUMENT_VALIDATION: 'namespace',
  USE_UUID: 'cluster',
  KILL_OP: 'cluster',
  BYPASS_DEFAULT_MAX_TIME_MS: 'cluster',
  CREATE_COLLECTION: 'namespace',
  CREATE_INDEX: 'namespace',
  DROP_COLLECTION: 'namespace',
  ENABLE_PROFILER: 'namespace',
  KILL_ANY_CURSOR: 'namespace',
  CHANGE_STREAM: 'any',
  COLL_MOD: 'namespace',
  COMPACT: 'namespace',
  CONVERT_TO_CAPPED: 'namespace',
  DROP_DATABASE: 'namespace',
  DROP_INDEX: 'namespace',
  RE_INDEX: 'namespace',
  RENAME_COLLECTION_SAME_DB: 'namespace',
  SET_USER_WRITE_BLOCK: 'cluster',
  BYPASS_USER_WRITE_BLOCK: 'cluster',
  LIST_SESSIONS: 'cluster',
  KILL_ANY_SESSION: 'cluster',
  COLL_STATS: 'namespace',
  CONN_POOL_STATS: 'cluster',
  DB_HASH: 'namespace',
  DB_STATS: 'namespace',
  GET_CMD_LINE_OPTS: 'cluster',
  GET_LOG: 'cluster',
  GET_PARAMETER: 'cluster',
  GET_SHARD_MAP: 'cluster',
  HOST_INFO: 'cluster',
  IN_PROG: 'cluster',
  LIST_DATABASES: 'cluster',
  LIST_COLLECTIONS: 'namespace',
  LIST_INDEXES: 'namespace',
  LIST_SHARDS: 'cluster',
  NET_STAT: 'cluster',
  REPL_SET_GET_CONFIG: 'cluster',
  REPL_SET_GET_STATUS: 'cluster',
  SERVER_STATUS: 'cluster',
  VALIDATE: 'namespace',
  SHARDING_STATE: 'cluster',
  TOP: 'cluster',
  SQL_GET_SCHEMA: 'any',
  SQL_SET_SCHEMA: 'any',
  VIEW_ALL_HISTORY: 'any',
  OUT_TO_S3: 'any',
  OUT_TO_AZURE: 'any',
  OUT_TO_GCS: 'any',
  STORAGE_GET_CONFIG: 'any',
  STORAGE_SET_CONFIG: 'any',
  FLUSH_ROUTER_CONFIG: 'any',
  ENABLE_SHARDING: 'any',
  CHECK_METADATA_CONSISTENCY: 'any',
  MOVE_CHUNK: 'namespace',
  SPLIT_CHUNK: 'namespace',
  ANALYZE_SHARD_KEY: 'namespace',
  REFINE_COLLECTION_SHARD_KEY: 'namespace',
  CLEAR_JUMBO_FLAG: 'namespace',
  RESHARD_COLLECTION: 'namespace',
  SHARDED_DATA_DISTRIBUTION: 'any',
  GET_STREAM_PROCESSOR: 'any',
  CREATE_STREAM_PROCESSOR: 'any',
  PROCESS_STREAM_PROCESSOR: 'any',
  START_STREAM_PROCESSOR: 'any',
  STOP_STREAM_PROCESSOR: 'any',
  DROP_STREAM_PROCESSOR: 'any',
  SAMPLE_STREAM_PROCESSOR: 'any',
  LIST_STREAM_PROCESSORS: 'any',
  LIST_CONNECTIONS: 'any',
  STREAM_PROCESSOR_STATS: 'any',
} as const satisfies Record<string, 'cluster' | 'namespace' | 'any'>;

export type PrivilegeAction = keyof typeof ACTION_RESOURCES;
export const PRIVILEGE_ACTIONS = Object.keys(ACTION_RESOURCES) as PrivilegeAction[];

/** Where an action is granted: the cluster, or a database (and collection, "" for all). */
export interface PermittedNamespace {
  cluster: boolean;
  collection: string;
  db: string;
}

export interface PrivilegeGrant {
  action: PrivilegeAction;
  resources: PermittedNamespace[];
}

export interface InheritedRole {
  db: string;
  role: string;
}

export interface CustomDbRole {
  groupId: string;
  roleName: string;
  actions: PrivilegeGrant[];
  inheritedRoles: InheritedRole[];
  createdAt: Date;
  updatedAt: Date;
}

export const MAX_CUSTOM_ROLES_PER_PROJECT = 100;

/**
 * The built-in roles Atlas grants to database users, and whether MongoDB defines each
 * only on `admin` (`atlasAdmin@admin`, but `read@anyDatabase`).
 */
const ATLAS_BUILT_IN_ROLES: ReadonlyMap<string, { adminOnly: boolean }> = new Map([
  ['atlasAdmin', { adminOnly: true }],
  ['backup', { adminOnly: true }],
  ['clusterMonitor', { adminOnly: true }],
  ['dbAdmin', { adminOnly: false }],
  ['dbAdminAnyDatabase', { adminOnly: true }],
  ['enableSharding', { adminOnly: true }],
  ['read', { adminOnly: false }],
  ['readAnyDatabase', { adminOnly: true }],
  ['readWrite', { adminOnly: false }],
  ['readWriteAnyDatabase', { adminOnly: true }],
]);

/** MongoDB built-in roles that Atlas never grants. */
const RESTRICTED_ROLES: ReadonlySet<string> = new Set([
  'root',
  'dbOwner',
  'userAdmin',
  'userAdminAnyDatabase',
  'clusterAdmin',
  'clusterManager',
  'hostManager',
  'restore',
  'searchCoordinator',
  'directShardOperations',
  '__queryableBackup',
  '__system',
]);

/** A built-in role Atlas grants, and whether MongoDB defines it only on `admin`. */
export function atlasBuiltInRole(roleName: string): { adminOnly: boolean } | undefined {
  return ATLAS_BUILT_IN_ROLES.get(roleName);
}

export function isRestrictedRole(roleName: string): boolean {
  return RESTRICTED_ROLES.has(roleName);
}

function isBuiltInRole(roleName: string): boolean {
  return ATLAS_BUILT_IN_ROLES.has(roleName) || RESTRICTED_ROLES.has(roleName);
}

// Atlas publishes no length limit; 255 keeps a name one index entry on either engine.
const CUSTOM_ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
const RESERVED_PREFIX = 'xgen-';

/** A new role's name: Atlas' syntax (at most 255 characters), not reserved, not a built-in role's. */
export function checkCustomRoleName(roleName: string): void {
  if (!CUSTOM_ROLE_NAME.test(roleName)) throw new AtlasError('ATLAS_CUSTOM_ROLE_INVALID_NAME', roleName);
  if (roleName.startsWith(RESERVED_PREFIX)) throw new AtlasError('ATLAS_RESERVED_CUSTOM_ROLE_RESTRICTED', roleName);
  if (isBuiltInRole(roleName)) throw new AtlasError('ATLAS_INVALID_CUSTOM_ROLE_RESTRICTED', roleName);
}

/** A resource as sent: any subset of the three members (the v1 Go client omits the empty ones). */
export interface NamespaceInput {
  cluster?: boolean;
  collection?: string;
  db?: string;
}

/**
 * The resource in stored form. A cluster resource ignores `db` and `collection` (as Atlas
 * documents); anything else needs a database.
 */
function permittedNamespace(input: NamespaceInput): PermittedNamespace {
  if (input.cluster === true) return { cluster: true, collection: '', db: '' };
  const db = input.db ?? '';
  if (db === '') throw new AtlasError('ATLAS_INVALID_RESOURCE');
  return { cluster: false, collection: input.collection ?? '', db };
}

const resourceKey = (resource: PermittedNamespace) =>
  resource.cluster ? 'cluster' : `${resource.db}\u0000${resource.collection}`;

/** The actions in stored form, checked: each action once, each on resources it applies to, once each. */
export function privilegeGrants(
  actions: ReadonlyArray<{ action: PrivilegeAction; resources?: readonly NamespaceInput[] }>,
): PrivilegeGrant[] {
  const seenActions = new Set<PrivilegeAction>();
  return actions.map(({ action, resources = [] }) => {
    if (seenActions.has(action)) throw new AtlasError('ATLAS_DUPLICATE_CUSTOM_ROLE_ACTION');
    seenActions.add(action);
    if (resources.length === 0) throw new AtlasError('ATLAS_INVALID_RESOURCE');
    const seenResources = new Set<string>();
    const granted = resources.map((input) => {
      const resource = permittedNamespace(input);
      const fits =
        ACTION_RESOURCES[action] === 'any' || ACTION_RESOURCES[action] === (resource.cluster ? 'cluster' : 'namespace');
      if (!fits) throw new AtlasError('ATLAS_INVALID_RESOURCE');
      const key = resourceKey(resource);
      if (seenResources.has(key)) throw new AtlasError('ATLAS_DUPLICATE_CUSTOM_ROLE_RESOURCE');
      seenResources.add(key);
      return resource;
    });
    return { action, resources: granted };
  });
}

/** Inherited roles without repeats (Atlas keeps them as a set). */
export function distinctInheritedRoles(roles: readonly InheritedRole[]): InheritedRole[] {
  const seen = new Set<string>();
  return roles.filter(({ db, role }) => {
    const key = `${role}@${db}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Checks a role as it will be stored, against the project's other custom roles (by
 * name, as they will be after this change): it grants something, inherits only roles
 * that exist on their database, not itself, and closes no inheritance cycle.
 */
export function checkCustomRole(role: CustomDbRole, projectRoles: ReadonlyMap<string, CustomDbRole>): void {
  if (role.actions.length === 0 && role.inheritedRoles.length === 0) {
    throw new AtlasError('ATLAS_CUSTOM_ROLE_HAS_NO_PERMISSIONS');
  }
  for (const inherited of role.inheritedRoles) {
    if (inherited.role === role.roleName) throw new AtlasError('ATLAS_INVALID_CUSTOM_ROLE_SELF_REFERENTIAL');
    const builtIn = ATLAS_BUILT_IN_ROLES.get(inherited.role);
    if (builtIn) {
      if (builtIn.adminOnly && inherited.db !== 'admin') {
        throw new AtlasError('ATLAS_INVALID_CUSTOM_ROLE_INHERITED_SCOPE');
      }
    } else if (projectRoles.has(inherited.role)) {
      if (inherited.db !== 'admin') throw new AtlasError('ATLAS_INVALID_CUSTOM_ROLE_INHERITED_SCOPE');
    } else {
      throw new AtlasError('ATLAS_INVALID_CUSTOM_ROLE_INHERITANCE');
    }
  }
  if (inheritsFrom(role.roleName, role, projectRoles)) {
    throw new AtlasError('ATLAS_INVALID_CUSTOM_ROLE_CIRCULAR_DEPENDENCY');
  }
}

/** True when `target` is reachable from `start` through custom-role inheritance. */
function inheritsFrom(target: string, start: CustomDbRole, projectRoles: ReadonlyMap<string, CustomDbRole>): boolean {
  const visited = new Set<string>();
  const pending = start.inheritedRoles.map((inherited) => inherited.role);
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (name === target) return true;
    if (visited.has(name)) continue;
    visited.add(name);
    for (const inherited of projectRoles.get(name)?.inheritedRoles ?? []) pending.push(inherited.role);
  }
  return false;
}

/** The user's roles without a custom role (what deleting that role leaves). */
export function withoutCustomRole(roles: readonly DatabaseUserRole[], roleName: string): DatabaseUserRole[] {
  return roles.filter((role) => !(role.roleName === roleName && role.databaseName === 'admin'));
}
