import { Type } from '@sinclair/typebox';
import { PageQuery, Paginated } from './common.js';

/** One certificate in Atlas' list. `_id` is the serial: an int64, written as an exact integer. */
export const UserCert = Type.Object({
  _id: Type.Integer({ format: 'int64' }),
  createdAt: Type.String({ format: 'date-time' }),
  groupId: Type.String(),
  notAfter: Type.String({ format: 'date-time' }),
  subject: Type.String(),
});

export const PaginatedUserCert = Paginated(UserCert);

/**
 * A certificate in the inventory: Atlas' UserCert plus dbcerts extension members, which
 * appear only when the request asked for the inventory (`status`, `expiresBefore`).
 */
export const InventoryCert = Type.Object({
  _id: Type.Integer({ format: 'int64' }),
  createdAt: Type.String({ format: 'date-time' }),
  groupId: Type.String(),
  keyAlgorithm: Type.Optional(Type.String({ description: 'extension' })),
  notAfter: Type.String({ format: 'date-time' }),
  revocationReason: Type.Optional(Type.String({ description: 'extension: RFC 5280 reason' })),
  revokedAt: Type.Optional(Type.String({ format: 'date-time', description: 'extension' })),
  source: Type.Optional(Type.String({ description: 'extension: generated or csr' })),
  status: Type.Optional(Type.String({ description: 'extension: active, expired or revoked' })),
  subject: Type.String(),
});

export const PaginatedInventoryCert = Paginated(InventoryCert);

export const CertsQuery = Type.Object({
  ...PageQuery.properties,
  expiresBefore: Type.Optional(Type.String({ description: 'extension: ISO-8601 date or date-time' })),
  status: Type.Optional(
    Type.Union([Type.String(), Type.Array(Type.String())], {
      description: 'extension: all, or active/expired/revoked (comma-separated or repeated)',
    }),
  ),
});

/** POST …/certs. The bounds (1..24) are checked by the domain to answer Atlas' own error codes. */
export const UserCertCreate = Type.Object(
  {
    csr: Type.Optional(Type.String({ maxLength: 64 * 1024, description: 'extension: PKCS#10 request (PEM)' })),
    monthsUntilExpiration: Type.Optional(Type.Integer({ format: 'int32' })),
  },
  { additionalProperties: false },
);

export const CertsParams = Type.Object({ groupId: Type.String(), username: Type.String() });
