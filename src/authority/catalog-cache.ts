import type { Project } from '../domain/project.js';
import type { StoredCertificateAuthority } from '../store/repositories/certificates.js';
import type { StoredDatabaseUser } from '../store/repositories/database-users.js';
import type { Repositories, Store } from '../store/store.js';
import type { Principal } from './identities/principal.js';

const ENTRIES = 1000;

interface Entry<T> {
  generation: bigint;
  value: T;
}

/**
 * Projects, database users by the names a request path gives, and what issuing reads of a
 * project (its active managed CA, its customer-managed CAs), as read at a catalog
 * generation: the counter that moves, in the same transaction, with every change to a
 * project, a database user, a managed CA or a project's user security, on any process or
 * instance. A request authenticated with Digest carries the generation read with its
 * identity (one statement); it uses an entry filed under that generation or a later one,
 * and reads (and files) anew otherwise, so it never sees an entry older than its own
 * authentication. An entry is filed under the generation read before it was, never a
 * newer one. Only reads outside a transaction are served: inside one, the transaction's
 * own writes count.
 */
export class CatalogCache {
  readonly #projects = new Map<string, Entry<Project | undefined>>();
  readonly #users = new Map<string, Entry<StoredDatabaseUser[]>>();
  readonly #activeAuthorities = new Map<string, Entry<StoredCertificateAuthority | undefined>>();
  readonly #customerCas = new Map<string, Entry<string | undefined>>();

  constructor(private readonly store: Store) {}

  /** The generation `principal` may read this cache at, when `repositories` are the store's own. */
  generationFor(repositories: Repositories, principal: Principal): bigint | undefined {
    return repositories === this.store ? principal.catalogGeneration : undefined;
  }

  async project(groupId: string, generation: bigint): Promise<Project | undefined> {
    return cached(this.#projects, groupId, generation, () => this.store.projects.find(groupId));
  }

  /**
   * `databaseUsers.findByUsername` from the cache. A temporary user's end is checked
   * against `now` at every use: a user read while it still existed is dropped once its
   * deleteAfterDate has passed.
   */
  async usersNamed(groupId: string, username: string, now: Date, generation: bigint): Promise<StoredDatabaseUser[]> {
    const users = await cached(this.#users, `${groupId}\u0000${username}`, generation, () =>
      this.store.databaseUsers.findByUsername(groupId, username, now),
    );
    return users.filter((user) => user.deleteAfterDate === undefined || user.deleteAfterDate > now);
  }

  /** `certificateAuthorities.findActive`, from the cache when a generation is given. */
  async activeAuthority(
    groupId: string,
    generation: bigint | undefined,
  ): Promise<StoredCertificateAuthority | undefined> {
    const read = () => this.store.certificateAuthorities.findActive(groupId);
    return generation === undefined ? read() : cached(this.#activeAuthorities, groupId, generation, read);
  }

  /** `userSecurity.customerCas`, from the cache when a generation is given. */
  async customerCas(groupId: string, generation: bigint | undefined): Promise<string | undefined> {
    const read = () => this.store.userSecurity.customerCas(groupId);
    return generation === undefined ? read() : cached(this.#customerCas, groupId, generation, read);
  }
}

async function cached<T>(
  entries: Map<string, Entry<T>>,
  key: string,
  generation: bigint,
  read: () => Promise<T>,
): Promise<T> {
  const entry = entries.get(key);
  if (entry && entry.generation >= generation) return entry.value;
  const value = deepFreeze(await read());
  entries.delete(key);
  if (entries.size >= ENTRIES) entries.delete(entries.keys().next().value!);
  entries.set(key, { generation, value });
  return value;
}

/**
 * Entries are shared by every request that reads them: none may change one. (A typed
 * array, a certificate's DER, cannot be frozen; it is only ever read.)
 */
function deepFreeze<T>(value: T): T {
  if (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Date) &&
    !ArrayBuffer.isView(value) &&
    !Object.isFrozen(value)
  ) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
