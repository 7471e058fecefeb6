import { Type } from '@sinclair/typebox';
import { ORG_ROLES, PROJECT_ROLES } from '../../domain/roles.js';
import { MAX_SECRET_HOURS, MIN_SECRET_HOURS } from '../../domain/service-account.js';
import { Paginated } from './common.js';

const enumOf = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

export const ServiceAccountSecret = Type.Object({
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  id: Type.String(),
  lastUsedAt: Type.Optional(Type.String({ format: 'date-time' })),
  maskedSecretValue: Type.Optional(Type.String()),
  secret: Type.Optional(Type.String({ description: 'Only in the response that created the secret' })),
});

/** OrgServiceAccount (and its project form, whose roles are project roles). */
export const ServiceAccount = Type.Object({
  clientId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  description: Type.String(),
  name: Type.String(),
  roles: Type.Array(Type.String()),
  secrets: Type.Array(ServiceAccountSecret),
});

export const PaginatedServiceAccount = Paginated(ServiceAccount);

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: "^[\\p{L}\\p{N}\\-_.,' ]*$" });
const Hours = Type.Integer({ minimum: MIN_SECRET_HOURS, maximum: MAX_SECRET_HOURS });

export const ServiceAccountCreate = Type.Object(
  {
    description: Text(250),
    name: Text(64),
    roles: Type.Array(enumOf(ORG_ROLES), { minItems: 1 }),
    secretExpiresAfterHours: Hours,
  },
  { additionalProperties: false },
);

export const ServiceAccountUpdate = Type.Object(
  {
    description: Type.Optional(Text(250)),
    name: Type.Optional(Text(64)),
    roles: Type.Optional(Type.Array(enumOf(ORG_ROLES), { minItems: 1 })),
  },
  { additionalProperties: false },
);

export const SecretCreate = Type.Object({ secretExpiresAfterHours: Hours }, { additionalProperties: false });

export const ProjectServiceAccountAssign = Type.Object(
  { roles: Type.Array(enumOf(PROJECT_ROLES), { minItems: 1 }) },
  { additionalProperties: false },
);

export const ServiceAccountParams = Type.Object({ orgId: Type.String(), clientId: Type.String() });
export const SecretParams = Type.Object({ orgId: Type.String(), clientId: Type.String(), secretId: Type.String() });
export const ServiceAccountEntryParams = Type.Object({
  orgId: Type.String(),
  clientId: Type.String(),
  entry: Type.String(),
});
export const ProjectServiceAccountParams = Type.Object({ groupId: Type.String(), clientId: Type.String() });
