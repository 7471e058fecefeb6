import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { declaredOperations } from '../../src/api/operations.js';
import type { AtlasRoute } from '../../src/api/plugins/guard-rails.js';
import { V2_ONLY_RESOURCES } from '../../src/api/resources.js';
import { DatabaseUserCreate } from '../../src/api/schemas/database-users.js';
import { REQUIRED_ROLES } from '../../src/authority/required-roles.js';
import { startTestServer, type TestServer, V1, V2 } from '../helpers/server.js';

/**
 * The OpenAPI 3 document at GET /api/openapi.json (docs/compatibility.md "Atlas
 * Administration API v2"): served without authentication; structurally valid OpenAPI 3.0
 * (checked with Ajv against a minimal meta-schema written here for the parts that matter,
 * plus the rules JSON Schema cannot say: path templates and parameters agree, every $ref
 * resolves, every schema compiles, operation ids are unique); it describes exactly the
 * routes of `app.atlasRoutes` in both versions, with the operation ids, Atlas error
 * responses, extension marks, security schemes and v2 media types the docs promise; and it
 * is generated from the route schemas (the request body of POST databaseUsers is the
 * TypeBox schema DatabaseUserCreate itself). Where the document states a success status or
 * media type, live requests check that the server answers with it.
 */

const VERSIONED = 'application/vnd.atlas.2023-01-01+json';
const API_ERROR_REF = '#/components/schemas/ApiError';
const ERROR_STATUSES = ['400', '401', '403', '404', '429', '500'];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

// --- a minimal OpenAPI 3.0 meta-schema ----------------------------------------------------

/** Only the listed members, or specification extensions (`x-…`). */
const only = (...names: string[]) => ({ propertyNames: { anyOf: [{ enum: names }, { pattern: '^x-' }] } });

