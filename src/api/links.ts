import type { FastifyRequest } from 'fastify';
import type { PagePosition, PageRequest } from '../domain/pagination.js';

export interface Link {
  href: string;
  rel: string;
}

/**
 * Percent-encodes one path segment. RFC 3986 allows sub-delimiters in a segment, so
 * `$external` and DN usernames (`CN=a,OU=b`) stay readable, as in Atlas' own links.
 */
export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(24|26|2B|2C|3B|3D|3A|40)/g, (_match, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/** The origin links point at: the configured public URL, else the request's own. */
export function baseUrl(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

export function selfLink(href: string): Link {
  return { href, rel: 'self' };
}

/**
 * A list's links: `self` always, `previous` and `next` where those pages exist. Each
 * href keeps the request's own query as sent and appends `pageNum` and `itemsPerPage`
 * (Atlas: `…/certs?pretty=true&pageNum=1&itemsPerPage=100`).
 */
export function listLinks(
  request: FastifyRequest,
  publicUrl: string | undefined,
  page: PagePosition,
  { pageNum, itemsPerPage }: PageRequest,
): Link[] {
  const queryStart = request.url.indexOf('?');
  const path = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : request.url.slice(queryStart + 1);
  const kept = rawQuery
    .split('&')
    .filter((pair) => pair !== '' && !/^(pageNum|itemsPerPage)(=|$)/.test(pair))
    .join('&');
  const prefix = `${baseUrl(request, publicUrl)}${path}?${kept === '' ? '' : `${kept}&`}`;
  const hrefFor = (target: number) => `${prefix}pageNum=${target}&itemsPerPage=${itemsPerPage}`;
  const links: Link[] = [{ href: hrefFor(pageNum), rel: 'self' }];
  if (page.hasPrevious) links.push({ href: hrefFor(pageNum - 1), rel: 'previous' });
  if (page.hasNext) links.push({ href: hrefFor(pageNum + 1), rel: 'next' });
  return links;
}
