import { Type } from '@sinclair/typebox';
import { Link, ReadOnly } from './common.js';

const UserToDNMapping = Type.Object(
  { ldapQuery: Type.Optional(Type.String()), match: Type.String(), substitution: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

const LdapSecuritySettings = Type.Object({
  authenticationEnabled: Type.Boolean(),
  authorizationEnabled: Type.Boolean(),
  authzQueryTemplate: Type.String(),
  port: Type.Integer(),
  userToDNMapping: Type.Array(UserToDNMapping),
});

export const UserSecurity = Type.Object({
  customerX509: Type.Object({ cas: Type.Optional(Type.String()) }),
  ldap: LdapSecuritySettings,
  links: Type.Array(Link),
});

/**
 * PATCH userSecurity: Atlas' writable members, and the `links` a GET answered (at every
 * level Atlas has them), so a document read may be sent back. LDAP may only be sent switched off.
 */
export const UserSecurityUpdate = Type.Object(
  {
    customerX509: Type.Optional(
      Type.Object(
        { cas: Type.Optional(Type.String()), links: ReadOnly(Type.Array(Link)) },
        { additionalProperties: false },
      ),
    ),
    ldap: Type.Optional(
      Type.Object(
        {
          authenticationEnabled: Type.Optional(Type.Boolean()),
          authorizationEnabled: Type.Optional(Type.Boolean()),
          authzQueryTemplate: Type.Optional(Type.String()),
          bindPassword: Type.Optional(Type.String()),
          bindUsername: Type.Optional(Type.String()),
          caCertificate: Type.Optional(Type.String()),
          hostname: Type.Optional(Type.String()),
          links: ReadOnly(Type.Array(Link)),
          port: Type.Optional(Type.Integer()),
          userToDNMapping: Type.Optional(Type.Array(UserToDNMapping)),
        },
        { additionalProperties: false },
      ),
    ),
    links: ReadOnly(Type.Array(Link)),
  },
  { additionalProperties: false },
);
