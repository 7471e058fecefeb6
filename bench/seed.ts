import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { UserCertificate } from '../src/domain/certificate.js';
import { Store } from '../src/store/store.js';

/**
 * Grows the certificates table of a stopped server's store to a given size, through the
 * store itself (either engine), fast enough for a million rows. Projects, users, CAs and
 * the listed users' own certificates are made through the API beforehand; these extra
 * rows are spread over the existing users and copy a real certificate of their project
 * (the list reads only the indexed columns: serial, subject, dates). Their serials are
 * random 63-bit integers like real ones, so index pages split the way they do in
 * production; a rare collision is skipped.
 */
export interface SeedPlan {
  /** Rows to add for one user (by username in the bootstrap project), e.g. the 10k user. */
  forUser?: { username: string; count: number };
  /** Rows to spread round-robin over every user except the excluded ones. */
  spread: number;
  exclude: string[];
}

/** The server's store: its data directory, and its PostgreSQL URL when it has one. */
export interface SeedTarget {
  dataDir: string;
  databaseUrl?: string | undefined;
}

const DAY = 86_400_000;
/** Rows per transaction: large enough that commits cost nothing, small enough to hold in memory. */
const BATCH = 50_000;

interface Holder {
  id: string;
  groupId: string;
  username: string;
}

function openTarget(target: SeedTarget): Promise<Store> {
  // The benchmark's own copy: a power cut may lose it, so commits need not wait for the disk.
  return Store.open({ dataDir: target.dataDir, databaseUrl: target.databaseUrl, sqliteSynchronous: 'normal' });
}

export async function seedCertificates(target: SeedTarget, groupId: string, plan: SeedPlan): Promise<number> {
  const store = await openTarget(target);
  try {
    const now = new Date();
    const users: Holder[] = [];
    // A real certificate of each project, oldest first: its DER and its CA.
    const templates = new Map<string, UserCertificate>();
    for (const project of await store.projects.all()) {
      for (const user of await store.databaseUsers.listAll(project.id, now)) {
        users.push({ id: user.id, groupId: project.id, username: user.username });
      }
      const [oldest] = await store.certificates.listInventory({ groupId: project.id, now, order: 'created' }, 0, 1);
      if (oldest) templates.set(project.id, oldest);
    }
    users.sort((a, b) => (a.groupId === b.groupId ? compare(a.username, b.username) : compare(a.groupId, b.groupId)));

    const certificateFor = (user: Holder): UserCertificate => {
      const template = templates.get(user.groupId);
      if (!template) throw new Error(`project ${user.groupId} has no certificate to copy`);
      // Issued within the last 60 days, valid for a year: all of them are listed.
      const createdAt = new Date(now.getTime() - Math.floor(Math.random() * 60 * DAY));
      createdAt.setUTCMilliseconds(0);
      return {
        serial: randomBytes(8).readBigUInt64BE() >> 1n || 1n,
        groupId: user.groupId,
        userId: user.id,
        caId: template.caId,
        subject: `CN=${user.username}`,
        keyAlgorithm: 'ec-p256',
        createdAt,
        notBefore: createdAt,
        notAfter: new Date(createdAt.getTime() + 365 * DAY),
        der: template.der,
        source: 'generated',
      };
    };
    let added = 0;
    const insert = async (count: number, holderOf: (index: number) => Holder) => {
      for (let done = 0; done < count; done += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, count - done) }, (_, index) =>
          certificateFor(holderOf(done + index)),
        );
        added += await store.transaction((repositories) => repositories.certificates.insertMany(batch));
      }
    };

    if (plan.forUser) {
      const { username, count } = plan.forUser;
      const user = users.find((row) => row.username === username && row.groupId === groupId);
      if (!user) throw new Error(`no user ${username}`);
      await insert(count, () => user);
    }
    const spreadOver = users.filter((row) => !plan.exclude.includes(row.username));
    if (plan.spread > 0 && spreadOver.length === 0) throw new Error('no user to spread certificates over');
    await insert(plan.spread, (index) => spreadOver[index % spreadOver.length]!);
    await store.settleAfterBulkLoad();
    return added;
  } finally {
    await store.close();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function certificateCount(target: SeedTarget): Promise<number> {
  const store = await openTarget(target);
  try {
    return (await store.certificates.counts()).issued;
  } finally {
    await store.close();
  }
}

/** A P-256 certificate request made by OpenSSL, its key thrown away (the server ignores its subject). */
export function p256Csr(): string {
  return execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=bench',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
}
