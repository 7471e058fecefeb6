import type { FastifyRequest } from 'fastify';

/**
 * The HTTP side of web console sessions, shared by the session routes and the
 * authentication of /api/atlas requests: the cookie, and the same-origin checks that
 * keep another site from using a signed-in browser.
 */

const SESSION_COOKIE = 'dbcerts_session';
const CSRF_HEADER = 'x-csrf-token';
/** Sent by the console's own calls, so that a call after the session ended elsewhere is never challenged. */
const CONSOLE_HEADER = 'x-dbcerts-console';

/**
 * The session id the request's cookies carry, or undefined. Two different values (a
 * cookie planted for a path or a parent domain beside the real one) are ambiguous and
 * authenticate nothing.
 */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  const values = new Set<string>();
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1 || pair.slice(0, equals).trim() !== SESSION_COOKIE) continue;
    values.add(pair.slice(equals + 1).trim());
  }
  return values.size === 1 ? [...values][0] : undefined;
}

/**
 * True when the request carries a session cookie at all, valid or not: it comes from a
 * browser that has used the console, which must not be shown the Digest password prompt.
 */
export function carriesSessionCookie(request: FastifyRequest): boolean {
  const header = request.headers.cookie;
  if (!header) return false;
  return header.split(';').some((pair) => {
    const equals = pair.indexOf('=');
    return equals !== -1 && pair.slice(0, equals).trim() === SESSION_COOKIE;
  });
}

/**
 * True when the request comes from the console's script: after a sign-out in another tab
 * it carries no cookie any more, and a Digest challenge would make the browser prompt.
 */
export function comesFromConsoleScript(request: FastifyRequest): boolean {
  return request.headers[CONSOLE_HEADER] !== undefined;
}

/** `Secure` only over HTTPS (directly, or as a trusted proxy reports it). */
function attributes(request: FastifyRequest): string {
  return `HttpOnly; SameSite=Strict; Path=/${request.protocol === 'https' ? '; Secure' : ''}`;
}

/** A cookie for the browser's session only (no Max-Age): the server enforces the timeouts. */
export function sessionCookie(request: FastifyRequest, sessionId: string): string {
  return `${SESSION_COOKIE}=${sessionId}; ${attributes(request)}`;
}

export function clearedSessionCookie(request: FastifyRequest): string {
  return `${SESSION_COOKIE}=; ${attributes(request)}; Max-Age=0`;
}

/** This server's origin as the browser sees it (`--public-url`'s, if set, counts too). */
function ownOrigins(request: FastifyRequest, publicUrl: string | undefined): string[] {
  const origins = [`${request.protocol}://${request.host}`.toLowerCase()];
  if (publicUrl) {
    try {
      origins.push(new URL(publicUrl).origin.toLowerCase());
    } catch {
      // A malformed public URL names no origin.
    }
  }
  return origins;
}

/**
 * True when the browser says the request comes from another site: an `Origin` header
 * that is not this server's, or `Sec-Fetch-Site` naming another site. Requests without
 * either header (non-browser clients, older browsers on GET) are not judged here; the
 * CSRF token is what every write must carry.
 */
export function comesFromAnotherOrigin(request: FastifyRequest, publicUrl: string | undefined): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  return !ownOrigins(request, publicUrl).includes(origin.toLowerCase());
}

/** The value of the CSRF header, if sent once. */
export function presentedCsrfToken(request: FastifyRequest): string | undefined {
  const value = request.headers[CSRF_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/** Reads are never refused for their CSRF token: they change nothing. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}
