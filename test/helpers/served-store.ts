import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import {
  type Credentials,
  dbcerts,
  Deployment,
  type Instance,
  type Outcome,
  spawnServe,
  waitReady,
} from '../pg/instances.js';
import { TEST_BACKEND } from './backend.js';

/**
 * One store of the test backend served by real `dbcerts serve` processes: the embedded
 * SQLite file of one data directory (every process started serves that directory, one at
 * a time), or a PostgreSQL database of its own (a Deployment: any number of instances at
 * once). The master key is given in DBCERTS_MASTER_KEY, so a second store (a restore's
 * target) can share it.
 */
export interface ServedStore {
  masterKey: string;
  /** `dbcerts bootstrap` once, then the credentials it printed. */
  bootstrap(): Promise<Credentials>;
  /** Starts a `dbcerts serve` over the store and waits until it is ready. */
  start(env?: Record<string, string>): Promise<Instance>;
  /** Runs `dbcerts <args>` against the store. */
  command(args: string[]): Promise<Outcome>;
  /** The store, opened in this process (the caller closes it). */
  open(): Promise<Store>;
  /** Kills every process started, and removes the store. */
  close(): Promise<void>;
}

export async function createServedStore(masterKey = randomBytes(32).toString('hex')): Promise<ServedStore> {
  return TEST_BACKEND === 'postgres' ? postgresStore(masterKey) : embeddedStore(masterKey);
}

function embeddedStore(masterKey: string): ServedStore {
  const scratch = mkdtempSync(join(tmpdir(), 'dbcerts-served-'));
  const dataDir = join(scratch, 'data');
  const instances: Instance[] = [];
  const env = (extra: Record<string, string> = {}) => ({
    DBCERTS_MASTER_KEY: masterKey,
    DBCERTS_KEY_ALGORITHM: 'ec-p256',
    DBCERTS_CA_KEY_ALGORITHM: 'ec-p256',
    DBCERTS_LOG_LEVEL: 'warn',
    DBCERTS_RATE_LIMITS: 'off',
    ...extra,
  });
  const command = (args: string[]) => dbcerts([...args, '--data', dataDir], env());
  return {
    masterKey,
    async bootstrap() {
      const outcome = await command(['bootstrap', '--json']);
      if (outcome.code !== 0) throw new Error(`bootstrap failed (${outcome.code}): ${outcome.stderr}`);
      return JSON.parse(outcome.stdout) as Credentials;
    },
    async start(extra) {
      const instance = await spawnServe(dataDir, env(extra));
      instances.push(instance);
      await waitReady(instance);
      return instance;
    },
    command,
    open: () => Store.open({ dataDir }),
    async close() {
      await Promise.all(instances.map((instance) => instance.kill('SIGKILL')));
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

async function postgresStore(masterKey: string): Promise<ServedStore> {
  const deployment = await Deployment.create({ masterKey });
  const cliDir = join(deployment.scratch, 'cli');
  return {
    masterKey,
    bootstrap: () => deployment.bootstrap(),
    start: (env) => deployment.start(env ? { env } : {}),
    command: (args) => dbcerts([...args, '--data', cliDir], deployment.env()),
    open: () => Store.open({ dataDir: cliDir, databaseUrl: deployment.url }),
    close: () => deployment.close(),
  };
}
