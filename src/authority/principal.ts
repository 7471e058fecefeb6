import type { Actor } from '../domain/events.js';
import type { OrgRole, ProjectRole } from '../domain/roles.js';

/** Who is calling: an authenticated API key of one organization, from one address. */
export interface Principal extends Actor {
  kind: 'apiKey';
  orgId: string;
  orgRoles: readonly OrgRole[];
  /** Project roles by project id, as assigned when the request was authenticated. */
  projectRoles: ReadonlyMap<string, readonly ProjectRole[]>;
  /** What the request names (e.g. `api/atlas/v1.0/orgs`): Atlas' 429 body quotes it. */
  resource: string;
  /** The rate-limit bucket this request drew from, once an operation has drawn (for response headers). */
  rateLimit?: { limit: number; remaining: number };
}
