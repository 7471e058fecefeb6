import { Type } from '@sinclair/typebox';
import { PageQuery, Paginated } from './common.js';

/** One certificate in Atlas' list. `_id` is the serial: an int64, written as an exact integer. */
const UserCert = Type.Object({
  _id: Type.Integer({ format: 'int64' }),
  createdAt: Type.String({ format: 'date-time' }),
  groupId: Type.String(),
  notAfter: Type.String({ format: 'date-time' }),
  subject: Type.String(),
});

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
  expiresAfter: Type.Optional(
    Type.String({ description: 'extension: ISO-8601 date or date-time; notAfter at or after it' }),
  ),
  orderBy: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'extension' })),
  serial: Type.Optional(
    Type.String({
      maxLength: 64,
      description: 'extension: a serial, decimal (the _id) or hex as openssl prints it (0x prefix and colons allowed)',
    }),
  ),
  sortBy: Type.Optional(
    Type.Union([Type.Literal('createdAt'), Type.Literal('notAfter')], {
      description: 'extension: default createdAt for a user, notAfter for the project',
    }),
  ),
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

/** One certificate of the project in full (GET …/managedX509/certs/{serial}). */
export const CertificateDetails = Type.Object({
  ...InventoryCert.properties,
  caId: Type.String(),
  databaseName: Type.Optional(Type.String({ description: 'absent once the user is deleted' })),
  issuer: Type.String({ description: 'RFC 2253 subject of the issuing CA' }),
  notBefore: Type.String({ format: 'date-time' }),
  pem: Type.String({ description: 'the certificate (PEM), never a key' }),
  sha256Fingerprint: Type.String({ description: 'upper-case hex, colon-separated, as openssl prints it' }),
  username: Type.Optional(Type.String({ description: 'absent once the user is deleted' })),
});

/** A managed X.509 user and what its certificates cover (GET …/managedX509/users). */
export const CertificateHolder = Type.Object({
  certificateStatus: Type.String({ description: 'valid, expiring (within the alert lead time) or none' }),
  certificates: Type.Integer({ description: 'every certificate ever issued to it' }),
  databaseName: Type.String(),
  lastIssuedAt: Type.Optional(Type.String({ format: 'date-time' })),
  username: Type.String(),
  validCertificates: Type.Integer(),
  validUntil: Type.Optional(Type.String({ format: 'date-time', description: 'latest notAfter of a valid one' })),
});

export const PaginatedCertificateHolder = Paginated(CertificateHolder);

export const CertificateHoldersQuery = Type.Object({
  ...PageQuery.properties,
  certificateStatus: Type.Optional(
    Type.Union([Type.String(), Type.Array(Type.String())], {
      description: 'valid, expiring or none (comma-separated or repeated)',
    }),
  ),
});
