import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, TEST_BACKEND, type TestDatabase } from '../helpers/backend.js';
import { BIN, dbcerts, environment, ROOT } from '../helpers/cli.js';
import { authorizationHeader, parseChallenge, parseJsonExact } from '../helpers/digest-client.js';
import { opensslOutcome } from '../helpers/openssl-verify.js';

/**
 * `dbcerts serve` with several worker processes, on either backend: what one worker
 * learns or changes holds on every other one (Digest nonce uses, identities, rate limits),
 * and killing a worker with SIGKILL in the middle of a burst loses no acknowledged
 * certificate. Which worker serves a connection is read from the kernel (/proc): the
 * worker whose file descriptors hold the server end of that TCP connection.
 */

const V1 = '/api/atlas/v1.0';
const ENV = {
  DBCERTS_KEY_ALGORITHM: 'ec-p256',
  DBCERTS_CA_KEY_ALGORITHM: 'ec-p256',
  DBCERTS_LOG_LEVEL: 'warn',
};

interface Credentials {
  orgId: string;
  groupId: string;
  publicKey: string;
  privateKey: string;
}

interface Served {
  origin: string;
  port: number;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One deployment: a data directory, the test backend's database and a master key. */
class Deployment {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-workers-'));
  readonly masterKey = randomBytes(32).toString('hex');
  readonly served: Served[] = [];
  credentials!: Credentials;
  private constructor(readonly database: TestDatabase) {}

  static async create(): Promise<Deployment> {
    const deployment = new Deployment(await createTestDatabase());
    const outcome = await dbcerts(['bootstrap', '--json', ...deployment.args()], deployment.env());
    assert.equal(outcome.code, 0, outcome.stderr);
    deployment.credentials = JSON.parse(outcome.stdout) as Credentials;
    return deployment;
  }

  args(): string[] {
    return ['--data', this.dataDir, ...this.database.cliArgs];
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return { ...ENV, DBCERTS_MASTER_KEY: this.masterKey, ...extra };
  }

  /** `serve --workers N`, ready once /readyz answers 200 (the whole server has started). */
  async serve(workers: number, extra: Record<string, string> = {}): Promise<Served> {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--workers', String(workers), ...this.args()],
      { cwd: ROOT, env: environment(this.env(extra)), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const served: Served = {
      origin: `http://127.0.0.1:${port}`,
      port,
      child,
      stderr: () => stderr,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
    this.served.push(served);
    const deadline = Date.now() + 30_000;
    for (;;) {
      assert.ok(child.exitCode === null, `serve exited: ${stderr}`);
      const ready = await fetch(`${served.origin}/readyz`).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ready) return served;
      assert.ok(Date.now() < deadline, `not ready in 30 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.served.map((served) => served.stop()));
    await this.database.drop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The processes below `pid`. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** The worker process holding the server end of the TCP connection from `clientPort` to `serverPort`. */
function workerServing(served: Served, clientPort: number): number {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      if (fields[1]!.endsWith(`:${hex(served.port)}`) && fields[2]!.endsWith(`:${hex(clientPort)}`))
        inodes.add(fields[9]!);
    }
  }
  for (const worker of childrenOf(served.child.pid!)) {
    for (const fd of readdirSync(`/proc/${worker}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${worker}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return worker;
      } catch {
        // closed meanwhile
      }
    }
  }
  throw new Error(`no worker serves the connection from port ${clientPort}`);
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One keep-alive TCP connection: every request on it reaches the same worker. */
class Connection {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  localPort = 0;
  constructor(readonly served: Served) {}

  send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const outgoing = request(
        `${this.served.origin}${path}`,
        {
          method,
          agent: this.#agent,
          headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, text }));
          response.on('error', reject);
        },
      );
      outgoing.on('socket', (socket) => {
        const remember = () => (this.localPort = socket.localPort!);
        if (socket.localPort) remember();
        else socket.once('connect', remember);
      });
      // A connection the primary had accepted for a worker in the instant the worker died
      // is never served (Node's cluster hands it to the dead worker): a client's timeout ends it.
      outgoing.setTimeout(10_000, () => outgoing.destroy(new Error('no answer within 10 s')));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /** The challenge, then the request signed for it (curl's way), on this connection. */
  async signed(credentials: Credentials, method: string, path: string, body?: unknown): Promise<Reply> {
    const nonce = await this.send(method, path);
    assert.equal(nonce.status, 401);
    const authorization = authorizationHeader({
      username: credentials.publicKey,
      password: credentials.privateKey,
      method,
      uri: path,
      challenge: parseChallenge(String(nonce.headers['www-authenticate'])),
    });
    return this.send(method, path, { authorization }, body === undefined ? undefined : JSON.stringify(body));
  }

