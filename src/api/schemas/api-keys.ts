import { Type } from '@sinclair/typebox';
import { MAX_API_KEY_DESCRIPTION_LENGTH } from '../../domain/api-key.js';
import { ORG_ROLES, PROJECT_ROLES } from '../../domain/roles.js';
import { Link, Paginated } from './common.js';

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

export const OrgApiKeyUpdate = Type.Object(
  { desc: Type.Optional(Description), roles: Type.Optional(Type.Array(enumOf(ORG_ROLES), { minItems: 1 })) },
  { additionalProperties: false },
);

export const ProjectApiKeyCreate = Type.Object(
  { desc: Description, roles: Type.Array(enumOf(PROJECT_ROLES), { minItems: 1 }) },
  { additionalProperties: false },
);

export const ProjectApiKeyAssign = Type.Object(
  { roles: Type.Array(enumOf(PROJECT_ROLES), { minItems: 1 }) },
  { additionalProperties: false },
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

/** POST …/accessList: a list of `{ipAddress}` or `{cidrBlock}` entries. */
export const AccessListCreate = Type.Array(
  Type.Object(
    { cidrBlock: Type.Optional(Type.String()), ipAddress: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
  { minItems: 1, maxItems: 500 },
);
