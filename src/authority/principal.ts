import type { OrgRole } from '../domain/api-key.js';

/** Who is calling: an authenticated API key of one organization. */
export interface Principal {
  kind: 'apiKey';
  apiKeyId: string;
  publicKey: string;
  orgId: string;
  orgRoles: readonly OrgRole[];
}