const OPENAPI_30_META_SCHEMA = {
  $id: 'https://dbcerts.test/openapi-3.0-minimal.json',
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  ...only('openapi', 'info', 'servers', 'paths', 'components', 'security', 'tags', 'externalDocs'),
  properties: {
    openapi: { type: 'string', pattern: '^3\\.0\\.\\d+$' },
    info: {
      type: 'object',
      required: ['title', 'version'],
      ...only('title', 'description', 'termsOfService', 'contact', 'license', 'version'),
      properties: { title: { type: 'string', minLength: 1 }, version: { type: 'string', minLength: 1 } },
    },
    servers: { type: 'array', items: { type: 'object', required: ['url'] } },
    paths: {
      type: 'object',
      propertyNames: { anyOf: [{ pattern: '^/' }, { pattern: '^x-' }] },
      patternProperties: { '^/': { $ref: '#/definitions/pathItem' } },
    },
    components: {
      type: 'object',
      ...only(
        'schemas',
        'responses',
        'parameters',
        'examples',
        'requestBodies',
        'headers',
        'securitySchemes',
        'links',
        'callbacks',
      ),
      properties: {
        schemas: {
          type: 'object',
          propertyNames: { pattern: '^[a-zA-Z0-9.\\-_]+$' },
          additionalProperties: { $ref: '#/definitions/schemaOrRef' },
        },
        securitySchemes: {
          type: 'object',
          propertyNames: { pattern: '^[a-zA-Z0-9.\\-_]+$' },
          additionalProperties: { $ref: '#/definitions/securityScheme' },
        },
      },
    },
    security: { type: 'array', items: { $ref: '#/definitions/securityRequirement' } },
    tags: { type: 'array', items: { type: 'object', required: ['name'] } },
  },
  definitions: {
    pathItem: {
      type: 'object',
      ...only('$ref', 'summary', 'description', 'servers', 'parameters', ...METHODS),
      properties: {
        ...Object.fromEntries(METHODS.map((method) => [method, { $ref: '#/definitions/operation' }])),
        parameters: { type: 'array', items: { $ref: '#/definitions/parameterOrRef' } },
      },
    },
    operation: {
      type: 'object',
      required: ['responses'],
      ...only(
        'tags',
        'summary',
        'description',
        'externalDocs',
        'operationId',
        'parameters',
        'requestBody',
        'responses',
        'callbacks',
        'deprecated',
        'security',
        'servers',
      ),
      properties: {
        tags: { type: 'array', items: { type: 'string' } },
        summary: { type: 'string' },
        description: { type: 'string' },
        operationId: { type: 'string', minLength: 1 },
        parameters: { type: 'array', items: { $ref: '#/definitions/parameterOrRef' } },
        requestBody: {
          if: { required: ['$ref'] },
          then: { $ref: '#/definitions/reference' },
          else: { $ref: '#/definitions/requestBody' },
        },
        responses: { $ref: '#/definitions/responses' },
        deprecated: { type: 'boolean' },
        security: { type: 'array', items: { $ref: '#/definitions/securityRequirement' } },
      },
    },
    reference: {
      type: 'object',
      required: ['$ref'],
      properties: { $ref: { type: 'string', minLength: 1 } },
    },
    responses: {
      type: 'object',
      minProperties: 1,
      propertyNames: { anyOf: [{ pattern: '^[1-5](?:\\d\\d|XX)$' }, { const: 'default' }, { pattern: '^x-' }] },
      additionalProperties: {
        if: { required: ['$ref'] },
        then: { $ref: '#/definitions/reference' },
        else: { $ref: '#/definitions/response' },
      },
    },
    response: {
      type: 'object',
      required: ['description'],
      ...only('description', 'headers', 'content', 'links'),
      properties: {
        description: { type: 'string' },
        headers: { type: 'object' },
        content: { $ref: '#/definitions/content' },
        links: { type: 'object' },
      },
    },
    content: {
      type: 'object',
      propertyNames: { pattern: '^[a-z*]+/[a-zA-Z0-9.+*\\-]+(?:\\s*;.*)?$' },
      additionalProperties: {
        type: 'object',
        ...only('schema', 'example', 'examples', 'encoding'),
        properties: { schema: { $ref: '#/definitions/schemaOrRef' }, examples: { type: 'object' } },
      },
    },
    requestBody: {
      type: 'object',
      required: ['content'],
      ...only('description', 'content', 'required'),
      properties: {
        description: { type: 'string' },
        content: { $ref: '#/definitions/content' },
        required: { type: 'boolean' },
      },
    },
    parameterOrRef: {
      if: { required: ['$ref'] },
      then: { $ref: '#/definitions/reference' },
      else: { $ref: '#/definitions/parameter' },
    },
    parameter: {
      type: 'object',
      required: ['name', 'in'],
      ...only(
        'name',
        'in',
        'description',
        'required',
        'deprecated',
        'allowEmptyValue',
        'style',
        'explode',
        'allowReserved',
        'schema',
        'example',
        'examples',
        'content',
      ),
      properties: {
        name: { type: 'string', minLength: 1 },
        in: { enum: ['query', 'header', 'path', 'cookie'] },
        description: { type: 'string' },
        required: { type: 'boolean' },
        schema: { $ref: '#/definitions/schemaOrRef' },
        content: { $ref: '#/definitions/content', minProperties: 1, maxProperties: 1 },
      },
      // A path parameter must say it is required; a parameter has a schema or a content, not both.
      allOf: [
        {
          if: { properties: { in: { const: 'path' } } },
          then: { required: ['required'], properties: { required: { const: true } } },
        },
        { oneOf: [{ required: ['schema'] }, { required: ['content'] }] },
      ],
    },
    schemaOrRef: {
      type: 'object',
      // A Reference Object has nothing but $ref (siblings would be ignored, OpenAPI 3.0 §4.7.23).
      if: { required: ['$ref'] },
      then: { $ref: '#/definitions/reference', maxProperties: 1 },
      else: {
        // OpenAPI 3.0's dialect: no JSON Schema keywords it does not support.
        not: {
          anyOf: [
            { required: ['$schema'] },
            { required: ['$id'] },
            { required: ['const'] },
            { required: ['examples'] },
            { required: ['if'] },
            { required: ['patternProperties'] },
            { required: ['propertyNames'] },
            { required: ['contains'] },
            { properties: { type: { type: 'array' } }, required: ['type'] },
          ],
        },
        properties: {
          type: { enum: ['array', 'boolean', 'integer', 'number', 'object', 'string'] },
          required: { type: 'array', items: { type: 'string' }, uniqueItems: true },
          properties: { type: 'object', additionalProperties: { $ref: '#/definitions/schemaOrRef' } },
          items: { $ref: '#/definitions/schemaOrRef' },
          additionalProperties: { anyOf: [{ type: 'boolean' }, { $ref: '#/definitions/schemaOrRef' }] },
          allOf: { type: 'array', items: { $ref: '#/definitions/schemaOrRef' } },
          anyOf: { type: 'array', items: { $ref: '#/definitions/schemaOrRef' } },
          oneOf: { type: 'array', items: { $ref: '#/definitions/schemaOrRef' } },
          not: { $ref: '#/definitions/schemaOrRef' },
          nullable: { type: 'boolean' },
          description: { type: 'string' },
          format: { type: 'string' },
          enum: { type: 'array', minItems: 1 },
        },
        // OpenAPI 3.0: `items` must be present when the type is array.
        allOf: [
          { if: { properties: { type: { const: 'array' } }, required: ['type'] }, then: { required: ['items'] } },
        ],
      },
    },
    securityScheme: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['apiKey', 'http', 'oauth2', 'openIdConnect'] },
        description: { type: 'string' },
      },
      allOf: [
        {
          if: { properties: { type: { const: 'http' } } },
          then: { required: ['scheme'], properties: { scheme: { type: 'string', minLength: 1 } } },
        },
        {
          if: { properties: { type: { const: 'apiKey' } } },
          then: { required: ['name', 'in'], properties: { in: { enum: ['query', 'header', 'cookie'] } } },
        },
        {
          if: { properties: { type: { const: 'oauth2' } } },
          then: {
            required: ['flows'],
            properties: {
              flows: {
                type: 'object',
                minProperties: 1,
                ...only('implicit', 'password', 'clientCredentials', 'authorizationCode'),
                properties: {
                  clientCredentials: {
                    type: 'object',
                    required: ['tokenUrl', 'scopes'],
                    properties: {
                      tokenUrl: { type: 'string', minLength: 1 },
                      scopes: { type: 'object', additionalProperties: { type: 'string' } },
                    },
                  },
                  password: { type: 'object', required: ['tokenUrl', 'scopes'] },
                  implicit: { type: 'object', required: ['authorizationUrl', 'scopes'] },
                  authorizationCode: { type: 'object', required: ['authorizationUrl', 'tokenUrl', 'scopes'] },
                },
              },
            },
          },
        },
        {
          if: { properties: { type: { const: 'openIdConnect' } } },
          then: { required: ['openIdConnectUrl'] },
        },
      ],
    },
    securityRequirement: {
      type: 'object',
      additionalProperties: { type: 'array', items: { type: 'string' } },
    },
  },
};

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (ajv: Ajv) => void)(ajv);
  // OpenAPI's own formats.
  for (const format of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password']) ajv.addFormat(format, true);
  return ajv;
}

