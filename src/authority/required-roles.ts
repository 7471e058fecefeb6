import type { AtlasErrorCode } from '../domain/errors.js';
import {
  effectiveOrgRoles,
  effectiveProjectRoles,
  type OrgRole,
  type ProjectRole,
  type Role,
} from '../domain/roles.js';

/**
 * Who may do what, and at what rate: every operation of dbcerts, the minimum role it
 * needs (any one of `anyOf`, directly or implied: an Organization Owner is Project Owner
 * everywhere, every project role includes Project Read Only), and the rate-limit bucket
 * it draws from (Atlas' endpoint sets). This table is the whole policy; the API, the
 * console and the tests all read it.
 */

export type EndpointSet =
  | 'x509'
  | 'ldapConfiguration'
  | 'databaseUsers'
  | 'projects'
  | 'organizations'
  | 'teams'
  | 'ipAddresses'
  | 'performanceAdvisor'
  | 'customDatabaseRoles';

/** Whose bucket a request draws from: the project's, or the calling key's. */
export type BucketScope = 'project' | 'apiKey';

export interface ProjectRequirement {
  scope: 'project';
  /** Project roles, or an organization role where Atlas asks for one on a project path. */
  anyOf: readonly Role[];
  rateLimit: EndpointSet;
  bucket: BucketScope;
}

export interface OrganizationRequirement {
  scope: 'organization';
  anyOf: readonly OrgRole[];
  rateLimit: EndpointSet;
  bucket: BucketScope;
  /** The Atlas error for a caller whose roles fall short, when not USER_UNAUTHORIZED. */
  denied?: AtlasErrorCode;
}

export type Requirement = ProjectRequirement | OrganizationRequirement;

const project = (anyOf: readonly Role[], rateLimit: EndpointSet): ProjectRequirement => ({
  scope: 'project',
  anyOf,
  rateLimit,
  bucket: 'project',
});

const organization = (
  anyOf: readonly OrgRole[],
  rateLimit: EndpointSet = 'organizations',
  denied?: AtlasErrorCode,
): OrganizationRequirement => ({
  scope: 'organization',
  anyOf,
  rateLimit,
  bucket: 'apiKey',
  ...(denied ? { denied } : {}),
});

/** A project operation whose path names the project otherwise than by id: it draws from the caller's bucket. */
const projectOfCaller = (anyOf: readonly ProjectRole[], rateLimit: EndpointSet): ProjectRequirement => ({
  ...project(anyOf, rateLimit),
  bucket: 'apiKey',
});

const DATABASE_ACCESS_ADMIN: readonly ProjectRole[] = ['GROUP_DATABASE_ACCESS_ADMIN', 'GROUP_STREAM_PROCESSING_OWNER'];

