import type { Kysely } from 'kysely';
import type { ConsoleSessionsTable, Database } from '../schema.js';
import type { IdentityKind } from './api-keys.js';
import { toDate } from './codec.js';

/** A web console session as stored: its id only as a SHA-256 (hex). */
export interface StoredConsoleSession {
  idSha256: string;
  apiKeyId: string;
  orgId: string;
  kind: IdentityKind;
  /** The API key's public key, or the service account's client id. */
  publicKey: string;
  /** Service accounts: the secret signed in with. */
  secretId?: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

function fromRow(row: ConsoleSessionsTable): StoredConsoleSession {
  return {
    idSha256: row.id_sha256,
    apiKeyId: row.api_key_id,
    orgId: row.org_id,
    kind: row.kind as IdentityKind,
    publicKey: row.public_key,
    ...(row.secret_id !== null ? { secretId: row.secret_id } : {}),
    createdAt: toDate(row.created_at),
    lastSeenAt: toDate(row.last_seen_at),
    expiresAt: toDate(row.expires_at),
  };
}

export class ConsoleSessionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(session: StoredConsoleSession): Promise<void> {
    await this.db
      .insertInto('console_sessions')
      .values({
        id_sha256: session.idSha256,
        api_key_id: session.apiKeyId,
        org_id: session.orgId,
        kind: session.kind,
        public_key: session.publicKey,
        secret_id: session.secretId ?? null,
        created_at: session.createdAt.toISOString(),
        last_seen_at: session.lastSeenAt.toISOString(),
        expires_at: session.expiresAt.toISOString(),
      })
      .execute();
  }

  async find(idSha256: string): Promise<StoredConsoleSession | undefined> {
    const row = await this.db
      .selectFrom('console_sessions')
      .selectAll()
      .where('id_sha256', '=', idSha256)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** Records activity (only moves forward, so two instances cannot move it back). */
  async touch(idSha256: string, at: Date): Promise<void> {
    await this.db
      .updateTable('console_sessions')
      .set({ last_seen_at: at.toISOString() })
      .where('id_sha256', '=', idSha256)
      .where('last_seen_at', '<', at.toISOString())
      .execute();
  }

  /** Ends a session; false if there was none. */
  async delete(idSha256: string): Promise<boolean> {
    const result = await this.db.deleteFrom('console_sessions').where('id_sha256', '=', idSha256).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Deletes sessions idle since `idleBefore` or past their lifetime at `now`. */
  async purgeExpired(now: Date, idleBefore: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('console_sessions')
      .where((eb) =>
        eb.or([eb('expires_at', '<=', now.toISOString()), eb('last_seen_at', '<=', idleBefore.toISOString())]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** How many live sessions a key or account has (tests, metrics). */
  async countForKey(apiKeyId: string): Promise<number> {
    const row = await this.db
      .selectFrom('console_sessions')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('api_key_id', '=', apiKeyId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
