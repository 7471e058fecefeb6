import { Type } from '@sinclair/typebox';
import { PRIVILEGE_ACTIONS } from '../../domain/custom-db-role.js';

/** Atlas' custom database roles (UserCustomDBRole, UpdateCustomDBRole), members alphabetical. */

// The members a request leaves out take their defaults (no cluster, all collections).
const PermittedNamespaceRequest = Type.Object(
  {
    cluster: Type.Optional(Type.Boolean()),
    collection: Type.Optional(Type.String()),
    db: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const PrivilegeActionRequest = Type.Object(
  {
    action: Type.Unsafe<(typeof PRIVILEGE_ACTIONS)[number]>({ type: 'string', enum: [...PRIVILEGE_ACTIONS] }),
    resources: Type.Optional(Type.Array(PermittedNamespaceRequest)),
  },
  { additionalProperties: false },
);

const InheritedRole = Type.Object(
  {
    db: Type.String({ minLength: 1 }),
    role: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

const changes = {
  actions: Type.Optional(Type.Array(PrivilegeActionRequest)),
  inheritedRoles: Type.Optional(Type.Array(InheritedRole)),
};

/** POST customDBRoles/roles. */
export const CustomDbRoleCreate = Type.Object({ ...changes, roleName: Type.String() }, { additionalProperties: false });

/** PATCH customDBRoles/roles/{roleName}: the members sent replace the role's; `roleName` may repeat the path's. */
export const CustomDbRoleUpdate = Type.Object(
  { ...changes, roleName: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

export const CustomDbRole = Type.Object({
  actions: Type.Array(
    Type.Object({
      action: Type.String(),
      resources: Type.Array(
        Type.Object({
          cluster: Type.Boolean(),
          collection: Type.String(),
          db: Type.String(),
        }),
      ),
    }),
  ),
  inheritedRoles: Type.Array(Type.Object({ db: Type.String(), role: Type.String() })),
  roleName: Type.String(),
});

export const CustomDbRoleList = Type.Array(CustomDbRole);

export const CustomDbRoleParams = Type.Object({ groupId: Type.String(), roleName: Type.String() });
