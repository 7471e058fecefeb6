import type { Kysely } from 'kysely';
import type { ServiceAccountSecret } from '../../domain/service-account.js';
import type { Database, ServiceAccountSecretsTable } from '../schema.js';
import { toDate, toOptionalDate } from './codec.js';

/** A secret as stored: only its SHA-256 (secrets are long and random, so a fast hash is enough). */
export interface StoredServiceAccountSecret extends ServiceAccountSecret {
  accountId: string;
  secretSha256: string;
}

function fromRow(row: ServiceAccountSecretsTable): StoredServiceAccountSecret {
  const secret: StoredServiceAccountSecret = {
    id: row.id,
    accountId: row.account_id,
    secretSha256: row.secret_sha256,
    maskedSecretValue: row.masked,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
  };
  const lastUsed = toOptionalDate(row.last_used_at);
  if (lastUsed) secret.lastUsedAt = lastUsed;
  return secret;
}

export class ServiceAccountSecretsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async ofAccount(accountId: string): Promise<StoredServiceAccountSecret[]> {
    const rows = await this.db
      .selectFrom('service_account_secrets')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  /** The secrets of several accounts at once, by account. */
  async ofAccounts(accountIds: readonly string[]): Promise<Map<string, StoredServiceAccountSecret[]>> {
    const byAccount = new Map<string, StoredServiceAccountSecret[]>(accountIds.map((id) => [id, []]));
    if (accountIds.length === 0) return byAccount;
    const rows = await this.db
      .selectFrom('service_account_secrets')
      .selectAll()
      .where('account_id', 'in', accountIds)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    for (const row of rows) byAccount.get(row.account_id)?.push(fromRow(row));
    return byAccount;
  }

  async find(accountId: string, id: string): Promise<StoredServiceAccountSecret | undefined> {
    const row = await this.db
      .selectFrom('service_account_secrets')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async insert(secret: StoredServiceAccountSecret): Promise<void> {
    await this.db
      .insertInto('service_account_secrets')
      .values({
        id: secret.id,
        account_id: secret.accountId,
        secret_sha256: secret.secretSha256,
        masked: secret.maskedSecretValue,
        created_at: secret.createdAt.toISOString(),
        expires_at: secret.expiresAt.toISOString(),
        last_used_at: null,
      })
      .execute();
  }

  async delete(accountId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('service_account_secrets')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db
      .updateTable('service_account_secrets')
      .set({ last_used_at: at.toISOString() })
      .where('id', '=', id)
      .execute();
  }
}

/** Access tokens revoked before their expiry (RFC 7009). */
export class RevokedTokensRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async revoke(jti: string, expiresAt: Date): Promise<void> {
    await this.db
      .insertInto('revoked_access_tokens')
      .values({ jti, expires_at: expiresAt.toISOString() })
      .onConflict((oc) => oc.column('jti').doNothing())
      .execute();
  }

  async isRevoked(jti: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('revoked_access_tokens')
      .select('jti')
      .where('jti', '=', jti)
      .executeTakeFirst();
    return row !== undefined;
  }

  async purgeExpired(now: Date): Promise<void> {
    await this.db.deleteFrom('revoked_access_tokens').where('expires_at', '<=', now.toISOString()).execute();
  }
}
