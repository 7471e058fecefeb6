import { Type } from '@sinclair/typebox';
import { CertsQuery } from './certificates.js';
import { Link, Paginated } from './common.js';

/** dbcerts extension shapes (docs/extensions.md). */

export const ManagedCa = Type.Object({
  createdAt: Type.String({ format: 'date-time' }),
  id: Type.String(),
  keyAlgorithm: Type.String(),
  links: Type.Array(Link),
  notAfter: Type.String({ format: 'date-time' }),
  notBefore: Type.String({ format: 'date-time' }),
  retiredAt: Type.Optional(Type.String({ format: 'date-time' })),
  serial: Type.Integer({ format: 'int64' }),
  status: Type.String({ description: 'ACTIVE, RETIRED_TRUSTED (still trusted: it has live certificates) or RETIRED' }),
  subject: Type.String(),
});

export const PaginatedManagedCa = Paginated(ManagedCa);

export const ProjectInventoryQuery = Type.Object({
  ...CertsQuery.properties,
  username: Type.Optional(Type.String()),
});

export const RevokeRequest = Type.Object(
  { reason: Type.Optional(Type.String({ description: 'RFC 5280 reason name; default unspecified' })) },
  { additionalProperties: false },
);

export const RevokeParams = Type.Object({ groupId: Type.String(), serial: Type.String() });
export const CaParams = Type.Object({ groupId: Type.String(), caId: Type.String() });

export const ExpiryAlertSettings = Type.Object({
  leadTimeDays: Type.Integer(),
  webhookSecretSet: Type.Boolean(),
  webhookUrl: Type.Optional(Type.String()),
});

export const ExpiryAlertSettingsUpdate = Type.Object(
  {
    leadTimeDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
    webhookSecret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'write-only' })),
    webhookUrl: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
  },
  { additionalProperties: false },
);
