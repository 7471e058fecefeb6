// Printed by test/console/wire-types.ts from the server schemas (src/api/schemas): do not edit.
// `npm run wire-types` prints it again; test/console/wire.test.ts fails when it is stale.

export interface ApiKeyUserDetails {
  desc: string;
  id: string;
  links: Link[];
  /** In full only in the response that created the key; redacted afterwards */
  privateKey: string;
  publicKey: string;
  roles: RoleAssignment[];
}

export interface CertificateDetails {
  _id: number | bigint;
  createdAt: string;
  groupId: string;
  /** extension */
  keyAlgorithm?: string;
  notAfter: string;
  /** extension: RFC 5280 reason */
  revocationReason?: string;
  /** extension */
  revokedAt?: string;
  /** extension: generated or csr */
  source?: string;
  /** extension: active, expired or revoked */
  status?: string;
  subject: string;
  caId: string;
  /** absent once the user is deleted */
  databaseName?: string;
  /** RFC 2253 subject of the issuing CA */
  issuer: string;
  notBefore: string;
  /** the certificate (PEM), never a key */
  pem: string;
  /** upper-case hex, colon-separated, as openssl prints it */
  sha256Fingerprint: string;
  /** absent once the user is deleted */
  username?: string;
}

export interface CertificateHolder {
  /** valid, expiring (within the alert lead time) or none */
  certificateStatus: string;
  /** every certificate ever issued to it */
  certificates: number;
  databaseName: string;
  lastIssuedAt?: string;
  username: string;
  validCertificates: number;
  /** latest notAfter of a valid one */
  validUntil?: string;
}

export interface CloudDatabaseUser {
  awsIAMType: string;
  databaseName: string;
  deleteAfterDate?: string;
  description?: string;
  groupId: string;
  labels: ComponentLabel[];
  ldapAuthType: string;
  links: Link[];
  oidcAuthType: string;
  roles: DatabaseUserRole[];
  scopes: UserScope[];
  username: string;
  x509Type: string;
}

export interface ComponentLabel {
  key: string;
  value: string;
}

export interface ConsoleSession {
  csrfToken: string;
  expiresAt: string;
  idleTimeoutSeconds: number;
  identity:
    | {
        kind: 'API_KEY';
        id: string;
        publicKey: string;
        description: string;
      }
    | {
        kind: 'SERVICE_ACCOUNT';
        id: string;
        clientId: string;
        name: string;
        description: string;
      };
  /** the server's clock */
  now: string;
  operations: {
    organization: string[];
    /** what the organization roles alone allow in every project */
    everyProject: string[];
    projects: Record<string, string[]>;
  };
  orgId: string;
  orgRoles: string[];
  projectRoles: Array<{
    groupId: string;
    roles: string[];
  }>;
  /** each operation's roles (any one of them) */
  requiredRoles: Record<string, string[]>;
}

export interface DatabaseUserRole {
  collectionName?: string;
  databaseName: string;
  roleName: string;
}

export interface Event {
  accessListEntry?: string;
  apiKeyId?: string;
  caId?: string;
  created: string;
  customDbRoleName?: string;
  database?: string;
  errorCode?: string;
  eventTypeName: string;
  groupId?: string;
  id: string;
  isGlobalAdmin: boolean;
  links: Link[];
  method?: string;
  notAfter?: string;
  orgId: string;
  outcome: string;
  path?: string;
  publicKey?: string;
  reason?: string;
  remoteAddress?: string;
  roles?: string[];
  serial?: number | bigint;
  status?: number;
  targetApiKeyId?: string;
  targetPublicKey?: string;
  targetUsername?: string;
}

export interface ExpiryAlertSettings {
  leadTimeDays: number;
  webhookSecretSet: boolean;
  webhookUrl?: string;
}

export interface Group {
  clusterCount: number;
  created: string;
  id: string;
  links: Link[];
  name: string;
  orgId: string;
  tags: ResourceTag[];
}

export interface InventoryCert {
  _id: number | bigint;
  createdAt: string;
  groupId: string;
  /** extension */
  keyAlgorithm?: string;
  notAfter: string;
  /** extension: RFC 5280 reason */
  revocationReason?: string;
  /** extension */
  revokedAt?: string;
  /** extension: generated or csr */
  source?: string;
  /** extension: active, expired or revoked */
  status?: string;
  subject: string;
}

export interface LdapSecuritySettings {
  authenticationEnabled: boolean;
  authorizationEnabled: boolean;
  authzQueryTemplate: string;
  port: number;
  userToDNMapping: UserToDNMapping[];
}

export interface Link {
  href: string;
  rel: string;
}

export interface ManagedCa {
  createdAt: string;
  id: string;
  keyAlgorithm: string;
  links: Link[];
  notAfter: string;
  notBefore: string;
  retiredAt?: string;
  serial: number | bigint;
  /** ACTIVE, RETIRED_TRUSTED (still trusted: it has live certificates) or RETIRED */
  status: string;
  subject: string;
}

export interface ResourceTag {
  key: string;
  value: string;
}

export interface RoleAssignment {
  groupId?: string;
  orgId?: string;
  roleName: string;
}

export interface ServiceAccount {
  clientId: string;
  createdAt: string;
  description: string;
  name: string;
  roles: string[];
  secrets: ServiceAccountSecret[];
}

export interface ServiceAccountSecret {
  createdAt: string;
  expiresAt: string;
  id: string;
  lastUsedAt?: string;
  maskedSecretValue?: string;
  /** Only in the response that created the secret */
  secret?: string;
}

export interface UserScope {
  name: string;
  type: 'CLUSTER' | 'DATA_LAKE' | 'STREAM';
}

export interface UserSecurity {
  customerX509: {
    cas?: string;
  };
  ldap: LdapSecuritySettings;
  links: Link[];
}

export interface UserToDNMapping {
  ldapQuery?: string;
  match: string;
  substitution?: string;
}
