import { Authority } from '../authority/authority.js';
import type { BootstrapCredentials } from '../authority/bootstrap.js';
import type { KeySource } from '../pki/key-pool.js';
import { SecretBox } from '../pki/secret-box.js';
import { Store } from '../store/store.js';
import type { Config } from './config.js';
import { loadMasterKey, readCredentials, writeCredentials } from './files.js';

export interface Runtime {
  authority: Authority;
  close(): Promise<void>;
}

/** What a worker process of `serve` takes from the process that started it. */
export interface WorkerRuntimeOptions {
  keySource?: KeySource;
  nonceLedger?: { file: string; tag: string };
  /** Its share of the instance's PostgreSQL connections. */
  poolSize?: number;
}

/** Opens the store and the authority the way every command does. */
export async function openRuntime(config: Config, worker: WorkerRuntimeOptions = {}): Promise<Runtime> {
  const { key } = loadMasterKey(config.dataDir);
  const store = await Store.open({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    sqliteSynchronous: config.sqliteSynchronous,
    poolSize: worker.poolSize ?? config.poolSize,
    connectTimeoutMs: config.connectTimeoutMs,
    statementTimeoutMs: config.statementTimeoutMs,
    preparedStatements: config.preparedStatements,
    nonceLedger: worker.nonceLedger,
    onPoolError: (error) =>
      process.stderr.write(
        `${JSON.stringify({ level: 40, time: Date.now(), msg: 'database connection lost', err: error.message })}\n`,
      ),
  });
  try {
    const authority = await Authority.open({
      store,
      secrets: new SecretBox(key),
      keyAlgorithm: config.keyAlgorithm,
      caKeyAlgorithm: config.caKeyAlgorithm,
      rateLimits: config.rateLimits,
      ...(worker.keySource ? { keySource: worker.keySource } : {}),
      keyPool: {
        ...(config.keyPoolSizes ? { sizes: config.keyPoolSizes } : {}),
        ...(config.keyPoolConcurrency ? { concurrency: config.keyPoolConcurrency } : {}),
      },
    });
    return { authority, close: () => store.close() };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Bootstraps (idempotently) and keeps `credentials.json` in step with the store. */
export async function ensureBootstrapped(
  runtime: Runtime,
  config: Config,
): Promise<{ credentials: BootstrapCredentials; created: boolean; file?: string }> {
  const known = readCredentials(config.dataDir);
  const result = await runtime.authority.bootstrap.bootstrap(known);
  if (!result.created) return result;
  return { ...result, file: writeCredentials(config.dataDir, result.credentials) };
}
