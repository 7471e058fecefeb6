import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import type { CustomDbRole as Role } from '../../domain/custom-db-role.js';
import type { ApiContext } from '../context.js';
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

/** Custom database roles: `/groups/{groupId}/customDBRoles/roles[/{roleName}]`. */
export const customDbRoleRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
  const { customDbRoles } = context.authority;

  // A plain array, as Atlas answers: this list is not paginated.
  app.get(
    '/groups/:groupId/customDBRoles/roles',
    {
      config: { operation: 'listCustomDatabaseRoles' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: CustomDbRoleList } },
    },
    async (request, reply) => {
      const roles = await customDbRoles.list(request.principal, request.params.groupId);
      return sendAtlas(request, reply, 200, roles.map(roleView));
    },
  );

  // 202, as Atlas: it would now roll the role out to the project's clusters.
  app.post(
    '/groups/:groupId/customDBRoles/roles',
    {
      config: { operation: 'createCustomDatabaseRole' },
      schema: {
        params: GroupIdParams,
        querystring: EnvelopeQuery,
        body: CustomDbRoleCreate,
        response: { 202: CustomDbRole },
      },
    },
    async (request, reply) => {
      const role = await customDbRoles.create(request.principal, request.params.groupId, request.body);
      return sendAtlas(request, reply, 202, roleView(role));
    },
  );

  app.get(
    '/groups/:groupId/customDBRoles/roles/:roleName',
    {
      config: { operation: 'getCustomDatabaseRole' },
      schema: { params: CustomDbRoleParams, querystring: EnvelopeQuery, response: { 200: CustomDbRole } },
    },
    async (request, reply) => {
      const { groupId, roleName } = request.params;
      return sendAtlas(request, reply, 200, roleView(await customDbRoles.get(request.principal, groupId, roleName)));
    },
  );

  app.patch(
    '/groups/:groupId/customDBRoles/roles/:roleName',
    {
      config: { operation: 'updateCustomDatabaseRole' },
      schema: {
        params: CustomDbRoleParams,
        querystring: EnvelopeQuery,
        body: CustomDbRoleUpdate,
        response: { 200: CustomDbRole },
      },
    },
    async (request, reply) => {
      const { groupId, roleName } = request.params;
      const role = await customDbRoles.update(request.principal, groupId, roleName, request.body);
      return sendAtlas(request, reply, 200, roleView(role));
    },
  );

  app.delete(
    '/groups/:groupId/customDBRoles/roles/:roleName',
    {
      config: { operation: 'deleteCustomDatabaseRole' },
      schema: { params: CustomDbRoleParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      const { groupId, roleName } = request.params;
      await customDbRoles.delete(request.principal, groupId, roleName);
      return reply.code(204).send(null);
    },
  );
};
