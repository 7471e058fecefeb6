import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AtlasError } from '../../domain/errors.js';

/** The versions of the resources dbcerts serves: each has one, Atlas' 2023-01-01. */
export const RESOURCE_VERSIONS = ['2023-01-01'] as const;

const VERSIONED = /^application\/vnd\.atlas\.(\d{4})-(\d{2})-(\d{2})\+json$/;

function realDate(year: string, month: string, day: string): string | undefined {
  const text = `${year}-${month}-${day}`;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text) ? text : undefined;
}

/**
 * The version an `Accept` header asks for: the newest resource version dated on or
 * before the date it names (Atlas' rule), or undefined when it names none that exists.
 */
export function negotiateVersion(accept: string | undefined): string | undefined {
  if (!accept) return undefined;
  for (const range of accept.split(',')) {
    const mediaType = range.split(';')[0]!.trim().toLowerCase();
    const match = VERSIONED.exec(mediaType);
    if (!match) continue;
    const asked = realDate(match[1]!, match[2]!, match[3]!);
    if (!asked) continue;
    const chosen = [...RESOURCE_VERSIONS].reverse().find((version) => version <= asked);
    if (chosen) return chosen;
  }
  return undefined;
}

export function versionedMediaType(version: string): string {
  return `application/vnd.atlas.${version}+json`;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The resource version negotiated for a v2 request. */
    atlasVersion?: string;
  }
}

/**
 * Atlas v2's dialect over the same handlers: the `Accept` header must name a version
 * date (406 INVALID_VERSION_DATE otherwise, after authentication), and successful JSON
 * answers — the raw PEM of POST certs included — carry the chosen versioned media type.
 * Errors stay application/json.
 */
async function versionedMediaTypes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const version = negotiateVersion(request.headers.accept);
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
