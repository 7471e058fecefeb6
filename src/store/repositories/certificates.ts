import { CompiledQuery, type Insertable, type Kysely, sql } from 'kysely';
import type { CertificateAuthority, UserCertificate } from '../../domain/certificate.js';
import { type ColumnReader, type Dialect, isUniqueViolation } from '../database.js';
import type { CertificateAuthoritiesTable, CertificatesTable, Database, EventsTable } from '../schema.js';
import { EVENT_COLUMNS, insertEvent } from './events.js';
import { toBigInt, toBytes, toDate, toOptionalDate } from './codec.js';
import { type PagePosition, type PageRequest, pageOffset, pagePosition } from '../../domain/pagination.js';
import { ReusableQuery, reusableBulkInsert, reusableInsert } from './reusable-query.js';

export interface StoredCertificateAuthority extends CertificateAuthority {
  sealedPrivateKey: string;
}

function authorityFromRow(row: CertificateAuthoritiesTable): StoredCertificateAuthority {
  const authority: StoredCertificateAuthority = {
    id: row.id,
    groupId: row.project_id,
    keyAlgorithm: row.key_algorithm,
    subject: row.subject,
    serial: toBigInt(row.serial),
    der: toBytes(row.certificate_der),
    notBefore: toDate(row.not_before),
    notAfter: toDate(row.not_after),
    createdAt: toDate(row.created_at),
    sealedPrivateKey: row.private_key_sealed,
  };
  const retiredAt = toOptionalDate(row.retired_at);
  if (retiredAt) authority.retiredAt = retiredAt;
  return authority;
}

// The queries of every certificate request and every certificate list, built once.
const ACTIVE_CA = new ReusableQuery(1, (db, groupId: string) =>
  db
    .selectFrom('certificate_authorities')
    .selectAll()
    .where('project_id', '=', groupId)
    .where('retired_at', 'is', null),
);
const CERTIFICATE_COLUMNS = [
  'serial',
  'project_id',
  'user_id',
  'ca_id',
  'subject',
  'key_algorithm',
  'created_at',
  'not_before',
  'not_after',
  'certificate_der',
  'revoked_at',
  'revocation_reason',
  'source',
] as const;
const insertCertificate = reusableInsert('certificates', CERTIFICATE_COLUMNS);
function certificateRow(certificate: UserCertificate): Insertable<CertificatesTable> {
  return {
    serial: certificate.serial,
    project_id: certificate.groupId,
    user_id: certificate.userId,
    ca_id: certificate.caId,
    subject: certificate.subject,
    key_algorithm: certificate.keyAlgorithm,
    created_at: certificate.createdAt.toISOString(),
    not_before: certificate.notBefore.toISOString(),
    not_after: certificate.notAfter.toISOString(),
    certificate_der: certificate.der,
    revoked_at: certificate.revokedAt?.toISOString() ?? null,
    revocation_reason: certificate.revocationReason ?? null,
    source: certificate.source,
  };
}
// Issuances are written on PostgreSQL in one round trip, several at once (those whose
// certificates were signed in the same turn of the event loop): a certificate goes in only
// if its user is still live, holding that user's row (FOR SHARE) until the statement
// commits, so a deletion (which takes the row FOR UPDATE before revoking the user's
// certificates) either waits for the certificate and revokes it or goes first and leaves
// nothing to insert. A serial already taken is skipped, not an error, so one collision
// does not fail the others; each event goes in with its certificate.
const arrayType = (column: string) =>
  column === 'serial' ? 'bigint' : column === 'certificate_der' ? 'bytea' : 'text';