const metaValidator: ValidateFunction = newAjv().compile(OPENAPI_30_META_SCHEMA);

type Json = Record<string, any>;

/** Resolves a local JSON pointer (`#/a/b~1c`) in the document, or undefined. */
function resolvePointer(document: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let current: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Json)[segment];
  }
  return current;
}

/** Every `$ref` of the document, with where it stands. */
function refsOf(value: unknown, where = '#'): Array<{ ref: string; where: string }> {
  if (Array.isArray(value)) return value.flatMap((item, index) => refsOf(item, `${where}/${index}`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, member]) =>
    key === '$ref' && typeof member === 'string' ? [{ ref: member, where }] : refsOf(member, `${where}/${key}`),
  );
}

interface OperationEntry {
  path: string;
  method: string;
  operation: Json;
}

function operationsOf(document: Json): OperationEntry[] {
  return Object.entries<Json>(document.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method] !== undefined).map((method) => ({
      path,
      method,
      operation: item[method] as Json,
    })),
  );
}

/** Every schema object the document's operations and components hold, with where it stands. */
function schemasOf(document: Json): Array<{ schema: Json; where: string }> {
  const found: Array<{ schema: Json; where: string }> = [];
  for (const [name, schema] of Object.entries<Json>(document.components?.schemas ?? {})) {
    found.push({ schema, where: `components.schemas.${name}` });
  }
  for (const { path, method, operation } of operationsOf(document)) {
    const at = `${method.toUpperCase()} ${path}`;
    for (const parameter of operation.parameters ?? []) {
      if (parameter.schema) found.push({ schema: parameter.schema, where: `${at} parameter ${parameter.name}` });
    }
    for (const [type, media] of Object.entries<Json>(operation.requestBody?.content ?? {})) {
      if (media.schema) found.push({ schema: media.schema, where: `${at} request ${type}` });
    }
    for (const [status, response] of Object.entries<Json>(operation.responses ?? {})) {
      for (const [type, media] of Object.entries<Json>(response.content ?? {})) {
        if (media.schema) found.push({ schema: media.schema, where: `${at} ${status} ${type}` });
      }
    }
  }
  return found;
}

/**
 * What is wrong with the document as OpenAPI 3.0 (empty when nothing): the meta-schema,
 * then the rules it cannot express.
 */
