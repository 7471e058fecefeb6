import { atlasBuiltInRole, isRestrictedRole } from './custom-db-role.js';
import { AtlasError } from './errors.js';
import {
  DnSyntaxError,
  escapeRfc2253Value,
  formatRfc2253,
  isRfc2253Spelling,
  normalizeRfc2253,
  parseRfc2253,
  shortNameOf,
} from './rfc2253.js';

/** The rules Atlas applies to database users (CloudDatabaseUser). */

export const X509_TYPES = ['NONE', 'CUSTOMER', 'MANAGED'] as const;
export const AWS_IAM_TYPES = ['NONE', 'USER', 'ROLE'] as const;
export const LDAP_AUTH_TYPES = ['NONE', 'GROUP', 'USER'] as const;
export const OIDC_AUTH_TYPES = ['NONE', 'IDP_GROUP', 'USER'] as const;
export const AUTH_DATABASES = ['admin', '$external'] as const;
export const SCOPE_TYPES = ['CLUSTER', 'DATA_LAKE', 'STREAM'] as const;

export type X509Type = (typeof X509_TYPES)[number];
export type AwsIamType = (typeof AWS_IAM_TYPES)[number];
export type LdapAuthType = (typeof LDAP_AUTH_TYPES)[number];
export type OidcAuthType = (typeof OIDC_AUTH_TYPES)[number];
export type AuthDatabase = (typeof AUTH_DATABASES)[number];

export const MAX_DATABASE_USERS_PER_PROJECT = 100;
export const MAX_USERNAME_LENGTH = 1024;
const MAX_TEMPORARY_USER_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

export interface DatabaseUserRole {
  roleName: string;
  databaseName: string;
  collectionName?: string;
}

export interface UserScope {
  name: string;
  type: (typeof SCOPE_TYPES)[number];
}

export interface ComponentLabel {
  key: string;
  value: string;
}

/** What a client decides about a database user. */
export interface DatabaseUserSettings {
  username: string;
  databaseName: AuthDatabase;
  x509Type: X509Type;
  awsIAMType: AwsIamType;
  ldapAuthType: LdapAuthType;
  oidcAuthType: OidcAuthType;
  roles: DatabaseUserRole[];
  scopes: UserScope[];
  labels: ComponentLabel[];
  description?: string;
  deleteAfterDate?: Date;
}

export interface DatabaseUser extends DatabaseUserSettings {
  id: string;
  groupId: string;
  createdAt: Date;
  updatedAt: Date;
}

export type AuthMethod =
  | 'SCRAM'
  | 'X509_MANAGED'
  | 'X509_CUSTOMER'
  | 'AWS_IAM'
  | 'LDAP_USER'
  | 'LDAP_GROUP'
  | 'OIDC_WORKFORCE'
  | 'OIDC_WORKLOAD';

type AuthTypes = Pick<DatabaseUserSettings, 'x509Type' | 'awsIAMType' | 'ldapAuthType' | 'oidcAuthType'>;

function authMethodOf(user: AuthTypes): AuthMethod {
  if (user.x509Type === 'MANAGED') return 'X509_MANAGED';
  if (user.x509Type === 'CUSTOMER') return 'X509_CUSTOMER';
  if (user.awsIAMType !== 'NONE') return 'AWS_IAM';
  if (user.ldapAuthType === 'USER') return 'LDAP_USER';
  if (user.ldapAuthType === 'GROUP') return 'LDAP_GROUP';
  if (user.oidcAuthType === 'USER') return 'OIDC_WORKLOAD';
  if (user.oidcAuthType === 'IDP_GROUP') return 'OIDC_WORKFORCE';
  return 'SCRAM';
}

function isX509(method: AuthMethod): boolean {
  return method === 'X509_MANAGED' || method === 'X509_CUSTOMER';
}

/** Methods whose users live on `$external`; the others live on `admin`. */
function authenticatesExternally(method: AuthMethod): boolean {
  return method !== 'SCRAM' && method !== 'OIDC_WORKFORCE' && method !== 'LDAP_GROUP';
}

const METHOD_LABEL: Record<AuthMethod, string> = {
  SCRAM: 'SCRAM users',
  X509_MANAGED: 'X.509 users',
  X509_CUSTOMER: 'X.509 users',
  AWS_IAM: 'AWS IAM users',
  LDAP_USER: 'LDAP users',
  LDAP_GROUP: 'LDAP groups',
  OIDC_WORKFORCE: 'OIDC Workforce groups',
  OIDC_WORKLOAD: 'OIDC Workload users',
};

