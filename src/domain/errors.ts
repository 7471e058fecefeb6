/**
 * Atlas error bodies: `{detail, error, errorCode, parameters, reason}`.
 *
 * The catalog below holds the Atlas error codes dbcerts answers with, their HTTP
 * status and detail template as Atlas' public error catalog lists them. `%s`/`%d`
 * placeholders are filled from `parameters`, in order, exactly as Atlas does.
 */

const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? 'Error';
}

const ATLAS_ERRORS = {
  // resources
  RESOURCE_NOT_FOUND: [404, 'Cannot find resource %s.'],
  GROUP_NOT_FOUND: [404, 'No group with ID %s exists.'],
  INVALID_GROUP_ID: [404, 'An invalid group ID %s was specified.'],
  GROUP_NAME_NOT_FOUND: [404, 'No group with name "%s" exists.'],
  NOT_IN_GROUP: [401, 'The current user is not in the group, or the group does not exist.'],
  USERNAME_NOT_FOUND: [404, 'No user with username %s exists.'],
  CERTIFICATE_DOES_NOT_EXIST: [404, 'Certificate does not exist.  It may have expired or been revoked.'],
  METHOD_NOT_ALLOWED: [405, 'Method %s is not allowed on resource %s.'],
  // request bodies and parameters
  MALFORMED_JSON: [400, 'Received JSON is malformed.'],
  INVALID_JSON: [400, 'Received JSON does not match expected format.'],
  INVALID_JSON_ATTRIBUTE: [400, 'Received JSON for the %s attribute does not match expected format.'],
  INVALID_ATTRIBUTE: [400, 'Invalid attribute %s specified.'],
  MISSING_ATTRIBUTE: [400, 'The required attribute %s was not specified.'],
  INVALID_ENUM_VALUE: [400, 'An invalid enumeration value %s was specified.'],
  ATTRIBUTE_NEGATIVE_OR_ZERO: [400, 'The attribute %s cannot be negative or zero.'],
  INVALID_QUERY_PARAMETER: [400, 'Invalid query parameter %s specified.'],
  VALIDATION_ERROR: [400, 'The request content produced the validation error: %s.'],
  GROUP_MISMATCH: [400, 'The specified group ID %s does not match the URL.'],
  ATTRIBUTE_READ_ONLY: [400, 'The attribute %s is read-only and cannot be changed by the user.'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'Unsupported media type %s.'],
  REQUEST_TOO_LARGE: [413, 'The request body exceeds the limit of %d bytes.'],
  // projects
  INVALID_GROUP_NAME: [400, 'An invalid group name "%s" was specified.'],
  GROUP_ALREADY_EXISTS: [409, 'A group with name "%s" already exists.'],
  API_KEY_CREATED_GROUPS_MUST_HAVE_ORG: [400, 'Projects created by API keys must belong to an existing organization.'],
  ORG_NOT_FOUND: [404, 'No organization with ID %s exists.'],
  // A dbcerts code in Atlas' CANNOT_CLOSE_GROUP_ACTIVE_* family (docs/compatibility.md "Projects").
  CANNOT_CLOSE_GROUP_ACTIVE_DATABASE_USERS: [
    409,
    'Cannot close group while it has database users; please delete all database users.',
  ],
  // database users
  USER_ALREADY_EXISTS: [409, 'A user with username %s already exists.'],
  GROUP_USERS_LIMIT_EXCEEDED: [403, 'Groups can contain at most %d database users.'],
  DATABASE_USERNAME_CANNOT_BE_CHANGED: [409, 'Cannot modify the username of an existing database user.'],
  DATABASE_NAME_CANNOT_BE_CHANGED: [409, 'Cannot modify the authentication database of an existing database user.'],
  AUTH_TYPE_CANNOT_BE_CHANGED: [409, 'Cannot modify the authentication type of an existing database user.'],
  DATABASE_NAME_INVALID_EXTERNAL: [
    400,
    'Database name invalid. Externally authenticated users can only be created on the $external database.',
  ],
  DATABASE_NAME_INVALID_ADMIN: [400, 'Database name invalid. %s can only be created on the admin database.'],
  ATLAS_INVALID_USERNAME: [400, 'The specified username %s is not valid for an Atlas database user.'],
  ATLAS_MANAGED_X509_NAME_INVALID: [
    400,
    'The username %s is invalid for Atlas-managed X.509 user auth. These usernames must take the form CN=<username> with no additional OIDs.',
  ],
  ATLAS_INVALID_LDAP_NAME: [
    400,
    'The distinguished name specified in the username field, %s, is not valid according to RFC 2253.',
  ],
  ATLAS_X509_USER_CANNOT_BE_TEMPORARY: [400, 'X.509 users cannot be temporary.'],
  ATLAS_X509_USER_CANNOT_USE_LDAP: [400, 'Users cannot be configured for X.509 and LDAP authentication.'],
  ATLAS_X509_USER_CANNOT_USE_SCRAM: [400, 'Users cannot be configured for SCRAM and X.509 authentication.'],
  MULTIPLE_AUTH_TYPES: [400, 'A database user can use only one authentication method; %s were specified.'],
  ATLAS_INVALID_ROLE: [400, 'The specified role %s@%s does not exist.'],
  ATLAS_INVALID_ROLE_DATABASE: [400, 'The specified role %s only exists for database %s.'],
  ATLAS_RESTRICTED_ROLE: [400, 'The specified role %s@%s is restricted.'],
  DUPLICATE_DATABASE_ROLES: [400, 'Duplicate database roles specified for user %s: %s.'],
  INVALID_DELETE_AFTER_DATE: [400, 'The deleteAfterDate %s must be in the future and within one week.'],
  // custom database roles
  ATLAS_CUSTOM_ROLE_NOT_FOUND: [404, 'The specified custom db role %s does not exist.'],
  ATLAS_CUSTOM_ROLE_NAME_ALREADY_EXISTS: [409, 'A custom role with the name %s already exists.'],
  ATLAS_CUSTOM_ROLE_INVALID_NAME: [
    400,
    'The role name, "%s", is invalid. A custom role name must be a non-empty string made up of only ASCII letters, numbers, hyphens, and underscores, and should begin with a letter or number.',
  ],
  ATLAS_RESERVED_CUSTOM_ROLE_RESTRICTED: [
    400,
    'Cannot create custom role %s because the prefix "xgen-" is reserved for built-in roles.',
  ],
  ATLAS_INVALID_CUSTOM_ROLE_RESTRICTED: [
    400,
    'Cannot create custom role %s because a built-in role with that name already exists.',
  ],
  ATLAS_CUSTOM_ROLE_HAS_NO_PERMISSIONS: [
    400,
    'Custom roles must have one or more user privilege actions or inherited roles.',
  ],
  ATLAS_DUPLICATE_CUSTOM_ROLE_ACTION: [400, 'A custom role cannot have duplicate actions.'],
  ATLAS_DUPLICATE_CUSTOM_ROLE_RESOURCE: [
    400,
    'A custom role cannot have duplicate resources applied to the same action.',
  ],
  ATLAS_INVALID_RESOURCE: [400, 'One or more of the selected actions was applied to an incorrect resource.'],
  ATLAS_INVALID_CUSTOM_ROLE_INHERITANCE: [400, 'One or more of the specified inherited roles do not exist.'],
  ATLAS_INVALID_CUSTOM_ROLE_INHERITED_SCOPE: [
    400,
    'One or more of the specified inherited roles have an invalid scope.',
  ],
  ATLAS_INVALID_CUSTOM_ROLE_SELF_REFERENTIAL: [400, 'A custom DB role cannot inherit from itself.'],
  ATLAS_INVALID_CUSTOM_ROLE_CIRCULAR_DEPENDENCY: [
    400,
    'One or more of the specified inherited roles creates a circular dependency.',
  ],
  CUSTOM_ROLES_LIMIT_EXCEEDED: [403, 'Exceeded maximum number of custom roles.'],
  ATLAS_CUSTOM_ROLE_IN_USE_BY_USERS: [
    409,
    'Deleting specified custom role would leave the following users without a role: %s.',
  ],
  ATLAS_CUSTOM_ROLE_IN_USE_BY_ROLES: [
    409,
    'Deleting specified custom role would leave the following roles with no actions or inherited roles: %s.',
  ],
  // certificates
  USER_NOT_MANAGED_X509: [400, 'The user does not have managed mode X.509 enabled.'],
  CANNOT_GENERATE_CERT_IF_ADVANCED_X509: [400, 'The user cannot create managed X.509 certs if advanced mode is on.'],
  CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS: [
    400,
    'Atlas-generated X.509 certificates have a maximum expiration of 24 months.',
  ],
  ATLAS_GENERATED_CERTS_LIMIT_EXCEEDED: [400, 'The limit on generated certificates per user has been reached.'],
  // API keys, access lists, organizations
  API_KEY_NOT_FOUND: [404, 'No API key with ID %s exists.'],
  INVALID_API_KEY_ID: [404, 'An invalid API key ID %s was specified.'],
  INVALID_ORG_ID: [404, 'An invalid organization ID %s was specified.'],
  INVALID_ROLE_FOR_ORG: [400, 'The role %s is not an organization role.'],
  INVALID_ROLE_FOR_GROUP: [400, 'The role %s is not a project role.'],
  INVALID_IP_ADDRESS_OR_CIDR_NOTATION: [400, 'The address %s must be in valid IP address or CIDR notation.'],
  ACCESS_LIST_ENTRY_NOT_FOUND: [404, 'IP address %s not on the access list for API key %s.'],
  DUPLICATE_ACCESS_LIST_ENTRY: [409, 'The access list entry %s already exists for API key %s.'],
  API_KEY_NOT_IN_GROUP: [404, 'The API key %s is not assigned to group %s.'],
  API_KEY_ROLE_ASSIGNMENT_MISSING_ID: [400, 'API key role assignments must include an org or group id.'],
  EVENT_NOT_FOUND: [404, 'No event with ID %s exists for group %s.'],
  ORG_EVENT_NOT_FOUND: [404, 'No event with ID %s exists for organization %s.'],
  INVALID_EVENT_ID: [404, 'An invalid event ID %s was specified.'],
  INVALID_DATE_RANGE: [
    400,
    "An invalid date range minDate=%s, maxDate=%s was specified: maxDate shouldn't be earlier than minDate.",
  ],
  IP_ADDRESS_NOT_ON_ACCESS_LIST: [403, 'IP address %s is not allowed to access this resource.'],
  RESOURCE_REQUIRES_ACCESS_LIST: [403, 'This resource requires access through an access list of ip ranges.'],
  RATE_LIMITED_TOKEN_BUCKET: [
    429,
    'Rate limit exceeded for %s. Please retry after %d seconds. Request capacity: %d. Refill rate: %d per %d seconds.',
  ],
  // service accounts
  SERVICE_ACCOUNT_NOT_FOUND: [404, 'No service account with client ID %s exists.'],
  INVALID_SERVICE_ACCOUNT_CLIENT_ID: [404, 'An invalid service account client ID %s was specified.'],
  SERVICE_ACCOUNT_SECRET_NOT_FOUND: [404, 'No secret with ID %s exists for this service account.'],
  INVALID_SECRET_EXPIRATION: [400, 'secretExpiresAfterHours must be between %d and %d.'],
  // customer-managed X.509, revocation, CSRs
  EXPIRED_X509_CA_CERTIFICATE: [400, 'The X.509 CA certificate has expired.'],
  INVALID_X509_CA_CERTIFICATE: [400, 'The X.509 CA bundle is not valid: %s.'],
  INVALID_CERTIFICATE_SIGNING_REQUEST: [400, 'The certificate signing request is not valid: %s.'],
  INVALID_REVOCATION_REASON: [400, 'The revocation reason %s is not one of %s.'],
  CERTIFICATE_ALREADY_REVOKED: [409, 'Certificate %s is already revoked.'],
  INVALID_CERTIFICATE_SERIAL: [404, 'An invalid certificate serial number %s was specified.'],
  CA_ROTATION_CONFLICT: [409, 'The project CA changed while it was being rotated; retry.'],
  MANAGED_X509_CA_NOT_FOUND: [
    404,
    'Project %s has no Atlas-managed X.509 CA yet: it is created when its first certificate is issued.',
  ],
  LDAP_NOT_SUPPORTED: [400, 'LDAP authentication and authorization are not supported by this server.'],
  INVALID_WEBHOOK_URL: [400, 'The webhook URL %s must be an absolute http or https URL.'],
  // authentication and authorisation
  USER_UNAUTHORIZED: [401, 'Current user is not authorized to perform this action.'],
  NOT_ORG_GROUP_CREATOR: [401, 'The currently logged in user does not have the group creator role in organization %s.'],
  // The web console's session writes (a dbcerts code): the X-CSRF-Token header is missing or wrong,
  // or the request came from another origin.
  CSRF_TOKEN_INVALID: [
    403,
    'The request carries no valid CSRF token for its console session, or comes from another origin.',
  ],
  // versions
  INVALID_VERSION_DATE: [406, 'Invalid accept header or version date.'],
  // server
  SERVICE_UNAVAILABLE: [503, 'The service is temporarily unavailable. Please retry later.'],
  UNEXPECTED_ERROR: [500, 'Unexpected error.'],
} as const satisfies Record<string, readonly [number, string]>;

