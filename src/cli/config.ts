import { isKeyAlgorithm, type KeyAlgorithm, KEY_ALGORITHMS } from '../pki/key-algorithms.js';

/** Settings, from command-line flags first, then environment variables, then defaults. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  keyAlgorithm: KeyAlgorithm;
  caKeyAlgorithm: KeyAlgorithm;
  publicUrl: string | undefined;
  logLevel: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Flags = Partial<Record<string, string | boolean | undefined>>;

function text(flags: Flags, flag: string, env: string, fallback?: string): string | undefined {
  const fromFlag = flags[flag];
  if (typeof fromFlag === 'string' && fromFlag !== '') return fromFlag;
  const fromEnv = process.env[env];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return fallback;
}

function keyAlgorithm(value: string, what: string): KeyAlgorithm {
  if (!isKeyAlgorithm(value))
    throw new ConfigError(`${what} must be one of ${KEY_ALGORITHMS.join(', ')} (got ${value})`);
  return value;
}

export function loadConfig(flags: Flags): Config {
  const port = Number(text(flags, 'port', 'PORT', '8080'));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`invalid port: ${text(flags, 'port', 'PORT')}`);
  return {
    host: text(flags, 'host', 'HOST', '127.0.0.1')!,
    port,
    dataDir: text(flags, 'data', 'DBCERTS_DATA_DIR', './data')!,
    databaseUrl: text(flags, 'database-url', 'DBCERTS_DATABASE_URL'),
    keyAlgorithm: keyAlgorithm(text(flags, 'key-algorithm', 'DBCERTS_KEY_ALGORITHM', 'rsa-4096')!, 'the key algorithm'),
    caKeyAlgorithm: keyAlgorithm(
      text(flags, 'ca-key-algorithm', 'DBCERTS_CA_KEY_ALGORITHM', 'rsa-4096')!,
      'the CA key algorithm',
    ),
    publicUrl: text(flags, 'public-url', 'DBCERTS_PUBLIC_URL'),
    logLevel: text(flags, 'log-level', 'DBCERTS_LOG_LEVEL', 'info')!,
  };
}