const INPUT_COLUMNS = [
  ...CERTIFICATE_COLUMNS,
  'live_at',
  // Events have a created_at of their own.
  ...EVENT_COLUMNS.map((column) => `event_${column}`),
];
const ISSUE_BATCH_POSTGRES = `with input as (
  select * from unnest(${INPUT_COLUMNS.map((column, index) => `$${index + 1}::${arrayType(column)}[]`).join(', ')})
    as i(${INPUT_COLUMNS.join(', ')})
), held as (
  select i.serial from input i join database_users u on u.id = i.user_id
  where u.delete_after is null or u.delete_after > i.live_at
  for share of u
), issued as (
  insert into certificates (${CERTIFICATE_COLUMNS.join(', ')})
  select ${CERTIFICATE_COLUMNS.join(', ')} from input where serial in (select serial from held)
  on conflict (serial) do nothing
  returning serial
), recorded as (
  insert into events (${EVENT_COLUMNS.join(', ')})
  select ${EVENT_COLUMNS.map((column) => `event_${column}`).join(', ')} from input join issued using (serial)
)
select (select json_agg(serial::text) from held) as held, (select json_agg(serial::text) from issued) as issued`;
const ISSUE_SQLITE = `insert into certificates (${CERTIFICATE_COLUMNS.join(', ')})
  select ${CERTIFICATE_COLUMNS.map(() => '?').join(', ')}
  where exists (select 1 from database_users where id = ? and (delete_after is null or delete_after > ?))`;
// A thousand rows per statement: 13,000 parameters, well under what either engine takes
// in one statement (SQLite 32,766, PostgreSQL 65,535).
const insertCertificates = reusableBulkInsert('certificates', CERTIFICATE_COLUMNS, 'serial', 1000);
function unexpiredOf(db: Kysely<Database>, userId: string, instant: string) {
  return db
    .selectFrom('certificates')
    .where('user_id', '=', userId)
    .where('not_after', '>', instant)
    .where('revoked_at', 'is', null);
}
// Each line of the Atlas list as the JSON text of its item, written by the database: a
// page of 100 then costs the server one string per line instead of five values to read
// and print. Atlas shows instants to the second: the first 19 characters of a stored
// ISO-8601 instant (`2019-12-03T21:00:42`, whatever fraction follows), 22 for the six-digit
// years `toISOString` writes with a sign (`+010000-…`), which sort before `0`.
const LISTED_COLUMNS = ['serial', 'project_id', 'subject', 'created_at', 'not_after'] as const;
const LISTED_ITEM = {
  // The width as printf's `%.*s` precision: no substr() per date (cheaper by 7%).
  sqlite: sql<string>`printf('{"_id":%d,"createdAt":"%.*sZ","groupId":%s,"notAfter":"%.*sZ","subject":%s}', serial, iif(created_at >= '0', 19, 22), created_at, json_quote(project_id), iif(not_after >= '0', 19, 22), not_after, json_quote(subject))`,
  // `||` costs PostgreSQL less than concat() (a page 13% less), which costs half what
  // format() does; every column is NOT NULL, so no NULL empties an item. "C" compares
  // bytes, as SQLite does.
  postgres: sql<string>`'{"_id":' || serial || ',"createdAt":"' || left(created_at, case when created_at >= '0' collate "C" then 19 else 22 end) || 'Z","groupId":' || to_json(project_id) || ',"notAfter":"' || left(not_after, case when not_after >= '0' collate "C" then 19 else 22 end) || 'Z","subject":' || to_json(subject) || '}'`,
};
// SQLite writes no result column for a row OFFSET skips; PostgreSQL computes a scan's
// columns before its Limit skips the row, so there the page is cut first and only its
// rows are formatted.
const pageOfUnexpired = (db: Kysely<Database>, userId: string, instant: string, offset: number, limit: number) =>
  unexpiredOf(db, userId, instant).orderBy('created_at').orderBy('serial').offset(offset).limit(limit);