  worker(): number {
    return workerServing(this.served, this.localPort);
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * Connections until two reach different workers (the primary hands connections out in
 * turn, among the workers that listen: a worker just started may take a moment).
 */
async function connectionsOnTwoWorkers(served: Served): Promise<[Connection, Connection]> {
  const first = new Connection(served);
  await first.send('GET', '/healthz');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const second = new Connection(served);
    await second.send('GET', '/healthz');
    if (second.worker() !== first.worker()) return [first, second];
    second.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`every connection reached the same worker: ${served.stderr()}`);
}

const managedUser = (username: string) => ({
  databaseName: '$external',
  username,
  x509Type: 'MANAGED',
  roles: [{ roleName: 'readWrite', databaseName: 'app' }],
});

/**
 * Projects and database users are cached by each process under the catalog generation
 * (read with every Digest identity): a change through `writer` holds on `reader`'s next
 * request, a miss included.
 */
async function catalogChangesHoldAtOnce(writer: Connection, reader: Connection, credentials: Credentials) {
  const projectPath = `${V1}/groups/${credentials.groupId}`;
  const certsOf = (username: string) => `${projectPath}/databaseUsers/${username}/certs`;
  const before = await reader.signed(credentials, 'GET', certsOf('catalog-user'));
  assert.equal(before.status, 404, before.text);
  assert.equal(parseJsonExact(before.text).errorCode, 'USERNAME_NOT_FOUND');
  const created = await writer.signed(credentials, 'POST', `${projectPath}/databaseUsers`, managedUser('catalog-user'));
  assert.equal(created.status, 201, created.text);
  const found = await reader.signed(credentials, 'GET', certsOf('catalog-user'));
  assert.equal(found.status, 200, `the new user, where it was just missing: ${found.text}`);
  const issued = await reader.signed(credentials, 'POST', certsOf('catalog-user'), {});
  assert.equal(issued.status, 201, issued.text);
  const deleted = await writer.signed(credentials, 'DELETE', `${projectPath}/databaseUsers/$external/catalog-user`);
  assert.equal(deleted.status, 204, deleted.text);
  for (const [method, body] of [['GET'], ['POST', {}]] as const) {
    const gone = await reader.signed(credentials, method, certsOf('catalog-user'), body);
    assert.equal(gone.status, 404, `${method} after the user's deletion: ${gone.text}`);
  }

  const project = await writer.signed(credentials, 'POST', `${V1}/groups`, {
    name: 'catalog-project',
    orgId: credentials.orgId,
  });
  assert.equal(project.status, 200, project.text);
  const { id } = parseJsonExact(project.text) as { id: string };
  const read = async () => reader.signed(credentials, 'GET', `${V1}/groups/${id}`);
  assert.equal(parseJsonExact((await read()).text).name, 'catalog-project');
  const renamed = await writer.signed(credentials, 'PATCH', `${V1}/groups/${id}`, { name: 'catalog-renamed' });
  assert.equal(renamed.status, 200, renamed.text);
  assert.equal(parseJsonExact((await read()).text).name, 'catalog-renamed');
  const removed = await writer.signed(credentials, 'DELETE', `${V1}/groups/${id}`);
  assert.equal(removed.status, 204, removed.text);
  const afterRemoval = await read();
  assert.equal(afterRemoval.status, 404, afterRemoval.text);

  // Issuing reads the project's managed CA and its customer-managed CAs from the cache too.
  const issuer = await writer.signed(
    credentials,
    'POST',
    `${projectPath}/databaseUsers`,
    managedUser('catalog-issuer'),
  );
  assert.equal(issuer.status, 201, issuer.text);
  const issuerOf = (pem: string) => new X509Certificate(pem).issuer;
  const caPath = `${projectPath}/userSecurity/managedX509/ca`;
  const oldCa = await reader.signed(credentials, 'GET', caPath);
  assert.equal(oldCa.status, 200, oldCa.text);
  assert.equal(
    issuerOf((await reader.signed(credentials, 'POST', certsOf('catalog-issuer'), {})).text),
    new X509Certificate(oldCa.text).subject,
  );
  const rotated = await writer.signed(credentials, 'POST', `${caPath}/rotate`);
  assert.equal(rotated.status, 200, rotated.text);
  const newCa = await writer.signed(credentials, 'GET', caPath);
  assert.notEqual(new X509Certificate(newCa.text).subject, new X509Certificate(oldCa.text).subject);
  const afterRotation = await reader.signed(credentials, 'POST', certsOf('catalog-issuer'), {});
  assert.equal(afterRotation.status, 201, afterRotation.text);
  assert.equal(issuerOf(afterRotation.text), new X509Certificate(newCa.text).subject, 'signed by the new CA at once');

  const advanced = await writer.signed(credentials, 'PATCH', `${projectPath}/userSecurity`, {
    customerX509: { cas: oldCa.text },
  });
  assert.equal(advanced.status, 202, advanced.text);
  const refused = await reader.signed(credentials, 'POST', certsOf('catalog-issuer'), {});
  assert.equal(refused.status, 400, refused.text);
  assert.equal(parseJsonExact(refused.text).errorCode, 'CANNOT_GENERATE_CERT_IF_ADVANCED_X509');
  const managedAgain = await writer.signed(credentials, 'DELETE', `${projectPath}/userSecurity/customerX509`);
  assert.ok(managedAgain.status < 300, managedAgain.text);
  const issuedAgain = await reader.signed(credentials, 'POST', certsOf('catalog-issuer'), {});
  assert.equal(issuedAgain.status, 201, issuedAgain.text);
}

describe('serve --workers 2', { timeout: 180_000 }, () => {
  let deployment: Deployment;
  let served: Served;
  let a: Connection;
  let b: Connection;
  const projectPath = () => `${V1}/groups/${deployment.credentials.groupId}`;

  before(async () => {
    deployment = await Deployment.create();
    served = await deployment.serve(2);
    [a, b] = await connectionsOnTwoWorkers(served);
  });

  after(async () => {
    a?.close();
    b?.close();
    await deployment?.close();
  });

  test('a Digest nonce issued by worker A is accepted by worker B, exactly once on either', async () => {
    assert.notEqual(a.worker(), b.worker());
    const path = projectPath();
    const challenge = await a.send('GET', path);
    assert.equal(challenge.status, 401);
    const authorization = authorizationHeader({
      username: deployment.credentials.publicKey,
      password: deployment.credentials.privateKey,
      method: 'GET',
      uri: path,
      challenge: parseChallenge(String(challenge.headers['www-authenticate'])),
    });
    const onB = await b.send('GET', path, { authorization });
    assert.equal(onB.status, 200, onB.text);
    assert.equal(parseJsonExact(onB.text).id, deployment.credentials.groupId);
    for (const replay of [a, b]) {
      const replayed = await replay.send('GET', path, { authorization });
      assert.equal(replayed.status, 401, 'the same (nonce, cnonce, nc) is refused on either worker');
      assert.equal(parseChallenge(String(replayed.headers['www-authenticate'])).stale, 'false');
    }
    assert.notEqual(a.worker(), b.worker(), 'both requests stayed on their own workers');
  });

  test('a key changed or deleted through worker A is seen at once by worker B', async () => {
    const created = await a.signed(deployment.credentials, 'POST', `${projectPath()}/apiKeys`, {
      desc: 'worker cache',
      roles: ['GROUP_READ_ONLY'],
    });
    assert.equal(created.status, 200, created.text);
    const key = parseJsonExact(created.text) as { id: string; publicKey: string; privateKey: string };
    const reader = { ...deployment.credentials, publicKey: key.publicKey, privateKey: key.privateKey };
    const usersPath = `${projectPath()}/databaseUsers`;
    // Both workers authenticate the key once (and so hold its identity).
    for (const connection of [a, b]) assert.equal((await connection.signed(reader, 'GET', usersPath)).status, 200);
    assert.equal((await b.signed(reader, 'POST', usersPath, managedUser('by-reader'))).status, 401);

    const promoted = await a.signed(deployment.credentials, 'PATCH', `${projectPath()}/apiKeys/${key.id}`, {
      roles: ['GROUP_OWNER'],
    });
    assert.equal(promoted.status, 200, promoted.text);
    const asOwner = await b.signed(reader, 'POST', usersPath, managedUser('by-reader'));
    assert.equal(asOwner.status, 201, `worker B saw the new role: ${asOwner.text}`);

    const listed = await a.signed(
      deployment.credentials,
      'POST',
      `/api/atlas/v1.0/orgs/${deployment.credentials.orgId}/apiKeys/${key.id}/accessList`,
      [{ cidrBlock: '10.11.12.0/24' }],
    );
    assert.equal(listed.status, 201, listed.text);
    const elsewhere = await b.signed(reader, 'GET', usersPath);
    assert.equal(elsewhere.status, 403, `worker B applied the new access list: ${elsewhere.text}`);
    assert.equal(parseJsonExact(elsewhere.text).errorCode, 'IP_ADDRESS_NOT_ON_ACCESS_LIST');

    const deleted = await a.signed(
      deployment.credentials,
      'DELETE',
      `/api/atlas/v1.0/orgs/${deployment.credentials.orgId}/apiKeys/${key.id}`,
    );
    assert.equal(deleted.status, 204, deleted.text);
    for (const connection of [b, a]) {
      const refused = await connection.signed(reader, 'GET', usersPath);
      assert.equal(refused.status, 401, 'a deleted key authenticates nothing, on any worker');
    }
    assert.notEqual(a.worker(), b.worker());
  });

  test('a database user or project created, changed or deleted through worker A is seen at once by worker B', async () => {
    await catalogChangesHoldAtOnce(a, b, deployment.credentials);
    assert.notEqual(a.worker(), b.worker());
  });
});

describe('serve --workers 2: rate limits', { timeout: 120_000 }, () => {
  let deployment: Deployment;
  let a: Connection;
  let b: Connection;

  before(async () => {
    deployment = await Deployment.create();
    const served = await deployment.serve(2, {
      DBCERTS_RATE_LIMITS: JSON.stringify({ projects: { capacity: 4, refillRate: 1, refillSeconds: 3600 } }),
    });
    [a, b] = await connectionsOnTwoWorkers(served);
  });

  after(async () => {
    a?.close();
    b?.close();
    await deployment?.close();
  });

  test("one project's bucket is drawn from by both workers: 4 requests in all, then 429", async () => {
    const path = `${V1}/groups/${deployment.credentials.groupId}`;
    const statuses: number[] = [];
    for (let index = 0; index < 8; index++) {
      const reply = await (index % 2 === 0 ? a : b).signed(deployment.credentials, 'GET', path);
      statuses.push(reply.status);
      if (reply.status === 429) assert.equal(parseJsonExact(reply.text).errorCode, 'RATE_LIMITED_TOKEN_BUCKET');
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429, 429, 429]);
    assert.notEqual(a.worker(), b.worker());
  });
});

