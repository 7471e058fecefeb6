import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiClient, ApiClientError, ClientCredentialsAuthProvider } from '@mongodb-js/mcp-atlas-api-client';
import type { FastifyInstance } from 'fastify';
import {
  Agent,
  type Dispatcher,
  fetch as undiciFetch,
  getGlobalDispatcher,
  Request as UndiciRequest,
  setGlobalDispatcher,
} from 'undici';
import { buildServer } from '../../src/api/server.js';
import { Authority } from '../../src/authority/authority.js';
import type { BootstrapCredentials } from '../../src/authority/bootstrap.js';
import { newMasterKey } from '../../src/pki/secret-box.js';
import { Store } from '../../src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/backend.js';
import { TestClock } from '../helpers/clock.js';
import { DigestClient } from '../helpers/digest-client.js';
import { NEW_P256_KEY, openssl } from '../helpers/openssl.js';
import { openTestAuthority } from '../helpers/server.js';

/**
 * A real Atlas v2 client against dbcerts: the MongoDB MCP server's Atlas API client
 * (npm `@mongodb-js/mcp-atlas-api-client`, which the MCP server uses for every Atlas tool)
 * authenticating with a service account (OAuth 2.0 client credentials through its
 * ClientCredentialsAuthProvider and oauth4webapi) and listing projects, creating, listing
 * and deleting database users. The results are checked against the API with Digest.
 *
 * oauth4webapi refuses plain-HTTP token endpoints and the client does not relax that, so
 * dbcerts serves HTTPS here (buildServer's `tls` option, the server's `--tls-cert`), with
 * a throwaway CA made by openssl; the client's fetch is undici's with an Agent that trusts
 * that CA, wrapped to record every exchange (the client sends
 * `Accept: application/vnd.atlas.2025-03-12+json`; dbcerts answers with each operation's
 * newest version on or before that date: 2023-01-01, and 2024-08-05 for the service-account
 * routes, which the client reaches through its own HTTP stack). A second listener over the
 * same Authority speaks plain HTTP for the Digest checks.
 */

const V2_ANSWER = 'application/vnd.atlas.2023-01-01+json';
const SA_ANSWER = 'application/vnd.atlas.2024-08-05+json';
const CLIENT_ACCEPT = 'application/vnd.atlas.2025-03-12+json';
const USER_AGENT = 'dbcerts-test/1.0 (mcp-atlas-api-client 3.0.4)';

type HttpClient = { fetch: typeof fetch; Request: typeof globalThis.Request };
type Logger = ConstructorParameters<typeof ApiClient>[0]['logger'];

interface Exchange {
  method: string;
  path: string;
  accept: string | null;
  authorization: string | null;
  contentType: string | null;
  userAgent: string | null;
  body: string;
  status: number;
  responseType: string | null;
}

/** The client's HTTP: undici's fetch over an Agent that trusts the throwaway CA, every exchange recorded. */
function recordingHttpClient(dispatcher: Dispatcher, exchanges: Exchange[]): HttpClient {
  const recordingFetch = async (input: unknown, init?: unknown): Promise<unknown> => {
    const request = new UndiciRequest(input as string, init as ConstructorParameters<typeof UndiciRequest>[1]);
    const body = request.body ? await request.clone().text() : '';
    const response = await undiciFetch(request, { dispatcher });
    exchanges.push({
      method: request.method,
      path: new URL(request.url).pathname,
      accept: request.headers.get('accept'),
      authorization: request.headers.get('authorization'),
      contentType: request.headers.get('content-type'),
      userAgent: request.headers.get('user-agent'),
      body,
      status: response.status,
      responseType: response.headers.get('content-type'),
    });
    return response;
  };
  return { fetch: recordingFetch as unknown as typeof fetch, Request: UndiciRequest as unknown as typeof Request };
}

/** A logger (the client's LoggerBase surface) that keeps what it is told. */
function recordingLogger(lines: Array<{ level: string; payload: unknown }>): Logger {
  const logger: Record<string, unknown> = {};
  for (const level of ['log', 'info', 'error', 'debug', 'notice', 'warning', 'critical', 'alert', 'emergency']) {
    logger[level] = (payload: unknown) => lines.push({ level, payload });
  }
  logger.flush = async () => [];
  return logger as unknown as Logger;
}

