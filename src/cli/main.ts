import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { MasterKeyMismatchError } from '../authority/authority.js';
import { buildServer, ATLAS_V1_PREFIX } from '../api/server.js';
import { isAtlasError } from '../domain/errors.js';
import { KEY_ALGORITHMS } from '../pki/key-algorithms.js';
import { SecretBoxError } from '../pki/secret-box.js';
import { ConfigError, type Config, type Flags, loadConfig } from './config.js';
import { CREDENTIALS_FILE, readCredentials } from './files.js';
import type { BootstrapCredentials } from '../authority/bootstrap.js';
import { ensureBootstrapped, openRuntime, type Runtime } from './runtime.js';
import { announceListening, clusterMetrics, runPrimary, serverStarted, workerRuntimeOptions } from './workers.js';
import { backup, migrate, restore } from './transfer.js';

const USAGE = `Usage: dbcerts <command> [options]

Commands:
  serve      [--port N] [--host H] [--data DIR]   run the Atlas-compatible API server (default)
  bootstrap  --data DIR [--json]                  create (once) the organization, project and API key
  ca-cert    --data DIR [--group ID] [--bundle]   print a project's CA certificate (PEM); --bundle: every
                                                  CA still trusted (during a rotation)
  crl        --data DIR [--group ID] [--der]      print the project's CRLs (PEM, for net.tls.CRLFile);
                                                  --der: the active CA's CRL in DER
  backup     --out FILE                           write a consistent snapshot of the store (secrets stay sealed)
  restore    FILE [--replace]                     load a backup into an empty store (--replace: into this one)
  migrate    --from sqlite:DIR --to postgres://…  copy an embedded deployment to PostgreSQL

Options (also as environment variables):
  --port N                 PORT (8080)
  --host H                 HOST (127.0.0.1)
  --data DIR               DBCERTS_DATA_DIR (./data)
  --database-url URL       DBCERTS_DATABASE_URL (postgres://…; default: embedded SQLite in DIR)
  --sqlite-synchronous S   DBCERTS_SQLITE_SYNCHRONOUS (full: a commit is on the disk before it is answered;
                           normal: faster, an OS crash or power cut may lose the last answered writes)
  --key-algorithm A        DBCERTS_KEY_ALGORITHM (${KEY_ALGORITHMS.join(' | ')})
  --ca-key-algorithm A     DBCERTS_CA_KEY_ALGORITHM (same values; rsa-4096)
  --public-url URL         DBCERTS_PUBLIC_URL (origin used in response links)
  --log-level L            DBCERTS_LOG_LEVEL (info)
  --trust-proxy P          DBCERTS_TRUST_PROXY (false; true, or proxy addresses/CIDRs, comma-separated,
                           allowed to name the client address in X-Forwarded-For)
  --rate-limits R          DBCERTS_RATE_LIMITS (Atlas' limits; "off", or JSON overrides per endpoint set)
  --tls-cert F --tls-key F DBCERTS_TLS_CERT, DBCERTS_TLS_KEY (PEM files: serve HTTPS)
  --key-pool P             DBCERTS_KEY_POOL (50 ready keys of the key algorithm; "rsa-4096:8,ec-p256:32", or "off")
  --key-pool-concurrency N DBCERTS_KEY_POOL_CONCURRENCY (cores: low-priority key-generation threads)
  --workers N              DBCERTS_WORKERS (cores; processes serving requests, 1: this process alone)
  --db-pool-size N         DBCERTS_DB_POOL_SIZE (10; PostgreSQL connections per instance)
  --db-connect-timeout-ms  DBCERTS_DB_CONNECT_TIMEOUT_MS (5000)
  --db-statement-timeout-ms DBCERTS_DB_STATEMENT_TIMEOUT_MS (30000)
  --db-prepared-statements DBCERTS_DB_PREPARED_STATEMENTS (on; off behind a pooler that cannot keep them)
                           DBCERTS_MASTER_KEY (32 bytes, hex or base64; default: DIR/master.key)
`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  'database-url': { type: 'string' },
  'sqlite-synchronous': { type: 'string' },
  'key-algorithm': { type: 'string' },
  'ca-key-algorithm': { type: 'string' },
  'public-url': { type: 'string' },
  'log-level': { type: 'string' },
  'trust-proxy': { type: 'string' },
  'rate-limits': { type: 'string' },
  'tls-cert': { type: 'string' },
  'db-pool-size': { type: 'string' },
  'key-pool': { type: 'string' },
  'key-pool-concurrency': { type: 'string' },
  'db-connect-timeout-ms': { type: 'string' },
  'db-statement-timeout-ms': { type: 'string' },
  'db-prepared-statements': { type: 'string' },
  'tls-key': { type: 'string' },
  workers: { type: 'string' },
  group: { type: 'string' },
  json: { type: 'boolean' },
  bundle: { type: 'boolean' },
  out: { type: 'string' },
  replace: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  der: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The weaker durability an operator chose is said where the store is named. */
