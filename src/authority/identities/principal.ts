import type { ApiKey } from '../../domain/api-key.js';
import type { Actor } from '../../domain/events.js';
import type { OrgRole, ProjectRole } from '../../domain/roles.js';
import type { IdentityKind } from '../../store/repositories/api-keys.js';

/**
 * Programmatic identities: API keys (HTTP Digest) and service accounts (OAuth client
 * credentials). Both are rows of one store table, told apart by their kind; a person at
 * the web console signs in as one of them, so a console session is a way in, not a kind.
 */
export type { IdentityKind };

/** A stored identity of either kind, without its credentials (a service account keeps its `name`). */
export type IdentityRecord = ApiKey & { name?: string };

/**
 * An identity whose credential has just been checked, not yet admitted: how it proved
 * itself decides nothing about what it may do, but says which checks it passed.
 */
export type AuthenticatedIdentity =
  | { kind: 'API_KEY'; record: IdentityRecord; via: 'digest' | 'console'; catalogGeneration?: bigint }
  | { kind: 'SERVICE_ACCOUNT'; record: IdentityRecord; via: 'accessToken' | 'console' };

interface Caller extends Actor {
  orgId: string;
  orgRoles: readonly OrgRole[];
  /** Project roles by project id, as assigned when the request was authenticated. */
  projectRoles: ReadonlyMap<string, readonly ProjectRole[]>;
  /** What the request names (e.g. `api/atlas/v1.0/orgs`): Atlas' 429 body quotes it. */
  resource: string;
  /**
   * The catalog generation read as the request was authenticated (with Digest): projects
   * and users cached at this generation or a later one are current for this request.
   */
  catalogGeneration?: bigint;
  /** The rate-limit bucket this request drew from, once an operation has drawn (for response headers). */
  rateLimit?: { limit: number; remaining: number };
}

/** An API key's request: signed with Digest, or made from a console session opened with the key. */
export interface ApiKeyPrincipal extends Caller {
  kind: 'API_KEY';
  via: 'digest' | 'console';
}

/**
 * A service account's request: with a bearer token from the token endpoint, or from a
 * console session. The audit trail names it as it names keys: its id as `apiKeyId`, its
 * client id as `publicKey`.
 */
export interface ServiceAccountPrincipal extends Caller {
  kind: 'SERVICE_ACCOUNT';
  via: 'accessToken' | 'console';
}

/** Who is calling: an admitted identity of one organization, from one address. */
export type Principal = ApiKeyPrincipal | ServiceAccountPrincipal;