describe('the MongoDB MCP server’s Atlas API client, with a service account, over HTTPS', () => {
  let dir: string;
  let ca: string;
  let store: Store;
  /** The store (on PostgreSQL, a database of its own). */
  let database: TestDatabase | undefined;
  let authority: Authority;
  let credentials: BootstrapCredentials;
  let tlsApp: FastifyInstance;
  let plainApp: FastifyInstance;
  let baseUrl: string;
  let digest: DigestClient;
  let account: { clientId: string; secret: string };
  let dispatcher: Agent;
  const exchanges: Exchange[] = [];
  const logLines: Array<{ level: string; payload: unknown }> = [];
  let client: ApiClient;
  let groupId: string;
  let unassignedGroupId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbcerts-mcp-client-'));
    // A throwaway CA, and a certificate for 127.0.0.1 it signs.
    const file = (name: string) => join(dir, name);
    await openssl(
      'req',
      '-x509',
      ...NEW_P256_KEY,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=dbcerts test throwaway CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    );
    await openssl(
      'req',
      ...NEW_P256_KEY,
      '-keyout',
      file('server.key'),
      '-out',
      file('server.csr'),
      '-subj',
      '/CN=127.0.0.1',
    );
    writeFileSync(
      file('server.ext'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n',
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('server.pem'),
      '-days',
      '1',
      '-extfile',
      file('server.ext'),
    );
    ca = readFileSync(file('ca.pem'), 'utf8');

    database = await createTestDatabase();
    // The client caches its token by the real clock; the server's clock is the real time too.
    ({ store, authority } = await openTestAuthority(
      file('data'),
      database.url,
      newMasterKey(),
      new TestClock(new Date()),
    ));
    ({ credentials } = await authority.bootstrap.bootstrap());
    groupId = credentials.groupId;
    tlsApp = await buildServer({
      authority,
      tls: { cert: readFileSync(file('server.pem'), 'utf8'), key: readFileSync(file('server.key'), 'utf8') },
      backgroundJobs: false,
    });
    await tlsApp.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `https://127.0.0.1:${(tlsApp.server.address() as { port: number }).port}/`;
    plainApp = await buildServer({ authority, backgroundJobs: false });
    await plainApp.listen({ port: 0, host: '127.0.0.1' });
    const plainOrigin = `http://127.0.0.1:${(plainApp.server.address() as { port: number }).port}`;
    digest = new DigestClient(plainOrigin, credentials.publicKey, credentials.privateKey);

    // The service account: an Organization Member that administers the project's database users.
    const created = await digest.request(`/api/atlas/v2/orgs/${credentials.orgId}/serviceAccounts`, {
      method: 'POST',
      body: {
        name: 'MongoDB MCP server',
        description: 'Atlas tools of the MCP server',
        roles: ['ORG_MEMBER'],
        secretExpiresAfterHours: 24,
      },
      headers: { accept: SA_ANSWER },
    });
    assert.equal(created.status, 201, created.text);
    account = { clientId: created.json().clientId, secret: created.json().secrets[0].secret };
    const assigned = await digest.request(
      `/api/atlas/v2/groups/${groupId}/serviceAccounts/${account.clientId}:invite`,
      { method: 'POST', body: { roles: ['GROUP_DATABASE_ACCESS_ADMIN'] }, headers: { accept: SA_ANSWER } },
    );
    assert.equal(assigned.status, 200, assigned.text);
    // A project the account is not assigned to, which it must not see.
    const other = await digest.post('/api/atlas/v1.0/groups', { name: 'NotForRobots', orgId: credentials.orgId });
    assert.equal(other.status, 200, other.text);
    unassignedGroupId = other.json().id;

    dispatcher = new Agent({ connect: { ca } });
    const httpClient = recordingHttpClient(dispatcher, exchanges);
    const logger = recordingLogger(logLines);
    const authProvider = new ClientCredentialsAuthProvider(
      { baseUrl, clientId: account.clientId, clientSecret: account.secret, userAgent: USER_AGENT, httpClient },
      logger,
    );
    client = new ApiClient({ options: { baseUrl, userAgent: USER_AGENT, httpClient }, logger, authProvider });
  });

  after(async () => {
    await tlsApp?.close();
    await plainApp?.close();
    await store?.close();
    await database?.drop();
    await dispatcher?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the client gets a token with Basic client credentials, then lists the projects it may see', async () => {
    const groups = await client.listGroups();
    assert.deepEqual(
      groups.results?.map((group: { id?: string; name?: string; orgId?: string }) => [
        group.id,
        group.name,
        group.orgId,
      ]),
      [[groupId, 'Project0', credentials.orgId]],
    );
    assert.equal(groups.totalCount, 1);
    assert.deepEqual(groups.links, [{ href: `${baseUrl}api/atlas/v2/groups?pageNum=1&itemsPerPage=100`, rel: 'self' }]);
    const [token, list] = exchanges;
    assert.ok(token && list);
    assert.deepEqual(
      { method: token.method, path: token.path, status: token.status, body: token.body },
      { method: 'POST', path: '/api/oauth/token', status: 200, body: 'grant_type=client_credentials' },
    );
    assert.equal(
      token.authorization,
      `Basic ${Buffer.from(`${account.clientId}:${account.secret}`).toString('base64')}`,
    );
    assert.match(token.contentType ?? '', /^application\/x-www-form-urlencoded/);
    assert.equal(token.userAgent, USER_AGENT);
    assert.deepEqual(
      { method: list.method, path: list.path, accept: list.accept, status: list.status, type: list.responseType },
      { method: 'GET', path: '/api/atlas/v2/groups', accept: CLIENT_ACCEPT, status: 200, type: V2_ANSWER },
    );
    assert.match(list.authorization ?? '', /^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.deepEqual(
      logLines.filter((line) => line.level === 'error'),
      [],
    );
  });

  test('createDatabaseUser: a SCRAM user and an Atlas-managed X.509 user', async () => {
    const scram = await client.createDatabaseUser({
      params: { path: { groupId } },
      body: {
        databaseName: 'admin',
        groupId,
        username: 'mcp-scram',
        password: 'a long enough password',
        roles: [{ roleName: 'readWrite', databaseName: 'inventory' }],
      },
    });
    assert.deepEqual(scram, {
      awsIAMType: 'NONE',
      databaseName: 'admin',
      groupId,
      labels: [],
      ldapAuthType: 'NONE',
      links: [{ href: `${baseUrl}api/atlas/v2/groups/${groupId}/databaseUsers/admin/mcp-scram`, rel: 'self' }],
      oidcAuthType: 'NONE',
      roles: [{ databaseName: 'inventory', roleName: 'readWrite' }],
      scopes: [],
      username: 'mcp-scram',
      x509Type: 'NONE',
    });
    const x509 = await client.createDatabaseUser({
      params: { path: { groupId } },
      body: {
        databaseName: '$external',
        groupId,
        username: 'mcp-robot',
        x509Type: 'MANAGED',
        roles: [{ roleName: 'read', databaseName: 'inventory' }],
      },
    });
    assert.deepEqual(x509, {
      awsIAMType: 'NONE',
      databaseName: '$external',
      groupId,
      labels: [],
      ldapAuthType: 'NONE',
      links: [{ href: `${baseUrl}api/atlas/v2/groups/${groupId}/databaseUsers/$external/mcp-robot`, rel: 'self' }],
      oidcAuthType: 'NONE',
      roles: [{ databaseName: 'inventory', roleName: 'read' }],
      scopes: [],
      username: 'mcp-robot',
      x509Type: 'MANAGED',
    });
    const posts = exchanges.filter(
      (exchange) => exchange.method === 'POST' && exchange.path.endsWith('/databaseUsers'),
    );
    assert.equal(posts.length, 2);
    for (const post of posts) {
      assert.equal(post.accept, CLIENT_ACCEPT);
      assert.equal(post.contentType, 'application/json');
      assert.equal(post.status, 201);
      assert.equal(post.responseType, V2_ANSWER);
    }
  });

  test('listDatabaseUsers through the client equals the list read with Digest', async () => {
    const listed = await client.listDatabaseUsers({ params: { path: { groupId } } });
    assert.deepEqual(
      listed.results?.map((user: { databaseName?: string; username?: string; x509Type?: string }) => [
        user.databaseName,
        user.username,
        user.x509Type,
      ]),
      [
        ['admin', 'mcp-scram', 'NONE'],
        ['$external', 'mcp-robot', 'MANAGED'],
      ],
    );
    const viaDigest = await digest.request(`/api/atlas/v2/groups/${groupId}/databaseUsers`, {
      headers: { accept: V2_ANSWER },
    });
    assert.equal(viaDigest.status, 200, viaDigest.text);
    const plainOrigin = digest.baseUrl;
    // Same document, but for the origin in the links (each listener names its own).
    assert.deepEqual(JSON.parse(viaDigest.text.replaceAll(plainOrigin, baseUrl.slice(0, -1))), listed);
  });

  test('the users the client made are real: Digest reads them, and the X.509 user gets a certificate', async () => {
    const scram = await digest.get(`/api/atlas/v1.0/groups/${groupId}/databaseUsers/admin/mcp-scram`);
    assert.equal(scram.status, 200, scram.text);
    assert.equal(scram.json().x509Type, 'NONE');
    assert.ok(!scram.text.includes('password'));
    const robot = await digest.get(`/api/atlas/v1.0/groups/${groupId}/databaseUsers/%24external/mcp-robot`);
    assert.equal(robot.status, 200, robot.text);
    const certificate = await digest.post(`/api/atlas/v1.0/groups/${groupId}/databaseUsers/mcp-robot/certs`, {
      monthsUntilExpiration: 1,
    });
    assert.equal(certificate.status, 201, certificate.text);
    assert.match(certificate.text, /^-----BEGIN CERTIFICATE-----\n/);
    // The SCRAM user's credentials were stored as mongod keeps them (no password).
    const stored = JSON.stringify(await store.db.selectFrom('database_users').selectAll().execute());
    assert.ok(!stored.includes('a long enough password'));
  });

  test('an Atlas error reaches the client as ApiClientError with Atlas’ body', async () => {
    await assert.rejects(
      client.createDatabaseUser({
        params: { path: { groupId } },
        body: {
          databaseName: 'admin',
          groupId,
          username: 'mcp-scram',
          password: 'another password',
          roles: [{ roleName: 'read', databaseName: 'inventory' }],
        },
      }),
      (error: unknown) => {
        assert.ok(error instanceof ApiClientError);
        assert.equal(error.response.status, 409);
        assert.deepEqual(error.apiError, {
          detail: 'A user with username mcp-scram already exists.',
          error: 409,
          errorCode: 'USER_ALREADY_EXISTS',
          parameters: ['mcp-scram'],
          reason: 'Conflict',
        });
        assert.equal(
          error.message,
          '[409 Conflict] error calling Atlas API: Conflict; A user with username mcp-scram already exists.',
        );
        return true;
      },
    );
    // A project the account has no role in, and one that does not exist.
    for (const [id, status, errorCode] of [
      [unassignedGroupId, 401, 'NOT_IN_GROUP'],
      ['ffffffffffffffffffffffff', 404, 'GROUP_NOT_FOUND'],
    ] as const) {
      await assert.rejects(client.listDatabaseUsers({ params: { path: { groupId: id } } }), (error: unknown) => {
        assert.ok(error instanceof ApiClientError);
        assert.equal(error.response.status, status);
        assert.equal(error.apiError?.errorCode, errorCode);
        return true;
      });
    }
  });

  test('deleteDatabaseUser ($external in the path, percent-encoded by the client): Digest sees them gone', async () => {
    await client.deleteDatabaseUser({
      params: { path: { groupId, databaseName: '$external', username: 'mcp-robot' } },
    });
    await client.deleteDatabaseUser({ params: { path: { groupId, databaseName: 'admin', username: 'mcp-scram' } } });
    const deletes = exchanges.filter((exchange) => exchange.method === 'DELETE');
    assert.deepEqual(
      deletes.map((exchange) => [exchange.path, exchange.status, exchange.accept]),
      [
        [`/api/atlas/v2/groups/${groupId}/databaseUsers/%24external/mcp-robot`, 204, CLIENT_ACCEPT],
        [`/api/atlas/v2/groups/${groupId}/databaseUsers/admin/mcp-scram`, 204, CLIENT_ACCEPT],
      ],
    );
    for (const path of ['%24external/mcp-robot', 'admin/mcp-scram']) {
      const gone = await digest.get(`/api/atlas/v1.0/groups/${groupId}/databaseUsers/${path}`);
      assert.equal(gone.status, 404, gone.text);
      assert.equal(gone.json().errorCode, 'USERNAME_NOT_FOUND');
    }
    const listed = await client.listDatabaseUsers({ params: { path: { groupId } } });
    assert.deepEqual(listed.results, []);
    assert.equal(listed.totalCount, 0);
  });

  test('getGroup and deleteGroup on a project the account owns: 204, Digest sees it gone, its role with it', async () => {
    const made = await digest.post('/api/atlas/v1.0/groups', { name: 'RobotOwned', orgId: credentials.orgId });
    assert.equal(made.status, 200, made.text);
    const ownedId = made.json().id as string;
    const assigned = await digest.request(
      `/api/atlas/v2/groups/${ownedId}/serviceAccounts/${account.clientId}:invite`,
      {
        method: 'POST',
        body: { roles: ['GROUP_OWNER'] },
        headers: { accept: SA_ANSWER },
      },
    );
    assert.equal(assigned.status, 200, assigned.text);
    const read = await client.getGroup({ params: { path: { groupId: ownedId } } });
    assert.equal(read.name, 'RobotOwned');
    await client.deleteGroup({ params: { path: { groupId: ownedId } } });
    const deleted = exchanges.filter((exchange) => exchange.method === 'DELETE' && exchange.path.endsWith(ownedId));
    assert.deepEqual(
      deleted.map((exchange) => [exchange.path, exchange.status]),
      [[`/api/atlas/v2/groups/${ownedId}`, 204]],
    );
    const gone = await digest.get(`/api/atlas/v1.0/groups/${ownedId}`);
    assert.equal(gone.status, 404, gone.text);
    assert.equal(gone.json().errorCode, 'GROUP_NOT_FOUND');
    const roles = await store.db
      .selectFrom('api_key_project_roles')
      .select('project_id')
      .where('project_id', '=', ownedId)
      .execute();
    assert.deepEqual(roles, []);
  });

  test('the client’s own HTTP (its token, its 2025-03-12 Accept) on the service-account routes: answered as 2024-08-05', async () => {
    // ApiClient has no service-account methods; its openapi-fetch client (with the auth
    // middleware and default headers) is what every generated method calls.
    type Fetched = { data?: any; error?: any; response: Response };
    const http = (
      client as unknown as {
        client: {
          GET(path: string, init: unknown): Promise<Fetched>;
          PATCH(path: string, init: unknown): Promise<Fetched>;
        };
      }
    ).client;
    const path = { groupId, clientId: account.clientId };
    const before = exchanges.length;
    const own = await http.GET('/api/atlas/v2/groups/{groupId}/serviceAccounts/{clientId}', { params: { path } });
    assert.equal(own.response.status, 200, JSON.stringify(own.error));
    const viaDigest = await digest.request(`/api/atlas/v2/groups/${groupId}/serviceAccounts/${account.clientId}`, {
      headers: { accept: SA_ANSWER },
    });
    assert.deepEqual(own.data, viaDigest.json());
    assert.deepEqual(own.data.roles, ['GROUP_DATABASE_ACCESS_ADMIN']);
    assert.equal(own.data.secrets[0].secret, undefined);
    const projects = await http.GET('/api/atlas/v2/orgs/{orgId}/serviceAccounts/{clientId}/groups', {
      params: { path: { orgId: credentials.orgId, clientId: account.clientId } },
    });
    assert.equal(projects.response.status, 200, JSON.stringify(projects.error));
    assert.deepEqual(projects.data.results, [{ groupId }]);
    // Changing itself in the project needs Project Owner: Atlas' 401, as an error of the client.
    const refused = await http.PATCH('/api/atlas/v2/groups/{groupId}/serviceAccounts/{clientId}', {
      params: { path },
      body: { description: 'promoted myself' },
    });
    assert.equal(refused.response.status, 401);
    assert.equal(refused.error.errorCode, 'USER_UNAUTHORIZED');
    const sent = exchanges.slice(before);
    assert.deepEqual(
      sent.map((exchange) => [exchange.method, exchange.accept, exchange.status, exchange.responseType]),
      [
        ['GET', CLIENT_ACCEPT, 200, SA_ANSWER],
        ['GET', CLIENT_ACCEPT, 200, SA_ANSWER],
        ['PATCH', CLIENT_ACCEPT, 401, 'application/json; charset=utf-8'],
      ],
    );
  });

  test('one token served every call; every API call sent the 2025-03-12 Accept and got its operation’s version back', async () => {
    const tokens = exchanges.filter((exchange) => exchange.path === '/api/oauth/token');
    assert.equal(tokens.length, 1);
    const calls = exchanges.filter((exchange) => exchange.path.startsWith('/api/atlas/v2/'));
    assert.ok(calls.length >= 8);
    const bearer = calls[0]!.authorization;
    for (const exchange of calls) {
      assert.equal(exchange.accept, CLIENT_ACCEPT, exchange.path);
      assert.equal(exchange.authorization, bearer, exchange.path);
      assert.equal(exchange.userAgent, USER_AGENT, exchange.path);
      if (exchange.status < 300 && exchange.status !== 204) {
        assert.equal(
          exchange.responseType,
          exchange.path.includes('/serviceAccounts') ? SA_ANSWER : V2_ANSWER,
          exchange.path,
        );
      }
      if (exchange.status >= 400) assert.match(exchange.responseType ?? '', /^application\/json/, exchange.path);
    }
  });

  test('ApiClient.close() revokes the token (RFC 7009); the token is refused afterwards', async () => {
    const bearer = exchanges.find((exchange) => exchange.path === '/api/atlas/v2/groups')!.authorization!;
    // The client's revoke() uses the global fetch, not the injected one: trust the CA there too, for this call.
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(dispatcher);
    try {
      await client.close();
    } finally {
      setGlobalDispatcher(previous);
    }
    assert.deepEqual(
      logLines.filter((line) => line.level === 'error'),
      [],
    );
    const response = await undiciFetch(`${baseUrl}api/atlas/v2/groups`, {
      headers: { authorization: bearer, accept: CLIENT_ACCEPT },
      dispatcher,
    });
    assert.equal(response.status, 401);
    assert.equal(
      await response.text(),
      '{"error":401,"reason":"Unauthorized","detail":"You are not authorized for this resource."}',
    );
  });

  test('bad client credentials: the client logs the token failure and its calls get the Digest 401', async () => {
    const lines: Array<{ level: string; payload: unknown }> = [];
    const logger = recordingLogger(lines);
    const httpClient = recordingHttpClient(dispatcher, []);
    const authProvider = new ClientCredentialsAuthProvider(
      { baseUrl, clientId: account.clientId, clientSecret: `${account.secret}x`, userAgent: USER_AGENT, httpClient },
      logger,
    );
    const bad = new ApiClient({ options: { baseUrl, userAgent: USER_AGENT, httpClient }, logger, authProvider });
    assert.equal(await authProvider.validate(), false);
    await assert.rejects(bad.listGroups(), (error: unknown) => {
      assert.ok(error instanceof ApiClientError);
      assert.equal(error.response.status, 401);
      assert.equal(
        error.message,
        '[401 Unauthorized] error calling Atlas API: Unauthorized; You are not authorized for this resource.',
      );
      return true;
    });
    const errors = lines.filter((line) => line.level === 'error').map((line) => JSON.stringify(line.payload));
    assert.ok(errors.length >= 1);
    assert.match(errors[0]!, /Failed to request access token/);
  });

  test('why HTTPS: over plain HTTP the client refuses the token endpoint itself', async () => {
    const lines: Array<{ level: string; payload: unknown }> = [];
    const plainBase = `${digest.baseUrl}/`;
    const sent: Exchange[] = [];
    const authProvider = new ClientCredentialsAuthProvider(
      {
        baseUrl: plainBase,
        clientId: account.clientId,
        clientSecret: account.secret,
        userAgent: USER_AGENT,
        httpClient: recordingHttpClient(dispatcher, sent),
      },
      recordingLogger(lines),
    );
    assert.equal(await authProvider.validate(), false);
    assert.deepEqual(sent, [], 'nothing was sent');
    assert.match(JSON.stringify(lines[0]?.payload), /only requests to HTTPS are allowed/);
  });
});
