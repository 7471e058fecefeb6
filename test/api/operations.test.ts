import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import type { Authority } from '../../src/authority/authority.js';
import { declaredOperations, defineOperation, type OperationSpec } from '../../src/api/operations.js';
import { DECLARED_OPERATIONS, V2_ONLY_RESOURCES } from '../../src/api/resources.js';
import guardRails from '../../src/api/plugins/guard-rails.js';
import { openApiPath } from '../../src/api/route-templates.js';
import { type Operation, REQUIRED_ROLES } from '../../src/authority/required-roles.js';
import { startTestServer, type TestServer, V1, V2 } from '../helpers/server.js';

/**
 * The operation declarations (src/api/operations.ts): a wrong declaration stops the module
 * that makes it from loading; the registry is what the server serves, under each version;
 * REQUIRED_ROLES and the declared operations name the same operations; and
 * docs/extensions.md documents exactly the declared extensions.
 */

const server: TestServer = await startTestServer();
after(() => server.close());

const EXTENSIONS_DOC = fileURLToPath(new URL('../../../docs/extensions.md', import.meta.url));
const v2Only = new Set(declaredOperations(V2_ONLY_RESOURCES));
const key = (method: string, path: string) => `${method} ${path}`;

describe('a declaration is checked when it is made', () => {
  const valid: OperationSpec<{ response: Record<number, unknown> }> = {
    method: 'GET',
    path: '/groups/:groupId/example',
    operation: 'getProject',
    summary: 'An example',
    success: 200,
    schema: { response: { 200: Type.Object({}) } },
  };

  test('a valid one is frozen, with the defaults filled in', () => {
    const declared = defineOperation(valid);
    assert.ok(Object.isFrozen(declared));
    assert.deepEqual(declared.versions, ['2023-01-01']);
    assert.equal(declared.extension, false);
    assert.equal(declared.keepNullMembers, false);
    assert.equal('operationId' in declared, false);
  });

  for (const [label, spec, expected] of [
    ['a success status the response schema does not have', { ...valid, success: 201 }, /success 201/],
    [
      'two success statuses',
      { ...valid, schema: { response: { 200: Type.Object({}), 204: Type.Null() } } },
      /declares 200, 204/,
    ],
    ['no response schema', { ...valid, schema: {} }, /declares $/],
    ['an operation REQUIRED_ROLES does not have', { ...valid, operation: 'getNothing' as Operation }, /getNothing/],
    ['a path with its version prefix', { ...valid, path: `${V1}/groups` }, /under the version prefix/],
    ['an empty summary', { ...valid, summary: ' ' }, /no summary/],
  ] as const) {
    test(`refused: ${label}`, () => {
      assert.throws(() => defineOperation(spec as typeof valid), expected);
    });
  }
});

