import { Type } from '@sinclair/typebox';

/**
 * The answer of `GET /console/session` (and of signing in): who, what the session may do,
 * its CSRF token. The route writes SessionDescription as it is; this schema is the wire
 * shape the console compiles against (routes.ts checks the description fits it).
 */

const Strings = Type.Array(Type.String());

export const ConsoleSession = Type.Object({
  csrfToken: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  idleTimeoutSeconds: Type.Integer(),
  identity: Type.Union([
    Type.Object({
      kind: Type.Literal('API_KEY'),
      id: Type.String(),
      publicKey: Type.String(),
      description: Type.String(),
    }),
    Type.Object({
      kind: Type.Literal('SERVICE_ACCOUNT'),
      id: Type.String(),
      clientId: Type.String(),
      name: Type.String(),
      description: Type.String(),
    }),
  ]),
  now: Type.String({ format: 'date-time', description: "the server's clock" }),
  operations: Type.Object({
    organization: Strings,
    everyProject: Type.Array(Type.String(), {
      description: 'what the organization roles alone allow in every project',
    }),
    projects: Type.Record(Type.String(), Strings),
  }),
  orgId: Type.String(),
  orgRoles: Strings,
  projectRoles: Type.Array(Type.Object({ groupId: Type.String(), roles: Strings })),
  // The server's role lists are read-only; the JSON is the same.
  requiredRoles: Type.Unsafe<Readonly<Record<string, readonly string[]>>>(
    Type.Record(Type.String(), Strings, { description: "each operation's roles (any one of them)" }),
  ),
});
