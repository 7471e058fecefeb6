import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authority } from '../authority/authority.js';
import { DEFAULT_ITEMS_PER_PAGE, type Page, type PagePosition, type PageRequest } from '../domain/pagination.js';
import { baseUrl, encodePathSegment, listLinks } from './links.js';
import { toJson } from './json.js';
import { queryFlag, sendAtlas } from './plugins/atlas-conventions.js';

/** What every resource plugin is given. */
export interface ApiContext {
  authority: Authority;
  /** Overrides the origin of `links` (e.g. behind a proxy); else each request's own. */
  publicUrl?: string | undefined;
  /** The version prefix the plugin is mounted under, e.g. `/api/atlas/v1.0`. */
  versionPrefix: string;
}

/** The absolute URL of a resource, for its `self` link. */
export function resourceUrl(context: ApiContext, request: FastifyRequest, ...segments: string[]): string {
  return `${baseUrl(request, context.publicUrl)}${context.versionPrefix}/${segments.map(encodePathSegment).join('/')}`;
}

export interface PageQueryValues {
  pageNum?: number;
  itemsPerPage?: number;
  includeCount?: boolean;
}

export function pageRequest(query: PageQueryValues): PageRequest {
  return {
    pageNum: query.pageNum ?? 1,
    itemsPerPage: query.itemsPerPage ?? DEFAULT_ITEMS_PER_PAGE,
    includeCount: query.includeCount ?? true,
  };
}

/** Sends one page of a list in Atlas' shape: `{links, results, totalCount}`. */
export function sendPage<T>(
  context: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  page: PageRequest,
  result: Page<T>,
  view: (item: T) => unknown,
  status = 200,
): FastifyReply {
  const body = {
    links: listLinks(request, context.publicUrl, result, page),
    results: result.items.map(view),
    totalCount: result.totalCount,
  };
  return sendAtlas(request, reply, status, body, 'list');
}

/**
 * The same page as `sendPage`, for a list whose results are already JSON text (written
 * from rows, without an object per item): the members in the order the schema
 * serialiser writes them, `status` before `totalCount` with `envelope=true`.
 */
export function sendPageJson(
  context: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  page: PageRequest,
  result: PagePosition,
  resultsJson: string,
  status = 200,
): FastifyReply {
  const links = toJson(listLinks(request, context.publicUrl, result, page));
  const enveloped = queryFlag(request, 'envelope') ? `,"status":${status}` : '';
  const count = result.totalCount === undefined ? '' : `,"totalCount":${result.totalCount}`;
  return reply
    .code(status)
    .type('application/json')
    .send(`{"links":${links},"results":${resultsJson}${enveloped}${count}}`);
}
