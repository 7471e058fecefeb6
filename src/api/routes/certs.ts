import { Type } from '@sinclair/typebox';
import { pageRequest, sendPage, sendPageJson } from '../context.js';
import { defineOperation, defineResource } from '../operations.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { inventoryFilters, inventoryView } from '../inventory.js';
import { EnvelopeQuery } from '../schemas/common.js';
import { CertsParams, CertsQuery, PaginatedInventoryCert, UserCertCreate } from '../schemas/certificates.js';

const CERTS = '/groups/:groupId/databaseUsers/:username/certs';

/**
 * Atlas-managed X.509 certificates of a database user:
 * `/groups/{groupId}/databaseUsers/{username}/certs`.
 */
const CERTIFICATE_OPERATIONS = {
  list: defineOperation({
    method: 'GET',
    path: CERTS,
    operation: 'listDatabaseUserCertificates',
    summary: "A user's unexpired certificates (with dbcerts' filters, its certificate inventory)",
    success: 200,
    schema: { params: CertsParams, querystring: CertsQuery, response: { 200: PaginatedInventoryCert } },
  }),
  // 201 with the PEM text itself (certificate, then PKCS#8 key), not a JSON string:
  // Atlas declares it application/json and every Atlas client reads the raw body.
  create: defineOperation({
    method: 'POST',
    path: CERTS,
    operation: 'createDatabaseUserCertificate',
    summary: 'Issue a certificate (and key, unless a CSR is sent) for an Atlas-managed X.509 user',
    success: 201,
    schema: {
      params: CertsParams,
      querystring: EnvelopeQuery,
      body: UserCertCreate,
      response: {
        201: Type.String({
          description:
            'PEM: the certificate, then its unencrypted PKCS#8 private key (the certificate alone for a CSR)',
        }),
      },
    },
  }),
};

export const certificateRoutes = defineResource(CERTIFICATE_OPERATIONS, (context) => {
  const { certificates } = context.authority;
  return {
    list: async (request, reply) => {
      const page = pageRequest(request.query);
      const { groupId, username } = request.params;
      // dbcerts' inventory, when asked for with parameters Atlas does not have.
      const filters = inventoryFilters(request.query);
      if (filters) {
        const inventory = await certificates.inventory(
          request.principal,
          groupId,
          { view: 'user', username, ...filters },
          page,
        );
        const now = context.authority.clock.now();
        return sendPage(context, request, reply, page, inventory, (certificate) => inventoryView(certificate, now));
      }
      const result = await certificates.list(request.principal, groupId, username, page);
      return sendPageJson(context, request, reply, page, result.position, result.itemsJson);
    },
    create: async (request, reply) => {
      const { groupId, username } = request.params;
      const issued = await certificates.issue(request.principal, groupId, username, request.body);
      reply.type('application/json');
      return sendAtlas(request, reply, 201, issued.pem);
    },
  };
});