describe('the registry', () => {
  test('declarations are unique by method and path, and by OpenAPI operation id', () => {
    assert.ok(DECLARED_OPERATIONS.length >= 18, `${DECLARED_OPERATIONS.length} declarations`);
    const paths = DECLARED_OPERATIONS.map((declared) => key(declared.method, declared.path));
    assert.equal(new Set(paths).size, paths.length);
    const ids = DECLARED_OPERATIONS.map((declared) => declared.operationId ?? declared.operation);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('every declaration is served under v2, and under v1.0 unless Atlas has it only in v2', () => {
    const served = new Map(server.app.atlasRoutes.map((route) => [key(route.method, route.url), route]));
    const problems: string[] = [];
    for (const declared of DECLARED_OPERATIONS) {
      const prefixes = v2Only.has(declared) ? [V2] : [V1, V2];
      for (const prefix of prefixes) {
        const route = served.get(key(declared.method, `${prefix}${declared.path}`));
        if (route?.declared !== declared) problems.push(`${declared.method} ${prefix}${declared.path}: not served`);
        else if (route.operation !== declared.operation || route.versions !== declared.versions) {
          problems.push(`${declared.method} ${prefix}${declared.path}: served as ${route.operation}`);
        }
      }
      if (v2Only.has(declared) && served.has(key(declared.method, `${V1}${declared.path}`))) {
        problems.push(`${declared.method} ${V1}${declared.path}: served under v1.0`);
      }
    }
    const registry = new Set(DECLARED_OPERATIONS);
    for (const route of server.app.atlasRoutes) {
      if (!registry.has(route.declared)) problems.push(`${route.url}: a declaration not listed`);
    }
    assert.deepEqual(problems, []);
  });

  test('REQUIRED_ROLES has an entry for every declared operation, and every entry is served', () => {
    for (const declared of DECLARED_OPERATIONS) {
      assert.ok(Object.hasOwn(REQUIRED_ROLES, declared.operation), declared.operation);
    }
    const performed = new Set<string>(DECLARED_OPERATIONS.map((declared) => declared.operation));
    assert.deepEqual(
      Object.keys(REQUIRED_ROLES).filter((operation) => !performed.has(operation)),
      [],
    );
  });
});

test('the OpenAPI document gives every Atlas route its declaration’s summary', async () => {
  const document = (await (await fetch(`${server.origin}/api/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { summary?: string }>>;
  };
  const problems: string[] = [];
  for (const route of server.app.atlasRoutes) {
    const summary = document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()]?.summary;
    if (summary !== route.declared.summary) problems.push(`${route.method} ${route.url}: ${summary}`);
  }
  assert.deepEqual(problems, []);
});

test('an /api/atlas route that serves no declaration is refused when it is added', async () => {
  const app = Fastify();
  // The authority only serves refused requests, which this app never answers.
  await app.register(guardRails, { authority: {} as Authority, protectedPrefix: '/api/atlas/' });
  try {
    assert.throws(
      () => app.get(`${V2}/groups`, { config: {} }, async () => ({})),
      /GET \/api\/atlas\/v2\/groups serves no declared operation/,
    );
    // Outside the prefix, nothing is required.
    app.get('/healthz', async () => ({}));
    const declared = DECLARED_OPERATIONS[0]!;
    app.route({
      method: declared.method,
      url: `${V2}${declared.path}`,
      config: { declared },
      handler: async () => ({}),
    });
    await app.ready();
    assert.deepEqual(
      app.atlasRoutes.map((route) => [route.method, route.url, route.operation]),
      [[declared.method, `${V2}${declared.path}`, declared.operation]],
    );
  } finally {
    await app.close();
  }
});

describe('docs/extensions.md', () => {
  /** Every `METHOD /path` the page names: table rows, and inline code (`GET/PATCH /path?query`). */
  function documentedEndpoints(markdown: string): Set<string> {
    const found = new Set<string>();
    for (const [, method, path] of markdown.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|/gm)) {
      found.add(key(method!, path!));
    }
    for (const [, methods, path] of markdown.matchAll(/`((?:GET|POST|PUT|PATCH|DELETE)(?:\/[A-Z]+)*) (\/[^`?\s]*)/g)) {
      for (const method of methods!.split('/')) found.add(key(method, path!));
    }
    return found;
  }

  test('its endpoints under managedX509 are exactly the declared extensions', () => {
    const documented = [...documentedEndpoints(readFileSync(EXTENSIONS_DOC, 'utf8'))]
      .filter((endpoint) => endpoint.includes('/userSecurity/managedX509'))
      .sort();
    const declared = DECLARED_OPERATIONS.filter((operation) => operation.extension)
      .map((operation) => key(operation.method, openApiPath(operation.path)))
      .sort();
    assert.ok(declared.length >= 13, `${declared.length} extensions`);
    assert.deepEqual(documented, declared);
  });

  test('every declared extension lives under a path Atlas does not use', () => {
    for (const declared of DECLARED_OPERATIONS.filter((operation) => operation.extension)) {
      assert.match(declared.path, /^\/groups\/:groupId\/userSecurity\/managedX509\//, declared.path);
    }
  });
});
