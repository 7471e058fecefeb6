import { Type } from '@sinclair/typebox';
import { Link, ObjectIdString, PageQuery, Paginated, ReadOnly } from './common.js';

export const ResourceTag = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 255 }),
    value: Type.String({ minLength: 1, maxLength: 255 }),
  },
  { additionalProperties: false },
);

export const Group = Type.Object({
  clusterCount: Type.Integer(),
  created: Type.String({ format: 'date-time' }),
  id: ObjectIdString,
  links: Type.Array(Link),
  name: Type.String(),
  orgId: ObjectIdString,
  tags: Type.Array(ResourceTag),
});

export const PaginatedGroup = Paginated(Group);

/** POST /groups: the writable fields of Group; the read-only ones are refused like unknown ones. */
export const GroupCreate = Type.Object(
  {
    name: Type.String(),
    orgId: Type.Optional(Type.String()),
    regionUsageRestrictions: Type.Optional(Type.String()),
    tags: Type.Optional(Type.Array(ResourceTag)),
    withDefaultAlertsSettings: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const GroupCreateQuery = Type.Object({
  envelope: Type.Optional(Type.Boolean({ default: false })),
  pretty: Type.Optional(Type.Boolean({ default: false })),
  projectOwnerId: Type.Optional(Type.String({ pattern: '^([a-f0-9]{24})$' })),
});

/**
 * PATCH /groups/{groupId}: Atlas' GroupUpdate (`name`, `tags`, `withDefaultAlertsSettings`),
 * plus what a client read with GET and sends back: the read-only members, and `id` and
 * `orgId`, which must be the project's own.
 */
export const GroupUpdate = Type.Object(
  {
    clusterCount: ReadOnly(Type.Integer()),
    created: ReadOnly(Type.String({ format: 'date-time' })),
    id: Type.Optional(ObjectIdString),
    links: ReadOnly(Type.Array(Link)),
    name: Type.Optional(Type.String()),
    orgId: Type.Optional(ObjectIdString),
    tags: Type.Optional(Type.Array(ResourceTag)),
    withDefaultAlertsSettings: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const GroupNameParams = Type.Object({ groupName: Type.String() });

/** The project lists of an organization take Atlas' `name` prefix filter. */
export const GroupListQuery = Type.Object({ ...PageQuery.properties, name: Type.Optional(Type.String()) });

const settingFlags = {
  isCollectDatabaseSpecificsStatisticsEnabled: Type.Boolean(),
  isDataExplorerEnabled: Type.Boolean(),
  isDataExplorerGenAIFeaturesEnabled: Type.Boolean(),
  isDataExplorerGenAISampleDocumentPassingEnabled: Type.Boolean(),
  isExtendedStorageSizesEnabled: Type.Boolean(),
  isPerformanceAdvisorEnabled: Type.Boolean(),
  isRealtimePerformancePanelEnabled: Type.Boolean(),
  isSchemaAdvisorEnabled: Type.Boolean(),
};

/** Atlas' GroupSettings: every flag, always. */
export const GroupSettings = Type.Object(settingFlags);

/** PATCH /groups/{groupId}/settings: any of the flags; the others keep their values. */
export const GroupSettingsUpdate = Type.Partial(Type.Object(settingFlags), { additionalProperties: false });

/** One project limit (Atlas' DataFederationLimit / DefaultLimit members for a count limit). */
export const ProjectLimit = Type.Object({
  currentUsage: Type.Integer(),
  defaultLimit: Type.Integer(),
  maximumLimit: Type.Integer(),
  name: Type.String(),
  value: Type.Integer(),
});

export const ProjectLimits = Type.Array(ProjectLimit);

export const ProjectLimitParams = Type.Object({ groupId: Type.String(), limitName: Type.String() });

/**
 * PATCH /groups/{groupId}/limits/{limitName}: `value`, with what a client read sent back
 * (`name` must be the path's). `overrunPolicy` is for Data Federation limits only.
 */
export const ProjectLimitUpdate = Type.Object(
  {
    currentUsage: ReadOnly(Type.Integer()),
    defaultLimit: ReadOnly(Type.Integer()),
    lastModifiedDate: ReadOnly(Type.String({ format: 'date-time' })),
    maximumLimit: ReadOnly(Type.Integer()),
    name: Type.Optional(Type.String()),
    value: Type.Integer(),
  },
  { additionalProperties: false },
);

/** Atlas' TeamRole: a team and its roles in the project. */
const TeamRole = Type.Object({
  links: Type.Array(Link),
  roleNames: Type.Array(Type.String()),
  teamId: ObjectIdString,
});

export const PaginatedTeamRole = Paginated(TeamRole);

/** Atlas' GroupIPAddresses: the addresses of the project's clusters. */
export const GroupIPAddresses = Type.Object({
  groupId: ObjectIdString,
  services: Type.Object({
    clusters: Type.Array(
      Type.Object({
        clusterName: Type.String(),
        inbound: Type.Array(Type.String()),
        outbound: Type.Array(Type.String()),
      }),
    ),
  }),
});

/** GET /groups/{groupId}/managedSlowMs: whether the managed slow operation threshold is on. */
export const ManagedSlowMs = Type.Boolean();
