import type { Kysely } from 'kysely';
import type { ApiKey, OrgRole } from '../../domain/api-key.js';
import type { ApiKeysTable, Database } from '../schema.js';
import { toDate } from './codec.js';

/** An API key as stored: its Digest secrets stay sealed until authentication opens them. */
export interface StoredApiKey extends ApiKey {
  sealedDigestHa1Md5: string;
  sealedDigestHa1Sha256: string;
}

function fromRow(row: ApiKeysTable): StoredApiKey {
  return {
    id: row.id,
    orgId: row.org_id,
    publicKey: row.public_key,
    description: row.description,
    roles: JSON.parse(row.roles) as OrgRole[],
    privateKeyTail: row.private_key_tail,
    createdAt: toDate(row.created_at),
    sealedDigestHa1Md5: row.digest_ha1_md5,
    sealedDigestHa1Sha256: row.digest_ha1_sha256,
  };
}

export class ApiKeysRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(key: StoredApiKey): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: key.id,
        org_id: key.orgId,
        public_key: key.publicKey,
        description: key.description,
        roles: JSON.stringify(key.roles),
        private_key_tail: key.privateKeyTail,
        digest_ha1_md5: key.sealedDigestHa1Md5,
        digest_ha1_sha256: key.sealedDigestHa1Sha256,
        created_at: key.createdAt.toISOString(),
      })
      .execute();
  }

  async findByPublicKey(publicKey: string): Promise<StoredApiKey | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('public_key', '=', publicKey).executeTakeFirst();
    return row && fromRow(row);
  }
}
