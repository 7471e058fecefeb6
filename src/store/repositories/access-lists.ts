import type { Kysely } from 'kysely';
import type { AccessListEntry } from '../../domain/access-list.js';
import type { ApiKeyAccessListTable, Database } from '../schema.js';
import { toDate, toOptionalDate } from './codec.js';
import { ReusableQuery } from './reusable-query.js';

function fromRow(row: ApiKeyAccessListTable): AccessListEntry {
  const entry: AccessListEntry = {
    cidrBlock: row.cidr_block,
    createdAt: toDate(row.created_at),
    useCount: Number(row.use_count),
  };
  if (row.ip_address !== null) entry.ipAddress = row.ip_address;
  const lastUsedAt = toOptionalDate(row.last_used_at);
  if (lastUsedAt) entry.lastUsedAt = lastUsedAt;
  if (row.last_used_address !== null) entry.lastUsedAddress = row.last_used_address;
  return entry;
}

/** API key access lists: the addresses each key may be used from. */
/** Read on every authenticated request. */
const KEY_ACCESS_LIST = new ReusableQuery(1, (db, apiKeyId: string) =>
  db
    .selectFrom('api_key_access_list')
    .selectAll()
    .where('api_key_id', '=', apiKeyId)
    .orderBy('created_at')
    .orderBy('cidr_block'),
);

export class AccessListsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async all(apiKeyId: string): Promise<AccessListEntry[]> {
    return (await KEY_ACCESS_LIST.execute(this.db, apiKeyId)).map(fromRow);
  }

  async list(apiKeyId: string, offset: number, limit: number): Promise<AccessListEntry[]> {
    const rows = await this.db
      .selectFrom('api_key_access_list')
      .selectAll()
      .where('api_key_id', '=', apiKeyId)
      .orderBy('created_at')
      .orderBy('cidr_block')
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  async count(apiKeyId: string): Promise<number> {
    const row = await this.db
      .selectFrom('api_key_access_list')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('api_key_id', '=', apiKeyId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async find(apiKeyId: string, cidrBlock: string): Promise<AccessListEntry | undefined> {
    const row = await this.db
      .selectFrom('api_key_access_list')
      .selectAll()
      .where('api_key_id', '=', apiKeyId)
      .where('cidr_block', '=', cidrBlock)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** Fails with a unique violation if the key already has this block. */
  async insert(apiKeyId: string, entry: Pick<AccessListEntry, 'cidrBlock' | 'ipAddress' | 'createdAt'>): Promise<void> {
    await this.db
      .insertInto('api_key_access_list')
      .values({
        api_key_id: apiKeyId,
        cidr_block: entry.cidrBlock,
        ip_address: entry.ipAddress ?? null,
        created_at: entry.createdAt.toISOString(),
        last_used_at: null,
        last_used_address: null,
        use_count: 0n,
      })
      .execute();
  }

  async delete(apiKeyId: string, cidrBlock: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('api_key_access_list')
      .where('api_key_id', '=', apiKeyId)
      .where('cidr_block', '=', cidrBlock)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async recordUse(apiKeyId: string, cidrBlock: string, at: Date, address: string): Promise<void> {
    await this.db
      .updateTable('api_key_access_list')
      .set((eb) => ({
        last_used_at: at.toISOString(),
        last_used_address: address,
        use_count: eb('use_count', '+', 1n),
      }))
      .where('api_key_id', '=', apiKeyId)
      .where('cidr_block', '=', cidrBlock)
      .execute();
  }
}
