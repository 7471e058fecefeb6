import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'kysely';
import { declaredOperations } from '../../src/api/operations.js';
import type { AtlasRoute } from '../../src/api/plugins/guard-rails.js';
import { V2_ONLY_RESOURCES } from '../../src/api/resources.js';
import { type Operation, REQUIRED_ROLES } from '../../src/authority/required-roles.js';
import { accessListEntryFrom } from '../../src/domain/access-list.js';
import { newObjectId } from '../../src/domain/ids.js';
import { DATABASE_USERS_LIMIT } from '../../src/domain/project-limits.js';
import {
  effectiveOrgRoles,
  effectiveProjectRoles,
  ORG_ROLES,
  type OrgRole,
  PROJECT_ROLES,
  type ProjectRole,
  type Role,
} from '../../src/domain/roles.js';
import { atlasError, type AtlasErrorBody } from '../helpers/atlas-assert.js';
import { tableNames } from '../helpers/backend.js';
import { type ApiResponse, DigestClient } from '../helpers/digest-client.js';
import { startTestServer, type TestServer, V1, V2 } from '../helpers/server.js';

/**
 * The role matrix: for every /api/atlas route and every role, alone, allowed or refused,
 * generated from the one table (REQUIRED_ROLES and the implications of src/domain/roles.ts)
 * and checked against live requests.
 *
 * - Routes come from the live server (`app.atlasRoutes`), so a route added without a
 *   fixture here, or an operation without a route, fails the first test.
 * - Every resource is served under /api/atlas/v1.0 and /api/atlas/v2 (with the `Accept`
 *   of its operation's resource version), except service accounts, which Atlas has only
 *   in v2 (2024-08-05). The v2 route set must be the v1.0 one (same methods, paths after
 *   the prefix and operations) plus exactly those, and the whole matrix runs on both; a v2
 *   success must carry the versioned media type, and every refusal (either version) is
 *   application/json. The other-organization checks run on both versions too.
 * - Callers: one key per organization role (minted with that role alone), and one key per
 *   project role (an Organization Member assigned that role alone on the test project).
 * - Every request is built from valid fixtures, so "allowed" means the handler ran and
 *   the operation succeeded (its declaration's success status); destructive operations get a fresh
 *   target per attempt, writes use fresh names.
 * - A refused request answers Atlas' exact error (docs/compatibility.md "Errors",
 *   "Projects"), carries no WWW-Authenticate, leaves every table as it was, and adds exactly
 *   one DBCERTS_REQUEST_REFUSED event (outcome FAILURE) naming the caller and the request.
 * - A hand-written list of expectations, straight from the issue text, checks the table
 *   itself; and a key of another organization sees nothing of the first.
 */

type ErrorCode = 'NOT_IN_GROUP' | 'USER_UNAUTHORIZED' | 'NOT_ORG_GROUP_CREATOR';
type Expected = 'allowed' | ErrorCode;

interface Caller {
  /** The role it holds alone, or a description. */
  name: string;
  orgId: string;
  keyId: string;
  publicKey: string;
  orgRoles: OrgRole[];
  projectRoles: ProjectRole[];
  client: DigestClient;
}

/** What one request of the matrix needs: path parameters beyond the defaults, and a body. */
interface Prepared {
  params?: Record<string, string>;
  body?: unknown;
  /** The project a refusal is recorded against, when not the test project. */
  groupId?: string;
}

interface Fixture {
  /** Builds the request; may create a fresh target (before the state is snapshotted). */
  prepare(attempt: number, caller: Caller): Promise<Prepared>;
}

const V2_ACCEPT = 'application/vnd.atlas.2023-01-01+json';

/** The Accept of a v2 route (or declaration): its operation's newest resource version. */
const acceptFor = (route: Pick<AtlasRoute, 'versions'>) => `application/vnd.atlas.${route.versions.at(-1)}+json`;

/** The operations Atlas has only in v2 (service accounts), as their resources declare them. */
const V2_ONLY = new Set(declaredOperations(V2_ONLY_RESOURCES));
/** The Accept of the service-account requests the fixtures make: their declared version. */
const SERVICE_ACCOUNTS_ACCEPT = acceptFor(
  [...V2_ONLY].find((declared) => declared.operation === 'createServiceAccount')!,
);

const server: TestServer = await startTestServer();
const ORG_ID = server.credentials.orgId;
const GROUP_ID = server.credentials.groupId;
const MANAGED_USER = 'matrix-x509-user';
const SCRAM_USER = 'matrix-scram-user';
const TARGET_ENTRY = '192.0.2.1';
/** The bootstrap project's name, which getProjectByName looks up. */
const GROUP_NAME = 'Project0';
const TARGET_ROLE = 'matrix-target-role';

/** Fixture ids filled in `before`. */
const ids = {
  targetKey: '',
  projectEvent: '',
  orgEvent: '',
  otherOrg: '',
  otherGroup: '',
  firstCa: '',
  /** A certificate the read routes show (never revoked). */
  shownSerial: '',
  /** The service account the service-account routes act on (it never makes a request). */
  targetAccount: '',
  targetAccountClientId: '',
  targetSecret: '',
};
const callers: Caller[] = [];
let otherOrgOwner: Caller;
let attempts = 0;

after(() => server.close());

// --- fixtures -------------------------------------------------------------------------