function durabilityNote(config: Config): string {
  if (config.databaseUrl !== undefined || config.sqliteSynchronous === 'full') return '';
  return ' (synchronous=normal: an OS crash or power cut may lose the last acknowledged writes)';
}

/**
 * Builds the HTTP server over an opened runtime, listens, and stops cleanly on SIGTERM or
 * SIGINT (the requests in flight finish, the log is flushed); answers the address.
 */
async function listen(config: Config, runtime: Runtime, worker = false): Promise<string> {
  // Log lines are written asynchronously (lines logged while a write is pending go out
  // together), so a busy server does not block on stdout; flushed before exiting.
  const logDestination = pino.destination({ dest: 1, sync: false });
  const app = await buildServer({
    authority: runtime.authority,
    publicUrl: config.publicUrl,
    logger: { level: config.logLevel, stream: logDestination },
    trustProxy: config.trustProxy,
    ...(worker ? { clusterMetrics, started: serverStarted } : {}),
    ...(config.tlsCertFile && config.tlsKeyFile
      ? { tls: { cert: readFileSync(config.tlsCertFile, 'utf8'), key: readFileSync(config.tlsKeyFile, 'utf8') } }
      : {}),
  });
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await runtime.close();
    logDestination.flushSync();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  return app.listen({ port: config.port, host: config.host });
}

async function serve(config: Config): Promise<void> {
  if (cluster.isWorker) {
    // The primary has migrated and bootstrapped the store.
    const address = await listen(config, await openRuntime(config, workerRuntimeOptions(config)), true);
    announceListening(address);
    return;
  }
  if (config.workers > 1) {
    // The store is prepared once, here; the workers only open it.
    const runtime = await openRuntime(config);
    const bootstrapped = await ensureBootstrapped(runtime, config).finally(() => runtime.close());
    const { address, announced } = await runPrimary(config);
    printBanner(config, bootstrapped, runtime.authority.store.location, address);
    announced();
    return;
  }
  const runtime = await openRuntime(config);
  const bootstrapped = await ensureBootstrapped(runtime, config);
  const address = await listen(config, runtime);
  printBanner(config, bootstrapped, runtime.authority.store.location, address);
}

function printBanner(
  config: Config,
  { credentials, created, file }: { credentials: BootstrapCredentials; created: boolean; file?: string },
  storeLocation: string,
  address: string,
): void {
  const origin = config.publicUrl ?? address;
  const credentialsPath = resolve(config.dataDir, CREDENTIALS_FILE);
  const privateKeyLine = created
    ? `PRIV=${credentials.privateKey}`
    : `PRIV=$(node -p "require(${JSON.stringify(credentialsPath).replace(/"/g, "'")}).privateKey")`;
  process.stdout.write(
    [
      '',
      `dbcerts: the MongoDB Atlas Administration API at ${origin}${ATLAS_V1_PREFIX} and ${origin}/api/atlas/v2`,
      `  OpenAPI:       ${origin}/api/openapi.json`,
      `  web console:   ${origin}/console (sign in with the API key below)`,
      `  store:         ${storeLocation}${durabilityNote(config)}`,
      `  organization:  ${credentials.orgId}`,
      `  project:       ${credentials.groupId}`,
      `  API key:       ${credentials.publicKey} (org owner; ${created ? `new, saved in ${file}` : `in ${credentialsPath}`}, mode 0600)`,
      '',
      'Call it:',
      `  export PUB=${credentials.publicKey} ${privateKeyLine} GROUP=${credentials.groupId}`,
      `  curl --user "$PUB:$PRIV" --digest ${shellQuote(`${origin}${ATLAS_V1_PREFIX}/groups/`)}"$GROUP/databaseUsers?pretty=true"`,
      '',
    ].join('\n'),
  );
}

