import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../context.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { EnvelopeQuery, GroupIdParams } from '../schemas/common.js';

/**
 * dbcerts extension: the project's Atlas-managed CA certificate, the PEM a self-managed
 * mongod needs in `net.tls.CAFile`. Atlas keeps its CA to itself and has no such path.
 */
export const managedCaRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
  app.get(
    '/groups/:groupId/userSecurity/managedX509/ca',
    {
      config: { operation: 'getManagedCaCertificate' },
      schema: {
        params: GroupIdParams,
        querystring: EnvelopeQuery,
        response: { 200: Type.String({ description: 'PEM of the project CA certificate' }) },
      },
    },
    async (request, reply) => {
      const pem = await context.authority.certificates.caCertificatePem(request.principal, request.params.groupId);
      reply.type('application/x-pem-file');
      return sendAtlas(request, reply, 200, pem);
    },
  );
};
