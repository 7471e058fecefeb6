import { randomSerial } from '../../src/domain/serial.js';
import type { CertificatesTable } from '../../src/store/schema.js';
import type { TestServer } from '../helpers/server.js';

/**
 * Many certificates for a console test, written straight to the store (both backends)
 * instead of thousands of HTTP issuances. Each row copies the DER of a real certificate
 * of the user's project (the console lists the stored columns: serial, subject, dates,
 * status); their serials are random 63-bit integers like real ones.
 */

const DAY = 86_400_000;

export interface SeededCertificate {
  serial: bigint;
  createdAt: Date;
  notAfter: Date;
  revokedAt?: Date;
}

export interface SeedSpec {
  /** How many, the newest issued at `newest`, each `everyMs` before the next. */
  count: number;
  newest: Date;
  everyMs: number;
  validityDays: number;
  /** Every n-th one (counting from the newest, the newest excluded) is revoked a day after issue. */
  revokeEvery?: number;
}

export async function seedCertificates(
  server: TestServer,
  groupId: string,
  username: string,
  spec: SeedSpec,
): Promise<SeededCertificate[]> {
  const db = server.store.db;
  const user = await db
    .selectFrom('database_users')
    .select('id')
    .where('project_id', '=', groupId)
    .where('username', '=', username)
    .executeTakeFirstOrThrow();
  const template = await db
    .selectFrom('certificates')
    .select(['ca_id', 'certificate_der'])
    .where('project_id', '=', groupId)
    .orderBy('created_at')
    .executeTakeFirstOrThrow();
  const seeded: SeededCertificate[] = [];
  const rows: CertificatesTable[] = [];
  for (let index = 0; index < spec.count; index++) {
    const createdAt = new Date(Math.floor((spec.newest.getTime() - index * spec.everyMs) / 1000) * 1000);
    const notAfter = new Date(createdAt.getTime() + spec.validityDays * DAY);
    const revoked = spec.revokeEvery !== undefined && index > 0 && index % spec.revokeEvery === 0;
    const revokedAt = revoked ? new Date(createdAt.getTime() + DAY) : undefined;
    const serial = randomSerial();
    seeded.push({ serial, createdAt, notAfter, ...(revokedAt ? { revokedAt } : {}) });
    rows.push({
      serial,
      project_id: groupId,
      user_id: user.id,
      ca_id: template.ca_id,
      subject: `CN=${username}`,
      key_algorithm: 'ec-p256',
      created_at: createdAt.toISOString(),
      not_before: createdAt.toISOString(),
      not_after: notAfter.toISOString(),
      certificate_der: template.certificate_der,
      revoked_at: revokedAt?.toISOString() ?? null,
      revocation_reason: revokedAt ? 'superseded' : null,
      source: 'generated',
    });
  }
  for (let start = 0; start < rows.length; start += 500) {
    await db
      .insertInto('certificates')
      .values(rows.slice(start, start + 500))
      .execute();
  }
  return seeded;
}
