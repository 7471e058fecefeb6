import { Type } from '@sinclair/typebox';
import {
  AUTH_DATABASES,
  AWS_IAM_TYPES,
  LDAP_AUTH_TYPES,
  MAX_USERNAME_LENGTH,
  OIDC_AUTH_TYPES,
  SCOPE_TYPES,
  X509_TYPES,
} from '../../domain/database-user.js';
import { Link, Paginated, ReadOnly } from './common.js';

const enumOf = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

const DatabaseUserRole = Type.Object(
  {
    collectionName: Type.Optional(Type.String({ minLength: 1 })),
    databaseName: Type.String({ minLength: 1 }),
    roleName: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

const UserScope = Type.Object(
  {
    name: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9-]*$' }),
    type: enumOf(SCOPE_TYPES),
  },
  { additionalProperties: false },
);

const ComponentLabel = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 255 }),
    value: Type.String({ minLength: 1, maxLength: 255 }),
  },
  { additionalProperties: false },
);

// Length is the domain's to check: Atlas answers ATLAS_INVALID_USERNAME, not a generic error.
const Username = Type.String({
  description: `1 to ${MAX_USERNAME_LENGTH} characters; format depends on the authentication method`,
});

const writableFields = {
  awsIAMType: Type.Optional(enumOf(AWS_IAM_TYPES)),
  databaseName: Type.Optional(enumOf(AUTH_DATABASES)),
  deleteAfterDate: Type.Optional(Type.String({ format: 'date-time' })),
  description: Type.Optional(Type.String({ maxLength: 100 })),
  groupId: Type.Optional(Type.String()),
  labels: Type.Optional(Type.Array(ComponentLabel)),
  ldapAuthType: Type.Optional(enumOf(LDAP_AUTH_TYPES)),
  oidcAuthType: Type.Optional(enumOf(OIDC_AUTH_TYPES)),
  password: Type.Optional(Type.String({ minLength: 8 })),
  roles: Type.Optional(Type.Array(DatabaseUserRole)),
  scopes: Type.Optional(Type.Array(UserScope)),
  username: Type.Optional(Username),
  x509Type: Type.Optional(enumOf(X509_TYPES)),
};

/** POST databaseUsers. `roles` and `username` are required; the rest default as Atlas documents. */
export const DatabaseUserCreate = Type.Object(
  {
    ...writableFields,
    roles: Type.Array(DatabaseUserRole, { minItems: 1 }),
    username: Username,
  },
  { additionalProperties: false },
);

/** PATCH databaseUsers/{db}/{user}: any subset, and what a GET answered may be sent back. */
export const DatabaseUserPatch = Type.Object(
  { ...writableFields, links: ReadOnly(Type.Array(Link)) },
  { additionalProperties: false },
);

export const CloudDatabaseUser = Type.Object({
  awsIAMType: Type.String(),
  databaseName: Type.String(),
  deleteAfterDate: Type.Optional(Type.String({ format: 'date-time' })),
  description: Type.Optional(Type.String()),
  groupId: Type.String(),
  labels: Type.Array(ComponentLabel),
  ldapAuthType: Type.String(),
  links: Type.Array(Link),
  oidcAuthType: Type.String(),
  roles: Type.Array(DatabaseUserRole),
  scopes: Type.Array(UserScope),
  username: Type.String(),
  x509Type: Type.String(),
});

export const PaginatedDatabaseUser = Paginated(CloudDatabaseUser);

export const DatabaseUserParams = Type.Object({
  groupId: Type.String(),
  databaseName: Type.String(),
  username: Type.String(),
});
