import { type TSchema, Type } from '@sinclair/typebox';
import { ORG_ROLES, PROJECT_ROLES } from '../../domain/roles.js';
import { MAX_SECRET_HOURS, MIN_SECRET_HOURS } from '../../domain/service-account.js';
import { accessListCreate } from './api-keys.js';
import { Paginated, ReadOnly } from './common.js';

/**
 * Atlas' service-account shapes (v2 resource version 2024-08-05): OrgServiceAccount and
 * GroupServiceAccount, their secrets, access lists and project assignments.
 */

const enumOf = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

const DateTime = Type.String({ format: 'date-time' });

export const ServiceAccountSecret = Type.Object({
  createdAt: DateTime,
  expiresAt: DateTime,
  id: Type.String(),
  lastUsedAt: Type.Optional(DateTime),
  maskedSecretValue: Type.Optional(Type.String()),
  secret: Type.Optional(Type.String({ description: 'Only in the response that created the secret' })),
});

/** OrgServiceAccount, and GroupServiceAccount (the same members; its roles are the project's). */
export const ServiceAccount = Type.Object({
  clientId: Type.String(),
  createdAt: DateTime,
  description: Type.String(),
  name: Type.String(),
  roles: Type.Array(Type.String()),
  secrets: Type.Array(ServiceAccountSecret),
});

export const PaginatedServiceAccount = Paginated(ServiceAccount);

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: "^[\\p{L}\\p{N}\\-_.,' ]*$" });
const Hours = Type.Integer({ minimum: MIN_SECRET_HOURS, maximum: MAX_SECRET_HOURS });
const Roles = <T extends TSchema>(role: T) => Type.Array(role, { minItems: 1 });

const creation = <T extends TSchema>(role: T) =>
  Type.Object(
    { description: Text(250), name: Text(64), roles: Roles(role), secretExpiresAfterHours: Hours },
    { additionalProperties: false },
  );

/** OrgServiceAccountRequest. */
export const ServiceAccountCreate = creation(enumOf(ORG_ROLES));
/** GroupServiceAccountRequest: an Organization Member with these roles in the project. */
export const ProjectServiceAccountCreate = creation(enumOf(PROJECT_ROLES));

/**
 * The update requests, which also take the account as it was read (the SDKs' get → modify
 * → update): `clientId` must name the account of the path, the server-set members are
 * checked and ignored.
 */
const update = <T extends TSchema>(role: T) =>
  Type.Object(
    {
      clientId: Type.Optional(Type.String()),
      createdAt: ReadOnly(DateTime),
      description: Type.Optional(Text(250)),
      name: Type.Optional(Text(64)),
      roles: Type.Optional(Roles(role)),
      secrets: ReadOnly(Type.Array(ServiceAccountSecret)),
    },
    { additionalProperties: false },
  );

/** OrgServiceAccountUpdateRequest. */
export const ServiceAccountUpdate = update(enumOf(ORG_ROLES));
/** GroupServiceAccountUpdateRequest. */
export const ProjectServiceAccountUpdate = update(enumOf(PROJECT_ROLES));

export const SecretCreate = Type.Object({ secretExpiresAfterHours: Hours }, { additionalProperties: false });

const RoleAssignment = Type.Object({ roles: Roles(enumOf(PROJECT_ROLES)) }, { additionalProperties: false });

/**
 * POST …/serviceAccounts/{clientId}:invite: GroupServiceAccountRoleAssignment, or (as the
 * 2024 SDKs send it) a list of them.
 */
export const ProjectServiceAccountInvite = Type.Union([RoleAssignment, Type.Array(RoleAssignment, { minItems: 1 })]);

/** POST …/accessList of a service account: at most 200 entries, as Atlas declares. */
export const ServiceAccountAccessListCreate = accessListCreate(200);

/** ServiceAccountIPAccessListEntry: an entry of an account's access list. */
const ServiceAccountAccessListEntry = Type.Object({
  cidrBlock: Type.String(),
  createdAt: DateTime,
  ipAddress: Type.Optional(Type.String()),
  lastUsedAddress: Type.Optional(Type.String()),
  lastUsedAt: Type.Optional(DateTime),
  requestCount: Type.Optional(Type.Integer()),
});

export const PaginatedServiceAccountAccessListEntry = Paginated(ServiceAccountAccessListEntry);

/** ServiceAccountGroup: one project an account is assigned to. */
const ServiceAccountProject = Type.Object({ groupId: Type.String() });

export const PaginatedServiceAccountProject = Paginated(ServiceAccountProject);

export const ServiceAccountParams = Type.Object({ orgId: Type.String(), clientId: Type.String() });
export const SecretParams = Type.Object({ orgId: Type.String(), clientId: Type.String(), secretId: Type.String() });
export const ServiceAccountEntryParams = Type.Object({
  orgId: Type.String(),
  clientId: Type.String(),
  entry: Type.String(),
});
export const ProjectServiceAccountParams = Type.Object({ groupId: Type.String(), clientId: Type.String() });
export const ProjectSecretParams = Type.Object({
  groupId: Type.String(),
  clientId: Type.String(),
  secretId: Type.String(),
});
export const ProjectServiceAccountEntryParams = Type.Object({
  groupId: Type.String(),
  clientId: Type.String(),
  entry: Type.String(),
});
