import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { sql } from 'kysely';
import type { Store } from '../../src/store/store.js';
import { monotonicMs } from './disk-image.js';
import { api, certificateOf, type Credentials, managedUser, V1 } from '../pg/instances.js';
import {
  assertRevoked,
  assertVerified,
  inspectCrl,
  pemBlocks,
  verifyAt,
  verifyCrlSignature,
} from './openssl-verify.js';

/**
 * Bursts of concurrent writes whose every answer is written down, and the checks of a
 * store against them: what was acknowledged (answered 2xx) is there, whole; nothing is
 * half-written; the CRL lists every revocation. Used by the crash, power-cut and backup
 * tests.
 */

export type WriteKind = 'user' | 'certificate' | 'revocation';

export interface Write {
  kind: WriteKind;
  groupId: string;
  username: string;
  /** The certificate issued or revoked. */
  serial?: bigint;
  /** The certificate as answered (issuance). */
  pem?: string;
  /** When the request went out, and when its 2xx answer arrived (never, if none did): monotonicMs(). */
  sentAt: number;
  ackedAt?: number;
}

const REVOCATION_REASON = 'keyCompromise';

export class WriteLedger {
  readonly writes: Write[] = [];
  /** Answers no test expected (any status but the 2xx, a failure while the server was up). */
  readonly unexpected: string[] = [];
  /** Requests cut off in flight by the death of their server (not refused after it). */
  cutOff = 0;

  /** The writes answered 2xx before `instant` (monotonicMs()). */
  acknowledged(instant = Infinity): Write[] {
    return this.writes.filter((write) => write.ackedAt !== undefined && write.ackedAt < instant);
  }

  /** Serials of certificates answered more than once. */
  duplicateSerials(): bigint[] {
    const seen = new Set<bigint>();
    const duplicates: bigint[] = [];
    for (const write of this.acknowledged().filter((entry) => entry.kind === 'certificate')) {
      if (seen.has(write.serial!)) duplicates.push(write.serial!);
      seen.add(write.serial!);
    }
    return duplicates;
  }
}

export interface WorkerOptions {
  /** The server the worker talks to (asked before each request). */
  origin: () => string;
  credentials: Credentials;
  groupId: string;
  /** Its users are `<name>-0`, `<name>-1`, … */
  name: string;
  ledger: WriteLedger;
  /** Asked before each request: true ends the worker. */
  stop: () => boolean;
  /** Told of each 2xx. */
  onAcknowledged?: (write: Write) => void;
  /**
   * Asked when a request failed on the network: true when that is expected (its server
   * was killed), and the worker ends quietly.
   */
  serverDied?: () => Promise<boolean>;
}

async function send(
  options: WorkerOptions,
  write: Omit<Write, 'sentAt'>,
  path: string,
  body: unknown,
  status: number,
): Promise<Write | undefined> {
  const entry: Write = { ...write, sentAt: monotonicMs() };
  options.ledger.writes.push(entry);
  try {
    const response = await api(options.origin(), options.credentials, path, { method: 'POST', body });
    if (response.status !== status) {
      options.ledger.unexpected.push(`${options.name} ${write.kind}: ${response.status} ${response.text}`);
      return undefined;
    }
    entry.ackedAt = monotonicMs();
    if (write.kind === 'certificate') Object.assign(entry, certificateOf(response.text));
    options.onAcknowledged?.(entry);
    return entry;
  } catch (error) {
    if (await options.serverDied?.()) {
      const code = ((error as Error).cause as { code?: string } | undefined)?.code;
      if (code !== 'ECONNREFUSED') options.ledger.cutOff++;
      return undefined;
    }
    const cause = (error as Error).cause;
    options.ledger.unexpected.push(`${options.name} ${write.kind}: ${(error as Error).message} ${String(cause ?? '')}`);
    return undefined;
  }
}

/**
 * One worker of a burst: again and again, a user, two certificates for it, and the
 * revocation of the first, each request after the answer to the one before, until
 * `stop()` or a failure.
 */
