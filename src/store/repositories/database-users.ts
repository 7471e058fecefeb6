import type { Kysely } from 'kysely';
import {
  type AuthDatabase,
  type AwsIamType,
  canonicalUsername,
  type ComponentLabel,
  type DatabaseUser,
  type DatabaseUserRole,
  type LdapAuthType,
  type OidcAuthType,
  type UserScope,
  type X509Type,
} from '../../domain/database-user.js';
import type { Database, DatabaseUsersTable } from '../schema.js';
import { toDate, toOptionalDate } from './codec.js';
import { ReusableQuery } from './reusable-query.js';

/** SCRAM-SHA-256 credentials as mongod keeps them: never the password itself. */
export interface ScramCredentials {
  iterationCount: number;
  salt: string;
  storedKey: string;
  serverKey: string;
}

export interface StoredDatabaseUser extends DatabaseUser {
  scramSha256?: ScramCredentials;
}

function fromRow(row: DatabaseUsersTable): StoredDatabaseUser {
  const user: StoredDatabaseUser = {
    id: row.id,
    groupId: row.project_id,
    username: row.username_as_sent ?? row.username,
    databaseName: row.database_name as AuthDatabase,
    x509Type: row.x509_type as X509Type,
    awsIAMType: row.aws_iam_type as AwsIamType,
    ldapAuthType: row.ldap_auth_type as LdapAuthType,
    oidcAuthType: row.oidc_auth_type as OidcAuthType,
    roles: JSON.parse(row.roles) as DatabaseUserRole[],
    scopes: JSON.parse(row.scopes) as UserScope[],
    labels: JSON.parse(row.labels) as ComponentLabel[],
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
  if (row.description !== null) user.description = row.description;
  const deleteAfter = toOptionalDate(row.delete_after);
  if (deleteAfter) user.deleteAfterDate = deleteAfter;
  if (row.scram_sha256 !== null) user.scramSha256 = JSON.parse(row.scram_sha256) as ScramCredentials;
  return user;
}

function toRow(user: StoredDatabaseUser): DatabaseUsersTable {
  const matchedBy = canonicalUsername(user);
  return {
    id: user.id,
    project_id: user.groupId,
    database_name: user.databaseName,
    username: matchedBy,
    username_as_sent: user.username === matchedBy ? null : user.username,
    x509_type: user.x509Type,
    aws_iam_type: user.awsIAMType,
    ldap_auth_type: user.ldapAuthType,
    oidc_auth_type: user.oidcAuthType,
    roles: JSON.stringify(user.roles),
    scopes: JSON.stringify(user.scopes),
    labels: JSON.stringify(user.labels),
    description: user.description ?? null,
    delete_after: user.deleteAfterDate?.toISOString() ?? null,
    scram_sha256: user.scramSha256 ? JSON.stringify(user.scramSha256) : null,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

/** Read by every certificate request (the certs routes name the user without its database). */
const USERS_BY_USERNAME = new ReusableQuery(3, (db, instant: string, groupId: string, username: string) =>
  db
    .selectFrom('database_users')
    .selectAll()
    .where((eb) => eb.or([eb('delete_after', 'is', null), eb('delete_after', '>', instant)]))
    .where('project_id', '=', groupId)
    .where('username', '=', username)
    .orderBy('database_name'),
);

/**
 * Database users. A temporary user (`deleteAfterDate`) stops existing at that instant:
 * every read takes `now` and leaves expired temporary users out, and writes purge them.
 */
export class DatabaseUsersRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** PostgreSQL: rows can be locked; SQLite's one writer already excludes every other. */
    private readonly rowLocks: boolean,
  ) {}

  private live(now: Date) {
    const instant = now.toISOString();
    return this.db
      .selectFrom('database_users')
      .selectAll()
      .where((eb) => eb.or([eb('delete_after', 'is', null), eb('delete_after', '>', instant)]));
  }

  async insert(user: StoredDatabaseUser): Promise<void> {
    await this.db.insertInto('database_users').values(toRow(user)).execute();
  }

  async update(user: StoredDatabaseUser): Promise<void> {
    const { id, ...changes } = toRow(user);
    await this.db.updateTable('database_users').set(changes).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('database_users').where('id', '=', id).execute();
  }

  /**
   * Locks the user's row against change (FOR UPDATE) until the transaction ends; answers
   * whether the user still exists. Call it inside a transaction.
   */
  async lock(id: string): Promise<boolean> {
    if (!this.rowLocks) return true;
    const row = await this.db
      .selectFrom('database_users')
      .select('id')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    return row !== undefined;
  }

  async purgeExpired(groupId: string, now: Date): Promise<void> {
    await this.db
      .deleteFrom('database_users')
      .where('project_id', '=', groupId)
      .where('delete_after', '<=', now.toISOString())
      .execute();
  }

  /** A user by the name it is matched by (canonicalUsername). */
  async find(
    groupId: string,
    databaseName: string,
    username: string,
    now: Date,
  ): Promise<StoredDatabaseUser | undefined> {
    const row = await this.live(now)
      .where('project_id', '=', groupId)
      .where('database_name', '=', databaseName)
      .where('username', '=', username)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** A user by id, whether or not it is temporary and expired (for the audit trail). */
  async findById(id: string): Promise<StoredDatabaseUser | undefined> {
    const row = await this.db.selectFrom('database_users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  /** Users of a project matched by this name (canonicalUsername), on any authentication database. */
  async findByUsername(groupId: string, username: string, now: Date): Promise<StoredDatabaseUser[]> {
    return (await USERS_BY_USERNAME.execute(this.db, now.toISOString(), groupId, username)).map(fromRow);
  }

  async list(groupId: string, now: Date, offset: number, limit: number): Promise<StoredDatabaseUser[]> {
    const rows = await this.live(now)
      .where('project_id', '=', groupId)
      .orderBy('created_at')
      .orderBy('id')
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /** Every live user of a project (at most a hundred). */
  async listAll(groupId: string, now: Date): Promise<StoredDatabaseUser[]> {
    const rows = await this.live(now).where('project_id', '=', groupId).orderBy('created_at').orderBy('id').execute();
    return rows.map(fromRow);
  }

  async count(groupId: string, now: Date): Promise<number> {
    const instant = now.toISOString();
    const row = await this.db
      .selectFrom('database_users')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('project_id', '=', groupId)
      .where((eb) => eb.or([eb('delete_after', 'is', null), eb('delete_after', '>', instant)]))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