const LIST_UNEXPIRED = {
  sqlite: new ReusableQuery(4, (db, userId: string, instant: string, offset: number, limit: number) =>
    pageOfUnexpired(db, userId, instant, offset, limit).select(LISTED_ITEM.sqlite.as('item')),
  ),
  postgres: new ReusableQuery(4, (db, userId: string, instant: string, offset: number, limit: number) =>
    db
      .selectFrom(pageOfUnexpired(db, userId, instant, offset, limit).select(LISTED_COLUMNS).as('page'))
      .select(LISTED_ITEM.postgres.as('item'))
      .orderBy('created_at')
      .orderBy('serial'),
  ),
};
const COUNT_UNEXPIRED = new ReusableQuery(2, (db, userId: string, instant: string) =>
  unexpiredOf(db, userId, instant).select((eb) => eb.fn.countAll().as('count')),
);
// PostgreSQL answers a counted page in one round trip: the count, how many items the
// page holds and their JSON joined in list order.
const LIST_UNEXPIRED_COUNTED_POSTGRES = new ReusableQuery(
  6,
  (db, userId: string, instant: string, offset: number, limit: number, userIdAgain: string, instantAgain: string) =>
    db.selectFrom(pageOfUnexpired(db, userId, instant, offset, limit).select(LISTED_COLUMNS).as('page')).select([
      unexpiredOf(db, userIdAgain, instantAgain)
        .select((eb) => eb.fn.countAll().as('count'))
        .as('total'),
      (eb) => eb.fn.countAll().as('items'),
      sql<string | null>`string_agg(${LISTED_ITEM.postgres}, ',' order by created_at, serial)`.as('json'),
    ]),
);