export const REQUIRED_ROLES = {
  // organizations
  listOrganizations: organization(['ORG_MEMBER']),
  getOrganization: organization(['ORG_MEMBER']),
  getOrganizationSettings: organization(['ORG_MEMBER']),
  updateOrganizationSettings: organization(['ORG_OWNER']),
  listOrganizationEvents: organization(['ORG_MEMBER']),
  getOrganizationEvent: organization(['ORG_MEMBER']),
  // organization API keys and their access lists
  listOrganizationApiKeys: organization(['ORG_MEMBER']),
  getOrganizationApiKey: organization(['ORG_MEMBER']),
  createOrganizationApiKey: organization(['ORG_OWNER']),
  updateOrganizationApiKey: organization(['ORG_OWNER']),
  deleteOrganizationApiKey: organization(['ORG_OWNER']),
  listApiKeyAccessListEntries: organization(['ORG_MEMBER']),
  getApiKeyAccessListEntry: organization(['ORG_MEMBER']),
  createApiKeyAccessListEntries: organization(['ORG_OWNER']),
  deleteApiKeyAccessListEntry: organization(['ORG_OWNER']),
  // organization service accounts and their access lists
  listServiceAccounts: organization(['ORG_MEMBER']),
  getServiceAccount: organization(['ORG_MEMBER']),
  createServiceAccount: organization(['ORG_OWNER']),
  updateServiceAccount: organization(['ORG_OWNER']),
  deleteServiceAccount: organization(['ORG_OWNER']),
  createServiceAccountSecret: organization(['ORG_OWNER']),
  deleteServiceAccountSecret: organization(['ORG_OWNER']),
  listServiceAccountAccessListEntries: organization(['ORG_MEMBER']),
  createServiceAccountAccessListEntries: organization(['ORG_OWNER']),
  deleteServiceAccountAccessListEntry: organization(['ORG_OWNER']),
  listServiceAccountProjects: organization(['ORG_MEMBER']),
  // projects
  listProjects: organization(['ORG_MEMBER'], 'projects'),
  createProject: organization(['ORG_GROUP_CREATOR'], 'projects', 'NOT_ORG_GROUP_CREATOR'),
  getProject: project(['GROUP_READ_ONLY'], 'projects'),
  getProjectByName: projectOfCaller(['GROUP_READ_ONLY'], 'projects'),
  updateProject: project(['GROUP_OWNER'], 'projects'),
  deleteProject: project(['GROUP_OWNER'], 'projects'),
  getProjectSettings: project(['GROUP_READ_ONLY'], 'projects'),
  updateProjectSettings: project(['GROUP_OWNER'], 'projects'),
  listProjectLimits: project(['GROUP_READ_ONLY'], 'projects'),
  getProjectLimit: project(['GROUP_READ_ONLY'], 'projects'),
  setProjectLimit: project(['GROUP_OWNER'], 'projects'),
  deleteProjectLimit: project(['GROUP_OWNER'], 'projects'),
  listProjectTeams: project(['GROUP_READ_ONLY'], 'teams'),
  returnAllIpAddresses: project(['GROUP_READ_ONLY'], 'ipAddresses'),
  getManagedSlowMs: project(['GROUP_READ_ONLY'], 'performanceAdvisor'),
  enableSlowOperationThresholding: project(['GROUP_OWNER'], 'performanceAdvisor'),
  disableSlowOperationThresholding: project(['GROUP_OWNER'], 'performanceAdvisor'),
  listProjectEvents: project(['GROUP_READ_ONLY'], 'projects'),
  getProjectEvent: project(['GROUP_READ_ONLY'], 'projects'),
  // project API keys
  listProjectApiKeys: project(['GROUP_READ_ONLY'], 'projects'),
  createProjectApiKey: project(['GROUP_OWNER'], 'projects'),
  addProjectApiKey: project(['GROUP_OWNER'], 'projects'),
  assignProjectApiKey: project(['GROUP_OWNER'], 'projects'),
  removeProjectApiKey: project(['GROUP_OWNER'], 'projects'),
  // project service accounts
  listProjectServiceAccounts: project(['GROUP_READ_ONLY'], 'projects'),
  getProjectServiceAccount: project(['GROUP_READ_ONLY'], 'projects'),
  createProjectServiceAccount: project(['GROUP_OWNER'], 'projects'),
  updateProjectServiceAccount: project(['GROUP_OWNER'], 'projects'),
  // Atlas asks for Organization Owner to bring an organization's account into a project.
  addProjectServiceAccount: project(['ORG_OWNER'], 'projects'),
  removeProjectServiceAccount: project(['GROUP_OWNER'], 'projects'),
  createProjectServiceAccountSecret: project(['GROUP_OWNER'], 'projects'),
  deleteProjectServiceAccountSecret: project(['GROUP_OWNER'], 'projects'),
  listProjectServiceAccountAccessList: project(['GROUP_READ_ONLY'], 'projects'),
  createProjectServiceAccountAccessList: project(['GROUP_OWNER'], 'projects'),
  deleteProjectServiceAccountAccessListEntry: project(['GROUP_OWNER'], 'projects'),
  // database users
  listDatabaseUsers: project(['GROUP_READ_ONLY'], 'databaseUsers'),
  getDatabaseUser: project(['GROUP_READ_ONLY'], 'databaseUsers'),
  createDatabaseUser: project(DATABASE_ACCESS_ADMIN, 'databaseUsers'),
  updateDatabaseUser: project(DATABASE_ACCESS_ADMIN, 'databaseUsers'),
  deleteDatabaseUser: project(DATABASE_ACCESS_ADMIN, 'databaseUsers'),
  // custom database roles
  listCustomDatabaseRoles: project(['GROUP_READ_ONLY'], 'customDatabaseRoles'),
  getCustomDatabaseRole: project(['GROUP_READ_ONLY'], 'customDatabaseRoles'),
  createCustomDatabaseRole: project(DATABASE_ACCESS_ADMIN, 'customDatabaseRoles'),
  updateCustomDatabaseRole: project(DATABASE_ACCESS_ADMIN, 'customDatabaseRoles'),
  deleteCustomDatabaseRole: project(DATABASE_ACCESS_ADMIN, 'customDatabaseRoles'),
  // X.509 (Atlas)
  listDatabaseUserCertificates: project(['GROUP_READ_ONLY'], 'x509'),
  createDatabaseUserCertificate: project(['GROUP_OWNER'], 'x509'),
  getUserSecurity: project(['GROUP_OWNER'], 'ldapConfiguration'),
  updateUserSecurity: project(['GROUP_OWNER'], 'ldapConfiguration'),
  disableCustomerX509: project(['GROUP_OWNER'], 'x509'),
  // X.509 (dbcerts extensions)
  getManagedCaCertificate: project(['GROUP_READ_ONLY'], 'x509'),
  getManagedCaTrustBundle: project(['GROUP_READ_ONLY'], 'x509'),
  listManagedCas: project(['GROUP_READ_ONLY'], 'x509'),
  rotateManagedCa: project(['GROUP_OWNER'], 'x509'),
  getCertificateRevocationList: project(['GROUP_READ_ONLY'], 'x509'),
  listCertificateInventory: project(['GROUP_READ_ONLY'], 'x509'),
  getManagedCertificate: project(['GROUP_READ_ONLY'], 'x509'),
  listManagedX509Users: project(['GROUP_READ_ONLY'], 'x509'),
  revokeCertificate: project(['GROUP_OWNER'], 'x509'),
  getExpiryAlertSettings: project(['GROUP_READ_ONLY'], 'x509'),
  updateExpiryAlertSettings: project(['GROUP_OWNER'], 'x509'),
} as const satisfies Record<string, Requirement>;

export type Operation = keyof typeof REQUIRED_ROLES;

export type ProjectOperation = {
  [K in Operation]: (typeof REQUIRED_ROLES)[K] extends ProjectRequirement ? K : never;
}[Operation];

export type OrganizationOperation = Exclude<Operation, ProjectOperation>;

/**
 * Whether a caller with these roles meets a requirement. In a project it holds its project
 * roles there, those its organization roles bring, and its organization roles themselves.
 */
export function meetsRequirement(
  requirement: Requirement,
  orgRoles: readonly OrgRole[],
  assignedProjectRoles: readonly ProjectRole[],
): boolean {
  const held: ReadonlySet<Role> =
    requirement.scope === 'organization'
      ? effectiveOrgRoles(orgRoles)
      : new Set<Role>([...effectiveProjectRoles(orgRoles, assignedProjectRoles), ...effectiveOrgRoles(orgRoles)]);
  return requirement.anyOf.some((role: Role) => held.has(role));
}