describe('serve --workers 2: SIGKILL of a worker in the middle of a burst', { timeout: 180_000 }, () => {
  let deployment: Deployment;
  let served: Served;
  const acknowledged = new Map<bigint, string>();
  const killed: number[] = [];
  const USER = 'burst';

  before(async () => {
    deployment = await Deployment.create();
    served = await deployment.serve(2);
    const admin = new Connection(served);
    const usersPath = `${V1}/groups/${deployment.credentials.groupId}/databaseUsers`;
    assert.equal((await admin.signed(deployment.credentials, 'POST', usersPath, managedUser(USER))).status, 201);
    admin.close();
    const certsPath = `${usersPath}/${USER}/certs`;
    // Each round: 40 requests on 8 connections (over both workers); when a few have been
    // answered, one worker is killed. Every 201 that reached the client is acknowledged.
    for (let round = 0; round < 2; round++) {
      const connections = Array.from({ length: 8 }, () => new Connection(served));
      let answered = 0;
      let victim: Promise<void> | undefined;
      await Promise.all(
        connections.map(async (connection) => {
          for (let index = 0; index < 5; index++) {
            try {
              const reply = await connection.signed(deployment.credentials, 'POST', certsPath, {
                monthsUntilExpiration: 1,
              });
              if (reply.status === 201) {
                const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(reply.text)![0];
                acknowledged.set(BigInt(`0x${new X509Certificate(pem).serialNumber}`), pem);
              }
            } catch {
              // The connection's worker was killed: that request was never acknowledged.
            }
            if (++answered === 6 && !victim) {
              const worker = connection.worker();
              killed.push(worker);
              process.kill(worker, 'SIGKILL');
              victim = waitForWorkers(served, 2, worker);
            }
          }
        }),
      );
      await victim;
      for (const connection of connections) connection.close();
    }
  });

  after(() => deployment?.close());

  test('the primary started a new worker each time, and both serve', async () => {
    assert.equal(killed.length, 2);
    const workers = childrenOf(served.child.pid!);
    assert.equal(workers.length, 2);
    for (const worker of killed) assert.ok(!workers.includes(worker));
    const [a, b] = await connectionsOnTwoWorkers(served);
    for (const connection of [a, b]) {
      assert.equal(
        (await connection.signed(deployment.credentials, 'GET', `${V1}/groups/${deployment.credentials.groupId}`))
          .status,
        200,
      );
      connection.close();
    }
  });

  test('every acknowledged certificate is in the store, each serial once', async () => {
    assert.ok(acknowledged.size >= 20, `only ${acknowledged.size} acknowledged`);
    const listed: bigint[] = [];
    const connection = new Connection(served);
    for (let page = 1; ; page++) {
      const path = `${V1}/groups/${deployment.credentials.groupId}/databaseUsers/${USER}/certs?itemsPerPage=500&pageNum=${page}`;
      const reply = await connection.signed(deployment.credentials, 'GET', path);
      assert.equal(reply.status, 200, reply.text);
      const body = parseJsonExact(reply.text) as { results: Array<{ _id: number | bigint }>; totalCount: number };
      listed.push(...body.results.map((result) => BigInt(result._id)));
      if (body.results.length < 500) break;
    }
    connection.close();
    assert.equal(new Set(listed).size, listed.length, 'serials are unique');
    for (const serial of acknowledged.keys()) assert.ok(listed.includes(serial), `acknowledged ${serial} is listed`);
  });

  test('every acknowledged certificate verifies with openssl against the project CA, for client authentication', async () => {
    const connection = new Connection(served);
    const ca = await connection.signed(
      deployment.credentials,
      'GET',
      `${V1}/groups/${deployment.credentials.groupId}/userSecurity/managedX509/ca`,
    );
    connection.close();
    assert.equal(ca.status, 200);
    const dir = mkdtempSync(join(tmpdir(), 'dbcerts-workers-verify-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), ca.text);
      const files = [...acknowledged.values()].map((pem, index) => {
        const file = join(dir, `${index}.pem`);
        writeFileSync(file, pem);
        return file;
      });
      const outcome = await opensslOutcome([
        'verify',
        '-CAfile',
        join(dir, 'ca.pem'),
        '-purpose',
        'sslclient',
        ...files,
      ]);
      assert.equal(outcome.code, 0, outcome.stderr);
      assert.equal(
        outcome.stdout
          .trim()
          .split('\n')
          .filter((line) => line.endsWith(': OK')).length,
        files.length,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Until `count` workers run again and `gone` is none of them (the primary restarted it). */
async function waitForWorkers(served: Served, count: number, gone: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const workers = childrenOf(served.child.pid!);
    if (workers.length === count && !workers.includes(gone)) {
      // Listening too: a fresh connection reaches each of them before long.
      await connectionsOnTwoWorkers(served).then(([first, second]) => {
        first.close();
        second.close();
      });
      return;
    }
    assert.ok(Date.now() < deadline, `no new worker within 30 s: ${served.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(
  'two instances of serve --workers 2 on one PostgreSQL database',
  {
    skip: TEST_BACKEND !== 'postgres' ? 'PostgreSQL only (DBCERTS_TEST_BACKEND=postgres)' : false,
    timeout: 120_000,
  },
  () => {
    let deployment: Deployment;
    let first: Connection;
    let second: Connection;

    before(async () => {
      deployment = await Deployment.create();
      const [one, two] = await Promise.all([deployment.serve(2), deployment.serve(2)]);
      first = new Connection(one!);
      second = new Connection(two!);
    });

    after(async () => {
      first?.close();
      second?.close();
      await deployment?.close();
    });

    test('a role change or deletion through one instance holds on the other at once', async () => {
      const projectPath = `${V1}/groups/${deployment.credentials.groupId}`;
      const created = await first.signed(deployment.credentials, 'POST', `${projectPath}/apiKeys`, {
        desc: 'instances cache',
        roles: ['GROUP_READ_ONLY'],
      });
      assert.equal(created.status, 200, created.text);
      const key = parseJsonExact(created.text) as { id: string; publicKey: string; privateKey: string };
      const reader = { ...deployment.credentials, publicKey: key.publicKey, privateKey: key.privateKey };
      const usersPath = `${projectPath}/databaseUsers`;
      assert.equal((await second.signed(reader, 'GET', usersPath)).status, 200);
      assert.equal((await second.signed(reader, 'POST', usersPath, managedUser('instances'))).status, 401);
      const promoted = await first.signed(deployment.credentials, 'PATCH', `${projectPath}/apiKeys/${key.id}`, {
        roles: ['GROUP_OWNER'],
      });
      assert.equal(promoted.status, 200, promoted.text);
      assert.equal((await second.signed(reader, 'POST', usersPath, managedUser('instances'))).status, 201);
      const deleted = await first.signed(
        deployment.credentials,
        'DELETE',
        `/api/atlas/v1.0/orgs/${deployment.credentials.orgId}/apiKeys/${key.id}`,
      );
      assert.equal(deleted.status, 204, deleted.text);
      assert.equal((await second.signed(reader, 'GET', usersPath)).status, 401);
    });

    test('a database user or project created, changed or deleted through one instance holds on the other at once', async () => {
      await catalogChangesHoldAtOnce(first, second, deployment.credentials);
    });
  },
);
