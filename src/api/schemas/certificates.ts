import { Type } from '@sinclair/typebox';
import { Paginated } from './common.js';

/** One certificate in Atlas' list. `_id` is the serial: an int64, written as an exact integer. */
export const UserCert = Type.Object({
  _id: Type.Integer({ format: 'int64' }),
  createdAt: Type.String({ format: 'date-time' }),
  groupId: Type.String(),
  notAfter: Type.String({ format: 'date-time' }),
  subject: Type.String(),
});

export const PaginatedUserCert = Paginated(UserCert);

/** POST …/certs. The bounds (1..24) are checked by the domain to answer Atlas' own error codes. */
export const UserCertCreate = Type.Object(
  { monthsUntilExpiration: Type.Optional(Type.Integer({ format: 'int32' })) },
  { additionalProperties: false },
);

export const CertsParams = Type.Object({ groupId: Type.String(), username: Type.String() });