export type AtlasErrorCode = keyof typeof ATLAS_ERRORS;
export type ErrorParameter = string | number;

export interface FieldViolation {
  description: string;
  field: string;
}

export interface AtlasErrorBody {
  badRequestDetail?: { fields: FieldViolation[] };
  detail: string;
  error: number;
  errorCode: string;
  parameters: ErrorParameter[];
  reason: string;
}

function fillTemplate(template: string, parameters: readonly ErrorParameter[]): string {
  let next = 0;
  return template.replace(/%[sd]/g, (placeholder) => {
    const value = parameters[next++];
    return value === undefined ? placeholder : String(value);
  });
}

/** A failure that is the client's to fix (or a known server state) and has an Atlas answer. */
export class AtlasError extends Error {
  readonly status: number;
  readonly errorCode: AtlasErrorCode;
  readonly parameters: ErrorParameter[];
  /** Which fields of a request body were wrong, for Atlas v2's `badRequestDetail`. */
  fieldViolations?: FieldViolation[];

  constructor(errorCode: AtlasErrorCode, ...parameters: ErrorParameter[]) {
    const [status, template] = ATLAS_ERRORS[errorCode];
    super(fillTemplate(template, parameters));
    this.name = 'AtlasError';
    this.status = status;
    this.errorCode = errorCode;
    this.parameters = parameters;
  }

  /** The body; Atlas v2 adds `badRequestDetail` to a 400 that knows its wrong fields. */
  toBody(withFieldViolations = false): AtlasErrorBody {
    const violations = withFieldViolations && this.status === 400 ? this.fieldViolations : undefined;
    return {
      ...(violations && violations.length > 0 ? { badRequestDetail: { fields: violations } } : {}),
      detail: this.message,
      error: this.status,
      errorCode: this.errorCode,
      parameters: this.parameters,
      reason: reasonPhrase(this.status),
    };
  }
}

export function isAtlasError(value: unknown): value is AtlasError {
  return value instanceof AtlasError;
}
