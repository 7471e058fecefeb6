import { once } from 'node:events';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { authorizationHeader, DigestClient, parseChallenge } from '../helpers/digest-client.js';
import { openssl } from '../helpers/openssl.js';
import { BIN, dbcerts, environment, type Outcome, ROOT, runCommand } from '../helpers/cli.js';

/**
 * The command-line contract of `bin/dbcerts.js`, exercised as a user would: separate
 * processes, real data directories, real ports, signals.
 */

const V1 = '/api/atlas/v1.0';
const OBJECT_ID = /^[0-9a-f]{24}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ALGORITHMS_MESSAGE = 'must be one of rsa-4096, rsa-3072, rsa-2048, ec-p256, ec-p384, ec-p521';
const FAST_KEYS = { DBCERTS_KEY_ALGORITHM: 'ec-p256', DBCERTS_CA_KEY_ALGORITHM: 'ec-p256' };

const scratch = mkdtempSync(join(tmpdir(), 'dbcerts-cli-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

let dirCounter = 0;
function newDataDir(): string {
  return join(scratch, `data-${++dirCounter}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

interface Banner {
  origin: string;
  publicKey: string;
  privateKeyExpression: string;
  groupId: string;
  exportLine: string;
  curlLine: string;
}

interface Served {
  child: ChildProcess;
  banner: Banner;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const BANNER_DONE = /\n {2}curl [^\n]*\n/;

/** Starts `dbcerts serve …` and waits (at most 30 s) for its banner. */
async function serve(args: string[], env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: ROOT, env: environment(env) });
  children.add(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${stdout}\n${stderr}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (BANNER_DONE.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code ?? signal}) before its banner:\n${stdout}\n${stderr}`));
    });
  });
  const origin =
    /^dbcerts: the MongoDB Atlas Administration API at (http:\/\/[^\s]+)\/api\/atlas\/v1\.0 and \1\/api\/atlas\/v2$/m.exec(
      stdout,
    )?.[1];
  const exportMatch = /^ {2}(export PUB=([a-z]{8}) PRIV=(.+) GROUP=([0-9a-f]{24}))$/m.exec(stdout);
  const curlMatch = /^ {2}(curl --user "\$PUB:\$PRIV" --digest .*)$/m.exec(stdout);
  assert.ok(origin, `no origin line in:\n${stdout}`);
  assert.ok(exportMatch, `no export line in:\n${stdout}`);
  assert.ok(curlMatch, `no curl line in:\n${stdout}`);
  return {
    child,
    banner: {
      origin,
      exportLine: exportMatch[1]!,
      publicKey: exportMatch[2]!,
      privateKeyExpression: exportMatch[3]!,
      groupId: exportMatch[4]!,
      curlLine: curlMatch[1]!,
    },
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

function storeLine(served: Served): string | undefined {
  return served
    .stdout()
    .split('\n')
    .find((line) => line.startsWith('  store:'));
}

/** Runs the banner's two lines in a shell, exactly as a user would paste them. */
async function pasteBanner(banner: Banner): Promise<Outcome> {
  return runCommand('bash', ['-c', `set -e\n${banner.exportLine}\n${banner.curlLine} --silent --show-error --fail`]);
}

const PEM_CERTIFICATE =
  /^-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/;

// ---------------------------------------------------------------------------------------------

describe('bootstrap', () => {
  const dir = newDataDir();
  let first: Outcome;
  let credentials: Record<string, string>;

  test('--json prints exactly one JSON line with orgId, groupId, publicKey, privateKey', async () => {
    first = await dbcerts(['bootstrap', '--data', dir, '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '');
    assert.match(first.stdout, /^[^\n]+\n$/);
    credentials = JSON.parse(first.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(credentials).sort(), ['groupId', 'orgId', 'privateKey', 'publicKey']);
    assert.match(credentials.orgId!, OBJECT_ID);
    assert.match(credentials.groupId!, OBJECT_ID);
    assert.notEqual(credentials.orgId, credentials.groupId);
    assert.match(credentials.publicKey!, /^[a-z]{8}$/);
    assert.match(credentials.privateKey!, UUID);
  });

  test('running it again prints the same line', async () => {
    const again = await dbcerts(['bootstrap', '--data', dir, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, first.stdout);
  });

  test('credentials.json and master.key are private (0600) and credentials.json holds the key', () => {
    assert.equal(mode(join(dir, 'credentials.json')), 0o600);
    assert.equal(mode(join(dir, 'master.key')), 0o600);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')), credentials);
  });

  test('without credentials.json it mints a new working key in the same org and project', async () => {
    unlinkSync(join(dir, 'credentials.json'));
    const reissued = await dbcerts(['bootstrap', '--data', dir, '--json']);
    assert.equal(reissued.code, 0, reissued.stderr);
    const fresh = JSON.parse(reissued.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(fresh).sort(), ['groupId', 'orgId', 'privateKey', 'publicKey']);
    assert.equal(fresh.orgId, credentials.orgId);
    assert.equal(fresh.groupId, credentials.groupId);
    assert.match(fresh.publicKey!, /^[a-z]{8}$/);
    assert.match(fresh.privateKey!, UUID);
    assert.notEqual(fresh.publicKey, credentials.publicKey);
    assert.notEqual(fresh.privateKey, credentials.privateKey);
    assert.equal(mode(join(dir, 'credentials.json')), 0o600);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')), fresh);
    // Idempotent again from here on.
    const again = await dbcerts(['bootstrap', '--data', dir, '--json']);
    assert.equal(again.stdout, reissued.stdout);

    // The new key works against a server on the same data directory.
    const port = await freePort();
    const served = await serve(['--port', String(port), '--host', '127.0.0.1', '--data', dir], FAST_KEYS);
    try {
      assert.equal(served.banner.publicKey, fresh.publicKey);
      const client = new DigestClient(`http://127.0.0.1:${port}`, fresh.publicKey!, fresh.privateKey!);
      const response = await client.get(`${V1}/groups/${fresh.groupId}`);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.json().id, fresh.groupId);
      assert.equal(response.json().orgId, fresh.orgId);
    } finally {
      assert.deepEqual(await served.stop(), { code: 0, signal: null });
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('ca-cert', () => {
  const dir = newDataDir();
  let groupId: string;
  let pem: string;

  test('prints the project CA as PEM that openssl parses; stable across runs', async () => {
    const boot = await dbcerts(['bootstrap', '--data', dir, '--json']);
    assert.equal(boot.code, 0, boot.stderr);
    groupId = (JSON.parse(boot.stdout) as { groupId: string }).groupId;

    const printed = await dbcerts(['ca-cert', '--data', dir, '--group', groupId], FAST_KEYS);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stderr, '');
    assert.match(printed.stdout, PEM_CERTIFICATE);
    pem = printed.stdout;
    const path = join(scratch, 'ca-cert.pem');
    writeFileSync(path, pem);
    const subject = await openssl('x509', '-in', path, '-noout', '-subject', '-nameopt', 'RFC2253');
    assert.equal(subject, `subject=CN=dbcerts Atlas-managed X.509 CA,OU=${groupId},O=dbcerts\n`);
    assert.ok(new X509Certificate(pem).ca);

    const again = await dbcerts(['ca-cert', '--data', dir, '--group', groupId], FAST_KEYS);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, pem);
    // Without --group: the bootstrap project.
    const implicit = await dbcerts(['ca-cert', '--data', dir], FAST_KEYS);
    assert.equal(implicit.code, 0, implicit.stderr);
    assert.equal(implicit.stdout, pem);
  });

  test('the same bytes as the API serves for the project', async () => {
    const credentials = JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')) as Record<string, string>;
    const port = await freePort();
    const served = await serve(['--port', String(port), '--host', '127.0.0.1', '--data', dir], FAST_KEYS);
    try {
      const client = new DigestClient(served.banner.origin, credentials.publicKey!, credentials.privateKey!);
      const response = await client.get(`${V1}/groups/${groupId}/userSecurity/managedX509/ca`);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.text, pem);
    } finally {
      assert.deepEqual(await served.stop(), { code: 0, signal: null });
    }
  });

  test('an unknown project: non-zero exit, GROUP_NOT_FOUND on stderr, nothing on stdout', async () => {
    const unknown = await dbcerts(['ca-cert', '--data', dir, '--group', '0123456789abcdef01234567'], FAST_KEYS);
    assert.notEqual(unknown.code, 0);
    assert.equal(unknown.stdout, '');
    assert.match(unknown.stderr, /GROUP_NOT_FOUND/);
    assert.match(unknown.stderr, /0123456789abcdef01234567/);
  });

  test('a malformed project id: non-zero exit, INVALID_GROUP_ID on stderr', async () => {
    const malformed = await dbcerts(['ca-cert', '--data', dir, '--group', 'not-a-group'], FAST_KEYS);
    assert.notEqual(malformed.code, 0);
    assert.equal(malformed.stdout, '');
    assert.match(malformed.stderr, /INVALID_GROUP_ID/);
    assert.doesNotMatch(malformed.stderr, /GROUP_NOT_FOUND/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('serve', () => {
  const dir = newDataDir();

  test('flags: banner with credentials and a working curl line; the Digest API answers; SIGTERM exits 0', async () => {
    const port = await freePort();
    const served = await serve(['--port', String(port), '--host', '127.0.0.1', '--data', dir], FAST_KEYS);
    let stopped = false;
    try {
      const { banner } = served;
      assert.equal(banner.origin, `http://127.0.0.1:${port}`);
      // First start: the private key is printed itself.
      assert.match(banner.privateKeyExpression, UUID);
      assert.match(served.stdout(), new RegExp(`^ {2}organization: +[0-9a-f]{24}$`, 'm'));
      assert.match(served.stdout(), new RegExp(`^ {2}project: +${banner.groupId}$`, 'm'));
      assert.match(served.stdout(), new RegExp(`^ {2}API key: +${banner.publicKey} `, 'm'));
      // The default durability needs no word: a commit is on the disk before it is answered.
      assert.equal(storeLine(served), `  store:         ${join(dir, 'dbcerts.sqlite')}`);
      assert.equal(
        banner.curlLine,
        `curl --user "$PUB:$PRIV" --digest 'http://127.0.0.1:${port}/api/atlas/v1.0/groups/'"$GROUP/databaseUsers?pretty=true"`,
      );
      const saved = JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')) as Record<string, string>;
      assert.equal(saved.publicKey, banner.publicKey);
      assert.equal(saved.privateKey, banner.privateKeyExpression);
      assert.equal(saved.groupId, banner.groupId);

      const client = new DigestClient(banner.origin, banner.publicKey, banner.privateKeyExpression);
      const group = await client.get(`${V1}/groups/${banner.groupId}`);
      assert.equal(group.status, 200, group.text);
      assert.equal(group.json().id, banner.groupId);

      // DBCERTS_KEY_ALGORITHM / DBCERTS_CA_KEY_ALGORITHM took effect.
      const user = await client.post(`${V1}/groups/${banner.groupId}/databaseUsers`, {
        databaseName: '$external',
        username: 'cli-user',
        x509Type: 'MANAGED',
        roles: [{ roleName: 'readWrite', databaseName: 'app' }],
      });
      assert.equal(user.status, 201, user.text);
      const issued = await client.post(`${V1}/groups/${banner.groupId}/databaseUsers/cli-user/certs`, {});
      assert.equal(issued.status, 201, issued.text);
      const key = createPrivateKey(issued.text);
      assert.equal(key.asymmetricKeyType, 'ec');
      assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      const ca = await client.get(`${V1}/groups/${banner.groupId}/userSecurity/managedX509/ca`);
      assert.equal(ca.status, 200);
      assert.equal(new X509Certificate(ca.text).publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');

      // The banner's lines, pasted into a shell, work.
      const pasted = await pasteBanner(banner);
      assert.equal(pasted.code, 0, pasted.stderr);
      const listed = JSON.parse(pasted.stdout) as { results: Array<{ username: string }>; totalCount: number };
      assert.deepEqual(
        listed.results.map((entry) => entry.username),
        ['cli-user'],
      );

      const result = await served.stop();
      stopped = true;
      assert.deepEqual(result, { code: 0, signal: null });
      // One access-log line per request, and every process's shutdown line: the log is
      // flushed at exit. ('exit' may come before the last output is read.)
      if (!served.child.stdout!.readableEnded) await once(served.child.stdout!, 'end');
      const logged = served
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map(
          (line) =>
            JSON.parse(line) as {
              pid: number;
              msg: string;
              req?: { method: string; url: string };
              res?: { statusCode: number };
            },
        );
      const answered = logged.filter((line) => line.msg === 'request completed' && line.res?.statusCode !== 401);
      assert.deepEqual(
        answered.map((line) => `${line.req?.method} ${line.req?.url} ${line.res?.statusCode}`).slice(0, 4),
        [
          `GET ${V1}/groups/${banner.groupId} 200`,
          `POST ${V1}/groups/${banner.groupId}/databaseUsers 201`,
          `POST ${V1}/groups/${banner.groupId}/databaseUsers/cli-user/certs 201`,
          `GET ${V1}/groups/${banner.groupId}/userSecurity/managedX509/ca 200`,
        ],
      );
      const servers = new Set(logged.filter((line) => line.msg.startsWith('Server listening')).map((line) => line.pid));
      const stoppedCleanly = new Set(logged.filter((line) => line.msg === 'shutting down').map((line) => line.pid));
      for (const pid of servers)
        assert.ok(stoppedCleanly.has(pid), `no shutdown line from ${pid}:\n${served.stdout()}`);
    } finally {
      if (!stopped) await served.stop();
    }
  });

  test('--sqlite-synchronous normal, or DBCERTS_SQLITE_SYNCHRONOUS=normal: the banner says what it risks', async () => {
    for (const [args, env] of [
      [['--sqlite-synchronous', 'normal'], {}],
      [[], { DBCERTS_SQLITE_SYNCHRONOUS: 'normal' }],
    ] as const) {
      const port = await freePort();
      const served = await serve(['--port', String(port), '--host', '127.0.0.1', '--data', dir, ...args], {
        ...FAST_KEYS,
        ...env,
      });
      try {
        assert.equal(
          storeLine(served),
          `  store:         ${join(dir, 'dbcerts.sqlite')} ` +
            '(synchronous=normal: an OS crash or power cut may lose the last acknowledged writes)',
        );
      } finally {
        await served.stop();
      }
    }
  });

  test('PORT and HOST environment variables; a restart prints a PRIV line that reads credentials.json', async () => {
    const port = await freePort();
    const served = await serve(['--data', dir], { ...FAST_KEYS, PORT: String(port), HOST: '127.0.0.1' });
    let stopped = false;
    try {
      assert.equal(served.banner.origin, `http://127.0.0.1:${port}`);
      // Not printed again: the banner reads it from the file.
      assert.doesNotMatch(served.banner.privateKeyExpression, UUID);
      const pasted = await pasteBanner(served.banner);
      assert.equal(pasted.code, 0, pasted.stderr);
      assert.deepEqual(
        (JSON.parse(pasted.stdout) as { results: Array<{ username: string }> }).results.map((entry) => entry.username),
        ['cli-user'],
      );
      const unauthenticated = await fetch(`http://127.0.0.1:${port}${V1}/groups`);
      assert.equal(unauthenticated.status, 401);
      assert.match(unauthenticated.headers.get('www-authenticate') ?? '', /^Digest realm="MMS Public API"/);
      const result = await served.stop();
      stopped = true;
      assert.deepEqual(result, { code: 0, signal: null });
    } finally {
      if (!stopped) await served.stop();
    }
  });
  test('after a restart, a nonce of the previous process is stale (uses were in its memory): 401 stale=true, then a fresh one works', async () => {
    const port = await freePort();
    const first = await serve(['--port', String(port), '--host', '127.0.0.1', '--data', dir], FAST_KEYS);
    const { publicKey } = first.banner;
    const privateKey = (JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')) as { privateKey: string })
      .privateKey;
    const uri = `${V1}/groups/${first.banner.groupId}`;
    const url = `${first.banner.origin}${uri}`;
    const signedGet = (challenge: ReturnType<typeof parseChallenge>, nc: number) =>
      fetch(url, {
        headers: {
          authorization: authorizationHeader({
            username: publicKey,
            password: privateKey,
            method: 'GET',
            uri,
            challenge,
            nc,
          }),
        },
      });
    let challenge;
    try {
      challenge = parseChallenge((await fetch(url)).headers.get('www-authenticate'));
      const used = await signedGet(challenge, 1);
      assert.equal(used.status, 200);
    } finally {
      await first.stop();
    }
    const second = await serve(['--port', String(port), '--host', '127.0.0.1', '--data', dir], FAST_KEYS);
    try {
      // The same nonce, a new nc: valid in the first process, stale in the second.
      const replayed = await signedGet(challenge, 2);
      assert.equal(replayed.status, 401);
      const renewed = parseChallenge(replayed.headers.get('www-authenticate'));
      assert.equal(renewed.stale, 'true');
      assert.notEqual(renewed.nonce, challenge.nonce);
      const fresh = await signedGet(renewed, 1);
      assert.equal(fresh.status, 200);
    } finally {
      await second.stop();
    }
  });

  test('--key-pool fills the named pools (visible in /metrics); DBCERTS_KEY_POOL=off keeps none', async () => {
    const metricLines = async (origin: string) =>
      (await (await fetch(`${origin}/metrics`)).text())
        .split('\n')
        .filter((line) => line.startsWith('dbcerts_key_pool_depth{'));
    const port = await freePort();
    const pooled = await serve(
      ['--port', String(port), '--host', '127.0.0.1', '--data', dir, '--key-pool', 'ec-p256:3,ec-p384:2'],
      FAST_KEYS,
    );
    try {
      const deadline = Date.now() + 20_000;
      let lines = await metricLines(pooled.banner.origin);
      while (
        lines.join() !== 'dbcerts_key_pool_depth{algorithm="ec-p256"} 3,dbcerts_key_pool_depth{algorithm="ec-p384"} 2'
      ) {
        assert.ok(Date.now() < deadline, lines.join('\n'));
        await new Promise((resolve) => setTimeout(resolve, 50));
        lines = await metricLines(pooled.banner.origin);
      }
    } finally {
      await pooled.stop();
    }
    const unpooled = await serve(['--port', String(port), '--host', '127.0.0.1', '--data', dir], {
      ...FAST_KEYS,
      DBCERTS_KEY_POOL: 'off',
    });
    try {
      assert.deepEqual(await metricLines(unpooled.banner.origin), []);
    } finally {
      await unpooled.stop();
    }
  });

  test('ec-p521 by flag (user keys, their pool) and by DBCERTS_CA_KEY_ALGORITHM (the CA): openssl verifies', async () => {
    const fresh = newDataDir();
    const port = await freePort();
    const served = await serve(
      ['--port', String(port), '--host', '127.0.0.1', '--data', fresh, '--key-algorithm', 'ec-p521'],
      { DBCERTS_CA_KEY_ALGORITHM: 'ec-p521', DBCERTS_KEY_POOL: 'ec-p521:2' },
    );
    try {
      const { banner } = served;
      const client = new DigestClient(banner.origin, banner.publicKey, banner.privateKeyExpression);
      const user = await client.post(`${V1}/groups/${banner.groupId}/databaseUsers`, {
        databaseName: '$external',
        username: 'p521-user',
        x509Type: 'MANAGED',
        roles: [{ roleName: 'readWrite', databaseName: 'app' }],
      });
      assert.equal(user.status, 201, user.text);
      const issued = await client.post(`${V1}/groups/${banner.groupId}/databaseUsers/p521-user/certs`, {});
      assert.equal(issued.status, 201, issued.text);
      assert.equal(createPrivateKey(issued.text).asymmetricKeyDetails?.namedCurve, 'secp521r1');
      const ca = await client.get(`${V1}/groups/${banner.groupId}/userSecurity/managedX509/ca`);
      assert.equal(ca.status, 200);
      assert.equal(new X509Certificate(ca.text).publicKey.asymmetricKeyDetails?.namedCurve, 'secp521r1');
      const caPath = join(scratch, 'p521-ca.pem');
      const certPath = join(scratch, 'p521-user.pem');
      writeFileSync(caPath, ca.text);
      writeFileSync(certPath, issued.text);
      assert.equal(await openssl('verify', '-CAfile', caPath, '-purpose', 'sslclient', certPath), `${certPath}: OK\n`);
      const metrics = await (await fetch(`${banner.origin}/metrics`)).text();
      assert.match(metrics, /^dbcerts_key_pool_depth\{algorithm="ec-p521"\} \d+$/m);
    } finally {
      await served.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('failures', () => {
  const dir = newDataDir();

  test('a wrong DBCERTS_MASTER_KEY for an existing data directory fails fast with exit code 2', async () => {
    const boot = await dbcerts(['bootstrap', '--data', dir, '--json']);
    assert.equal(boot.code, 0, boot.stderr);
    const wrongKey = randomBytes(32).toString('hex');

    const bootstrap = await dbcerts(['bootstrap', '--data', dir, '--json'], { DBCERTS_MASTER_KEY: wrongKey });
    assert.equal(bootstrap.code, 2);
    assert.equal(bootstrap.stdout, '');
    assert.match(bootstrap.stderr, /^dbcerts: [^\n]*master key[^\n]*\n$/);

    const port = await freePort();
    const served = await dbcerts(['serve', '--port', String(port), '--host', '127.0.0.1', '--data', dir], {
      ...FAST_KEYS,
      DBCERTS_MASTER_KEY: wrongKey,
    });
    assert.equal(served.code, 2);
    assert.doesNotMatch(served.stdout, /curl/);
    assert.match(served.stderr, /^dbcerts: [^\n]*master key[^\n]*\n$/);

    // The right key, given the same way, is accepted.
    const rightKey = readFileSync(join(dir, 'master.key'), 'utf8').trim();
    const right = await dbcerts(['bootstrap', '--data', dir, '--json'], { DBCERTS_MASTER_KEY: rightKey });
    assert.equal(right.code, 0, right.stderr);
    assert.equal(right.stdout, boot.stdout);
  });

  test('a malformed DBCERTS_MASTER_KEY: exit code 2 and a one-line message', async () => {
    const outcome = await dbcerts(['bootstrap', '--data', dir, '--json'], { DBCERTS_MASTER_KEY: 'not-a-key' });
    assert.equal(outcome.code, 2);
    assert.equal(outcome.stdout, '');
    assert.match(outcome.stderr, /^dbcerts: [^\n]*master key[^\n]*\n$/);
  });

  test('an invalid --key-algorithm / DBCERTS_CA_KEY_ALGORITHM: exit code 2 naming the choices', async () => {
    const fresh = newDataDir();
    const flag = await dbcerts(['serve', '--data', fresh, '--key-algorithm', 'rsa-1024']);
    assert.equal(flag.code, 2);
    assert.equal(flag.stdout, '');
    assert.equal(flag.stderr, `dbcerts: the key algorithm ${ALGORITHMS_MESSAGE} (got rsa-1024)\n`);

    const env = await dbcerts(['serve', '--data', fresh], { DBCERTS_CA_KEY_ALGORITHM: 'dsa' });
    assert.equal(env.code, 2);
    assert.equal(env.stderr, `dbcerts: the CA key algorithm ${ALGORITHMS_MESSAGE} (got dsa)\n`);
    // Refused before anything was written.
    assert.equal(existsSync(fresh), false);
  });

  test('a malformed --key-pool / DBCERTS_KEY_POOL_CONCURRENCY: exit code 2 and a one-line message', async () => {
    const fresh = newDataDir();
    const pool = await dbcerts(['serve', '--data', fresh, '--key-pool', 'rsa-1024:4']);
    assert.equal(pool.code, 2);
    assert.equal(pool.stdout, '');
    assert.equal(
      pool.stderr,
      'dbcerts: DBCERTS_KEY_POOL entries are <algorithm>:<size>, e.g. rsa-4096:8 (got rsa-1024:4)\n',
    );
    const concurrency = await dbcerts(['serve', '--data', fresh], { DBCERTS_KEY_POOL_CONCURRENCY: '0' });
    assert.equal(concurrency.code, 2);
    assert.match(concurrency.stderr, /^dbcerts: [^\n]*key pool concurrency[^\n]*\n$/);
    assert.equal(existsSync(fresh), false);
  });

  test('an invalid --sqlite-synchronous / DBCERTS_SQLITE_SYNCHRONOUS: exit code 2 naming the choices', async () => {
    const fresh = newDataDir();
    const flag = await dbcerts(['serve', '--data', fresh, '--sqlite-synchronous', 'off']);
    assert.equal(flag.code, 2);
    assert.equal(flag.stdout, '');
    assert.equal(
      flag.stderr,
      'dbcerts: DBCERTS_SQLITE_SYNCHRONOUS (--sqlite-synchronous) must be full or normal (got off)\n',
    );
    const env = await dbcerts(['backup', '--out', join(fresh, 'backup.jsonl'), '--data', fresh], {
      DBCERTS_SQLITE_SYNCHRONOUS: 'FULL',
    });
    assert.equal(env.code, 2);
    assert.equal(
      env.stderr,
      'dbcerts: DBCERTS_SQLITE_SYNCHRONOUS (--sqlite-synchronous) must be full or normal (got FULL)\n',
    );
    // Refused before anything was written.
    assert.equal(existsSync(fresh), false);
  });

  test('an unknown command or option gives the usage and exit code 2', async () => {
    const command = await dbcerts(['frobnicate']);
    assert.equal(command.code, 2);
    assert.equal(command.stdout, '');
    assert.match(command.stderr, /unknown command frobnicate/);
    assert.match(command.stderr, /Usage: dbcerts <command> \[options\]/);

    const option = await dbcerts(['bootstrap', '--frobnicate']);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /Usage: dbcerts <command> \[options\]/);
  });

  test('--help prints the usage on stdout and exits 0', async () => {
    const help = await dbcerts(['--help']);
    assert.equal(help.code, 0);
    assert.equal(help.stderr, '');
    assert.match(help.stdout, /^Usage: dbcerts <command> \[options\]\n/);
    for (const command of ['serve', 'bootstrap', 'ca-cert'])
      assert.match(help.stdout, new RegExp(`^ {2}${command} `, 'm'));
  });

  test('npx --no-install dbcerts --help works from the package directory', async () => {
    const npx = await runCommand('npx', ['--no-install', 'dbcerts', '--help']);
    assert.equal(npx.code, 0, npx.stderr);
    assert.match(npx.stdout, /^Usage: dbcerts <command> \[options\]\n/);
  });
});
