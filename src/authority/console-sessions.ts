import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ProjectRoleAssignment } from '../domain/api-key.js';
import {
  effectiveOrgRoles,
  effectiveProjectRoles,
  type OrgRole,
  type ProjectRole,
  type Role,
} from '../domain/roles.js';
import type { StoredConsoleSession } from '../store/repositories/console-sessions.js';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';
import type { ClientSecrets } from './identities/client-secrets.js';
import type { DigestKeys } from './identities/digest-keys.js';
import type { AuthenticatedIdentity, IdentityRecord } from './identities/principal.js';
import { withoutCredentials } from './identities/roles-and-access.js';
import { meetsRequirement, type Operation, REQUIRED_ROLES } from './required-roles.js';

/**
 * Web console sessions. A person signs in once with an API key or a service account's
 * client credentials; the browser then holds a random session id (in an HttpOnly
 * cookie) that authenticates the ordinary Atlas API routes as that key. Only the id's
 * SHA-256 is stored, so a copy of the database opens no session. Every request re-reads
 * the key (a deleted key, account or secret ends its sessions at once) and its roles.
 */

export interface ConsoleSessionSettings {
  /** A session ends this long after its last recorded activity. */
  idleTimeoutSeconds: number;
  /** And this long after it began, however active. */
  lifetimeSeconds: number;
}

const DEFAULT_CONSOLE_SESSION_SETTINGS: ConsoleSessionSettings = {
  idleTimeoutSeconds: 15 * 60,
  lifetimeSeconds: 8 * 3600,
};

/** Activity is recorded at most this often: a busy session writes once a minute, not per request. */
const ACTIVITY_RESOLUTION_MS = 60_000;

const SESSION_ID_BYTES = 32;
/** 32 random bytes, base64url: 43 characters. */
const SESSION_ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const CSRF_LABEL = 'dbcerts console CSRF token v1';

export type ConsoleCredentials = { publicKey: string; privateKey: string } | { clientId: string; clientSecret: string };

/** A key or service account whose credentials were just checked at sign-in, before it is admitted. */
export type VerifiedIdentity = AuthenticatedIdentity & {
  via: 'console';
  /** Service accounts: the secret presented. */
  secretId?: string;
};

/** A live session and the key or account it stands for, as of this request. */
export type ConsoleIdentity = AuthenticatedIdentity & { via: 'console'; session: StoredConsoleSession };

/** What a session may do: the operation names of REQUIRED_ROLES its roles reach. */
export interface AllowedOperations {
  organization: Operation[];
  /** What the organization roles alone allow in every project of the organization. */
  everyProject: Operation[];
  /** Per assigned project: its roles there together with the organization's. */
  projects: Record<string, Operation[]>;
}

/** The answer of `GET /console/session`. */
export interface SessionDescription {
  csrfToken: string;
  expiresAt: string;
  idleTimeoutSeconds: number;
  identity:
    | { kind: 'API_KEY'; id: string; publicKey: string; description: string }
    | { kind: 'SERVICE_ACCOUNT'; id: string; clientId: string; name: string; description: string };
  /** The server's clock, so the console computes "expiring soon" from the same now. */
  now: string;
  operations: AllowedOperations;
  orgId: string;
  orgRoles: OrgRole[];
  projectRoles: ProjectRoleAssignment[];
  /** Each operation's minimum roles (any one of them), so the console can say what a hidden control needs. */
  requiredRoles: Record<Operation, readonly Role[]>;
}

const REQUIRED_ROLES_BY_OPERATION = Object.fromEntries(
  Object.entries(REQUIRED_ROLES).map(([operation, requirement]) => [operation, requirement.anyOf]),
) as Record<Operation, readonly Role[]>;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The operations of REQUIRED_ROLES a key with these roles may call, by scope. */
function allowedOperations(
  orgRoles: readonly OrgRole[],
  projectRoles: readonly ProjectRoleAssignment[],
): AllowedOperations {
  const operations = Object.keys(REQUIRED_ROLES) as Operation[];
  const inProject = (assigned: readonly ProjectRole[]) =>
    operations.filter((operation) => {
      const requirement = REQUIRED_ROLES[operation];
      return requirement.scope === 'project' && meetsRequirement(requirement, orgRoles, assigned);
    });
  return {
    organization: operations.filter((operation) => {
      const requirement = REQUIRED_ROLES[operation];
      return requirement.scope === 'organization' && meetsRequirement(requirement, orgRoles, []);
    }),
    everyProject: inProject([]),
    projects: Object.fromEntries(projectRoles.map((assignment) => [assignment.groupId, inProject(assignment.roles)])),
  };
}