function openApiProblems(document: Json): string[] {
  const problems: string[] = [];
  if (!metaValidator(document)) {
    for (const error of metaValidator.errors ?? []) {
      problems.push(`meta-schema: ${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`);
    }
  }
  // Every $ref resolves inside the document.
  for (const { ref, where } of refsOf(document)) {
    if (resolvePointer(document, ref) === undefined) problems.push(`$ref ${ref} at ${where} does not resolve`);
  }
  const schemes = new Set(Object.keys(document.components?.securitySchemes ?? {}));
  const checkSecurity = (requirements: unknown, where: string) => {
    for (const requirement of (requirements as Json[] | undefined) ?? []) {
      for (const name of Object.keys(requirement)) {
        if (!schemes.has(name)) problems.push(`${where}: security scheme ${name} is not declared`);
      }
    }
  };
  checkSecurity(document.security, 'security');
  const operationIds = new Map<string, string[]>();
  const templates = new Map<string, string>();
  for (const [path, item] of Object.entries<Json>(document.paths ?? {})) {
    // Two paths that differ only in their variable names are the same path (OpenAPI 3.0 §4.7.8).
    const shape = path.replace(/\{[^}]*\}/g, '{}');
    if (templates.has(shape)) problems.push(`${path} and ${templates.get(shape)} are the same templated path`);
    templates.set(shape, path);
    const variables = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
    if (new Set(variables).size !== variables.length) problems.push(`${path} names a variable twice`);
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      const at = `${method.toUpperCase()} ${path}`;
      const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((parameter: Json) =>
        parameter.$ref ? (resolvePointer(document, parameter.$ref) as Json) : parameter,
      );
      const keys = parameters.map((parameter) => `${parameter?.in} ${parameter?.name}`);
      if (new Set(keys).size !== keys.length) problems.push(`${at}: a parameter is listed twice`);
      const pathParameters = parameters.filter((parameter) => parameter?.in === 'path').map((p) => p.name as string);
      for (const variable of variables) {
        if (!pathParameters.includes(variable)) problems.push(`${at}: {${variable}} has no path parameter`);
      }
      for (const name of pathParameters) {
        if (!variables.includes(name)) problems.push(`${at}: path parameter ${name} is not in the path`);
      }
      if (typeof operation.operationId === 'string') {
        operationIds.set(operation.operationId, [...(operationIds.get(operation.operationId) ?? []), at]);
      }
      checkSecurity(operation.security, at);
    }
  }
  for (const [operationId, where] of operationIds) {
    if (where.length > 1) problems.push(`operationId ${operationId} is not unique: ${where.join(', ')}`);
  }
  // Every schema is a schema Ajv can compile (the components beside it, for its $refs).
  const ajv = newAjv();
  const compiled = new Set<string>();
  for (const { schema, where } of schemasOf(document)) {
    // The same schema appears many times (v1.0 and v2, every error response): compile it once.
    const text = JSON.stringify(schema);
    if (compiled.has(text)) continue;
    compiled.add(text);
    try {
      ajv.compile({ allOf: [schema], components: document.components });
    } catch (error) {
      problems.push(`${where}: schema does not compile: ${(error as Error).message}`);
    }
  }
  return problems;
}

// --- the server -------------------------------------------------------------------------

const server: TestServer = await startTestServer();
const GROUP_ID = server.credentials.groupId;
const ORG_ID = server.credentials.orgId;
const MANAGED_USER = 'openapi-doc-user';
let document: Json;
let documentResponse: Response;
let documentText: string;
let firstCaId = '';

before(async () => {
  documentResponse = await fetch(`${server.origin}/api/openapi.json`);
  documentText = await documentResponse.text();
  document = JSON.parse(documentText) as Json;
  // A managed user with a certificate, so the project has a CA and CRLs to read.
  const created = await server.client.post(`${V1}/groups/${GROUP_ID}/databaseUsers`, {
    databaseName: '$external',
    username: MANAGED_USER,
    x509Type: 'MANAGED',
    roles: [{ roleName: 'read', databaseName: 'app' }],
  });
  assert.equal(created.status, 201, created.text);
  const issued = await server.client.post(`${V1}/groups/${GROUP_ID}/databaseUsers/${MANAGED_USER}/certs`, {});
  assert.equal(issued.status, 201, issued.text);
  const cas = await server.client.get(`${V1}/groups/${GROUP_ID}/userSecurity/managedX509/cas`);
  assert.equal(cas.status, 200, cas.text);
  firstCaId = cas.json().results[0].id;
});
after(() => server.close());

const routes = [...server.app.atlasRoutes];
/** A route template (`:name`, `:name(regex)`, `::` a literal colon) as an OpenAPI path. */
const templated = (url: string) =>
  url.replace(/::|:([A-Za-z0-9_]+)(\([^)]*\))?/g, (_match, name?: string) => (name === undefined ? ':' : `{${name}}`));
/** The route behind an operation of the document, by `method path` as the document writes them. */
const routeAt = new Map(routes.map((route) => [`${route.method.toLowerCase()} ${templated(route.url)}`, route]));
const routeOf = ({ method, path }: { method: string; path: string }) => routeAt.get(`${method} ${path}`);
/** The versioned media types of a v2 route: one per resource version its declaration names. */
const versionedTypesOf = (route: AtlasRoute | undefined) =>
  (route?.versions ?? []).map((version) => `application/vnd.atlas.${version}+json`);
