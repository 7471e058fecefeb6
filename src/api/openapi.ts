import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { versionedMediaType } from './plugins/versioned-media-types.js';
import { openApiPath } from './route-templates.js';

const ERROR_STATUSES = ['400', '401', '403', '404', '409', '429', '500', '503'] as const;
const ERROR_DESCRIPTIONS: Record<string, string> = {
  '400': 'Bad Request',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'Not Found',
  '406': 'Not Acceptable (v2: missing or unknown version date)',
  '409': 'Conflict',
  '429': 'Too Many Requests',
  '500': 'Internal Server Error',
  '503': 'Service Unavailable',
};

const API_ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'errorCode'],
  properties: {
    badRequestDetail: {
      type: 'object',
      description: 'v2 only',
      properties: {
        fields: {
          type: 'array',
          items: { type: 'object', properties: { description: { type: 'string' }, field: { type: 'string' } } },
        },
      },
    },
    detail: { type: 'string' },
    error: { type: 'integer', format: 'int32' },
    errorCode: { type: 'string' },
    parameters: { type: 'array', items: {} },
    reason: { type: 'string' },
  },
};

type OpenApiOperation = {
  operationId?: string;
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
  requestBody?: { content?: Record<string, unknown> };
  'x-dbcerts-extension'?: boolean;
  'x-dbcerts-operation'?: string;
  summary?: string;
  tags?: string[];
};

/**
 * Completes the document @fastify/swagger derives from the route schemas: operation ids,
 * summaries and the extension mark from the routing table (the operations' declarations),
 * Atlas' error responses on every operation, and under v2 each operation's own versioned
 * media types.
 */
function complete(document: Record<string, any>, app: FastifyInstance): Record<string, any> {
  const routes = new Map(
    app.atlasRoutes.map((route) => [`${route.method.toLowerCase()} ${openApiPath(route.url)}`, route]),
  );

  document.components = document.components ?? {};
  document.components.schemas = { ...document.components.schemas, ApiError: API_ERROR_SCHEMA };
  for (const [path, item] of Object.entries<Record<string, OpenApiOperation>>(document.paths ?? {})) {
    const v2 = path.startsWith('/api/atlas/v2/');
    for (const [method, operation] of Object.entries(item)) {
      const route = routes.get(`${method} ${path}`);
      if (!route) continue;
      const name = route.operation;
      const id = route.operationId ?? name;
      operation.operationId = v2 ? id : `${id}V1`;
      operation['x-dbcerts-operation'] = name;
      if (route.declared) operation.summary = route.declared.summary;
      if (route.extension) {
        operation['x-dbcerts-extension'] = true;
        operation.tags = ['dbcerts extensions'];
      }
      operation.responses = operation.responses ?? {};
      const statuses = v2 ? [...ERROR_STATUSES, '406'] : ERROR_STATUSES;
      for (const status of statuses) {
        operation.responses[status] ??= {
          description: ERROR_DESCRIPTIONS[status],
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
        };
      }
      if (!v2) continue;
      const mediaTypes = route.versions.map(versionedMediaType);
      const underEach = (schema: unknown) => Object.fromEntries(mediaTypes.map((type) => [type, schema]));
      for (const [status, response] of Object.entries(operation.responses)) {
        const json = response.content?.['application/json'];
        if (Number(status) < 400 && json) response.content = underEach(json);
      }
      const body = operation.requestBody?.content?.['application/json'];
      if (body) operation.requestBody!.content = { ...underEach(body), 'application/json': body };
    }
  }
  return document;
}

/** Registers the generator; call before the routes are added. The document is served at /api/openapi.json. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'dbcerts — MongoDB Atlas Administration API (X.509, database users, projects)',
        version: '1.0',
        description:
          'Atlas-compatible v1.0 and v2 (each v2 operation under its own resource versions: 2023-01-01, service accounts 2024-08-05 only). Operations marked x-dbcerts-extension are dbcerts’ own.',
      },
      components: {
        securitySchemes: {
          DigestAuth: { type: 'http', scheme: 'digest' },
          ServiceAccounts: {
            type: 'oauth2',
            flows: { clientCredentials: { tokenUrl: '/api/oauth/token', scopes: {} } },
          },
        },
      },
      security: [{ ServiceAccounts: [] }, { DigestAuth: [] }],
    },
    transformObject: (documentObject) =>
      complete((documentObject as { openapiObject: Record<string, any> }).openapiObject, app),
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type('application/json').send(JSON.stringify(app.swagger()));
  });
}