export async function writeWorker(options: WorkerOptions): Promise<void> {
  const { groupId } = options;
  for (let round = 0; !options.stop(); round++) {
    const username = `${options.name}-${round}`;
    const certs = `${V1}/groups/${groupId}/databaseUsers/${username}/certs`;
    const user = await send(
      options,
      { kind: 'user', groupId, username },
      `${V1}/groups/${groupId}/databaseUsers`,
      managedUser(groupId, username),
      201,
    );
    if (!user || options.stop()) return;
    const first = await send(
      options,
      { kind: 'certificate', groupId, username },
      certs,
      { monthsUntilExpiration: 1 },
      201,
    );
    if (!first || options.stop()) return;
    const second = await send(options, { kind: 'certificate', groupId, username }, certs, {}, 201);
    if (!second || options.stop()) return;
    const revoked = await send(
      options,
      { kind: 'revocation', groupId, username, serial: first.serial! },
      `${V1}/groups/${groupId}/userSecurity/managedX509/certs/${first.serial}/revoke`,
      { reason: REVOCATION_REASON },
      200,
    );
    if (!revoked) return;
  }
}

// --- the store against the ledger ---------------------------------------------------------

export interface StoredCertificate {
  groupId: string;
  userId: string;
  der: Buffer;
  revocationReason: string | null;
}

export interface StoredWrites {
  /** `groupId/username` of every database user. */
  users: Set<string>;
  certificates: Map<bigint, StoredCertificate>;
  /** Changes stored without their audit event, events without their change, certificates without their user. */
  halfWritten: string[];
}

const EVENT_TYPES = ['MONGODB_USER_ADDED', 'MONGODB_USER_X509_CERT_CREATED', 'MONGODB_USER_X509_CERT_REVOKED'];

/** Every user and certificate of the store, and what of them is half-written. */
export async function readStoredWrites(store: Store): Promise<StoredWrites> {
  const userRows = await store.db.selectFrom('database_users').select(['id', 'project_id', 'username']).execute();
  const certificateRows = await store.db
    .selectFrom('certificates')
    .select(['serial', 'project_id', 'user_id', 'certificate_der', 'revocation_reason'])
    .execute();
  const eventRows = await store.db
    .selectFrom('events')
    .select(['event_type_name', 'group_id', 'target'])
    .where('outcome', '=', 'SUCCESS')
    .where('event_type_name', 'in', EVENT_TYPES)
    .execute();
  const users = new Set(userRows.map((row) => `${row.project_id}/${row.username}`));
  const userIds = new Set(userRows.map((row) => row.id));
  const certificates = new Map<bigint, StoredCertificate>();
  const halfWritten: string[] = [];
  for (const row of certificateRows) {
    const der = Buffer.from(row.certificate_der);
    const serial = BigInt(row.serial);
    if (BigInt(`0x${new X509Certificate(der).serialNumber}`) !== serial)
      halfWritten.push(`certificate ${serial}: other DER`);
    if (!userIds.has(row.user_id)) halfWritten.push(`certificate ${serial} without its user`);
    certificates.set(serial, {
      groupId: row.project_id,
      userId: row.user_id,
      der,
      revocationReason: row.revocation_reason,
    });
  }
  const events = new Map(EVENT_TYPES.map((type) => [type, new Set<string>()]));
  for (const row of eventRows) {
    const target = JSON.parse(row.target) as { targetUsername?: string; serial?: string };
    events
      .get(row.event_type_name)!
      .add(row.event_type_name === 'MONGODB_USER_ADDED' ? `${row.group_id}/${target.targetUsername}` : target.serial!);
  }
  const compare = (what: string, changes: Set<string>, recorded: Set<string>) => {
    for (const change of changes) if (!recorded.has(change)) halfWritten.push(`${what} ${change} without its event`);
    for (const event of recorded)
      if (!changes.has(event)) halfWritten.push(`${what} event ${event} without its change`);
  };
  compare('user', users, events.get('MONGODB_USER_ADDED')!);
  compare('certificate', new Set([...certificates.keys()].map(String)), events.get('MONGODB_USER_X509_CERT_CREATED')!);
  compare(
    'revocation',
    new Set(
      [...certificates]
        .filter(([, certificate]) => certificate.revocationReason !== null)
        .map(([serial]) => String(serial)),
    ),
    events.get('MONGODB_USER_X509_CERT_REVOKED')!,
  );
  return { users, certificates, halfWritten };
}

