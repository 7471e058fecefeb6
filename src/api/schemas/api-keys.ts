import { type TSchema, Type } from '@sinclair/typebox';
import { MAX_API_KEY_DESCRIPTION_LENGTH } from '../../domain/api-key.js';
import { ORG_ROLES, PROJECT_ROLES } from '../../domain/roles.js';
import { Link, ObjectIdString, Paginated, ReadOnly } from './common.js';

const enumOf = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

/** One role of a key: an organization role (with orgId) or a project role (with groupId). */
export const RoleAssignment = Type.Object({
  groupId: Type.Optional(Type.String()),
  orgId: Type.Optional(Type.String()),
  roleName: Type.String(),
});

export const ApiKeyUserDetails = Type.Object({
  desc: Type.String(),
  id: Type.String(),
  links: Type.Array(Link),
  privateKey: Type.String({ description: 'In full only in the response that created the key; redacted afterwards' }),
  publicKey: Type.String(),
  roles: Type.Array(RoleAssignment),
});

export const PaginatedApiKey = Paginated(ApiKeyUserDetails);

const Description = Type.String({ minLength: 1, maxLength: MAX_API_KEY_DESCRIPTION_LENGTH });

export const OrgApiKeyCreate = Type.Object(
  { desc: Description, roles: Type.Array(enumOf(ORG_ROLES), { minItems: 1 }) },
  { additionalProperties: false },
);

/** A role of a key as written back from what was read: `{orgId|groupId, roleName}`. */
const RoleAssignmentWritten = Type.Object(
  { groupId: Type.Optional(Type.String()), orgId: Type.Optional(Type.String()), roleName: Type.String() },
  { additionalProperties: false },
);

/**
 * An update of a key (UpdateAtlasOrganizationApiKey, UpdateAtlasProjectApiKey), which also
 * takes the key as it was read (ApiKeyUserDetails): `id` and `publicKey` must name the key
 * of the path, `roles` may be names or the assignments read, `links` and the redacted
 * `privateKey` are checked and ignored.
 */
const keyUpdate = <T extends TSchema>(role: T) =>
  Type.Object(
    {
      desc: Type.Optional(Description),
      id: Type.Optional(Type.String()),
      links: ReadOnly(Type.Array(Link)),
      // Only as read: redacted. A private key sent in full is a mistake, refused and not echoed.
      privateKey: ReadOnly(Type.String({ pattern: '^\\*{8}-\\*{4}-\\*{4}-[0-9a-f]{12}$' })),
      publicKey: Type.Optional(Type.String()),
      roles: Type.Optional(Type.Array(Type.Union([role, RoleAssignmentWritten]), { minItems: 1 })),
    },
    { additionalProperties: false },
  );

export const OrgApiKeyUpdate = keyUpdate(enumOf(ORG_ROLES));

export const ProjectApiKeyCreate = Type.Object(
  { desc: Description, roles: Type.Array(enumOf(PROJECT_ROLES), { minItems: 1 }) },
  { additionalProperties: false },
);

/** PATCH /groups/{groupId}/apiKeys/{id}: roles in the project, the description, or both. */
export const ProjectApiKeyUpdate = keyUpdate(enumOf(PROJECT_ROLES));

/** POST /groups/{groupId}/apiKeys/{id}: a list of UserAccessRoleAssignment. */
export const ProjectApiKeyAdd = Type.Array(
  Type.Object(
    { roles: Type.Array(enumOf(PROJECT_ROLES), { minItems: 1 }), userId: Type.Optional(ObjectIdString) },
    { additionalProperties: false },
  ),
  { minItems: 1 },
);

export const ApiKeyParams = Type.Object({ orgId: Type.String(), apiUserId: Type.String() });
export const ProjectApiKeyParams = Type.Object({ groupId: Type.String(), apiUserId: Type.String() });
export const AccessListEntryParams = Type.Object({
  orgId: Type.String(),
  apiUserId: Type.String(),
  entry: Type.String(),
});

export const AccessListEntry = Type.Object({
  cidrBlock: Type.String(),
  count: Type.Optional(Type.Integer()),
  created: Type.String({ format: 'date-time' }),
  ipAddress: Type.Optional(Type.String()),
  lastUsed: Type.Optional(Type.String({ format: 'date-time' })),
  lastUsedAddress: Type.Optional(Type.String()),
  links: Type.Array(Link),
});

export const PaginatedAccessListEntry = Paginated(AccessListEntry);

/** POST …/accessList: a list of `{ipAddress}` or `{cidrBlock}` entries, at most `maxItems`. */
export const accessListCreate = (maxItems: number) =>
  Type.Array(
    Type.Object(
      { cidrBlock: Type.Optional(Type.String()), ipAddress: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
    { minItems: 1, maxItems },
  );

export const AccessListCreate = accessListCreate(500);