function checkSingleAuthType(user: AuthTypes): void {
  const chosen = (
    [
      ['x509Type', user.x509Type],
      ['awsIAMType', user.awsIAMType],
      ['ldapAuthType', user.ldapAuthType],
      ['oidcAuthType', user.oidcAuthType],
    ] as const
  ).filter(([, value]) => value !== 'NONE');
  if (chosen.length <= 1) return;
  const names = chosen.map(([field]) => field);
  if (names.includes('x509Type') && names.includes('ldapAuthType')) {
    throw new AtlasError('ATLAS_X509_USER_CANNOT_USE_LDAP');
  }
  throw new AtlasError('MULTIPLE_AUTH_TYPES', names.join(', '));
}

// C0 controls and DEL have no place in a user name (mongod and most tools print them
// ambiguously), nor do lone UTF-16 surrogates (they are not text at all).
// eslint-disable-next-line no-control-regex -- the C0 controls are the characters this refuses
const UNUSABLE_CHARACTER = /[\u0000-\u001f\u007f]|\p{Cs}/u;

/**
 * The certificate subject of an Atlas-managed X.509 user, in RFC 2253 form. A plain
 * username becomes `CN=<username>`; a username written as a DN must be exactly one
 * CN (Atlas' ATLAS_MANAGED_X509_NAME_INVALID: "CN=<username> with no additional OIDs").
 */
export function managedX509Subject(username: string): string {
  if (!username.includes('=')) return `CN=${escapeRfc2253Value(username)}`;
  let rdns;
  try {
    rdns = parseRfc2253(username);
  } catch (error) {
    if (error instanceof DnSyntaxError) throw new AtlasError('ATLAS_MANAGED_X509_NAME_INVALID', username);
    throw error;
  }
  const only = rdns.length === 1 && rdns[0]!.length === 1 ? rdns[0]![0]! : undefined;
  if (!only || shortNameOf(only.oid) !== 'CN' || only.value === '') {
    throw new AtlasError('ATLAS_MANAGED_X509_NAME_INVALID', username);
  }
  return formatRfc2253(rdns);
}

function checkUsername(username: string, method: AuthMethod): void {
  if (username.length === 0 || username.length > MAX_USERNAME_LENGTH || UNUSABLE_CHARACTER.test(username)) {
    throw new AtlasError('ATLAS_INVALID_USERNAME', username);
  }
  switch (method) {
    case 'X509_MANAGED':
      managedX509Subject(username);
      return;
    case 'X509_CUSTOMER':
    case 'LDAP_USER':
    case 'LDAP_GROUP':
      try {
        parseRfc2253(username);
      } catch (error) {
        if (error instanceof DnSyntaxError) throw new AtlasError('ATLAS_INVALID_LDAP_NAME', username);
        throw error;
      }
      return;
    case 'AWS_IAM':
      if (!/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/.+$/.test(username)) {
        throw new AtlasError('ATLAS_INVALID_USERNAME', username);
      }
      return;
    case 'OIDC_WORKFORCE':
    case 'OIDC_WORKLOAD':
      if (!/^[0-9a-f]{24}\/.+$/.test(username)) throw new AtlasError('ATLAS_INVALID_USERNAME', username);
      return;
    case 'SCRAM':
      return;
  }
}

/**
 * Checks a user's roles: each is a built-in role Atlas grants, on a database where
 * MongoDB defines it, or one of the project's custom roles (which live on `admin`);
 * none is given twice.
 */
export function checkUserRoles(
  username: string,
  roles: readonly DatabaseUserRole[],
  customRoleNames: ReadonlySet<string>,
): void {
  const seen = new Set<string>();
  for (const role of roles) {
    const target =
      role.collectionName === undefined ? role.databaseName : `${role.databaseName}.${role.collectionName}`;
    if (isRestrictedRole(role.roleName)) throw new AtlasError('ATLAS_RESTRICTED_ROLE', role.roleName, target);
    const builtIn = atlasBuiltInRole(role.roleName);
    if (!builtIn && !customRoleNames.has(role.roleName)) {
      throw new AtlasError('ATLAS_INVALID_ROLE', role.roleName, target);
    }
    if (!builtIn || builtIn.adminOnly) {
      if (role.databaseName !== 'admin') throw new AtlasError('ATLAS_INVALID_ROLE_DATABASE', role.roleName, 'admin');
      if (role.collectionName !== undefined) throw new AtlasError('ATLAS_INVALID_ROLE', role.roleName, target);
    }
    const key = `${role.roleName}@${target}`;
    if (seen.has(key)) throw new AtlasError('DUPLICATE_DATABASE_ROLES', username, key);
    seen.add(key);
  }
}

export interface UserCheckContext {
  now: Date;
  /** A SCRAM password is part of this request. */
  passwordGiven: boolean;
  /** The user is being created (a SCRAM user then needs a password). */
  creating: boolean;
}

