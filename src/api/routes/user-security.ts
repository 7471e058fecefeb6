import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { UserSecurity as UserSecurityState } from '../../authority/user-security.js';
import { type ApiContext, resourceUrl } from '../context.js';
import { selfLink } from '../links.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { EnvelopeQuery, GroupIdParams } from '../schemas/common.js';
import { UserSecurity, UserSecurityUpdate } from '../schemas/user-security.js';

/** LDAP is not implemented; Atlas clients still get the document they decode, switched off. */
const LDAP_OFF = {
  authenticationEnabled: false,
  authorizationEnabled: false,
  authzQueryTemplate: '{USER}?memberOf?base',
  port: 636,
  userToDNMapping: [],
};

function userSecurityView(context: ApiContext, request: FastifyRequest, groupId: string, state: UserSecurityState) {
  return {
    customerX509: state.customerX509Cas === undefined ? {} : { cas: state.customerX509Cas },
    ldap: LDAP_OFF,
    links: [selfLink(resourceUrl(context, request, 'groups', groupId, 'userSecurity'))],
  };
}

/** Customer-managed X.509 (Atlas' userSecurity): `/groups/{groupId}/userSecurity[/customerX509]`. */
export const userSecurityRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
  const { userSecurity } = context.authority;

  app.get(
    '/groups/:groupId/userSecurity',
    {
      config: { operation: 'getUserSecurity' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: UserSecurity } },
    },
    async (request, reply) => {
      const { groupId } = request.params;
      const state = await userSecurity.get(request.principal, groupId);
      return sendAtlas(request, reply, 200, userSecurityView(context, request, groupId, state));
    },
  );

  // 202, as Atlas: it would now roll the change out to the project's clusters.
  app.patch(
    '/groups/:groupId/userSecurity',
    {
      config: { operation: 'updateUserSecurity' },
      schema: {
        params: GroupIdParams,
        querystring: EnvelopeQuery,
        body: UserSecurityUpdate,
        response: { 202: UserSecurity },
      },
    },
    async (request, reply) => {
      const { groupId } = request.params;
      const state = await userSecurity.update(request.principal, groupId, request.body);
      return sendAtlas(request, reply, 202, userSecurityView(context, request, groupId, state));
    },
  );

  app.delete(
    '/groups/:groupId/userSecurity/customerX509',
    {
      config: { operation: 'disableCustomerX509' },
      schema: {
        params: GroupIdParams,
        querystring: Type.Object({ envelope: EnvelopeQuery.properties.envelope }),
        response: { 202: UserSecurity },
      },
    },
    async (request, reply) => {
      const { groupId } = request.params;
      const state = await userSecurity.disableCustomerX509(request.principal, groupId);
      return sendAtlas(request, reply, 202, userSecurityView(context, request, groupId, state));
    },
  );
};