/** True when the store holds the write as it was answered. */
export function isStored(stored: StoredWrites, write: Write): boolean {
  if (write.kind === 'user') return stored.users.has(`${write.groupId}/${write.username}`);
  const certificate = stored.certificates.get(write.serial!);
  if (!certificate || certificate.groupId !== write.groupId) return false;
  if (write.kind === 'revocation') return certificate.revocationReason === REVOCATION_REASON;
  return new X509Certificate(certificate.der).toString() === new X509Certificate(write.pem!).toString();
}

/** The writes (of `writes`) the store does not hold, described. */
export function missingWrites(stored: StoredWrites, writes: Write[]): string[] {
  return writes
    .filter((write) => !isStored(stored, write))
    .map((write) => `${write.kind} ${write.groupId}/${write.username}${write.serial ? ` ${write.serial}` : ''}`);
}

/** SQLite's own check of a database file: every page, index and foreign key sound. */
export async function assertSqliteIntact(store: Store): Promise<void> {
  assert.deepEqual((await sql<{ integrity_check: string }>`pragma integrity_check`.execute(store.db)).rows, [
    { integrity_check: 'ok' },
  ]);
  assert.deepEqual((await sql`pragma foreign_key_check`.execute(store.db)).rows, []);
}

/** The serials the store holds revoked, in one project. */
export function revokedIn(stored: StoredWrites, groupId: string): Set<bigint> {
  return new Set(
    [...stored.certificates]
      .filter(([, certificate]) => certificate.groupId === groupId && certificate.revocationReason !== null)
      .map(([serial]) => serial),
  );
}

/**
 * openssl as the oracle on a project's CRL (PEM, from the API or `dbcerts crl`): signed
 * by the project CA, listing exactly `revoked`, each with its reason; and `openssl verify
 * -crl_check` refuses a revoked certificate while it accepts an active one.
 */
export async function assertCrlLists(
  crlPem: string,
  caPem: string,
  revoked: Set<bigint>,
  certificates: { revoked?: string; active?: string },
  write: (content: string, name: string) => string,
): Promise<void> {
  const blocks = pemBlocks(crlPem, 'X509 CRL');
  assert.equal(blocks.length, 1, crlPem);
  const crlFile = write(blocks[0]!, 'crl.pem');
  const caFile = write(caPem, 'ca.pem');
  const signature = await verifyCrlSignature(crlFile, 'PEM', caFile);
  assert.equal(signature.code, 0, signature.stderr);
  assert.match(signature.stderr, /^verify OK$/m);
  const crl = await inspectCrl(crlFile, 'PEM');
  assert.deepEqual(
    [...crl.entries.keys()].sort(),
    [...revoked].sort(),
    'the CRL lists exactly the revoked certificates',
  );
  for (const [serial, entry] of crl.entries) assert.equal(entry.reason, 'Key Compromise', `reason of ${serial}`);
  const check = { file: crlFile, flag: '-crl_check' };
  if (certificates.revoked)
    assertRevoked(await verifyAt(write(certificates.revoked, 'revoked.pem'), caFile, new Date(), check));
  if (certificates.active) {
    const file = write(certificates.active, 'active.pem');
    assertVerified(await verifyAt(file, caFile, new Date(), check), file);
  }
}

/** One certificate of `writes` (as answered) the store holds revoked, and one it holds active, for `assertCrlLists`. */
export function sampleCertificates(
  stored: StoredWrites,
  writes: Write[],
  groupId: string,
): { revoked?: string; active?: string } {
  const issued = writes.filter((write) => write.kind === 'certificate' && write.groupId === groupId);
  const state = (write: Write) => stored.certificates.get(write.serial!)?.revocationReason;
  const revoked = issued.find((write) => typeof state(write) === 'string')?.pem;
  const active = issued.find((write) => state(write) === null)?.pem;
  return { ...(revoked ? { revoked } : {}), ...(active ? { active } : {}) };
}