/**
 * Throws the Atlas error for the first rule a database user breaks, but for its roles
 * (`checkUserRoles`, which needs the project's custom roles).
 */
export function checkDatabaseUser(user: DatabaseUserSettings, context: UserCheckContext): void {
  checkSingleAuthType(user);
  const method = authMethodOf(user);
  if (isX509(method)) {
    if (context.passwordGiven) throw new AtlasError('ATLAS_X509_USER_CANNOT_USE_SCRAM');
    if (user.deleteAfterDate) throw new AtlasError('ATLAS_X509_USER_CANNOT_BE_TEMPORARY');
  }
  if (authenticatesExternally(method)) {
    if (user.databaseName !== '$external') throw new AtlasError('DATABASE_NAME_INVALID_EXTERNAL');
  } else if (user.databaseName !== 'admin') {
    throw new AtlasError('DATABASE_NAME_INVALID_ADMIN', METHOD_LABEL[method]);
  }
  if (method === 'SCRAM' && context.creating && !context.passwordGiven) {
    throw new AtlasError('MISSING_ATTRIBUTE', 'password');
  }
  if (method !== 'SCRAM' && context.passwordGiven) throw new AtlasError('INVALID_ATTRIBUTE', 'password');
  checkUsername(user.username, method);
  if (user.deleteAfterDate) {
    const wait = user.deleteAfterDate.getTime() - context.now.getTime();
    if (wait <= 0 || wait > MAX_TEMPORARY_USER_LIFETIME_MS) {
      throw new AtlasError('INVALID_DELETE_AFTER_DATE', user.deleteAfterDate.toISOString());
    }
  }
}

/** Whether `username` is `user`'s name: for a customer X.509 user, any spelling of its DN. */
function namesUser(user: DatabaseUserSettings, username: string): boolean {
  if (username === user.username) return true;
  try {
    return canonicalUsername({ ...user, username }) === canonicalUsername(user);
  } catch (error) {
    if (error instanceof DnSyntaxError) return false;
    throw error;
  }
}

/** The changes PATCH may not make (Atlas answers 409 for each). */
export function checkImmutableFields(
  existing: DatabaseUserSettings,
  patch: Partial<Pick<DatabaseUserSettings, 'username' | 'databaseName' | keyof AuthTypes>>,
): void {
  if (patch.username !== undefined && !namesUser(existing, patch.username)) {
    throw new AtlasError('DATABASE_USERNAME_CANNOT_BE_CHANGED');
  }
  if (patch.databaseName !== undefined && patch.databaseName !== existing.databaseName) {
    throw new AtlasError('DATABASE_NAME_CANNOT_BE_CHANGED');
  }
  for (const field of ['x509Type', 'awsIAMType', 'ldapAuthType', 'oidcAuthType'] as const) {
    if (patch[field] !== undefined && patch[field] !== existing[field]) {
      throw new AtlasError('AUTH_TYPE_CANNOT_BE_CHANGED');
    }
  }
}

/**
 * The name a user is matched by (uniqueness, paths, the certificate subject and mongod's
 * `$external` user): a customer X.509 user's DN normalised the way mongod prints a
 * certificate subject (`cn=Alice,o=Acme` and `CN=Alice, O=Acme` are both `CN=Alice,O=Acme`);
 * every other username as given.
 */
export function canonicalUsername(user: AuthTypes & { username: string }): string {
  return authMethodOf(user) === 'X509_CUSTOMER' ? normalizeRfc2253(user.username) : user.username;
}

/**
 * The username kept and answered: what the client sent, so that a tool reads back what it
 * wrote. A customer X.509 DN is kept as sent when it is already an RFC 2253 spelling (any
 * case of attribute types, raw UTF-8, any valid escaping), and otherwise in its canonical
 * form (spaces RFC 2253 tolerates around separators are not part of the name).
 */
export function keptUsername(user: AuthTypes & { username: string }): string {
  if (authMethodOf(user) !== 'X509_CUSTOMER' || isRfc2253Spelling(user.username)) return user.username;
  return normalizeRfc2253(user.username);
}

/**
 * The names to look up a username from a path by, in order: as written, then, when it is a
 * DN, its canonical form (a customer X.509 user is found by any spelling of its DN). Lazy:
 * the DN is only parsed when the name as written found nobody.
 */
export function* usernameLookups(username: string): Generator<string, void, undefined> {
  yield username;
  let dn: string;
  try {
    dn = normalizeRfc2253(username);
  } catch (error) {
    if (error instanceof DnSyntaxError) return;
    throw error;
  }
  if (dn !== username) yield dn;
}
