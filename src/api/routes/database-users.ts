import type { Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { DatabaseUserPatch, NewDatabaseUser } from '../../authority/database-users.js';
import type { DatabaseUser } from '../../domain/database-user.js';
import { AtlasError } from '../../domain/errors.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { type ApiContext, pageRequest, resourceUrl, sendPage } from '../context.js';
import { selfLink } from '../links.js';
import { defineOperation, defineResource } from '../operations.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { EnvelopeQuery, GroupIdParams, PageQuery, NoContent } from '../schemas/common.js';
import {
  CloudDatabaseUser,
  DatabaseUserCreate,
  DatabaseUserParams,
  DatabaseUserPatch as DatabaseUserPatchSchema,
  PaginatedDatabaseUser,
} from '../schemas/database-users.js';

function userView(context: ApiContext, request: FastifyRequest, user: DatabaseUser): Static<typeof CloudDatabaseUser> {
  return {
    awsIAMType: user.awsIAMType,
    databaseName: user.databaseName,
    deleteAfterDate: user.deleteAfterDate && formatAtlasDate(user.deleteAfterDate),
    description: user.description,
    groupId: user.groupId,
    labels: user.labels,
    ldapAuthType: user.ldapAuthType,
    links: [
      selfLink(
        resourceUrl(context, request, 'groups', user.groupId, 'databaseUsers', user.databaseName, user.username),
      ),
    ],
    oidcAuthType: user.oidcAuthType,
    roles: user.roles,
    scopes: user.scopes,
    username: user.username,
    x509Type: user.x509Type,
  };
}

type PatchBody = Static<typeof DatabaseUserPatchSchema>;

/** The body's fields in domain form; only the fields the client sent. */
function patchFromBody(body: PatchBody): DatabaseUserPatch {
  const { deleteAfterDate, groupId, ...rest } = body;
  const patch: DatabaseUserPatch = { ...rest };
  // The Go SDK sends its zero value, "", for a groupId the caller did not set.
  if (groupId !== undefined && groupId !== '') patch.groupId = groupId;
  if (deleteAfterDate !== undefined) {
    const instant = new Date(deleteAfterDate);
    // RFC 3339 allows a leap second (…T23:59:60Z) that no JavaScript date can hold.
    if (Number.isNaN(instant.getTime())) throw new AtlasError('INVALID_ATTRIBUTE', 'deleteAfterDate');
    patch.deleteAfterDate = instant;
  }
  return patch;
}

/** A create body with Atlas' defaults applied. */
function newUserFromBody(body: Static<typeof DatabaseUserCreate>): NewDatabaseUser {
  return {
    databaseName: 'admin',
    x509Type: 'NONE',
    awsIAMType: 'NONE',
    ldapAuthType: 'NONE',
    oidcAuthType: 'NONE',
    scopes: [],
    labels: [],
    ...(patchFromBody(body) as Required<Pick<NewDatabaseUser, 'username' | 'roles'>>),
  };
}

const USERS = '/groups/:groupId/databaseUsers';
const USER = `${USERS}/:databaseName/:username`;

/** Database users: `/groups/{groupId}/databaseUsers[/{databaseName}/{username}]`. */
const DATABASE_USER_OPERATIONS = {
  list: defineOperation({
    method: 'GET',
    path: USERS,
    operation: 'listDatabaseUsers',
    summary: "The project's database users",
    success: 200,
    schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: PaginatedDatabaseUser } },
  }),
  create: defineOperation({
    method: 'POST',
    path: USERS,
    operation: 'createDatabaseUser',
    summary: 'Create a database user',
    success: 201,
    schema: {
      params: GroupIdParams,
      querystring: EnvelopeQuery,
      body: DatabaseUserCreate,
      response: { 201: CloudDatabaseUser },
    },
  }),
  get: defineOperation({
    method: 'GET',
    path: USER,
    operation: 'getDatabaseUser',
    summary: 'One database user',
    success: 200,
    schema: { params: DatabaseUserParams, querystring: EnvelopeQuery, response: { 200: CloudDatabaseUser } },
  }),
  update: defineOperation({
    method: 'PATCH',
    path: USER,
    operation: 'updateDatabaseUser',
    summary: 'Change the members sent of a database user',
    success: 200,
    schema: {
      params: DatabaseUserParams,
      querystring: EnvelopeQuery,
      body: DatabaseUserPatchSchema,
      response: { 200: CloudDatabaseUser },
    },
  }),
  delete: defineOperation({
    method: 'DELETE',
    path: USER,
    operation: 'deleteDatabaseUser',
    summary: 'Delete a database user (its certificates are revoked)',
    success: 204,
    schema: { params: DatabaseUserParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
};

export const databaseUserRoutes = defineResource(DATABASE_USER_OPERATIONS, (context) => {
  const { databaseUsers } = context.authority;
  return {
    list: async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await databaseUsers.list(request.principal, request.params.groupId, page);
      return sendPage(context, request, reply, page, result, (user) => userView(context, request, user));
    },
    create: async (request, reply) => {
      const user = await databaseUsers.create(request.principal, request.params.groupId, newUserFromBody(request.body));
      return sendAtlas(request, reply, 201, userView(context, request, user));
    },
    get: async (request, reply) => {
      const { groupId, databaseName, username } = request.params;
      const user = await databaseUsers.get(request.principal, groupId, databaseName, username);
      return sendAtlas(request, reply, 200, userView(context, request, user));
    },
    update: async (request, reply) => {
      const { groupId, databaseName, username } = request.params;
      const user = await databaseUsers.update(
        request.principal,
        groupId,
        databaseName,
        username,
        patchFromBody(request.body),
      );
      return sendAtlas(request, reply, 200, userView(context, request, user));
    },
    delete: async (request, reply) => {
      const { groupId, databaseName, username } = request.params;
      await databaseUsers.delete(request.principal, groupId, databaseName, username);
      return reply.code(204).send(null);
    },
  };
});