export class ConsoleSessionService {
  readonly settings: ConsoleSessionSettings;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly digestKeys: DigestKeys,
    private readonly clientSecrets: ClientSecrets,
    settings: Partial<ConsoleSessionSettings> = {},
  ) {
    this.settings = { ...DEFAULT_CONSOLE_SESSION_SETTINGS, ...settings };
  }

  /**
   * The key or account the credentials name, or undefined when they are wrong: an API
   * key's private key is checked against its Digest HA1, a service account's secret as
   * the OAuth token endpoint checks it (live secrets only). Both in constant time.
   */
  async verify(credentials: ConsoleCredentials): Promise<VerifiedIdentity | undefined> {
    if ('publicKey' in credentials) {
      const record = await this.digestKeys.verify(credentials.publicKey, credentials.privateKey);
      return record && { kind: 'API_KEY', record, via: 'console' };
    }
    const authenticated = await this.clientSecrets.verify(credentials.clientId, credentials.clientSecret);
    if (!authenticated) return undefined;
    return {
      kind: 'SERVICE_ACCOUNT',
      record: authenticated.account,
      via: 'console',
      secretId: authenticated.secretId,
    };
  }

  /** Opens a session for an admitted identity; returns the session id (shown to the browser only). */
  async open(verified: VerifiedIdentity): Promise<{ sessionId: string; identity: ConsoleIdentity }> {
    const now = this.clock.now();
    const sessionId = randomBytes(SESSION_ID_BYTES).toString('base64url');
    const session: StoredConsoleSession = {
      idSha256: sha256Hex(sessionId),
      apiKeyId: verified.record.id,
      orgId: verified.record.orgId,
      kind: verified.kind,
      publicKey: verified.record.publicKey,
      ...(verified.secretId !== undefined ? { secretId: verified.secretId } : {}),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.settings.lifetimeSeconds * 1000),
    };
    await this.store.transaction(async (repositories) => {
      // Sign-ins sweep the sessions nobody will use again.
      await repositories.consoleSessions.purgeExpired(now, this.idleCutoff(now));
      await repositories.consoleSessions.insert(session);
    });
    return { sessionId, identity: { kind: verified.kind, record: verified.record, via: 'console', session } };
  }

  private idleCutoff(now: Date): Date {
    return new Date(now.getTime() - this.settings.idleTimeoutSeconds * 1000);
  }

  /**
   * The live session an id names, with its key or account as they are now; undefined
   * (and the session deleted) when it is idle too long, past its lifetime, or its key,
   * account or secret is gone. Activity is recorded at most once a minute.
   */
  async resolve(sessionId: string): Promise<ConsoleIdentity | undefined> {
    if (!SESSION_ID_SHAPE.test(sessionId)) return undefined;
    const idSha256 = sha256Hex(sessionId);
    const session = await this.store.consoleSessions.find(idSha256);
    if (!session) return undefined;
    const now = this.clock.now();
    const idle = now.getTime() - session.lastSeenAt.getTime() >= this.settings.idleTimeoutSeconds * 1000;
    const record = idle || now >= session.expiresAt ? undefined : await this.identityOf(session);
    if (!record) {
      await this.store.consoleSessions.delete(idSha256);
      return undefined;
    }
    if (now.getTime() - session.lastSeenAt.getTime() >= ACTIVITY_RESOLUTION_MS) {
      await this.store.consoleSessions.touch(idSha256, now);
      session.lastSeenAt = now;
    }
    return { kind: session.kind, record, via: 'console', session };
  }

  private async identityOf(session: StoredConsoleSession): Promise<IdentityRecord | undefined> {
    if (session.kind === 'SERVICE_ACCOUNT') {
      if (session.secretId === undefined) return undefined;
      const account = await this.clientSecrets.stillLive(session.publicKey, session.secretId);
      return account && account.id === session.apiKeyId ? account : undefined;
    }
    const key = await this.store.apiKeys.find(session.orgId, session.apiKeyId, 'API_KEY');
    return key && key.publicKey === session.publicKey ? withoutCredentials(key) : undefined;
  }

  /** Ends a session (sign-out); false if it had already ended. */
  async close(sessionId: string): Promise<boolean> {
    if (!SESSION_ID_SHAPE.test(sessionId)) return false;
    return this.store.consoleSessions.delete(sha256Hex(sessionId));
  }

  /**
   * The session's CSRF token: an HMAC of a fixed label keyed with the session id. Only
   * the holder of the id can compute it, the stored hash cannot give it, and no second
   * secret needs storing.
   */
  csrfToken(sessionId: string): string {
    return createHmac('sha256', sessionId).update(CSRF_LABEL).digest('base64url');
  }

  /** True when `presented` is the session's CSRF token (constant time). */
  csrfTokenMatches(sessionId: string, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const expected = Buffer.from(this.csrfToken(sessionId));
    const actual = Buffer.from(presented);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  /** Who the session is, what it may do, and its CSRF token (the console's start-up read). */
  describe(sessionId: string, identity: ConsoleIdentity): SessionDescription {
    const { record, session } = identity;
    return {
      csrfToken: this.csrfToken(sessionId),
      expiresAt: session.expiresAt.toISOString(),
      idleTimeoutSeconds: this.settings.idleTimeoutSeconds,
      identity:
        identity.kind === 'SERVICE_ACCOUNT'
          ? {
              kind: 'SERVICE_ACCOUNT',
              id: record.id,
              clientId: record.publicKey,
              name: record.name ?? '',
              description: record.description,
            }
          : { kind: 'API_KEY', id: record.id, publicKey: record.publicKey, description: record.description },
      now: this.clock.now().toISOString(),
      operations: allowedOperations(record.roles, record.projectRoles),
      orgId: record.orgId,
      orgRoles: record.roles,
      projectRoles: record.projectRoles,
      requiredRoles: REQUIRED_ROLES_BY_OPERATION,
    };
  }
}
