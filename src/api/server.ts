import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import fastJsonStringify, { type Schema } from 'fast-json-stringify';
import { AggregatorRegistry } from 'prom-client';
import type { Authority } from '../authority/authority.js';
import type { BucketPolicy } from '../domain/rate-limit.js';
import type { ApiContext } from './context.js';
import { AtlasError } from '../domain/errors.js';
import atlasConventions, { sendError } from './plugins/atlas-conventions.js';
import backgroundJobs from './plugins/background-jobs.js';
import { Metrics, registerStoreMetrics } from './metrics.js';
import digestAuth from './plugins/digest-auth.js';
import versionedMediaTypes from './plugins/versioned-media-types.js';
import { registerOpenApi } from './openapi.js';
import guardRails from './plugins/guard-rails.js';
import { readOnlyMemberDropper } from './read-only-members.js';
import { oauthRoutes } from './routes/oauth.js';
import { ATLAS_RESOURCES, V2_ONLY_RESOURCES } from './resources.js';
import { consoleRoutes } from './console/routes.js';

export const ATLAS_V1_PREFIX = '/api/atlas/v1.0';
const ATLAS_V2_PREFIX = '/api/atlas/v2';

const ATLAS_VERSIONS = [
  { prefix: ATLAS_V1_PREFIX, mediaTypes: false },
  { prefix: ATLAS_V2_PREFIX, mediaTypes: true },
] as const;

export interface ServerOptions {
  authority: Authority;
  /** Origin for `links` (e.g. `https://dbcerts.example.com`); default: each request's own. */
  publicUrl?: string | undefined;
  logger?: FastifyServerOptions['logger'];
  /** How long a Digest nonce may be used (Atlas' are short-lived). */
  nonceLifetimeSeconds?: number;
  /** Largest request body accepted (bytes). */
  bodyLimit?: number;
  /**
   * Which proxies may name the client address in X-Forwarded-For: `true` (any), or
   * proxy addresses/CIDRs. Default: none; the socket's own address counts.
   */
  trustProxy?: boolean | string[];
  /** Failed Digest attempts one source may make per period before it gets 429s. */
  failedAuthPolicy?: BucketPolicy;
  /** Run expiry-alert scans and webhook deliveries in this process (default true). */
  backgroundJobs?: boolean;
  /** Serve HTTPS with this certificate chain and key (PEM). Default: plain HTTP. */
  tls?: { cert: string; key: string };
  /**
   * A worker process of a server: /metrics answers every worker's metrics, added up by
   * the primary (which reads this process's registry too).
   */
  clusterMetrics?: () => Promise<string>;
  /** False while the server this process belongs to is still starting (/readyz answers 503). */
  started?: () => boolean;
}

function newAjv(options: AjvOptions): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: false, removeAdditional: false, useDefaults: false, ...options });
  (addFormats as unknown as (ajv: Ajv) => void)(ajv);
  return ajv;
}

/** A copy of a response schema with every `required` list removed, at any depth. */
function withoutRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => key !== 'required')
      .map(([key, value]) => [key, withoutRequired(value)]),
  );
}

/**
 * Response serialisers that write members in the schema's declared (alphabetical)
 * order, as Atlas does. fast-json-stringify writes required members before optional
 * ones, so `required` is dropped for serialisation only: the views are typed from
 * the same schemas, so the compiler already guarantees the required members.
 */
function atlasSerializerCompiler({ schema }: { schema: unknown }) {
  return fastJsonStringify(withoutRequired(schema) as Schema);
}