/** The operations Atlas has only in v2 (service accounts), as their resources declare them. */
const v2Only = new Set(declaredOperations(V2_ONLY_RESOURCES));
const isV2OnlyPath = (entry: { method: string; path: string }) => {
  const declared = routeOf(entry)?.declared;
  return declared !== undefined && v2Only.has(declared);
};
const atlasOperations = () => operationsOf(document).filter(({ path }) => path.startsWith('/api/atlas/'));
const isV2 = (path: string) => path.startsWith(`${V2}/`);
const isExtensionPath = (path: string) => path.includes('/userSecurity/managedX509/');
const where = ({ method, path }: { method: string; path: string }) => `${method.toUpperCase()} ${path}`;

// --- tests ------------------------------------------------------------------------------

describe('serving the document', () => {
  test('GET /api/openapi.json: 200 application/json without any authentication', () => {
    assert.equal(documentResponse.status, 200, documentText.slice(0, 300));
    assert.match(documentResponse.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(documentResponse.headers.get('www-authenticate'), null);
    assert.equal(document.openapi, '3.0.3');
    assert.equal(typeof document.info.title, 'string');
  });

  test('the document is the same on every request, and not an Atlas route itself', async () => {
    const again = await fetch(`${server.origin}/api/openapi.json`);
    assert.equal(again.status, 200);
    assert.deepEqual(JSON.parse(await again.text()), document);
    assert.ok(!routes.some((route) => route.url === '/api/openapi.json'));
    assert.equal(document.paths['/api/openapi.json'], undefined);
    assert.equal(document.paths['/metrics'], undefined);
  });
});

describe('valid OpenAPI 3.0', () => {
  test('the document passes the meta-schema and the structural rules', () => {
    assert.deepEqual(openApiProblems(document), []);
  });

  test('the checks can fail: broken copies of the document are rejected', () => {
    const broken: Array<[string, (copy: Json) => void, RegExp]> = [
      ['no openapi member', (copy) => delete copy.openapi, /meta-schema/],
      ['an operation without responses', (copy) => delete copy.paths[`${V2}/groups`].get.responses, /meta-schema/],
      [
        'a response without description',
        (copy) => delete copy.paths[`${V2}/groups`].get.responses['200'].description,
        /meta-schema/,
      ],
      [
        'a parameter in the body',
        (copy) => (copy.paths[`${V2}/groups/{groupId}`].get.parameters.find((p: Json) => p.in === 'path').in = 'body'),
        /meta-schema/,
      ],
      [
        'an optional path parameter',
        (copy) =>
          (copy.paths[`${V2}/groups/{groupId}`].get.parameters.find((p: Json) => p.in === 'path').required = false),
        /meta-schema/,
      ],
      ['a path not starting with /', (copy) => (copy.paths['api/atlas'] = {}), /meta-schema/],
      ['an unknown member of an operation', (copy) => (copy.paths[`${V2}/groups`].get.response = {}), /meta-schema/],
      [
        'an unresolvable $ref',
        (copy) =>
          (copy.paths[`${V2}/groups`].get.responses['400'].content['application/json'].schema.$ref =
            '#/components/schemas/Nope'),
        /does not resolve/,
      ],
      [
        'a duplicate operationId',
        (copy) => (copy.paths[`${V2}/orgs`].get.operationId = copy.paths[`${V2}/groups/{groupId}`].get.operationId),
        /not unique/,
      ],
      [
        'a path variable without parameter',
        (copy) => {
          copy.paths[`${V2}/groups/{groupId}/x/{other}`] = copy.paths[`${V2}/groups/{groupId}`];
        },
        /has no path parameter/,
      ],
      ['an undeclared security scheme', (copy) => (copy.security = [{ ApiKey: [] }]), /not declared/],
      [
        'a schema type list (JSON Schema, not OpenAPI 3.0)',
        (copy) => (copy.components.schemas.ApiError.properties.detail.type = ['string', 'null']),
        /meta-schema/,
      ],
      [
        'a schema that does not compile',
        (copy) => (copy.components.schemas.ApiError.properties.detail.minLength = 'two'),
        /does not compile/,
      ],
      [
        'an oauth2 scheme without tokenUrl',
        (copy) => delete copy.components.securitySchemes.ServiceAccounts.flows.clientCredentials.tokenUrl,
        /meta-schema/,
      ],
    ];
    for (const [label, breakIt, expected] of broken) {
      const copy = structuredClone(document);
      breakIt(copy);
      const problems = openApiProblems(copy);
      assert.ok(
        problems.some((problem) => expected.test(problem)),
        `${label}: not rejected (${problems.join('; ') || 'no problem found'})`,
      );
    }
  });
});

describe('the routes', () => {
  test('every route of app.atlasRoutes (both versions) is in the document with its method and operation', () => {
    assert.ok(routes.some((route) => route.url.startsWith(`${V1}/`)));
    assert.ok(routes.some((route) => route.url.startsWith(`${V2}/`)));
    const missing: string[] = [];
    for (const route of routes) {
      const operation = document.paths[templated(route.url)]?.[route.method.toLowerCase()] as Json | undefined;
      if (!operation) missing.push(`${route.method} ${route.url}`);
      else assert.equal(operation['x-dbcerts-operation'], route.operation, `${route.method} ${route.url}`);
    }
    assert.deepEqual(missing, []);
  });

  test('the document has no Atlas operation that is not a route, and nothing else but the OAuth endpoints', () => {
    const routed = new Set(routes.map((route) => `${route.method.toLowerCase()} ${templated(route.url)}`));
    assert.deepEqual(
      atlasOperations()
        .filter(({ method, path }) => !routed.has(`${method} ${path}`))
        .map(where),
      [],
    );
    assert.equal(atlasOperations().length, routes.length);
    assert.deepEqual(
      operationsOf(document)
        .filter(({ path }) => !path.startsWith('/api/atlas/'))
        .map(where)
        .sort(),
      ['POST /api/oauth/revoke', 'POST /api/oauth/token'],
    );
  });

  test('v2 documents the operations of v1.0 and the service accounts, which v1.0 has not', () => {
    const strip = (prefix: string, accounts: boolean) =>
      atlasOperations()
        .filter((entry) => entry.path.startsWith(`${prefix}/`) && isV2OnlyPath(entry) === accounts)
        .map(
          ({ method, path, operation }) => `${method} ${path.slice(prefix.length)} ${operation['x-dbcerts-operation']}`,
        )
        .sort();
    assert.deepEqual(strip(V1, true), []);
    assert.ok(strip(V2, true).length >= 22);
    assert.ok(strip(V1, false).length + strip(V2, true).length >= Object.keys(REQUIRED_ROLES).length);
    assert.deepEqual(strip(V2, false), strip(V1, false));
  });
});

describe('operation ids', () => {
  test('every operation of the document has an operationId, unique in the document', () => {
    const all = operationsOf(document);
    assert.deepEqual(
      all
        .filter(({ operation }) => typeof operation.operationId !== 'string' || operation.operationId === '')
        .map(where),
      [],
      'operations without operationId',
    );
    const seen = new Map<string, string[]>();
    for (const entry of all) {
      const id = entry.operation.operationId as string;
      seen.set(id, [...(seen.get(id) ?? []), where(entry)]);
    }
    assert.deepEqual(
      [...seen].filter(([, at]) => at.length > 1).map(([id, at]) => `${id}: ${at.join(', ')}`),
      [],
      'operationIds used more than once',
    );
  });

  test('v2 ids are the REQUIRED_ROLES names and v1.0 ids `<name>V1` (for operations served by one route)', () => {
    const routesPer = new Map<string, number>();
    for (const { path, operation } of atlasOperations()) {
      const key = `${isV2(path)} ${operation['x-dbcerts-operation']}`;
      routesPer.set(key, (routesPer.get(key) ?? 0) + 1);
    }
    for (const { method, path, operation } of atlasOperations()) {
      const name = operation['x-dbcerts-operation'] as string;
      assert.ok(name in REQUIRED_ROLES, `${method} ${path}: ${name}`);
      const id = operation.operationId as string;
      if (isV2(path)) assert.ok(!id.endsWith('V1') && id.startsWith(name), `${method} ${path}: ${id}`);
      else assert.ok(id.endsWith('V1') && id.startsWith(name), `${method} ${path}: ${id}`);
      if (routesPer.get(`${isV2(path)} ${name}`) === 1) {
        assert.equal(id, isV2(path) ? name : `${name}V1`, `${method} ${path}`);
      }
    }
  });
});

describe('responses', () => {
  test('every Atlas operation lists 400/401/403/404/429/500 as ApiError (application/json), 406 on v2 only', () => {
    const problems: string[] = [];
    for (const entry of atlasOperations()) {
      const statuses = isV2(entry.path) ? [...ERROR_STATUSES, '406'] : ERROR_STATUSES;
      for (const status of statuses) {
        const response = entry.operation.responses?.[status] as Json | undefined;
        if (!response) {
          problems.push(`${where(entry)}: no ${status}`);
          continue;
        }
        if (!isDeepStrictEqual(response.content, { 'application/json': { schema: { $ref: API_ERROR_REF } } })) {
          problems.push(`${where(entry)} ${status}: ${JSON.stringify(response.content)}`);
        }
      }
      if (!isV2(entry.path) && entry.operation.responses?.['406'] !== undefined) {
        problems.push(`${where(entry)}: v1.0 never answers 406`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('ApiError is Atlas’ error shape, and real error bodies of both versions validate against it', async () => {
    const apiError = document.components.schemas.ApiError as Json;
    assert.deepEqual([...apiError.required].sort(), ['error', 'errorCode']);
    assert.deepEqual(Object.keys(apiError.properties).sort(), [
      'badRequestDetail',
      'detail',
      'error',
      'errorCode',
      'parameters',
      'reason',
    ]);
    assert.deepEqual(apiError.properties.error, { type: 'integer', format: 'int32' });
    const validate = newAjv().compile({ ...apiError, additionalProperties: false });
    const bodies = [
      await server.client.get(`${V1}/groups/0123456789abcdef01234567`),
      await server.client.request(`${V2}/groups/${GROUP_ID}`, { headers: { accept: 'application/json' } }),
      await server.client.request(`${V2}/groups/${GROUP_ID}/databaseUsers`, {
        method: 'POST',
        body: { username: 'x', roles: [{ roleName: 'read', databaseName: 'app' }], colour: 'blue' },
        headers: { accept: VERSIONED },
      }),
    ];
    assert.deepEqual(
      bodies.map((response) => response.status),
      [404, 406, 400],
    );
    assert.ok('badRequestDetail' in bodies[2]!.json(), bodies[2]!.text);
    for (const response of bodies)
      assert.ok(validate(response.json()), `${response.text}: ${JSON.stringify(validate.errors)}`);
  });

  test('each operation declares the success status the server answers, and only that one', () => {
    const problems: string[] = [];
    for (const entry of atlasOperations()) {
      const route = routeOf(entry);
      if (!route) {
        problems.push(`${where(entry)}: not a route`);
        continue;
      }
      const expected = String(route.declared.success);
      const declared = Object.keys(entry.operation.responses ?? {}).filter((status) => /^[23]/.test(status));
      if (!isDeepStrictEqual(declared, [expected])) {
        problems.push(`${where(entry)}: declares ${declared.join(', ') || 'nothing'}, answers ${expected}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('v2 success responses use the versioned types of their operation’s declared resource versions, v1.0 ones application/json', () => {
    const problems: string[] = [];
    for (const entry of atlasOperations()) {
      const versioned = versionedTypesOf(routeOf(entry));
      if (isV2(entry.path) && versioned.length === 0) problems.push(`${where(entry)}: no resource version`);
      for (const [status, response] of Object.entries<Json>(entry.operation.responses ?? {})) {
        if (!/^2/.test(status) || response.content === undefined) continue;
        const types = Object.keys(response.content);
        const json = isV2(entry.path) ? versioned : ['application/json'];
        const other = isV2(entry.path) ? 'application/json' : VERSIONED;
        // The CA and CRL extensions keep their PEM/DER types (checked live below).
        if (types.includes(other)) problems.push(`${where(entry)} ${status}: ${types.join(', ')}`);
        if (!isExtensionPath(entry.path) && !isDeepStrictEqual(types, json)) {
          problems.push(`${where(entry)} ${status}: ${types.join(', ')}`);
        }
      }
      // v2 request bodies: the versioned type and application/json, one schema.
      const request = entry.operation.requestBody?.content as Json | undefined;
      if (request && isV2(entry.path)) {
        if (!isDeepStrictEqual(Object.keys(request).sort(), ['application/json', ...versioned].sort())) {
          problems.push(`${where(entry)} request: ${Object.keys(request).join(', ')}`);
        } else if (versioned.some((type) => !isDeepStrictEqual(request[type], request['application/json']))) {
          problems.push(`${where(entry)} request: two different schemas`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test('POST certs answers a PEM string schema in both versions', () => {
    for (const [prefix, type] of [
      [V1, 'application/json'],
      [V2, VERSIONED],
    ] as const) {
      const operation = document.paths[`${prefix}/groups/{groupId}/databaseUsers/{username}/certs`]?.post as Json;
      assert.ok(operation, prefix);
      assert.deepEqual(Object.keys(operation.responses['201'].content), [type], prefix);
      const schema = operation.responses['201'].content[type].schema as Json;
      assert.equal(schema.type, 'string', prefix);
      assert.equal(schema.$ref, undefined, prefix);
      assert.match(schema.description ?? '', /PEM/, prefix);
    }
  });

  test('what the document declares for GET routes is what the server answers (status and media type)', async () => {
    const params: Record<string, string> = {
      groupId: GROUP_ID,
      orgId: ORG_ID,
      caId: firstCaId,
      databaseName: '$external',
      username: MANAGED_USER,
    };
    const problems: string[] = [];
    let checked = 0;
    for (const route of routes.filter((candidate) => candidate.method === 'GET')) {
      const names = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]!);
      if (names.some((name) => params[name] === undefined)) continue;
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, (_match, name: string) => encodeURIComponent(params[name]!));
      const response = await server.client.request(path, {
        headers: route.url.startsWith(`${V2}/`) ? { accept: versionedTypesOf(route).at(-1)! } : {},
      });
      checked++;
      const operation = document.paths[templated(route.url)].get as Json;
      const declared = operation.responses[String(response.status)] as Json | undefined;
      const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
      if (!declared || response.status >= 300) {
        problems.push(`GET ${route.url}: answered ${response.status} ${response.text.slice(0, 100)}`);
      } else if (!Object.keys(declared.content ?? {}).includes(type)) {
        problems.push(
          `GET ${route.url}: answers ${type}, the document declares ${Object.keys(declared.content ?? {}).join(', ') || 'no content'}`,
        );
      }
    }
    assert.ok(checked >= 30, `${checked} routes checked`);
    assert.deepEqual(problems, []);
  });
});

describe('extensions and security', () => {
  test('the managedX509 operations are marked x-dbcerts-extension, and no Atlas operation is', () => {
    const problems: string[] = [];
    for (const entry of atlasOperations()) {
      const mark = entry.operation['x-dbcerts-extension'];
      if (isExtensionPath(entry.path) && mark !== true) problems.push(`${where(entry)}: not marked`);
      if (!isExtensionPath(entry.path) && mark !== undefined) problems.push(`${where(entry)}: marked ${mark}`);
    }
    assert.deepEqual(problems, []);
    // As many as the routes of declared extensions (13 routes, both versions).
    const extensionRoutes = routes.filter((route) => route.extension).length;
    assert.ok(extensionRoutes >= 26, `${extensionRoutes} extension routes`);
    assert.equal(atlasOperations().filter(({ path }) => isExtensionPath(path)).length, extensionRoutes);
  });

  test('both security schemes are declared, and every Atlas operation accepts either', () => {
    assert.deepEqual(document.components.securitySchemes, {
      DigestAuth: { type: 'http', scheme: 'digest' },
      ServiceAccounts: {
        type: 'oauth2',
        flows: { clientCredentials: { tokenUrl: '/api/oauth/token', scopes: {} } },
      },
    });
    for (const entry of atlasOperations()) {
      const security = (entry.operation.security ?? document.security) as Json[];
      assert.deepEqual(
        security.map((requirement) => Object.keys(requirement).join('+')).sort(),
        ['DigestAuth', 'ServiceAccounts'],
        where(entry),
      );
    }
  });

  test('the OAuth endpoints do not require the credentials they issue', () => {
    for (const path of ['/api/oauth/token', '/api/oauth/revoke']) {
      const operation = document.paths[path]?.post as Json;
      assert.ok(operation, path);
      const security = (operation.security ?? document.security ?? []) as Json[];
      // No requirement, or an optional one ({}), or HTTP Basic for the client credentials.
      const demandsAtlasCredentials =
        security.length > 0 &&
        security.every((requirement) => 'DigestAuth' in requirement || 'ServiceAccounts' in requirement);
      assert.ok(!demandsAtlasCredentials, `${path}: security ${JSON.stringify(security)}`);
    }
  });
});

describe('generated from the route schemas', () => {
  test('the request body of POST databaseUsers is the TypeBox schema DatabaseUserCreate', () => {
    const typebox = JSON.parse(JSON.stringify(DatabaseUserCreate)) as Json;
    assert.deepEqual([...typebox.required].sort(), ['roles', 'username']);
    for (const [prefix, types] of [
      [V1, ['application/json']],
      [V2, [VERSIONED, 'application/json']],
    ] as const) {
      const operation = document.paths[`${prefix}/groups/{groupId}/databaseUsers`].post as Json;
      assert.equal(operation.requestBody.required, true, prefix);
      assert.deepEqual(Object.keys(operation.requestBody.content).sort(), [...types].sort(), prefix);
      for (const type of types) {
        const schema = operation.requestBody.content[type].schema as Json;
        assert.deepEqual(schema.required, typebox.required, `${prefix} ${type}`);
        assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(typebox.properties).sort());
        assert.deepEqual(schema.properties, typebox.properties, `${prefix} ${type}`);
        assert.equal(schema.additionalProperties, false);
        assert.deepEqual(schema, typebox, `${prefix} ${type}`);
      }
    }
  });
});
