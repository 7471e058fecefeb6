import assert from 'node:assert/strict';
import { api, certificateOf, type Credentials, managedUser, V1 } from './instances.js';

/** What the transfer tests put in a deployment, and how they compare deployments. */

export interface Fixture {
  /** An organization API key created through the API (not the bootstrap key). */
  orgKey: Credentials;
  groups: string[];
  /** Serials issued, per `${groupId}/${username}`. */
  serials: Map<string, bigint[]>;
}

async function ok(response: Promise<{ status: number; text: string }>, status: number, what: string) {
  const answer = await response;
  assert.equal(answer.status, status, `${what}: ${answer.text}`);
  return answer as Awaited<typeof response> & { json(): any };
}

/** Two projects, X.509 and SCRAM users, certificates (one revoked), an organization API key. */
export async function populate(origin: string, credentials: Credentials): Promise<Fixture> {
  const call = (path: string, method = 'GET', body?: unknown) => api(origin, credentials, path, { method, body });
  const second = await ok(
    call(`${V1}/groups`, 'POST', { name: 'second-project', orgId: credentials.orgId }),
    200,
    'project',
  );
  const groups = [credentials.groupId, second.json().id as string];
  const serials = new Map<string, bigint[]>();
  const plan: Array<[string, string, number]> = [
    [groups[0]!, 'alice', 2],
    [groups[0]!, 'bob', 1],
    [groups[1]!, 'carol', 3],
  ];
  for (const [groupId, username, count] of plan) {
    await ok(call(`${V1}/groups/${groupId}/databaseUsers`, 'POST', managedUser(groupId, username)), 201, username);
    const issued: bigint[] = [];
    for (let index = 0; index < count; index++) {
      const cert = await ok(
        call(`${V1}/groups/${groupId}/databaseUsers/${username}/certs`, 'POST', { monthsUntilExpiration: 6 }),
        201,
        `${username} cert`,
      );
      issued.push(certificateOf(cert.text).serial);
    }
    serials.set(`${groupId}/${username}`, issued);
  }
  await ok(
    call(`${V1}/groups/${groups[1]}/databaseUsers`, 'POST', {
      databaseName: 'admin',
      username: 'dave',
      password: 'correct horse battery staple',
      roles: [{ roleName: 'readWrite', databaseName: 'app' }],
      groupId: groups[1],
    }),
    201,
    'SCRAM user',
  );
  await ok(
    call(
      `${V1}/groups/${groups[1]}/userSecurity/managedX509/certs/${serials.get(`${groups[1]}/carol`)![0]}/revoke`,
      'POST',
      { reason: 'keyCompromise' },
    ),
    200,
    'revoke',
  );
  await ok(call(`${V1}/groups/${groups[1]}/settings`, 'PATCH', { isSchemaAdvisorEnabled: false }), 200, 'settings');
  await ok(
    call(`${V1}/groups/${groups[1]}/limits/atlas.project.security.databaseAccess.users`, 'PATCH', { value: 50 }),
    200,
    'limit',
  );
  const key = await ok(
    call(`${V1}/orgs/${credentials.orgId}/apiKeys`, 'POST', { desc: 'transfer test key', roles: ['ORG_READ_ONLY'] }),
    200,
    'API key',
  );
  const { publicKey, privateKey } = key.json() as { publicKey: string; privateKey: string };
  return { orgKey: { ...credentials, publicKey, privateKey }, groups, serials };
}

/**
 * Everything the API lists about the deployment, as the text it answers (the server's
 * own origin, which differs between instances, replaced by a placeholder).
 */
export async function listings(
  origin: string,
  credentials: Credentials,
  groups: string[],
): Promise<Record<string, string>> {
  const paths = [
    `${V1}/groups?itemsPerPage=500`,
    `${V1}/orgs/${credentials.orgId}`,
    `${V1}/orgs/${credentials.orgId}/apiKeys?itemsPerPage=500`,
    `${V1}/orgs/${credentials.orgId}/events?itemsPerPage=500`,
  ];
  for (const groupId of groups) {
    paths.push(
      `${V1}/groups/${groupId}`,
      `${V1}/groups/${groupId}/databaseUsers?itemsPerPage=500`,
      `${V1}/groups/${groupId}/events?itemsPerPage=500`,
      `${V1}/groups/${groupId}/userSecurity`,
      `${V1}/groups/${groupId}/userSecurity/managedX509/ca`,
      `${V1}/groups/${groupId}/userSecurity/managedX509/ca/bundle`,
      `${V1}/groups/${groupId}/userSecurity/managedX509/cas`,
      `${V1}/groups/${groupId}/userSecurity/managedX509/certs?itemsPerPage=500`,
      `${V1}/groups/${groupId}/userSecurity/managedX509/crl.pem`,
      `${V1}/groups/${groupId}/settings`,
      `${V1}/groups/${groupId}/limits`,
      `${V1}/groups/${groupId}/managedSlowMs`,
    );
  }
  const result: Record<string, string> = {};
  for (const path of paths) {
    const response = await api(origin, credentials, path);
    assert.equal(response.status, 200, `${path}: ${response.text}`);
    result[path] = response.text.replaceAll(origin, 'ORIGIN');
  }
  for (const groupId of groups) {
    const users = JSON.parse(result[`${V1}/groups/${groupId}/databaseUsers?itemsPerPage=500`]!) as {
      results: Array<{ username: string; x509Type: string }>;
    };
    for (const user of users.results.filter((entry) => entry.x509Type === 'MANAGED')) {
      const path = `${V1}/groups/${groupId}/databaseUsers/${user.username}/certs?itemsPerPage=500`;
      const response = await api(origin, credentials, path);
      assert.equal(response.status, 200, `${path}: ${response.text}`);
      result[path] = response.text.replaceAll(origin, 'ORIGIN');
    }
  }
  return result;
}

/** Escapes text for a regular expression. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The lines of a transfer report, `dbcerts: <what>: N rows (table n, …)`, as counts per table. */
export function reportedCounts(stderr: string, what: string): Record<string, number> {
  const match = new RegExp(`^dbcerts: ${what}: (\\d+) rows \\((.*)\\)\\n$`).exec(stderr);
  assert.ok(match, `report: ${stderr}`);
  const counts = Object.fromEntries(
    match[2]!.split(', ').map((entry) => {
      const [table, count] = entry.split(' ');
      return [table!, Number(count)];
    }),
  );
  assert.equal(
    Object.values(counts).reduce((sum, count) => sum + count, 0),
    Number(match[1]),
  );
  return counts;
}
