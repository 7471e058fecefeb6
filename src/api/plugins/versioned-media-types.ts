import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AtlasError } from '../../domain/errors.js';

/**
 * A resource version of Atlas v2, `YYYY-MM-DD`. Atlas versions each operation on its own:
 * most of what dbcerts serves has only the first release, 2023-01-01 (the v1.0
 * contract); service accounts exist only as 2024-08-05.
 */
export type ApiVersion = '2023-01-01' | '2024-08-05';

/** The versions of an operation that declares none. */
export const DEFAULT_VERSIONS: readonly ApiVersion[] = ['2023-01-01'];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The resource versions the operation has under v2, oldest first (default: DEFAULT_VERSIONS). */
    versions?: readonly ApiVersion[];
  }
  interface FastifyRequest {
    /** The resource version negotiated for a v2 request. */
    atlasVersion?: ApiVersion;
  }
}

const VERSIONED = /^application\/vnd\.atlas\.(\d{4})-(\d{2})-(\d{2})\+json$/;

function realDate(year: string, month: string, day: string): string | undefined {
  const text = `${year}-${month}-${day}`;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text) ? text : undefined;
}

/**
 * The version of an operation an `Accept` header asks for: the newest of `versions` dated
 * on or before the date it names (Atlas' rule), or undefined when it names none that
 * exists. In a list of media types the first versioned one that resolves wins.
 */
export function negotiateVersion(accept: string | undefined, versions: readonly ApiVersion[]): ApiVersion | undefined {
  if (!accept) return undefined;
  for (const range of accept.split(',')) {
    const mediaType = range.split(';')[0]!.trim().toLowerCase();
    const match = VERSIONED.exec(mediaType);
    if (!match) continue;
    const asked = realDate(match[1]!, match[2]!, match[3]!);
    if (!asked) continue;
    const chosen = [...versions].reverse().find((version) => version <= asked);
    if (chosen) return chosen;
  }
  return undefined;
}

export function versionedMediaType(version: ApiVersion): string {
  return `application/vnd.atlas.${version}+json`;
}

/**
 * Atlas v2's dialect over the same handlers: the `Accept` header must name a version
 * date that resolves to a version of the route's operation (406 INVALID_VERSION_DATE
 * otherwise, after authentication), and successful JSON answers — the raw PEM of POST
 * certs included — carry the chosen versioned media type. Errors stay application/json.
 * No operation dbcerts serves has a deprecated version in Atlas' specification, so no
 * answer carries `Deprecation` or `Sunset` (docs/compatibility.md).
 */
async function versionedMediaTypes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const version = negotiateVersion(request.headers.accept, request.routeOptions.config.versions ?? DEFAULT_VERSIONS);
    if (!version) throw new AtlasError('INVALID_VERSION_DATE');
    request.atlasVersion = version;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.atlasVersion || reply.statusCode >= 400) return payload;
    const type = String(reply.getHeader('content-type') ?? '');
    if (type === '' || type.startsWith('application/json'))
      reply.header('content-type', versionedMediaType(request.atlasVersion));
    return payload;
  });
}

export default fp(versionedMediaTypes, { name: 'dbcerts-versioned-media-types' });
