import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { UserSecurity as UserSecurityState } from '../../authority/user-security.js';
import { type ApiContext, resourceUrl } from '../context.js';
import { selfLink } from '../links.js';
import { defineOperation, defineResource } from '../operations.js';
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
const USER_SECURITY_OPERATIONS = {
  get: defineOperation({
    method: 'GET',
    path: '/groups/:groupId/userSecurity',
    operation: 'getUserSecurity',
    summary: "The project's customer-managed X.509 and LDAP settings",
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: UserSecurity } },
  }),
  // 202, as Atlas: it would now roll the change out to the project's clusters.
  update: defineOperation({
    method: 'PATCH',
    path: '/groups/:groupId/userSecurity',
    operation: 'updateUserSecurity',
    summary: "Change the project's customer-managed X.509 settings",
    success: 202,
    schema: {
      params: GroupIdParams,
      querystring: EnvelopeQuery,
      body: UserSecurityUpdate,
      response: { 202: UserSecurity },
    },
  }),
  disableCustomerX509: defineOperation({
    method: 'DELETE',
    path: '/groups/:groupId/userSecurity/customerX509',
    operation: 'disableCustomerX509',
    summary: 'Turn customer-managed X.509 off',
    success: 202,
    schema: {
      params: GroupIdParams,
      querystring: Type.Object({ envelope: EnvelopeQuery.properties.envelope }),
      response: { 202: UserSecurity },
    },
  }),
};

export const userSecurityRoutes = defineResource(USER_SECURITY_OPERATIONS, (context) => {
  const { userSecurity } = context.authority;
  return {
    get: async (request, reply) => {
      const { groupId } = request.params;
      const state = await userSecurity.get(request.principal, groupId);
      return sendAtlas(request, reply, 200, userSecurityView(context, request, groupId, state));
    },
    update: async (request, reply) => {
      const { groupId } = request.params;
      const state = await userSecurity.update(request.principal, groupId, request.body);
      return sendAtlas(request, reply, 202, userSecurityView(context, request, groupId, state));
    },
    disableCustomerX509: async (request, reply) => {
      const { groupId } = request.params;
      const state = await userSecurity.disableCustomerX509(request.principal, groupId);
      return sendAtlas(request, reply, 202, userSecurityView(context, request, groupId, state));
    },
  };
});