export class CertificateAuthoritiesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findActive(groupId: string): Promise<StoredCertificateAuthority | undefined> {
    const row = await ACTIVE_CA.executeTakeFirst(this.db, groupId);
    return row && authorityFromRow(row);
  }

  async find(groupId: string, id: string): Promise<StoredCertificateAuthority | undefined> {
    const row = await this.db
      .selectFrom('certificate_authorities')
      .selectAll()
      .where('project_id', '=', groupId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && authorityFromRow(row);
  }

  /** Every CA a project has had, newest first. */
  async listByProject(groupId: string): Promise<StoredCertificateAuthority[]> {
    const rows = await this.db
      .selectFrom('certificate_authorities')
      .selectAll()
      .where('project_id', '=', groupId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(authorityFromRow);
  }

  /** Deletes every CA of a project and their CRLs (their certificates must be gone first). */
  async deleteAllOfProject(groupId: string): Promise<void> {
    const ofProject = this.db.selectFrom('certificate_authorities').select('id').where('project_id', '=', groupId);
    await this.db.deleteFrom('certificate_revocation_lists').where('ca_id', 'in', ofProject).execute();
    await this.db.deleteFrom('certificate_authorities').where('project_id', '=', groupId).execute();
  }

  /** Retires the active CA `id`; false if it is no longer the active one. */
  async retire(id: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('certificate_authorities')
      .set({ retired_at: at.toISOString() })
      .where('id', '=', id)
      .where('retired_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Fails with a unique violation when the project already has an active CA. */
  async insert(authority: StoredCertificateAuthority): Promise<void> {
    await this.db
      .insertInto('certificate_authorities')
      .values({
        id: authority.id,
        project_id: authority.groupId,
        key_algorithm: authority.keyAlgorithm,
        subject: authority.subject,
        serial: authority.serial,
        certificate_der: authority.der,
        private_key_sealed: authority.sealedPrivateKey,
        not_before: authority.notBefore.toISOString(),
        not_after: authority.notAfter.toISOString(),
        created_at: authority.createdAt.toISOString(),
        retired_at: authority.retiredAt?.toISOString() ?? null,
      })
      .execute();
  }
}

function certificateFromRow(row: CertificatesTable): UserCertificate {
  const certificate: UserCertificate = {
    serial: toBigInt(row.serial),
    groupId: row.project_id,
    userId: row.user_id,
    caId: row.ca_id,
    subject: row.subject,
    keyAlgorithm: row.key_algorithm,
    createdAt: toDate(row.created_at),
    notBefore: toDate(row.not_before),
    notAfter: toDate(row.not_after),
    der: toBytes(row.certificate_der),
    source: row.source === 'csr' ? 'csr' : 'generated',
  };
  const revokedAt = toOptionalDate(row.revoked_at);
  if (revokedAt) certificate.revokedAt = revokedAt;
  if (row.revocation_reason !== null) certificate.revocationReason = row.revocation_reason;
  return certificate;
}

export interface InventoryFilter {
  groupId: string;
  now: Date;
  /** `created` (a user's list, as Atlas orders it) or `expiry` (the project's view). */
  order: 'created' | 'expiry';
  /** Newest (or latest-expiring) first. */
  descending?: boolean;
  userId?: string;
  statuses?: ReadonlyArray<'active' | 'expired' | 'revoked'>;
  /** notAfter before this instant. */
  expiresBefore?: Date;
  /** notAfter at or after this instant. */
  expiresAfter?: Date;
  /** Only these serials (a search). */
  serials?: readonly bigint[];
}

/** Whether a managed user's valid certificates outlast the alert lead time, end within it, or are none. */
export type CertificateCoverage = 'valid' | 'expiring' | 'none';

/** A managed X.509 user and what its certificates cover. */
export interface CertificateHolder {
  username: string;
  databaseName: string;
  certificates: number;
  validCertificates: number;
  /** The latest notAfter among its valid certificates. */
  validUntil?: Date;
  lastIssuedAt?: Date;
}

/**
 * One line of the Atlas list, as the JSON text of its item:
 * `{"_id":…,"createdAt":…,"groupId":…,"notAfter":…,"subject":…}` (members in the order
 * the response schema writes them, instants to the second).
 */
export type ListedCertificate = string;

/** An issued certificate to record, with its audit event and the instant its user must be live at. */
export interface IssuanceRecord {
  certificate: UserCertificate;
  event: EventsTable;
  now: Date;
}

/** Recorded; not, since the user is gone (deleted or expired); not, since the serial is taken. */
export type IssuanceOutcome = 'recorded' | 'user-gone' | 'serial-taken';

export class CertificatesRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly readColumn: ColumnReader,
  ) {}

  async deleteAllOfProject(groupId: string): Promise<void> {
    await this.db.deleteFrom('certificates').where('project_id', '=', groupId).execute();
  }

  /** Fails with a unique violation if the serial is taken (the caller draws another). */
  async insert(certificate: UserCertificate): Promise<void> {
    await insertCertificate(this.db, certificateRow(certificate));
  }

  /**
   * Records issued certificates with their audit events, each only if its user is still
   * live at its `now`, in one statement (PostgreSQL): answers each one's outcome, in order.
   */
  async insertIssuedPostgres(all: readonly IssuanceRecord[]): Promise<IssuanceOutcome[]> {
    // Each event is matched to its certificate by serial: of two issuances that drew the
    // same one, the later is not sent.
    const serials = new Set<bigint>();
    const issuances = all.filter(
      ({ certificate }) => !serials.has(certificate.serial) && serials.add(certificate.serial),
    );
    const rows = issuances.map(({ certificate, event, now }): Record<string, unknown> => ({
      ...(certificateRow(certificate) as Record<string, unknown>),
      live_at: now.toISOString(),
      ...Object.fromEntries(Object.entries(event).map(([column, value]) => [`event_${column}`, value])),
    }));
    const { rows: answer } = await this.db.executeQuery<{ held: string[] | null; issued: string[] | null }>(
      CompiledQuery.raw(
        ISSUE_BATCH_POSTGRES,
        INPUT_COLUMNS.map((column) =>
          rows.map((row) => {
            const value = row[column];
            if (column === 'serial') return String(value);
            if (column === 'certificate_der') return Buffer.from(value as Uint8Array);
            return value;
          }),
        ),
      ),
    );
    const held = new Set(answer[0]!.held ?? []);
    const issued = new Set(answer[0]!.issued ?? []);
    const sent = new Set(issuances);
    return all.map((issuance) => {
      if (!sent.has(issuance)) return 'serial-taken';
      const serial = String(issuance.certificate.serial);
      if (issued.has(serial)) return 'recorded';
      return held.has(serial) ? 'serial-taken' : 'user-gone';
    });
  }

  /**
   * The same for one issuance on SQLite, where it must run in a transaction: the
   * certificate and its event, if the user is live at `now`.
   */
  async insertIssuedSqlite({ certificate, event, now }: IssuanceRecord): Promise<IssuanceOutcome> {
    const row = certificateRow(certificate) as Record<string, unknown>;
    try {
      const result = await this.db.executeQuery(
        CompiledQuery.raw(ISSUE_SQLITE, [
          ...CERTIFICATE_COLUMNS.map((column) => row[column]),
          certificate.userId,
          now.toISOString(),
        ]),
      );
      if (result.numAffectedRows !== 1n) return 'user-gone';
    } catch (error) {
      if (isUniqueViolation(error)) return 'serial-taken';
      throw error;
    }
    await insertEvent(this.db, event);
    return 'recorded';
  }

  /**
   * Inserts many certificates at once, a few statements for thousands of rows: for bulk
   * loads (the benchmark's store of a million certificates), not for issuing. A certificate
   * whose serial is taken is left out rather than failing the others; answers how many
   * went in.
   */
  async insertMany(certificates: readonly UserCertificate[]): Promise<number> {
    return insertCertificates(this.db, certificates.map(certificateRow));
  }

  async find(serial: bigint): Promise<UserCertificate | undefined> {
    const row = await this.db.selectFrom('certificates').selectAll().where('serial', '=', serial).executeTakeFirst();
    return row && certificateFromRow(row);
  }

  /** A user's unexpired, unrevoked certificates, oldest first (the Atlas list). */
  async listUnexpired(userId: string, now: Date, offset: number, limit: number): Promise<ListedCertificate[]> {
    const query = LIST_UNEXPIRED[this.dialect].compiled(this.db, userId, now.toISOString(), offset, limit);
    return (await this.readColumn(query)) as ListedCertificate[];
  }

  /**
   * One page of the Atlas list as the JSON array of its items, and its place in the list
   * (with the total when the page asks for a count): all a list request reads, in as few
   * round trips as the engine allows.
   */
  async unexpiredPage(
    userId: string,
    now: Date,
    page: PageRequest,
  ): Promise<{ itemsJson: string; position: PagePosition }> {
    const instant = now.toISOString();
    const offset = pageOffset(page);
    if (this.dialect === 'postgres' && page.includeCount) {
      const query = LIST_UNEXPIRED_COUNTED_POSTGRES.compiled(
        this.db,
        userId,
        instant,
        offset,
        page.itemsPerPage,
        userId,
        instant,
      );
      const [row] = (await this.db.executeQuery<{ total: unknown; items: unknown; json: string | null }>(query)).rows;
      const total = Number(row!.total);
      return {
        itemsJson: `[${row!.json ?? ''}]`,
        position: pagePosition(page, offset + Number(row!.items) < total, total),
      };
    }
    const [items, total] = await Promise.all([
      this.listUnexpired(userId, now, offset, page.itemsPerPage + 1),
      page.includeCount ? this.countUnexpired(userId, now) : undefined,
    ]);
    const hasNext = items.length > page.itemsPerPage;
    if (hasNext) items.pop();
    return { itemsJson: `[${items.join(',')}]`, position: pagePosition(page, hasNext, total) };
  }

  async countUnexpired(userId: string, now: Date): Promise<number> {
    const [count] = await this.readColumn(COUNT_UNEXPIRED.compiled(this.db, userId, now.toISOString()));
    return Number(count);
  }

  /** How many certificates were ever issued, and how many of those are revoked. */
  async counts(): Promise<{ issued: number; revoked: number }> {
    const row = await this.db
      .selectFrom('certificates')
      .select((eb) => [eb.fn.countAll().as('issued'), eb.fn.count('revoked_at').as('revoked')])
      .executeTakeFirstOrThrow();
    return { issued: Number(row.issued), revoked: Number(row.revoked) };
  }

  /** Revokes one certificate; false if it was already revoked. */
  async revoke(serial: bigint, at: Date, reason: string): Promise<boolean> {
    const result = await this.db
      .updateTable('certificates')
      .set({ revoked_at: at.toISOString(), revocation_reason: reason })
      .where('serial', '=', serial)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** What a CRL of `caId` lists: its revoked certificates that have not expired yet. */
  async revokedByCa(caId: string, now: Date): Promise<Array<{ serial: bigint; revokedAt: Date; reason: string }>> {
    const rows = await this.db
      .selectFrom('certificates')
      .select(['serial', 'revoked_at', 'revocation_reason'])
      .where('ca_id', '=', caId)
      .where('revoked_at', 'is not', null)
      .where('not_after', '>', now.toISOString())
      .orderBy('serial')
      .execute();
    return rows.map((row) => ({
      serial: toBigInt(row.serial),
      revokedAt: toDate(row.revoked_at!),
      reason: row.revocation_reason ?? 'unspecified',
    }));
  }

  /** The latest notAfter among a CA's certificates, if it issued any. */
  async lastExpiryOfCa(caId: string): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom('certificates')
      .select((eb) => eb.fn.max('not_after').as('last'))
      .where('ca_id', '=', caId)
      .executeTakeFirst();
    return row?.last ? toDate(row.last) : undefined;
  }

  private inventory(filter: InventoryFilter) {
    let query = this.db.selectFrom('certificates').where('project_id', '=', filter.groupId);
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
    const now = filter.now.toISOString();
    if (filter.statuses) {
      const statuses = filter.statuses;
      query = query.where((eb) =>
        eb.or([
          ...(statuses.includes('revoked') ? [eb('revoked_at', 'is not', null)] : []),
          ...(statuses.includes('active') ? [eb.and([eb('revoked_at', 'is', null), eb('not_after', '>', now)])] : []),
          ...(statuses.includes('expired') ? [eb.and([eb('revoked_at', 'is', null), eb('not_after', '<=', now)])] : []),
        ]),
      );
    }
    if (filter.expiresBefore) query = query.where('not_after', '<', filter.expiresBefore.toISOString());
    if (filter.expiresAfter) query = query.where('not_after', '>=', filter.expiresAfter.toISOString());
    if (filter.serials) query = query.where('serial', 'in', [...filter.serials]);
    return query;
  }

  /** Certificates in any state, by creation (a user's) or by expiry (a project's), oldest first unless descending. */
  async listInventory(filter: InventoryFilter, offset: number, limit: number): Promise<UserCertificate[]> {
    const direction = filter.descending ? 'desc' : 'asc';
    const column = filter.order === 'created' ? 'created_at' : 'not_after';
    const rows = await this.inventory(filter)
      .selectAll()
      .orderBy(column, direction)
      .orderBy('serial', direction)
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map(certificateFromRow);
  }

  async countInventory(filter: InventoryFilter): Promise<number> {
    const row = await this.inventory(filter)
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /**
   * The project's Atlas-managed X.509 users with what their certificates cover: how many
   * are valid at `now` and until when. `coverage` narrows to users with no valid
   * certificate (`none`), with valid ones that all end before `leadEnd` (`expiring`), or
   * with one that outlasts it (`valid`). By username.
   */
  private certificateHolders(groupId: string, now: Date, leadEnd: Date, coverage?: readonly CertificateCoverage[]) {
    const instant = now.toISOString();
    let query = this.db
      .selectFrom('database_users as u')
      .leftJoin('certificates as c', 'c.user_id', 'u.id')
      .where('u.project_id', '=', groupId)
      .where('u.x509_type', '=', 'MANAGED')
      .groupBy(['u.id', 'u.username', 'u.database_name']);
    const validNotAfter = sql<
      string | null
    >`max(case when c.revoked_at is null and c.not_after > ${instant} then c.not_after end)`;
    if (coverage) {
      const lead = leadEnd.toISOString();
      query = query.having((eb) =>
        eb.or([
          ...(coverage.includes('none') ? [eb(validNotAfter, 'is', null)] : []),
          ...(coverage.includes('expiring') ? [eb(validNotAfter, '<=', lead)] : []),
          ...(coverage.includes('valid') ? [eb(validNotAfter, '>', lead)] : []),
        ]),
      );
    }
    return query.select([
      'u.username',
      'u.database_name',
      sql<number | string>`count(c.serial)`.as('certificates'),
      sql<number | string>`sum(case when c.revoked_at is null and c.not_after > ${instant} then 1 else 0 end)`.as(
        'valid',
      ),
      validNotAfter.as('valid_not_after'),
      sql<string | null>`max(c.created_at)`.as('last_created_at'),
    ]);
  }

  async listCertificateHolders(
    groupId: string,
    now: Date,
    leadEnd: Date,
    coverage: readonly CertificateCoverage[] | undefined,
    offset: number,
    limit: number,
  ): Promise<CertificateHolder[]> {
    const rows = await this.certificateHolders(groupId, now, leadEnd, coverage)
      .orderBy('u.username')
      .orderBy('u.id')
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map((row) => {
      const holder: CertificateHolder = {
        username: row.username,
        databaseName: row.database_name,
        certificates: Number(row.certificates),
        validCertificates: Number(row.valid ?? 0),
      };
      if (row.valid_not_after !== null) holder.validUntil = toDate(row.valid_not_after);
      if (row.last_created_at !== null) holder.lastIssuedAt = toDate(row.last_created_at);
      return holder;
    });
  }

  async countCertificateHolders(
    groupId: string,
    now: Date,
    leadEnd: Date,
    coverage: readonly CertificateCoverage[] | undefined,
  ): Promise<number> {
    const row = await this.db
      .selectFrom(this.certificateHolders(groupId, now, leadEnd, coverage).as('holders'))
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** The newest certificate of each user that has one, with the user (for expiry alerts). */
  async newestLiveByUser(
    groupId: string,
  ): Promise<Array<{ userId: string; serial: bigint; notAfter: Date; subject: string }>> {
    const rows = await this.db
      .selectFrom('certificates')
      .select(['user_id', 'serial', 'not_after', 'subject', 'created_at'])
      .where('project_id', '=', groupId)
      .where('revoked_at', 'is', null)
      .orderBy('user_id')
      .orderBy('created_at', 'desc')
      .execute();
    const newest = new Map<string, (typeof rows)[number]>();
    for (const row of rows) if (!newest.has(row.user_id)) newest.set(row.user_id, row);
    return [...newest.values()].map((row) => ({
      userId: row.user_id,
      serial: toBigInt(row.serial),
      notAfter: toDate(row.not_after),
      subject: row.subject,
    }));
  }

  /** Revokes every live certificate of a user (the user is being deleted); returns their serials. */
  async revokeAllOfUser(userId: string, at: Date, reason: string): Promise<bigint[]> {
    const live = await this.db
      .selectFrom('certificates')
      .select('serial')
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .orderBy('serial')
      .execute();
    await this.db
      .updateTable('certificates')
      .set({ revoked_at: at.toISOString(), revocation_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
    return live.map((row) => toBigInt(row.serial));
  }
}
