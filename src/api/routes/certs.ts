import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { atlasDateFromIso } from '../../domain/validity.js';
import type { ListedCertificate } from '../../authority/certificates.js';
import { type ApiContext, pageRequest, sendPage, sendPageJson } from '../context.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { inventoryFilters, inventoryView } from '../inventory.js';
import { EnvelopeQuery } from '../schemas/common.js';
import { CertsParams, CertsQuery, PaginatedInventoryCert, UserCertCreate } from '../schemas/certificates.js';

/** Atlas' list items `{_id, createdAt, groupId, notAfter, subject}`, written from the rows. */
function listedCertificatesJson(rows: readonly ListedCertificate[]): string {
  let json = '';
  for (const [serial, groupId, subject, createdAt, notAfter] of rows) {
    json +=
      `${json === '' ? '' : ','}{"_id":${serial},"createdAt":"${atlasDateFromIso(createdAt)}",` +
      `"groupId":${JSON.stringify(groupId)},"notAfter":"${atlasDateFromIso(notAfter)}","subject":${JSON.stringify(subject)}}`;
  }
  return `[${json}]`;
}

/**
 * Atlas-managed X.509 certificates of a database user:
 * `/groups/{groupId}/databaseUsers/{username}/certs`.
 */
export const certificateRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
  const { certificates } = context.authority;

  app.get(
    '/groups/:groupId/databaseUsers/:username/certs',
    {
      config: { operation: 'listDatabaseUserCertificates' },
      schema: { params: CertsParams, querystring: CertsQuery, response: { 200: PaginatedInventoryCert } },
    },
    async (request, reply) => {
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
      return sendPageJson(context, request, reply, page, result, listedCertificatesJson(result.items));
    },
  );

  // 201 with the PEM text itself (certificate, then PKCS#8 key), not a JSON string:
  // Atlas declares it application/json and every Atlas client reads the raw body.
  app.post(
    '/groups/:groupId/databaseUsers/:username/certs',
    {
      config: { operation: 'createDatabaseUserCertificate' },
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
    },
    async (request, reply) => {
      const { groupId, username } = request.params;
      const issued = await certificates.issue(request.principal, groupId, username, request.body);
      reply.type('application/json');
      return sendAtlas(request, reply, 201, issued.pem);
    },
  );
};
