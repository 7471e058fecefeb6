/**
 * The tables, as Kysely sees them. Conventions that hold on SQLite and PostgreSQL alike:
 * - instants are ISO-8601 UTC text with milliseconds (`2019-12-03T21:00:42.123Z`), which
 *   sorts and compares correctly as text in both engines;
 * - integer columns are 64-bit and read back as `bigint` (serials exceed 2^53);
 * - lists and small objects are JSON text;
 * - secrets are sealed (`SecretBox`) text, never plaintext.
 */

type Timestamp = string;
type Json = string;

export interface SettingsTable {
  name: string;
  value: string;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: Timestamp;
  api_access_list_required: number | bigint;
}

export interface ProjectsTable {
  id: string;
  org_id: string;
  name: string;
  tags: Json;
  created_at: Timestamp;
  /** The name as the case-insensitive `?name=` prefix filter compares it. */
  name_folded: string;
}

/** Atlas `GroupSettings` (JSON, every flag) and the managed slow operation threshold. */
export interface ProjectSettingsTable {
  project_id: string;
  settings: Json;
  managed_slow_ms: number | bigint;
  updated_at: Timestamp;
}

/** Project limits set away from their default. */
export interface ProjectLimitsTable {
  project_id: string;
  name: string;
  value: bigint;
  updated_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  org_id: string;
  public_key: string;
  description: string;
  roles: Json;
  private_key_tail: string;
  digest_ha1_md5: string;
  digest_ha1_sha256: string;
  created_at: Timestamp;
  /** `API_KEY` or `SERVICE_ACCOUNT`. */
  kind: string;
  /** Service accounts only. */
  name: string | null;
}

export interface ServiceAccountSecretsTable {
  id: string;
  account_id: string;
  secret_sha256: string;
  masked: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_used_at: Timestamp | null;
}

export interface DatabaseUsersTable {
  id: string;
  project_id: string;
  database_name: string;
  /** The name the user is matched by (canonicalUsername): unique in its project and database. */
  username: string;
  /** The username as the client sent it, when it differs from `username` (migration 0006). */
  username_as_sent: string | null;
  x509_type: string;
  aws_iam_type: string;
  ldap_auth_type: string;
  oidc_auth_type: string;
  roles: Json;
  scopes: Json;
  labels: Json;
  description: string | null;
  delete_after: Timestamp | null;
  scram_sha256: Json | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CertificateAuthoritiesTable {
  id: string;
  project_id: string;
  key_algorithm: string;
  subject: string;
  serial: bigint;
  certificate_der: Uint8Array;
  private_key_sealed: string;
  not_before: Timestamp;
  not_after: Timestamp;
  created_at: Timestamp;
  retired_at: Timestamp | null;
}

export interface CertificatesTable {
  serial: bigint;
  project_id: string;
  user_id: string;
  ca_id: string;
  subject: string;
  key_algorithm: string;
  created_at: Timestamp;
  not_before: Timestamp;
  not_after: Timestamp;
  certificate_der: Uint8Array;
  revoked_at: Timestamp | null;
  revocation_reason: string | null;
  /** `generated` (dbcerts made the key) or `csr` (the client kept its key). */
  source: string;
}

export interface DigestNonceUsesTable {
  nonce: string;
  cnonce: string;
  nc: string;
  expires_at: Timestamp;
}

export interface ApiKeyProjectRolesTable {
  api_key_id: string;
  project_id: string;
  roles: Json;
}

export interface ApiKeyAccessListTable {
  api_key_id: string;
  cidr_block: string;
  ip_address: string | null;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  last_used_address: string | null;
  use_count: bigint;
}

export interface RateLimitBucketsTable {
  bucket_key: string;
  tokens: number;
  period_start: number;
}

export interface EventsTable {
  id: string;
  org_id: string;
  group_id: string | null;
  event_type_name: string;
  created_at: Timestamp;
  api_key_id: string | null;
  public_key: string | null;
  remote_address: string | null;
  target: Json;
  outcome: string;
  error_code: string | null;
}

export interface UserSecurityTable {
  project_id: string;
  customer_x509_cas: string | null;
  updated_at: Timestamp;
}

export interface CertificateRevocationListsTable {
  ca_id: string;
  crl_number: bigint;
  this_update: Timestamp;
  next_update: Timestamp;
  covers_until: Timestamp | null;
  der: Uint8Array;
}

export interface X509AlertSettingsTable {
  project_id: string;
  lead_time_days: number | bigint;
  webhook_url: string | null;
  webhook_secret_sealed: string | null;
  updated_at: Timestamp;
}

export interface X509ExpiryAlertsTable {
  user_id: string;
  alert_day: string;
  project_id: string;
  created_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  project_id: string;
  url: string;
  payload: Json;
  attempts: number | bigint;
  next_attempt_at: Timestamp | null;
  delivered_at: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
}

/** Web console sessions: only the SHA-256 of the session id is kept (docs/extensions.md). */
export interface ConsoleSessionsTable {
  id_sha256: string;
  api_key_id: string;
  org_id: string;
  /** `API_KEY` or `SERVICE_ACCOUNT`, as in api_keys. */
  kind: string;
  /** The API key's public key, or the service account's client id. */
  public_key: string;
  /** Service accounts: the secret signed in with (deleting it ends the session). */
  secret_id: string | null;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  /** The absolute end of the session, whatever its activity. */
  expires_at: Timestamp;
}

/** A project's custom database roles (UserCustomDBRole). */
export interface CustomDbRolesTable {
  project_id: string;
  role_name: string;
  /** DatabasePrivilegeAction[] */
  actions: Json;
  /** DatabaseInheritedRole[] */
  inherited_roles: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  settings: SettingsTable;
  organizations: OrganizationsTable;
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  database_users: DatabaseUsersTable;
  certificate_authorities: CertificateAuthoritiesTable;
  certificates: CertificatesTable;
  digest_nonce_uses: DigestNonceUsesTable;
  api_key_project_roles: ApiKeyProjectRolesTable;
  api_key_access_list: ApiKeyAccessListTable;
  rate_limit_buckets: RateLimitBucketsTable;
  events: EventsTable;
  user_security: UserSecurityTable;
  certificate_revocation_lists: CertificateRevocationListsTable;
  x509_alert_settings: X509AlertSettingsTable;
  x509_expiry_alerts: X509ExpiryAlertsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  service_account_secrets: ServiceAccountSecretsTable;
  revoked_access_tokens: { jti: string; expires_at: Timestamp };
  console_sessions: ConsoleSessionsTable;
  project_settings: ProjectSettingsTable;
  project_limits: ProjectLimitsTable;
  custom_db_roles: CustomDbRolesTable;
  identity_generation: { id: number; generation: bigint };
}
