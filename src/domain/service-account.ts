import type { ApiKey } from './api-key.js';

/**
 * Organization service accounts (OAuth 2.0 client credentials). They hold roles,
 * project assignments and access lists exactly as API keys do; they authenticate with a
 * client id and secret at the token endpoint, then with Bearer tokens.
 */

const CLIENT_ID_PREFIX = 'mdb_sa_id_';
export const SECRET_PREFIX = 'mdb_sa_sk_';
export const MIN_SECRET_HOURS = 8;
export const MAX_SECRET_HOURS = 365 * 24;
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3600;

export interface ServiceAccountSecret {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt?: Date;
  /** `mdb_sa_sk_…` + the last 4 characters: all that is shown after creation. */
  maskedSecretValue: string;
}

export interface ServiceAccount extends Omit<ApiKey, 'publicKey' | 'privateKeyTail'> {
  clientId: string;
  name: string;
  secrets: ServiceAccountSecret[];
}

export function clientIdOf(id: string): string {
  return `${CLIENT_ID_PREFIX}${id}`;
}

/** The account id inside a client id, if it has the `mdb_sa_id_<24 hex>` shape. */
export function idOfClientId(clientId: string): string | undefined {
  // Atlas' pattern allows upper-case hex; ids are stored lower-case.
  const match = /^mdb_sa_id_([0-9a-fA-F]{24})$/.exec(clientId);
  return match?.[1]?.toLowerCase();
}

export function maskSecret(secret: string): string {
  return `${SECRET_PREFIX}...${secret.slice(-4)}`;
}