async function expectStatus(response: ApiResponse, status: number, what: string): Promise<ApiResponse> {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${response.text}`);
  return response;
}

/** A managed X.509 user on $external, created by the bootstrap org owner. */
async function createUser(username: string): Promise<void> {
  await expectStatus(
    await server.client.post(`${V1}/groups/${GROUP_ID}/databaseUsers`, {
      databaseName: '$external',
      username,
      x509Type: 'MANAGED',
      roles: [{ roleName: 'readWrite', databaseName: 'app' }],
    }),
    201,
    `creating ${username}`,
  );
}

/** A custom role of the test project, created by the bootstrap org owner. */
async function createCustomRole(roleName: string): Promise<void> {
  await expectStatus(
    await server.client.post(`${V1}/groups/${GROUP_ID}/customDBRoles/roles`, {
      actions: [{ action: 'FIND', resources: [{ db: 'app' }] }],
      roleName,
    }),
    202,
    `creating role ${roleName}`,
  );
}

/** A fresh certificate of the managed user, issued by the bootstrap org owner: its serial. */
async function issueCertificate(): Promise<string> {
  const response = await expectStatus(
    await server.client.post(`${V1}/groups/${GROUP_ID}/databaseUsers/${MANAGED_USER}/certs`, {}),
    201,
    'issuing a certificate',
  );
  const pem = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(response.text);
  if (!pem) throw new Error(`no certificate in ${response.text.slice(0, 100)}`);
  return BigInt(`0x${new X509Certificate(pem[0]).serialNumber}`).toString();
}

async function mintKey(orgId: string, description: string, roles: OrgRole[]) {
  return server.authority.apiKeys.mint(orgId, description, roles);
}

const CLIENT_ID_PREFIX = 'mdb_sa_id_';

/** A v2 service-account request of the bootstrap org owner. */
function serviceAccountRequest(method: string, path: string, body: unknown): Promise<ApiResponse> {
  return server.client.request(`${V2}${path}`, { method, body, headers: { accept: SERVICE_ACCOUNTS_ACCEPT } });
}

/** A service account of the first organization, created by the bootstrap org owner. */
async function createServiceAccount(name: string): Promise<{ id: string; clientId: string; secretId: string }> {
  const response = await expectStatus(
    await serviceAccountRequest('POST', `/orgs/${ORG_ID}/serviceAccounts`, {
      name,
      description: `${name} description`,
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 720,
    }),
    201,
    `creating service account ${name}`,
  );
  const account = response.json() as { clientId: string; secrets: Array<{ id: string }> };
  if (!account.clientId.startsWith(CLIENT_ID_PREFIX)) throw new Error(`client id ${account.clientId}`);
  return {
    id: account.clientId.slice(CLIENT_ID_PREFIX.length),
    clientId: account.clientId,
    secretId: account.secrets[0]!.id,
  };
}

/** A fresh address per attempt, never the target's fixed entry. */
function freshAddress(attempt: number, network: 10 | 172): string {
  return network === 10
    ? `10.${(attempt >> 16) & 255}.${(attempt >> 8) & 255}.${attempt & 255}`
    : `172.16.${(attempt >> 8) & 255}.${attempt & 255}`;
}

/** A second secret of the target service account, for a DELETE to remove. */
async function doomedSecret(): Promise<string> {
  const created = await expectStatus(
    await serviceAccountRequest('POST', `/orgs/${ORG_ID}/serviceAccounts/${ids.targetAccountClientId}/secrets`, {
      secretExpiresAfterHours: 8,
    }),
    201,
    'creating a doomed secret',
  );
  return (created.json() as { id: string }).id;
}

/** A fresh entry on the target service account's access list, for a DELETE to remove. */
async function doomedServiceAccountEntry(attempt: number): Promise<string> {
  const address = freshAddress(attempt, 172);
  await server.store.accessLists.insert(ids.targetAccount, {
    ...accessListEntryFrom({ ipAddress: address }),
    createdAt: server.clock.now(),
  });
  return address;
}

const FIXTURES: Partial<Record<Operation, Fixture>> = {
  // organizations
  listOrganizations: { prepare: async () => ({}) },
  getOrganization: { prepare: async () => ({}) },
  getOrganizationSettings: { prepare: async () => ({}) },
  // Never turns the requirement on: that would lock every caller without an access list out.
  updateOrganizationSettings: { prepare: async () => ({ body: { apiAccessListRequired: false } }) },
  listOrganizationEvents: { prepare: async () => ({}) },
  getOrganizationEvent: { prepare: async () => ({ params: { eventId: ids.orgEvent } }) },
  // organization API keys and access lists
  listOrganizationApiKeys: { prepare: async () => ({}) },
  getOrganizationApiKey: { prepare: async () => ({}) },
  createOrganizationApiKey: {
    prepare: async (n) => ({ body: { desc: `matrix created key ${n}`, roles: ['ORG_READ_ONLY'] } }),
  },
  updateOrganizationApiKey: { prepare: async (n) => ({ body: { desc: `matrix target key ${n}` } }) },
  deleteOrganizationApiKey: {
    prepare: async (n) => {
      const { key } = await mintKey(ORG_ID, `matrix doomed key ${n}`, ['ORG_MEMBER']);
      return { params: { apiUserId: key.id } };
    },
  },
  listApiKeyAccessListEntries: { prepare: async () => ({}) },
  getApiKeyAccessListEntry: { prepare: async () => ({}) },
  createApiKeyAccessListEntries: {
    prepare: async (n) => ({ body: [{ ipAddress: freshAddress(n, 10) }] }),
  },
  deleteApiKeyAccessListEntry: {
    prepare: async (n) => {
      const address = freshAddress(n, 172);
      await server.store.accessLists.insert(ids.targetKey, {
        ...accessListEntryFrom({ ipAddress: address }),
        createdAt: server.clock.now(),
      });
      return { params: { entry: address } };
    },
  },
  // organization service accounts, their secrets and access lists
  listServiceAccounts: { prepare: async () => ({}) },
  getServiceAccount: { prepare: async () => ({}) },
  createServiceAccount: {
    prepare: async (n) => ({
      body: {
        name: `matrix created sa ${n}`,
        description: `matrix created ${n}`,
        roles: ['ORG_READ_ONLY'],
        secretExpiresAfterHours: 24,
      },
    }),
  },
  updateServiceAccount: { prepare: async (n) => ({ body: { description: `matrix target sa ${n}` } }) },
  deleteServiceAccount: {
    prepare: async (n) => ({ params: { clientId: (await createServiceAccount(`matrix doomed sa ${n}`)).clientId } }),
  },
  createServiceAccountSecret: { prepare: async () => ({ body: { secretExpiresAfterHours: 24 } }) },
  deleteServiceAccountSecret: {
    prepare: async () => {
      return { params: { secretId: await doomedSecret() } };
    },
  },
  listServiceAccountAccessListEntries: { prepare: async () => ({}) },
  createServiceAccountAccessListEntries: {
    prepare: async (n) => ({ body: [{ ipAddress: freshAddress(n, 10) }] }),
  },
  deleteServiceAccountAccessListEntry: {
    prepare: async (n) => ({ params: { entry: await doomedServiceAccountEntry(n) } }),
  },
  listServiceAccountProjects: { prepare: async () => ({}) },
  // projects
  listProjects: { prepare: async () => ({}) },
  createProject: { prepare: async (n) => ({ body: { name: `matrix-${n}`, orgId: ORG_ID } }) },
  getProject: { prepare: async () => ({}) },
  getProjectByName: { prepare: async () => ({}) },
  updateProject: { prepare: async (n) => ({ body: { tags: [{ key: 'matrix', value: `attempt-${n}` }] } }) },
  // A fresh project per attempt, where the caller holds the roles it holds in the test project.
  deleteProject: {
    prepare: async (n, caller) => {
      const groupId = newObjectId(server.clock.now());
      await server.store.projects.insert({
        id: groupId,
        orgId: ORG_ID,
        name: `matrix-doomed-${n}`,
        tags: [],
        createdAt: server.clock.now(),
      });
      if (caller.orgId === ORG_ID && caller.projectRoles.length > 0) {
        await server.store.apiKeys.setProjectRoles(caller.keyId, groupId, caller.projectRoles);
      }
      return { params: { groupId }, groupId };
    },
  },
  getProjectSettings: { prepare: async () => ({}) },
  updateProjectSettings: { prepare: async (n) => ({ body: { isSchemaAdvisorEnabled: n % 2 === 0 } }) },
  listProjectLimits: { prepare: async () => ({}) },
  getProjectLimit: { prepare: async () => ({}) },
  // Never below the users the other fixtures create.
  setProjectLimit: { prepare: async () => ({ body: { value: 100 } }) },
  deleteProjectLimit: { prepare: async () => ({}) },
  listProjectTeams: { prepare: async () => ({}) },
  returnAllIpAddresses: { prepare: async () => ({}) },
  getManagedSlowMs: { prepare: async () => ({}) },
  enableSlowOperationThresholding: { prepare: async () => ({}) },
  disableSlowOperationThresholding: { prepare: async () => ({}) },
  listProjectEvents: { prepare: async () => ({}) },
  getProjectEvent: { prepare: async () => ({ params: { eventId: ids.projectEvent } }) },
  // project API keys
  listProjectApiKeys: { prepare: async () => ({}) },
  createProjectApiKey: {
    prepare: async (n) => ({ body: { desc: `matrix project key ${n}`, roles: ['GROUP_READ_ONLY'] } }),
  },
  addProjectApiKey: {
    prepare: async (n) => {
      const { key } = await mintKey(ORG_ID, `matrix added key ${n}`, ['ORG_MEMBER']);
      return { params: { apiUserId: key.id }, body: [{ roles: ['GROUP_READ_ONLY'] }] };
    },
  },
  assignProjectApiKey: {
    prepare: async (n) => {
      const { key } = await mintKey(ORG_ID, `matrix unassigned key ${n}`, ['ORG_MEMBER']);
      return { params: { apiUserId: key.id }, body: { roles: ['GROUP_READ_ONLY'] } };
    },
  },
  removeProjectApiKey: {
    prepare: async (n) => {
      const { key } = await mintKey(ORG_ID, `matrix assigned key ${n}`, ['ORG_MEMBER']);
      await server.store.apiKeys.setProjectRoles(key.id, GROUP_ID, ['GROUP_READ_ONLY']);
      return { params: { apiUserId: key.id } };
    },
  },
  // project service accounts
  listProjectServiceAccounts: { prepare: async () => ({}) },
  getProjectServiceAccount: { prepare: async () => ({}) },
  createProjectServiceAccount: {
    prepare: async (n) => ({
      body: {
        name: `matrix project sa ${n}`,
        description: `matrix project ${n}`,
        roles: ['GROUP_READ_ONLY'],
        secretExpiresAfterHours: 24,
      },
    }),
  },
  updateProjectServiceAccount: {
    prepare: async (n) => ({ body: { description: `matrix project target sa ${n}` } }),
  },
  // Inviting the target again only sets the same roles.
  addProjectServiceAccount: { prepare: async () => ({ body: { roles: ['GROUP_READ_ONLY'] } }) },
  createProjectServiceAccountSecret: { prepare: async () => ({ body: { secretExpiresAfterHours: 24 } }) },
  deleteProjectServiceAccountSecret: {
    prepare: async () => ({ params: { secretId: await doomedSecret() } }),
  },
  listProjectServiceAccountAccessList: { prepare: async () => ({}) },
  createProjectServiceAccountAccessList: {
    prepare: async (n) => ({ body: [{ ipAddress: freshAddress(n, 10) }] }),
  },
  deleteProjectServiceAccountAccessListEntry: {
    prepare: async (n) => ({ params: { entry: await doomedServiceAccountEntry(n) } }),
  },
  removeProjectServiceAccount: {
    prepare: async (n) => {
      const account = await createServiceAccount(`matrix assigned sa ${n}`);
      await server.store.apiKeys.setProjectRoles(account.id, GROUP_ID, ['GROUP_READ_ONLY']);
      return { params: { clientId: account.clientId } };
    },
  },
  // database users
  listDatabaseUsers: { prepare: async () => ({}) },
  getDatabaseUser: { prepare: async () => ({}) },
  createDatabaseUser: {
    prepare: async (n) => ({
      body: {
        databaseName: '$external',
        username: `matrix-new-user-${n}`,
        x509Type: 'MANAGED',
        roles: [{ roleName: 'read', databaseName: 'app' }],
      },
    }),
  },
  updateDatabaseUser: {
    prepare: async (n) => ({
      params: { databaseName: 'admin', username: SCRAM_USER },
      body: { description: `matrix update ${n}` },
    }),
  },
  deleteDatabaseUser: {
    prepare: async (n) => {
      const username = `matrix-doomed-user-${n}`;
      await createUser(username);
      return { params: { username } };
    },
  },
  // custom database roles
  listCustomDatabaseRoles: { prepare: async () => ({}) },
  getCustomDatabaseRole: { prepare: async () => ({}) },
  createCustomDatabaseRole: {
    prepare: async (n) => ({
      body: { actions: [{ action: 'FIND', resources: [{ db: 'app' }] }], roleName: `matrix-new-role-${n}` },
    }),
  },
  updateCustomDatabaseRole: {
    prepare: async (n) => ({ body: { actions: [{ action: 'FIND', resources: [{ db: `app${n}` }] }] } }),
  },
  deleteCustomDatabaseRole: {
    prepare: async (n) => {
      const roleName = `matrix-doomed-role-${n}`;
      await createCustomRole(roleName);
      return { params: { roleName } };
    },
  },
  // X.509
  listDatabaseUserCertificates: { prepare: async () => ({}) },
  createDatabaseUserCertificate: { prepare: async () => ({ body: { monthsUntilExpiration: 1 } }) },
  getManagedCaCertificate: { prepare: async () => ({}) },
  // customer-managed X.509 (userSecurity); never turned on, which would stop managed issuance
  getUserSecurity: { prepare: async () => ({}) },
  updateUserSecurity: { prepare: async () => ({ body: { ldap: { authenticationEnabled: false } } }) },
  disableCustomerX509: { prepare: async () => ({}) },
  // the managed CA, revocation, inventory and expiry alerts (dbcerts extensions)
  getManagedCaTrustBundle: { prepare: async () => ({}) },
  listManagedCas: { prepare: async () => ({}) },
  rotateManagedCa: { prepare: async () => ({}) },
  getCertificateRevocationList: { prepare: async () => ({}) },
  listCertificateInventory: { prepare: async () => ({}) },
  getManagedCertificate: { prepare: async () => ({ params: { serial: ids.shownSerial } }) },
  listManagedX509Users: { prepare: async () => ({}) },
  revokeCertificate: { prepare: async () => ({ params: { serial: await issueCertificate() }, body: {} }) },
  getExpiryAlertSettings: { prepare: async () => ({}) },
  updateExpiryAlertSettings: { prepare: async (n) => ({ body: { leadTimeDays: (n % 365) + 1 } }) },
};

/** Path parameters every request uses unless its fixture says otherwise. */
function defaultParams(): Record<string, string> {
  return {
    orgId: ORG_ID,
    groupId: GROUP_ID,
    apiUserId: ids.targetKey,
    entry: TARGET_ENTRY,
    databaseName: '$external',
    username: MANAGED_USER,
    caId: ids.firstCa,
    clientId: ids.targetAccountClientId,
    secretId: ids.targetSecret,
    groupName: GROUP_NAME,
    limitName: DATABASE_USERS_LIMIT,
    roleName: TARGET_ROLE,
  };
}

/** A route template with its parameters filled in (`:name`, `:name(regex)`, `::` a literal colon). */
function fillPath(url: string, params: Record<string, string>): string {
  return url.replace(/::|:(\w+)(\([^)]*\))?/g, (match, name: string | undefined) => {
    if (name === undefined) return ':';
    const value = params[name];
    if (value === undefined) throw new Error(`no value for ${match} in ${url}`);
    return encodeURIComponent(value);
  });
}

// --- expectations ---------------------------------------------------------------------

/** The answer REQUIRED_ROLES and the role implications give for a caller of the first org. */
function expectedFromTable(operation: Operation, caller: Pick<Caller, 'orgRoles' | 'projectRoles'>): Expected {
  const requirement = REQUIRED_ROLES[operation];
  if (requirement.scope === 'project') {
    const held = effectiveProjectRoles(caller.orgRoles, caller.projectRoles);
    if (held.size === 0) return 'NOT_IN_GROUP';
    // A project operation may ask for an organization role (Organization Owner to invite a service account).
    const heldWithOrg = new Set<Role>([...held, ...effectiveOrgRoles(caller.orgRoles)]);
    return requirement.anyOf.some((role) => heldWithOrg.has(role)) ? 'allowed' : 'USER_UNAUTHORIZED';
  }
  const held = effectiveOrgRoles(caller.orgRoles);
  if (requirement.anyOf.some((role) => held.has(role))) return 'allowed';
  return requirement.denied === 'NOT_ORG_GROUP_CREATOR' ? 'NOT_ORG_GROUP_CREATOR' : 'USER_UNAUTHORIZED';
}

function errorFor(code: ErrorCode): AtlasErrorBody {
  switch (code) {
    case 'NOT_IN_GROUP':
      return atlasError(401, 'NOT_IN_GROUP', 'The current user is not in the group, or the group does not exist.');
    case 'USER_UNAUTHORIZED':
      return atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.');
    case 'NOT_ORG_GROUP_CREATOR':
      return atlasError(
        401,
        'NOT_ORG_GROUP_CREATOR',
        `The currently logged in user does not have the group creator role in organization ${ORG_ID}.`,
        [ORG_ID],
      );
  }
}

const orgNotFound = (orgId: string) =>
  atlasError(404, 'ORG_NOT_FOUND', `No organization with ID ${orgId} exists.`, [orgId]);

/** A route of a project: by id, or by name (`/groups/byName/:groupName`, whose refusals name no project). */
const isByNameRoute = (route: AtlasRoute) => route.url.includes('/groups/byName/');
const isProjectRoute = (route: AtlasRoute) => route.url.includes('/:groupId') || isByNameRoute(route);
const isWrite = (route: AtlasRoute) => route.method !== 'GET';

/** The caller's key alone with one role. */
function callerWith(role: Role): Caller {
  const caller = callers.find((candidate) => candidate.name === role);
  if (!caller) throw new Error(`no caller with ${role}`);
  return caller;
}

// --- state ----------------------------------------------------------------------------

/**
 * Every table of the store: those storeSnapshot (test/helpers/server.ts) reads and all the
 * others, read generically so a table added later is covered too; except the Digest nonce uses, which are the authentication's own
 * bookkeeping, and the events, which are checked separately. Access-list usage counters
 * are included: no caller here has an access list, so admission records no use. Rate
 * limits are off here, so any rate-limit bucket row would be a change.
 */
const UNSNAPSHOTTED = new Set(['digest_nonce_uses', 'events']);

/** Cells as text: exact integers, and bytes (DER) as hex rather than one member per byte. */
function cellText(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `hex:${Buffer.from(value).toString('hex')}`;
  // A Buffer has already been through its toJSON: {type: 'Buffer', data: [...]}.
  const buffer = value as { type?: unknown; data?: unknown } | null;
  if (buffer?.type === 'Buffer' && Array.isArray(buffer.data)) {
    return `hex:${Buffer.from(buffer.data as number[]).toString('hex')}`;
  }
  return value;
}

async function stateSnapshot(): Promise<string> {
  const tables = (await tableNames(server.store)).filter((name) => !UNSNAPSHOTTED.has(name));
  const snapshot: Record<string, string[]> = {};
  for (const name of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(server.store.db);
    snapshot[name] = rows.rows.map((row) => JSON.stringify(row, cellText)).sort();
  }
  return JSON.stringify(snapshot);
}

/**
 * The events there are now, by id (on either engine: PostgreSQL has no rowid, and ids do
 * not sort by insertion across clock changes), so that every event added after is found.
 */
async function eventsMark(): Promise<ReadonlySet<string>> {
  const rows = await server.store.db.selectFrom('events').select('id').execute();
  return new Set(rows.map((row) => row.id));
}

async function eventsSince(mark: ReadonlySet<string>) {
  const ids = (await server.store.db.selectFrom('events').select('id').execute())
    .map((row) => row.id)
    .filter((id) => !mark.has(id));
  if (ids.length === 0) return [];
  return server.store.db.selectFrom('events').selectAll().where('id', 'in', ids).execute();
}

// --- one request ----------------------------------------------------------------------

type Outcome =
  | { kind: 'allowed' }
  | {
      kind: 'refused';
      body: AtlasErrorBody;
      /** Whether the refusal goes on record (401/403, and any 4xx of a write). */
      recorded: boolean;
      /** The project the refusal event names (only a project of the caller's organization). */
      groupId: string | null;
    };

/**
 * Sends the route's request as `caller` and returns what differs from `expected`
 * (nothing when all holds), each line naming the route, the caller, expected and actual.
 */
async function check(route: AtlasRoute, caller: Caller, expected: Outcome): Promise<string[]> {
  const label = `${route.method} ${route.url} as ${caller.name}`;
  const fixture = FIXTURES[route.operation];
  if (!fixture) return [`${label}: no fixture for operation ${route.operation}`];
  const success = route.declared.success;
  const prepared = await fixture.prepare(++attempts, caller);
  const path = fillPath(route.url, { ...defaultParams(), ...prepared.params });
  // Only a refusal needs the state before: an allowed request changes it.
  const stateBefore = expected.kind === 'refused' ? await stateSnapshot() : '';
  const eventsBefore = await eventsMark();
  const v2 = route.url.startsWith(`${V2}/`);
  const response = await caller.client.request(path, {
    method: route.method,
    ...(prepared.body !== undefined ? { body: prepared.body } : {}),
    ...(v2 ? { headers: { accept: acceptFor(route) } } : {}),
  });
  const newEvents = await eventsSince(eventsBefore);
  const refusals = newEvents.filter((event) => event.event_type_name === 'DBCERTS_REQUEST_REFUSED');
  const failures: string[] = [];
  const fail = (what: string) => failures.push(`${label}: ${what}`);

  if (expected.kind === 'allowed') {
    if (response.status !== success) {
      fail(`expected allowed (${success}), got ${response.status} ${response.text.slice(0, 300)}`);
    }
    if (refusals.length > 0) fail(`allowed, yet ${refusals.length} refusal event(s) recorded`);
    // v2 answers its JSON (and the PEM of POST certs) under the versioned media type.
    const type = response.headers.get('content-type') ?? '';
    if (v2 && response.text !== '' && (type === '' || type.startsWith('application/json'))) {
      fail(`v2 success answered with Content-Type ${JSON.stringify(type)}, not ${acceptFor(route)}`);
    }
    return failures;
  }

  const { body } = expected;
  let actual: unknown;
  try {
    actual = response.json();
  } catch {
    actual = response.text.slice(0, 300);
  }
  if (response.status !== body.error || !isDeepStrictEqual(actual, body)) {
    const code = (actual as { errorCode?: unknown } | undefined)?.errorCode;
    const got = `${response.status}${typeof code === 'string' ? ` ${code}` : ''}`;
    const wantedText = got === `${body.error} ${body.errorCode}` ? JSON.stringify(body) : '';
    fail(
      `expected ${body.error} ${body.errorCode}${wantedText ? ` ${wantedText}` : ''}, ` +
        `got ${got}: ${response.text.slice(0, 300)}`,
    );
    return failures;
  }
  if (response.headers.get('www-authenticate') !== null) {
    fail(`refusal carries WWW-Authenticate: ${response.headers.get('www-authenticate')}`);
  }
  // Errors are application/json in both versions.
  if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) {
    fail(`refusal answered with Content-Type ${response.headers.get('content-type')}`);
  }
  const stateAfter = await stateSnapshot();
  if (stateAfter !== stateBefore) {
    const before = JSON.parse(stateBefore) as Record<string, unknown>;
    const afterTables = JSON.parse(stateAfter) as Record<string, unknown>;
    const changed = Object.keys({ ...before, ...afterTables }).filter(
      (table) => !isDeepStrictEqual(before[table], afterTables[table]),
    );
    fail(`refused (${body.errorCode}), yet the store changed: ${changed.join(', ')}`);
  }
  const wanted = expected.recorded ? 1 : 0;
  if (newEvents.length !== wanted || refusals.length !== wanted) {
    fail(
      `expected ${wanted} new DBCERTS_REQUEST_REFUSED event and nothing else, got ` +
        JSON.stringify(newEvents.map((event) => event.event_type_name)),
    );
  } else if (wanted === 1) {
    const event = refusals[0]!;
    const recorded = {
      orgId: event.org_id,
      groupId: event.group_id,
      apiKeyId: event.api_key_id,
      publicKey: event.public_key,
      remoteAddress: event.remote_address,
      outcome: event.outcome,
      errorCode: event.error_code,
      target: JSON.parse(event.target) as unknown,
    };
    const wantedEvent = {
      orgId: caller.orgId,
      groupId: expected.groupId === null ? null : (prepared.groupId ?? expected.groupId),
      apiKeyId: caller.keyId,
      publicKey: caller.publicKey,
      remoteAddress: '127.0.0.1',
      outcome: 'FAILURE',
      errorCode: body.errorCode,
      target: { method: route.method, path, status: body.error },
    };
    if (!isDeepStrictEqual(recorded, wantedEvent)) {
      fail(`refusal event ${JSON.stringify(recorded)}, expected ${JSON.stringify(wantedEvent)}`);
    }
  }
  return failures;
}

/** The outcome for a caller of the first organization. */
function outcomeOf(route: AtlasRoute, expected: Expected): Outcome {
  if (expected === 'allowed') return { kind: 'allowed' };
  return {
    kind: 'refused',
    body: errorFor(expected),
    recorded: true,
    groupId: isProjectRoute(route) && !isByNameRoute(route) ? GROUP_ID : null,
  };
}

// --- setup ----------------------------------------------------------------------------

before(async () => {
  await createUser(MANAGED_USER);
  await expectStatus(
    await server.client.post(`${V1}/groups/${GROUP_ID}/databaseUsers`, {
      databaseName: 'admin',
      username: SCRAM_USER,
      password: 'matrix-password-1',
      roles: [{ roleName: 'read', databaseName: 'app' }],
    }),
    201,
    'creating the SCRAM user',
  );
  ids.shownSerial = await issueCertificate();
  await createCustomRole(TARGET_ROLE);
  const [firstCa] = await server.store.db
    .selectFrom('certificate_authorities')
    .select('id')
    .where('project_id', '=', GROUP_ID)
    .execute();
  ids.firstCa = firstCa!.id;

  // The key the API key routes act on, with an access list; it never makes a request.
  const created = await expectStatus(
    await server.client.post(`${V1}/orgs/${ORG_ID}/apiKeys`, { desc: 'matrix target key', roles: ['ORG_MEMBER'] }),
    200,
    'creating the target key',
  );
  ids.targetKey = created.json().id;
  await expectStatus(
    await server.client.post(`${V1}/orgs/${ORG_ID}/apiKeys/${ids.targetKey}/accessList`, [
      { ipAddress: TARGET_ENTRY },
      { cidrBlock: '198.51.100.0/24' },
    ]),
    201,
    'adding access list entries',
  );

  // The service account the service-account routes act on, with a secret and an access
  // list, assigned to the project (Project Read Only) for the project's routes.
  const account = await createServiceAccount('matrix target sa');
  ids.targetAccount = account.id;
  ids.targetAccountClientId = account.clientId;
  ids.targetSecret = account.secretId;
  await expectStatus(
    await serviceAccountRequest('POST', `/orgs/${ORG_ID}/serviceAccounts/${account.clientId}/accessList`, [
      { ipAddress: TARGET_ENTRY },
    ]),
    200,
    'adding a service account access list entry',
  );
  await server.store.apiKeys.setProjectRoles(account.id, GROUP_ID, ['GROUP_READ_ONLY']);

  // A project event (the managed user's creation) and an organization event (the key's).
  const projectEvents = await server.store.events.list(
    { orgId: ORG_ID, groupId: GROUP_ID, eventTypes: ['MONGODB_USER_ADDED'] },
    0,
    1,
  );
  const orgEvents = await server.store.events.list({ orgId: ORG_ID, eventTypes: ['API_KEY_CREATED'] }, 0, 1);
  ids.projectEvent = projectEvents[0]!.id;
  ids.orgEvent = orgEvents[0]!.id;
  assert.equal(projectEvents[0]!.groupId, GROUP_ID);
  assert.equal(orgEvents[0]!.groupId, undefined);

  const register = (
    name: string,
    orgId: string,
    minted: Awaited<ReturnType<typeof mintKey>>,
    roles: {
      orgRoles: OrgRole[];
      projectRoles: ProjectRole[];
    },
  ): Caller => ({
    name,
    orgId,
    keyId: minted.key.id,
    publicKey: minted.key.publicKey,
    ...roles,
    client: new DigestClient(server.origin, minted.key.publicKey, minted.privateKey),
  });
  for (const role of ORG_ROLES) {
    const minted = await mintKey(ORG_ID, `matrix ${role}`, [role]);
    callers.push(register(role, ORG_ID, minted, { orgRoles: [role], projectRoles: [] }));
  }
  for (const role of PROJECT_ROLES) {
    const minted = await mintKey(ORG_ID, `matrix ${role}`, ['ORG_MEMBER']);
    await server.store.apiKeys.setProjectRoles(minted.key.id, GROUP_ID, [role]);
    callers.push(register(role, ORG_ID, minted, { orgRoles: ['ORG_MEMBER'], projectRoles: [role] }));
  }

  // A second organization, with a project of its own and an owner key.
  const now = server.clock.now();
  ids.otherOrg = newObjectId(now);
  ids.otherGroup = newObjectId(now);
  await server.store.organizations.insert({ id: ids.otherOrg, name: 'matrix-other-org', createdAt: now });
  await server.store.projects.insert({
    id: ids.otherGroup,
    orgId: ids.otherOrg,
    name: 'Other0',
    tags: [],
    createdAt: now,
  });
  const minted = await mintKey(ids.otherOrg, 'matrix other org owner', ['ORG_OWNER']);
  otherOrgOwner = register("another organization's ORG_OWNER", ids.otherOrg, minted, {
    orgRoles: ['ORG_OWNER'],
    projectRoles: [],
  });
});

// --- the table and the routes ---------------------------------------------------------

const byUrl = (a: AtlasRoute, b: AtlasRoute) => `${a.url} ${a.method}`.localeCompare(`${b.url} ${b.method}`);
const allRoutes: readonly AtlasRoute[] = [...server.app.atlasRoutes].sort(byUrl);
/** The v1.0 routes: the whole matrix runs on these. */
const routes: readonly AtlasRoute[] = allRoutes.filter((route) => route.url.startsWith(`${V1}/`));
/** The v2 routes: the matrix runs on these too. */
const v2Routes: readonly AtlasRoute[] = allRoutes.filter((route) => route.url.startsWith(`${V2}/`));
/** The routes of the operations v2 has alone. */
const isV2OnlyRoute = (route: AtlasRoute) => V2_ONLY.has(route.declared);
/** Atlas has service accounts only in v2, as 2024-08-05. */
const isServiceAccountRoute = (route: AtlasRoute) => route.url.includes('/serviceAccounts');
/** The routes the table's expectations are checked on: every v1.0 route, and those v2 has alone. */
const tableRoutes: readonly AtlasRoute[] = [...routes, ...v2Routes.filter(isV2OnlyRoute)];
const operations = Object.keys(REQUIRED_ROLES) as Operation[];

/** A route as `METHOD path-after-the-version-prefix operation`. */
function unprefixed(route: AtlasRoute, prefix: string): string {
  assert.ok(route.url.startsWith(`${prefix}/`), route.url);
  return `${route.method} ${route.url.slice(prefix.length)} ${route.operation}`;
}

test('every route is a v1.0 or a v2 route; v2 has the v1.0 routes and the service-account routes', () => {
  assert.deepEqual(
    allRoutes.filter((route) => !route.url.startsWith(`${V1}/`) && !route.url.startsWith(`${V2}/`)).map((r) => r.url),
    [],
  );
  assert.equal(routes.length + v2Routes.length, allRoutes.length);
  const v1Set = routes.map((route) => unprefixed(route, V1)).sort();
  const v2Set = v2Routes.filter((route) => !isV2OnlyRoute(route)).map((route) => unprefixed(route, V2));
  assert.equal(new Set(v1Set).size, v1Set.length, 'a v1.0 route is listed twice');
  assert.equal(new Set(v2Set).size, v2Set.length, 'a v2 route is listed twice');
  assert.deepEqual(v2Set.sort(), v1Set);
  assert.deepEqual(routes.filter(isServiceAccountRoute), [], 'a service-account route under v1.0');
  // What v2 has alone is exactly the service accounts.
  assert.deepEqual(v2Routes.filter(isV2OnlyRoute), v2Routes.filter(isServiceAccountRoute));
  const accountRoutes = v2Routes.filter(isV2OnlyRoute);
  assert.ok(accountRoutes.length >= 22, `${accountRoutes.length} service-account routes`);
  for (const route of v2Routes) {
    assert.deepEqual(route.versions, isServiceAccountRoute(route) ? ['2024-08-05'] : ['2023-01-01'], route.url);
  }
});

test('every operation of REQUIRED_ROLES has a route, and every route an operation of the table', async () => {
  assert.ok(tableRoutes.length >= operations.length, `only ${tableRoutes.length} routes`);
  const routed = new Set(tableRoutes.map((route) => route.operation));
  assert.deepEqual(
    operations.filter((operation) => !routed.has(operation)),
    [],
    'operations without a route',
  );
  assert.deepEqual(
    tableRoutes.filter((route) => !(route.operation in REQUIRED_ROLES)).map((route) => `${route.method} ${route.url}`),
    [],
    'routes whose operation is not in REQUIRED_ROLES',
  );
  const keys = tableRoutes.map((route) => `${route.method} ${route.url}`);
  assert.equal(new Set(keys).size, keys.length, 'a route is listed twice');
  // Every route can be requested with valid fixtures.
  assert.deepEqual(
    operations.filter((operation) => FIXTURES[operation] === undefined),
    [],
    'operations without a fixture in this test',
  );
  // The state a refusal must leave alone covers every table of storeSnapshot and the rest.
  const snapshotted = Object.keys(JSON.parse(await stateSnapshot()) as object);
  for (const table of [
    'organizations',
    'projects',
    'api_keys',
    'database_users',
    'certificate_authorities',
    'certificates',
    'settings',
    'api_key_project_roles',
    'api_key_access_list',
    'rate_limit_buckets',
    'service_account_secrets',
  ]) {
    assert.ok(snapshotted.includes(table), `${table} is not in the snapshot`);
  }
  // A project route is exactly a route of a project-scoped operation.
  for (const route of tableRoutes) {
    assert.equal(isProjectRoute(route), REQUIRED_ROLES[route.operation].scope === 'project', route.url);
  }
});

// --- hand-written expectations, from the issue text -------------------------------------

const CERTS = `${V1}/groups/:groupId/databaseUsers/:username/certs`;
const USERS = `${V1}/groups/:groupId/databaseUsers`;
const USER = `${V1}/groups/:groupId/databaseUsers/:databaseName/:username`;
const GROUPS = `${V1}/groups`;
const PROJECT_KEY = `${V1}/groups/:groupId/apiKeys/:apiUserId`;
const INVITE = `${V2}/groups/:groupId/serviceAccounts/:clientId(^[^/:]+)::invite`;
const ACCOUNT_PROJECTS = `${V2}/orgs/:orgId/serviceAccounts/:clientId/groups`;

const HAND_WRITTEN: ReadonlyArray<readonly [method: string, url: string, role: Role, expected: Expected]> = [
  ['GET', CERTS, 'GROUP_READ_ONLY', 'allowed'],
  ['POST', CERTS, 'GROUP_DATABASE_ACCESS_ADMIN', 'USER_UNAUTHORIZED'],
  ['POST', CERTS, 'GROUP_OWNER', 'allowed'],
  ['POST', CERTS, 'ORG_OWNER', 'allowed'],
  ['POST', USERS, 'GROUP_DATABASE_ACCESS_ADMIN', 'allowed'],
  ['PATCH', USER, 'GROUP_DATABASE_ACCESS_ADMIN', 'allowed'],
  ['DELETE', USER, 'GROUP_DATABASE_ACCESS_ADMIN', 'allowed'],
  ['POST', USERS, 'GROUP_READ_ONLY', 'USER_UNAUTHORIZED'],
  ['PATCH', USER, 'GROUP_READ_ONLY', 'USER_UNAUTHORIZED'],
  ['DELETE', USER, 'GROUP_READ_ONLY', 'USER_UNAUTHORIZED'],
  ['POST', GROUPS, 'ORG_GROUP_CREATOR', 'allowed'],
  ['POST', GROUPS, 'ORG_MEMBER', 'NOT_ORG_GROUP_CREATOR'],
  ['POST', GROUPS, 'ORG_READ_ONLY', 'NOT_ORG_GROUP_CREATOR'],
  // Atlas' AddProjectApiKey: Project Owner.
  ['POST', PROJECT_KEY, 'GROUP_OWNER', 'allowed'],
  ['POST', PROJECT_KEY, 'GROUP_READ_ONLY', 'USER_UNAUTHORIZED'],
  // Inviting an organization's service account into a project: Organization Owner, not Project Owner.
  ['POST', INVITE, 'ORG_OWNER', 'allowed'],
  ['POST', INVITE, 'GROUP_OWNER', 'USER_UNAUTHORIZED'],
  ['GET', ACCOUNT_PROJECTS, 'ORG_MEMBER', 'allowed'],
];

/**
 * Project reads that need more than Project Read Only (shared/spec/atlas-api.md §8:
 * "GET, PATCH userSecurity; DELETE customerX509: Project Owner").
 */
const OWNER_ONLY_READS = new Set([`GET ${V1}/groups/:groupId/userSecurity`]);

/** The hand-written pairs, plus two rules over every project route. */
function handWrittenPairs(): Array<{ route: AtlasRoute; role: Role; expected: Expected }> {
  const pairs = HAND_WRITTEN.map(([method, url, role, expected]) => {
    const route = tableRoutes.find((candidate) => candidate.method === method && candidate.url === url);
    assert.ok(route, `no route ${method} ${url}`);
    return { route, role, expected };
  });
  for (const route of tableRoutes.filter(isProjectRoute)) {
    // Organization Read Only reads every project of its organization and writes in none.
    const ownerOnly = OWNER_ONLY_READS.has(`${route.method} ${route.url}`);
    pairs.push({
      route,
      role: 'ORG_READ_ONLY',
      expected: isWrite(route) || ownerOnly ? 'USER_UNAUTHORIZED' : 'allowed',
    });
    // An Organization Member without project roles is not in the project at all.
    pairs.push({ route, role: 'ORG_MEMBER', expected: 'NOT_IN_GROUP' });
  }
  return pairs;
}

test('the table gives the hand-written expectations of the issue', () => {
  const pairs = handWrittenPairs();
  assert.ok(pairs.length >= HAND_WRITTEN.length + 2 * 15, `${pairs.length} pairs`);
  const disagreements = pairs
    .map(({ route, role, expected }) => {
      const caller = ORG_ROLES.includes(role as OrgRole)
        ? { orgRoles: [role as OrgRole], projectRoles: [] }
        : { orgRoles: ['ORG_MEMBER' as const], projectRoles: [role as ProjectRole] };
      const generated = expectedFromTable(route.operation, caller);
      return generated === expected
        ? undefined
        : `${route.method} ${route.url} as ${role}: ${expected}, table says ${generated}`;
    })
    .filter((line) => line !== undefined);
  assert.deepEqual(disagreements, []);
});

test('the hand-written expectations of the issue hold on live requests', async () => {
  const failures: string[] = [];
  for (const { route, role, expected } of handWrittenPairs()) {
    failures.push(...(await check(route, callerWith(role), outcomeOf(route, expected))));
  }
  assert.equal(failures.length, 0, failures.join('\n'));
});

// --- the matrix -----------------------------------------------------------------------

for (const [version, versionRoutes] of [
  ['v1.0', routes],
  ['v2', v2Routes],
] as const) {
  describe(`every ${version} route, every role alone`, () => {
    for (const route of versionRoutes) {
      test(`${route.method} ${route.url} (${route.operation})`, async () => {
        const failures: string[] = [];
        for (const caller of callers) {
          const expected = expectedFromTable(route.operation, caller);
          failures.push(...(await check(route, caller, outcomeOf(route, expected))));
        }
        assert.equal(callers.length, ORG_ROLES.length + PROJECT_ROLES.length);
        assert.equal(failures.length, 0, failures.join('\n'));
      });
    }
  });
}

// --- another organization -------------------------------------------------------------

for (const [version, prefix, versionRoutes] of [
  ['v1.0', V1, routes],
  ['v2', V2, v2Routes],
] as const) {
  const groupsUrl = `${prefix}/groups`;
  const headers: Record<string, string> = prefix === V2 ? { accept: V2_ACCEPT } : {};

  describe(`${version}: a key never sees another organization's projects`, () => {
    test('project routes of the first organization: 401 NOT_IN_GROUP', async () => {
      const failures: string[] = [];
      for (const route of versionRoutes.filter((candidate) => isProjectRoute(candidate) && !isByNameRoute(candidate))) {
        failures.push(
          ...(await check(route, otherOrgOwner, {
            kind: 'refused',
            body: errorFor('NOT_IN_GROUP'),
            recorded: true,
            // Recorded in the caller's own trail, naming no project of another organization.
            groupId: null,
          })),
        );
      }
      assert.equal(failures.length, 0, failures.join('\n'));
    });

    test('organization routes of the first organization: 404 ORG_NOT_FOUND', async () => {
      const failures: string[] = [];
      const orgRoutes = versionRoutes.filter((route) => route.url.includes('/:orgId'));
      assert.ok(orgRoutes.length >= 15, `${orgRoutes.length} organization routes`);
      for (const route of orgRoutes) {
        failures.push(
          ...(await check(route, otherOrgOwner, {
            kind: 'refused',
            body: orgNotFound(ORG_ID),
            // A read answered 404 is not a refusal on record; a write refused with any 4xx is.
            recorded: isWrite(route),
            groupId: null,
          })),
        );
      }
      assert.equal(failures.length, 0, failures.join('\n'));
    });

    test('a project of the first organization by name: 404 GROUP_NAME_NOT_FOUND (names are looked up in its own)', async () => {
      const route = versionRoutes.find(isByNameRoute);
      assert.ok(route);
      const failures = await check(route, otherOrgOwner, {
        kind: 'refused',
        body: atlasError(404, 'GROUP_NAME_NOT_FOUND', `No group with name "${GROUP_NAME}" exists.`, [GROUP_NAME]),
        recorded: false,
        groupId: null,
      });
      assert.equal(failures.length, 0, failures.join('\n'));
    });

    test('creating a project in the first organization: 401 NOT_ORG_GROUP_CREATOR', async () => {
      const route = versionRoutes.find((candidate) => candidate.method === 'POST' && candidate.url === groupsUrl);
      assert.ok(route);
      const failures = await check(route, otherOrgOwner, {
        kind: 'refused',
        body: errorFor('NOT_ORG_GROUP_CREATOR'),
        recorded: true,
        groupId: null,
      });
      assert.equal(failures.length, 0, failures.join('\n'));
    });

    test('the organization and project listings show only its own', async () => {
      const orgs = await otherOrgOwner.client.request(`${prefix}/orgs`, { headers });
      assert.equal(orgs.status, 200, orgs.text);
      assert.deepEqual(
        orgs.json().results.map((org: { id: string }) => org.id),
        [ids.otherOrg],
      );
      const groups = await otherOrgOwner.client.request(groupsUrl, { headers });
      assert.equal(groups.status, 200, groups.text);
      assert.deepEqual(
        groups.json().results.map((group: { id: string }) => group.id),
        [ids.otherGroup],
      );
      // Every route is covered by one of this describe's tests.
      const covered = versionRoutes.filter(
        (route) =>
          isProjectRoute(route) ||
          route.url.includes('/:orgId') ||
          (route.url === groupsUrl && route.method === 'POST') ||
          (route.method === 'GET' && (route.url === groupsUrl || route.url === `${prefix}/orgs`)),
      );
      assert.equal(covered.length, versionRoutes.length);
    });
  });
}
