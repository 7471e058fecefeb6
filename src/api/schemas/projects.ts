import { Type } from '@sinclair/typebox';
import { Link, ObjectIdString, Paginated } from './common.js';

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