async function bootstrap(config: Config, json: boolean): Promise<void> {
  const runtime = await openRuntime(config);
  try {
    const { credentials, file } = await ensureBootstrapped(runtime, config);
    if (json) {
      process.stdout.write(`${JSON.stringify(credentials)}\n`);
    } else {
      process.stdout.write(
        `organization ${credentials.orgId}\nproject      ${credentials.groupId}\npublic key   ${credentials.publicKey}\n` +
          `private key  ${credentials.privateKey}\n${file ? `saved in     ${file}\n` : ''}`,
      );
    }
  } finally {
    await runtime.close();
  }
}

function groupOf(config: Config, group: string | undefined): string {
  const groupId = group ?? readCredentials(config.dataDir)?.groupId;
  if (!groupId) throw new ConfigError('--group ID is required (no bootstrap credentials in the data directory)');
  return groupId;
}

async function caCert(config: Config, group: string | undefined, bundle: boolean): Promise<void> {
  const groupId = groupOf(config, group);
  const runtime = await openRuntime(config);
  try {
    const { certificateAuthorities } = runtime.authority;
    process.stdout.write(
      bundle
        ? await certificateAuthorities.trustBundlePemFor(groupId)
        : await certificateAuthorities.caCertificatePem(groupId),
    );
  } finally {
    await runtime.close();
  }
}

async function crl(config: Config, group: string | undefined, der: boolean): Promise<void> {
  const groupId = groupOf(config, group);
  const runtime = await openRuntime(config);
  try {
    const { revocationLists } = runtime.authority;
    if (der) process.stdout.write(await revocationLists.crlDerFor(groupId));
    else process.stdout.write(await revocationLists.crlPemBundleFor(groupId));
  } finally {
    await runtime.close();
  }
}

/** What a transfer moved, on stderr (stdout stays free for scripts). */
function report(counts: Record<string, number>, what: string): void {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const detail = Object.entries(counts)
    .map(([table, count]) => `${table} ${count}`)
    .join(', ');
  process.stderr.write(`dbcerts: ${what}: ${total} rows${detail ? ` (${detail})` : ''}\n`);
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`dbcerts: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command = 'serve', ...rest] = parsed.positionals;
  // `restore FILE` takes one positional argument; no other command does.
  const file = command === 'restore' ? rest.shift() : undefined;
  const extra = rest;
  if (parsed.values.help || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (extra.length > 0) {
    process.stderr.write(`dbcerts: unexpected argument ${extra[0]}\n\n${USAGE}`);
    return 2;
  }
  try {
    const config = loadConfig(parsed.values as Flags);
    switch (command) {
      case 'serve':
        await serve(config);
        return -1; // keeps running
      case 'bootstrap':
        await bootstrap(config, parsed.values.json === true);
        return 0;
      case 'ca-cert':
        await caCert(config, parsed.values.group, parsed.values.bundle === true);
        return 0;
      case 'crl':
        await crl(config, parsed.values.group, parsed.values.der === true);
        return 0;
      case 'backup': {
        if (!parsed.values.out) throw new ConfigError('backup needs --out FILE');
        report(await backup(config, parsed.values.out), `backed up to ${parsed.values.out}`);
        return 0;
      }
      case 'restore': {
        if (!file) throw new ConfigError('restore needs the backup FILE');
        report(await restore(config, file, parsed.values.replace === true), `restored from ${file}`);
        return 0;
      }
      case 'migrate': {
        if (!parsed.values.from || !parsed.values.to)
          throw new ConfigError('migrate needs --from sqlite:DIR and --to postgres://…');
        report(await migrate(config, parsed.values.from, parsed.values.to), 'migrated');
        return 0;
      }
      default:
        process.stderr.write(`dbcerts: unknown command ${command}\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof MasterKeyMismatchError || error instanceof SecretBoxError) {
      process.stderr.write(`dbcerts: ${error.message}\n`);
      return 2;
    }
    if (isAtlasError(error)) {
      process.stderr.write(`dbcerts: ${error.errorCode}: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`dbcerts: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
