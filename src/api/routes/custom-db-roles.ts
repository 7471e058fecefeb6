import type { Static } from '@sinclair/typebox';
import type { CustomDbRole as Role } from '../../domain/custom-db-role.js';
import { defineOperation, defineResource } from '../operations.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { EnvelopeQuery, GroupIdParams, NoContent } from '../schemas/common.js';
import {
  CustomDbRole,
  CustomDbRoleCreate,
  CustomDbRoleList,
  CustomDbRoleParams,
  CustomDbRoleUpdate,
} from '../schemas/custom-db-roles.js';

function roleView(role: Role): Static<typeof CustomDbRole> {
  return {
    actions: role.actions,
    inheritedRoles: role.inheritedRoles,
    roleName: role.roleName,
  };
}

const ROLES = '/groups/:groupId/customDBRoles/roles';

/** Custom database roles: `/groups/{groupId}/customDBRoles/roles[/{roleName}]`. */
const CUSTOM_DB_ROLE_OPERATIONS = {
  // A plain array, as Atlas answers: this list is not paginated.
  list: defineOperation({
    method: 'GET',
    path: ROLES,
    operation: 'listCustomDatabaseRoles',
    summary: "The project's custom database roles (every one, not paginated)",
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: CustomDbRoleList } },
  }),
  // 202, as Atlas: it would now roll the role out to the project's clusters.
  create: defineOperation({
    method: 'POST',
    path: ROLES,
    operation: 'createCustomDatabaseRole',
    summary: 'Create a custom database role',
    success: 202,
    schema: {
      params: GroupIdParams,
      querystring: EnvelopeQuery,
      body: CustomDbRoleCreate,
      response: { 202: CustomDbRole },
    },
  }),
  get: defineOperation({
    method: 'GET',
    path: `${ROLES}/:roleName`,
    operation: 'getCustomDatabaseRole',
    summary: 'One custom database role',
    success: 200,
    schema: { params: CustomDbRoleParams, querystring: EnvelopeQuery, response: { 200: CustomDbRole } },
  }),
  update: defineOperation({
    method: 'PATCH',
    path: `${ROLES}/:roleName`,
    operation: 'updateCustomDatabaseRole',
    summary: 'Replace the members sent of a custom database role',
    success: 200,
    schema: {
      params: CustomDbRoleParams,
      querystring: EnvelopeQuery,
      body: CustomDbRoleUpdate,
      response: { 200: CustomDbRole },
    },
  }),
  delete: defineOperation({
    method: 'DELETE',
    path: `${ROLES}/:roleName`,
    operation: 'deleteCustomDatabaseRole',
    summary: 'Delete a custom database role (taken from its users and heirs)',
    success: 204,
    schema: { params: CustomDbRoleParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
};

export const customDbRoleRoutes = defineResource(CUSTOM_DB_ROLE_OPERATIONS, ({ authority: { customDbRoles } }) => ({
  list: async (request, reply) => {
    const roles = await customDbRoles.list(request.principal, request.params.groupId);
    return sendAtlas(request, reply, 200, roles.map(roleView));
  },
  create: async (request, reply) => {
    const role = await customDbRoles.create(request.principal, request.params.groupId, request.body);
    return sendAtlas(request, reply, 202, roleView(role));
  },
  get: async (request, reply) => {
    const { groupId, roleName } = request.params;
    return sendAtlas(request, reply, 200, roleView(await customDbRoles.get(request.principal, groupId, roleName)));
  },
  update: async (request, reply) => {
    const { groupId, roleName } = request.params;
    const role = await customDbRoles.update(request.principal, groupId, roleName, request.body);
    return sendAtlas(request, reply, 200, roleView(role));
  },
  delete: async (request, reply) => {
    const { groupId, roleName } = request.params;
    await customDbRoles.delete(request.principal, groupId, roleName);
    return reply.code(204).send(null);
  },
}));
