import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';

/**
 * Grows the certificates table of a stopped server's embedded store to a given size,
 * fast enough for a million rows. Projects, users, CAs and the listed users' own
 * certificates are made through the API beforehand; these extra rows are spread over
 * the existing users and copy a real certificate of their project (the list reads only
 * the indexed columns: serial, subject, dates). Their serials are random 63-bit
 * integers like real ones, so index pages split the way they do in production.
 */
export interface SeedPlan {
  /** Rows to add for one user (by username in the bootstrap project), e.g. the 10k user. */
  forUser?: { username: string; count: number };
  /** Rows to spread round-robin over every user except the excluded ones. */
  spread: number;
  exclude: string[];
}

const DAY = 86_400_000;

export function seedCertificates(dataDir: string, groupId: string, plan: SeedPlan): number {
  const db = new SqliteDatabase(join(dataDir, 'dbcerts.sqlite'));
  db.defaultSafeIntegers(true);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const users = db
      .prepare('select id, project_id, username from database_users order by project_id, username')
      .all() as Array<{ id: string; project_id: string; username: string }>;
    // A real certificate and the active CA of each project.
    const templates = new Map<string, { ca_id: string; certificate_der: Buffer }>();
    for (const row of db
      .prepare('select project_id, ca_id, certificate_der from certificates order by created_at')
      .all() as Array<{ project_id: string; ca_id: string; certificate_der: Buffer }>) {
      if (!templates.has(row.project_id)) templates.set(row.project_id, row);
    }
    const insert = db.prepare(
      `insert or ignore into certificates (serial, project_id, user_id, ca_id, subject, key_algorithm, created_at,
        not_before, not_after, certificate_der, revoked_at, revocation_reason, source)
       values (?, ?, ?, ?, ?, 'ec-p256', ?, ?, ?, ?, null, null, 'generated')`,
    );
    const now = Date.now();
    let added = 0;
    const add = (user: { id: string; project_id: string; username: string }) => {
      const template = templates.get(user.project_id);
      if (!template) throw new Error(`project ${user.project_id} has no certificate to copy`);
      const serial = randomBytes(8).readBigUInt64BE() >> 1n || 1n;
      // Issued within the last 60 days, valid for a year: all of them are listed.
      const createdAt = new Date(now - Math.floor(Math.random() * 60 * DAY));
      createdAt.setUTCMilliseconds(0);
      const notAfter = new Date(createdAt.getTime() + 365 * DAY);
      const result = insert.run(
        serial,
        user.project_id,
        user.id,
        template.ca_id,
        `CN=${user.username}`,
        createdAt.toISOString(),
        createdAt.toISOString(),
        notAfter.toISOString(),
        template.certificate_der,
      );
      added += result.changes;
    };
    const transaction = db.transaction((work: () => void) => work());
    if (plan.forUser) {
      const user = users.find((row) => row.username === plan.forUser!.username && row.project_id === groupId);
      if (!user) throw new Error(`no user ${plan.forUser.username}`);
      transaction(() => {
        for (let index = 0; index < plan.forUser!.count; index++) add(user);
      });
    }
    const spreadOver = users.filter((row) => !plan.exclude.includes(row.username));
    const batch = 50_000;
    for (let done = 0; done < plan.spread; done += batch) {
      transaction(() => {
        for (let index = done; index < Math.min(plan.spread, done + batch); index++) {
          add(spreadOver[index % spreadOver.length]!);
        }
      });
    }
    // No ANALYZE: the server must find its index without statistics, as a fresh install does.
    db.pragma('wal_checkpoint(TRUNCATE)');
    return added;
  } finally {
    db.close();
  }
}

export function certificateCount(dataDir: string): number {
  const db = new SqliteDatabase(join(dataDir, 'dbcerts.sqlite'), { readonly: true });
  try {
    return Number((db.prepare('select count(*) as count from certificates').get() as { count: number }).count);
  } finally {
    db.close();
  }
}
