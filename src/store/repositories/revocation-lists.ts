import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { toBigInt, toBytes, toDate } from './codec.js';

export interface StoredCrl {
  caId: string;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  der: Uint8Array;
}

/** The latest CRL of each CA. CRL numbers only grow: each new CRL takes the next one. */
export class RevocationListsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly lockRows: boolean,
  ) {}

  async latest(caId: string, forUpdate = false): Promise<StoredCrl | undefined> {
    let query = this.db.selectFrom('certificate_revocation_lists').selectAll().where('ca_id', '=', caId);
    if (forUpdate && this.lockRows) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return (
      row && {
        caId: row.ca_id,
        crlNumber: toBigInt(row.crl_number),
        thisUpdate: toDate(row.this_update),
        nextUpdate: toDate(row.next_update),
        der: toBytes(row.der),
      }
    );
  }

  async save(crl: StoredCrl): Promise<void> {
    const values = {
      crl_number: crl.crlNumber,
      this_update: crl.thisUpdate.toISOString(),
      next_update: crl.nextUpdate.toISOString(),
      // No longer read: whether a CRL misses a revocation is decided by its serials.
      covers_until: null,
      der: crl.der,
    };
    await this.db
      .insertInto('certificate_revocation_lists')
      .values({ ca_id: crl.caId, ...values })
      .onConflict((oc) => oc.column('ca_id').doUpdateSet(values))
      .execute();
  }
}
