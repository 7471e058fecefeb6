import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Authority } from '../../authority/authority.js';
import { RateLimitedError } from '../../authority/rate-limits.js';
import type { Operation } from '../../authority/required-roles.js';
import type { DeclaredOperation } from '../operations.js';
import { templatePattern } from '../route-templates.js';
import { toAtlasError } from './atlas-conventions.js';
import type { ApiVersion } from './versioned-media-types.js';

export interface AtlasRoute {
  method: string;
  url: string;
  operation: Operation;
  /** The OpenAPI operation id, where several routes perform one operation. */
  operationId?: string;
  /** Its resource versions under v2 (meaningful for v2 routes only). */
  versions: readonly ApiVersion[];
  /** dbcerts' own, not Atlas'. */
  extension: boolean;
  /** The declaration the route serves. */
  declared: DeclaredOperation;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every /api/atlas route with the declaration it serves. */
    atlasRoutes: AtlasRoute[];
    /** The methods the /api/atlas routes serve on a path (as requested, without its query). */
    methodsServedAt(path: string): string[];
  }
}

export interface GuardRailsOptions {
  authority: Authority;
  protectedPrefix: string;
}

/**
 * What surrounds every authenticated operation: each /api/atlas route must serve a
 * declared operation (src/api/operations.ts, checked when routes are added, so none slips
 * through without its REQUIRED_ROLES entry);
 * responses carry Atlas' RateLimit headers; refused requests are put on record.
 */
async function guardRails(app: FastifyInstance, options: GuardRailsOptions): Promise<void> {
  const routes: AtlasRoute[] = [];
  app.decorate('atlasRoutes', routes);
  let patterns: Array<{ method: string; pattern: RegExp }> | undefined;
  app.decorate('methodsServedAt', (path: string) => {
    patterns ??= routes.map((route) => ({ method: route.method, pattern: templatePattern(route.url) }));
    const methods = patterns.filter(({ pattern }) => pattern.test(path)).map(({ method }) => method);
    return [...new Set(methods)].sort();
  });

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(options.protectedPrefix)) return;
    const declared = route.config?.declared;
    if (declared === undefined) {
      throw new Error(`route ${route.method} ${route.url} serves no declared operation (src/api/operations.ts)`);
    }
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({
        method,
        url: route.url,
        operation: declared.operation,
        versions: declared.versions,
        ...(declared.operationId !== undefined ? { operationId: declared.operationId } : {}),
        extension: declared.extension,
        declared,
      });
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const usage = request.principal?.rateLimit;
    if (usage && !reply.hasHeader('ratelimit-limit')) {
      reply.header('RateLimit-Limit', usage.limit).header('RateLimit-Remaining', usage.remaining);
    }
    return payload;
  });

  app.addHook('onError', async (request, reply, error: FastifyError) => {
    if (error instanceof RateLimitedError) {
      reply
        .header('Retry-After', error.retryAfterSeconds)
        .header('RateLimit-Limit', error.policy.capacity)
        .header('RateLimit-Remaining', 0);
    }
    const principal = request.principal;
    if (!principal) return;
    const refusal = toAtlasError(error, request);
    if (!refusal || refusal.status >= 500) return;
    const isWrite = !['GET', 'HEAD', 'OPTIONS'].includes(request.method);
    if (!isWrite && refusal.status !== 401 && refusal.status !== 403) return;
    const groupId = (request.params as { groupId?: unknown } | undefined)?.groupId;
    try {
      await options.authority.events.recordRefusal(principal, {
        method: request.method,
        path: request.url.split('?')[0] ?? request.url,
        status: refusal.status,
        errorCode: refusal.errorCode,
        ...(typeof groupId === 'string' ? { groupId } : {}),
      });
    } catch (recordError) {
      request.log.error({ err: recordError }, 'could not record a refused request in the audit trail');
    }
  });
}

export default fp(guardRails, { name: 'dbcerts-guard-rails' });
