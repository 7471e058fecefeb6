import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { ReusableQuery } from './reusable-query.js';

/** Read by every certificate request (a customer CA forbids managed certificates). */
const CUSTOMER_CAS = new ReusableQuery(1, (db, groupId: string) =>
  db.selectFrom('user_security').select('customer_x509_cas').where('project_id', '=', groupId),
);

/** Per-project user security: the customer-managed X.509 CA bundle, kept byte for byte. */
export class UserSecurityRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async customerCas(groupId: string): Promise<string | undefined> {
    const row = await CUSTOMER_CAS.executeTakeFirst(this.db, groupId);
    return row?.customer_x509_cas ?? undefined;
  }

  async delete(groupId: string): Promise<void> {
    await this.db.deleteFrom('user_security').where('project_id', '=', groupId).execute();
  }

  async setCustomerCas(groupId: string, cas: string | null, at: Date): Promise<void> {
    await this.db
      .insertInto('user_security')
      .values({ project_id: groupId, customer_x509_cas: cas, updated_at: at.toISOString() })
      .onConflict((oc) => oc.column('project_id').doUpdateSet({ customer_x509_cas: cas, updated_at: at.toISOString() }))
      .execute();
  }
}
