import { Type } from '@sinclair/typebox';
import { Link, PageQuery, Paginated } from './common.js';

export const AtlasOrganization = Type.Object({
  id: Type.String(),
  isDeleted: Type.Boolean(),
  links: Type.Array(Link),
  name: Type.String(),
});

export const PaginatedOrganization = Paginated(AtlasOrganization);

export const OrganizationSettings = Type.Object({ apiAccessListRequired: Type.Boolean() });

export const OrganizationSettingsUpdate = Type.Object(
  { apiAccessListRequired: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

export const OrgIdParams = Type.Object({ orgId: Type.String() });

/** GET /orgs takes Atlas' `name` filter: organizations whose name starts with it, ignoring case. */
export const OrganizationListQuery = Type.Object({ ...PageQuery.properties, name: Type.Optional(Type.String()) });
