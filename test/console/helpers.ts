import { raw, type RawOptions, type RawResponse } from '../helpers/raw-http.js';
import { type TestServer, V1, V2 } from '../helpers/server.js';

/** Test helpers for the web console: raw HTTP with cookies, signing in, and other identities. */

export type HttpOptions = RawOptions;
export type HttpResponse = RawResponse;
/** One request on a fresh connection, target and headers exactly as given. */
export const http = raw;

export type Credentials = { publicKey: string; privateKey: string } | { clientId: string; clientSecret: string };

export interface SignedIn {
  response: HttpResponse;
  /** `dbcerts_session=<id>`, ready for a Cookie header. */
  cookie: string;
  sessionId: string;
  csrfToken: string;
}

export const SESSION_COOKIE_SHAPE = /^dbcerts_session=([A-Za-z0-9_-]{43}); HttpOnly; SameSite=Strict; Path=\/$/;

export async function signIn(
  origin: string,
  credentials: Credentials,
  headers: Record<string, string> = {},
): Promise<SignedIn> {
  const response = await http(origin, 'POST', '/console/session', {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(credentials),
  });
  if (response.status !== 201) throw new Error(`sign-in: ${response.status} ${response.text}`);
  const setCookie = [response.headers['set-cookie'] ?? []].flat()[0] ?? '';
  const sessionId = /^dbcerts_session=([^;]*)/.exec(setCookie)?.[1] ?? '';
  return { response, cookie: `dbcerts_session=${sessionId}`, sessionId, csrfToken: response.json().csrfToken };
}

/** A request authenticated by a session cookie; writes get the CSRF token unless told otherwise. */
export function withSession(
  origin: string,
  session: { cookie: string; csrfToken?: string },
  method: string,
  target: string,
  options: { body?: unknown; headers?: Record<string, string>; csrf?: boolean } = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = { cookie: session.cookie, ...options.headers };
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  if (options.csrf !== false && method !== 'GET' && method !== 'HEAD' && session.csrfToken !== undefined) {
    headers['x-csrf-token'] ??= session.csrfToken;
  }
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  return http(origin, method, target, { headers, ...(body !== undefined ? { body } : {}) });
}

/** A key of the project's organization with only these project roles. */
export async function createProjectKey(
  server: TestServer,
  roles: string[],
  desc = 'console test key',
): Promise<{ id: string; publicKey: string; privateKey: string }> {
  const response = await server.client.post(`${V1}/groups/${server.credentials.groupId}/apiKeys`, { desc, roles });
  if (response.status !== 200) throw new Error(`project key: ${response.status} ${response.text}`);
  const body = response.json();
  return { id: body.id, publicKey: body.publicKey, privateKey: body.privateKey };
}

/** An organization key with these organization roles. */
export async function createOrgKey(
  server: TestServer,
  roles: string[],
  desc = 'console org key',
): Promise<{ id: string; publicKey: string; privateKey: string }> {
  const response = await server.client.post(`${V1}/orgs/${server.credentials.orgId}/apiKeys`, { desc, roles });
  if (response.status !== 200 && response.status !== 201)
    throw new Error(`org key: ${response.status} ${response.text}`);
  const body = response.json();
  return { id: body.id, publicKey: body.publicKey, privateKey: body.privateKey };
}

/** The one version Atlas has of the service-account resources (v2 only). */
export const SERVICE_ACCOUNT_ACCEPT = { accept: 'application/vnd.atlas.2024-08-05+json' };

/** A service account (Organization Member) with these roles in the test project. */
export async function createServiceAccount(
  server: TestServer,
  projectRoles: string[],
): Promise<{ clientId: string; secret: string; secretId: string }> {
  const { orgId, groupId } = server.credentials;
  const created = await server.client.request(`${V2}/orgs/${orgId}/serviceAccounts`, {
    method: 'POST',
    headers: SERVICE_ACCOUNT_ACCEPT,
    body: {
      name: 'console account',
      description: 'signs in to the console',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 24,
    },
  });
  if (created.status !== 201) throw new Error(`service account: ${created.status} ${created.text}`);
  const body = created.json();
  const invited = await server.client.request(`${V2}/groups/${groupId}/serviceAccounts/${body.clientId}:invite`, {
    method: 'POST',
    headers: SERVICE_ACCOUNT_ACCEPT,
    body: { roles: projectRoles },
  });
  if (invited.status !== 200) throw new Error(`invite: ${invited.status} ${invited.text}`);
  return { clientId: body.clientId, secret: body.secrets[0].secret, secretId: body.secrets[0].id };
}

/** Atlas' 401 body for missing or wrong credentials (no errorCode). */
export const UNAUTHORIZED =
  '{"error":401,"reason":"Unauthorized","detail":"You are not authorized for this resource."}';

export const CSRF_REFUSAL = {
  detail: 'The request carries no valid CSRF token for its console session, or comes from another origin.',
  error: 403,
  errorCode: 'CSRF_TOKEN_INVALID',
  parameters: [],
  reason: 'Forbidden',
};