/**
 * The HTTP server. Bodies are validated strictly (Atlas rejects unknown attributes and
 * does not turn "6" into 6); query strings are coerced, since every value arrives as text.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    logger: options.logger ?? false,
    // One access-log line per request (below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    // A 1024-character username, percent-encoded as multibyte UTF-8, is one path segment.
    routerOptions: { maxParamLength: 16 * 1024 },
    // Paths the router cannot read (bad percent-encoding, oversize segments) name no resource.
    frameworkErrors: (_error, request, reply) =>
      sendError(request, reply, new AtlasError('RESOURCE_NOT_FOUND', request.url.split('?')[0] ?? request.url)),
  }).withTypeProvider<TypeBoxTypeProvider>();

  const bodyAjv = newAjv({ coerceTypes: false });
  const queryAjv = newAjv({ coerceTypes: true });
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart !== 'body') return queryAjv.compile(schema as object);
    const validate = bodyAjv.compile(schema as object);
    const dropReadOnly = readOnlyMemberDropper(schema);
    if (!dropReadOnly) return validate;
    // What a client read and sends back (links, created, …) passes and is then forgotten.
    const validateAndDrop = (body: unknown) => {
      const valid = validate(body);
      validateAndDrop.errors = validate.errors;
      if (valid) dropReadOnly(body);
      return valid;
    };
    validateAndDrop.errors = validate.errors;
    return validateAndDrop;
  });

  app.setSerializerCompiler(atlasSerializerCompiler);

  await app.register(atlasConventions);
  await app.register(guardRails, { authority: options.authority, protectedPrefix: '/api/atlas/' });
  const metrics = new Metrics();
  registerStoreMetrics(metrics, options.authority);
  const clusterMetrics = options.clusterMetrics;
  if (clusterMetrics) {
    // Answers the primary's requests for this process's metrics.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([metrics.registry]);
  }
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return clusterMetrics ? clusterMetrics() : metrics.registry.metrics();
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        req: { method: request.method, url: request.url, remoteAddress: request.ip },
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
    metrics.requests.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  // Liveness: the process answers. Readiness: and so does its database (once the whole server has started).
  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/json').send('{"status":"OK"}'),
  );
  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    if (options.started && !options.started()) {
      return reply.code(503).type('application/json').send('{"status":"UNAVAILABLE"}');
    }
    try {
      await options.authority.store.ping();
      return reply.type('application/json').send('{"status":"OK"}');
    } catch (error) {
      request.log.warn({ err: error }, 'not ready: the database does not answer');
      return reply.code(503).type('application/json').send('{"status":"UNAVAILABLE"}');
    }
  });

  await app.register(digestAuth, {
    authority: options.authority,
    metrics,
    ...(options.failedAuthPolicy ? { failedAuthPolicy: options.failedAuthPolicy } : {}),
    nonceLifetimeSeconds: options.nonceLifetimeSeconds ?? 300,
    protectedPrefixes: ['/api/atlas/'],
    publicUrl: options.publicUrl,
  });

  if (options.backgroundJobs !== false) await app.register(backgroundJobs, { authority: options.authority });
  // Pre-generated keys: filled once the server is up, dropped when it closes.
  app.addHook('onReady', async () => options.authority.keyPool.refill());
  app.addHook('onClose', async () => options.authority.keyPool.close());

  await registerOpenApi(app);
  await app.register(oauthRoutes, { authority: options.authority, metrics });
  await app.register(consoleRoutes, { authority: options.authority, publicUrl: options.publicUrl });

  // One routing table, two dialects: every resource is served under v1.0 and under v2,
  // by the same handlers (except those Atlas has only in v2); v2 adds its versioned media types.
  for (const version of ATLAS_VERSIONS) {
    const context: ApiContext = {
      authority: options.authority,
      publicUrl: options.publicUrl,
      versionPrefix: version.prefix,
    };
    await app.register(
      async (scope) => {
        if (version.mediaTypes) await scope.register(versionedMediaTypes);
        const resources = version.mediaTypes ? [...ATLAS_RESOURCES, ...V2_ONLY_RESOURCES] : ATLAS_RESOURCES;
        for (const resource of resources) await scope.register(resource, context);
      },
      { prefix: version.prefix },
    );
  }
  return app;
}
