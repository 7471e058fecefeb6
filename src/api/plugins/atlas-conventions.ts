import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import secureJson from 'secure-json-parse';
import { isStoreUnavailable } from '../../authority/authority.js';
import { AtlasError, isAtlasError } from '../../domain/errors.js';
import { prettyPrintJson, toJson } from '../json.js';

/**
 * Atlas' cross-cutting conventions: JSON bodies, `pretty`, `envelope`, and errors as
 * `{detail, error, errorCode, parameters, reason}` for every failure, including the
 * framework's own (bad JSON, wrong media type, oversize body, unknown path).
 */

/** A boolean query flag as sent (`pretty=true`), whether or not validation has coerced it yet. */
export function queryFlag(request: FastifyRequest, name: string): boolean {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}

export type PayloadKind = 'entity' | 'list';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Keep `null` members of the body for the handler (a dbcerts extension where null
     * means "remove"). Atlas reads a null member as one not sent, and so does every
     * other route.
     */
    keepNullMembers?: boolean;
  }
}

const BOOLEAN_QUERY_PARAMETERS = ['pretty', 'envelope', 'includeCount'] as const;
const INTEGER_QUERY_PARAMETERS = ['pageNum', 'itemsPerPage'] as const;

/**
 * Sends a successful Atlas payload. Normally the route's response schema serialises
 * it; with `envelope=true` a list gains `status` and anything else becomes
 * `{content, status}`, written by the generic bigint-safe writer.
 */
export function sendAtlas(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  payload: object | string | boolean,
  kind: PayloadKind = 'entity',
): FastifyReply {
  reply.code(status);
  if (!queryFlag(request, 'envelope')) return reply.send(payload);
  const enveloped =
    kind === 'list' && typeof payload === 'object'
      ? envelopeList(payload as Record<string, unknown>, status)
      : { content: payload, status };
  return reply.type('application/json').send(toJson(enveloped));
}

function envelopeList(list: Record<string, unknown>, status: number): Record<string, unknown> {
  const { totalCount, ...rest } = list;
  return { ...rest, status, totalCount };
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AtlasError): FastifyReply {
  const body = error.toBody(request.url.startsWith('/api/atlas/v2/'));
  reply.code(error.status).type('application/json');
  return reply.send(toJson(queryFlag(request, 'envelope') ? { content: body, status: error.status } : body));
}

/**
 * Text no store can keep: a lone UTF-16 surrogate is not text at all, and PostgreSQL
 * refuses NUL in text columns.
 */
// eslint-disable-next-line no-control-regex -- NUL is the character this refuses
const UNSTORABLE = /\p{Cs}|\u0000/u;

/** Walks iteratively: a hostile body may nest deeper than the call stack allows. */
function hasUnstorableText(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return true;
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, member] of Object.entries(value)) {
        if (UNSTORABLE.test(key)) return true;
        pending.push(member);
      }
    }
  }
  return false;
}

/**
 * Drops every object member whose value is `null`, at any depth: Atlas reads
 * `"scopes":null` (which the Go clients send for every unset slice) as "not given".
 * Array elements stay: `[null]` is a list with a wrong entry, not an absent one.
 * Walks iteratively: a hostile body may nest deeper than the call stack allows.
 */
export function dropNullMembers(root: unknown): void {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      pending.push(...value);
      continue;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (record[key] === null) delete record[key];
      else pending.push(record[key]);
    }
  }
}

function fieldName(instancePath: string, fallback = ''): string {
  const segments = instancePath.split('/').filter((segment) => segment !== '' && !/^\d+$/.test(segment));
  return segments.length > 0 ? segments.join('.') : fallback;
}

function valueAt(data: unknown, instancePath: string): unknown {
  let current = data;
  for (const segment of instancePath.split('/').filter((part) => part !== '')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}

/** The Atlas error for the first schema violation of a request. */
function validationError(
  context: string | undefined,
  errors: readonly ErrorObject[],
  request: FastifyRequest,
): AtlasError {
  const first = errors[0];
  if (!first) return new AtlasError('INVALID_JSON');
  if (context !== 'body') {
    const name = fieldName(first.instancePath, String(first.params.missingProperty ?? ''));
    return new AtlasError('INVALID_QUERY_PARAMETER', name);
  }
  const field = fieldName(first.instancePath);
  switch (first.keyword) {
    case 'additionalProperties':
      return new AtlasError('INVALID_ATTRIBUTE', String(first.params.additionalProperty));
    case 'required':
      return new AtlasError(
        'MISSING_ATTRIBUTE',
        field === '' ? String(first.params.missingProperty) : `${field}.${first.params.missingProperty}`,
      );
    case 'minItems':
      // An empty list where one entry at least is needed: the attribute, or the body itself.
      return field === '' ? new AtlasError('INVALID_JSON') : new AtlasError('MISSING_ATTRIBUTE', field);
    case 'maxItems':
      // More entries than one request may carry (an access list's POST): the body itself.
      return field === '' ? new AtlasError('INVALID_JSON') : new AtlasError('INVALID_ATTRIBUTE', field);
    case 'type':
      return field === '' ? new AtlasError('INVALID_JSON') : new AtlasError('INVALID_JSON_ATTRIBUTE', field);
    case 'enum':
      return new AtlasError('INVALID_ENUM_VALUE', String(valueAt(request.body, first.instancePath)));
    default:
      return new AtlasError('INVALID_ATTRIBUTE', field);
  }
}

export function toAtlasError(error: FastifyError | Error, request: FastifyRequest): AtlasError | undefined {
  if (isAtlasError(error)) return error;
  const fastifyError = error as FastifyError & { validationContext?: string };
  if (fastifyError.validation) {
    const errors = fastifyError.validation as ErrorObject[];
    const atlasError = validationError(fastifyError.validationContext, errors, request);
    atlasError.fieldViolations = errors.map((violation) => ({
      description: violation.message ?? violation.keyword,
      field: fieldName(
        violation.instancePath,
        String(violation.params.additionalProperty ?? violation.params.missingProperty ?? ''),
      ),
    }));
    return atlasError;
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new AtlasError('UNSUPPORTED_MEDIA_TYPE', request.headers['content-type'] ?? '(none)');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AtlasError('REQUEST_TOO_LARGE', request.routeOptions.bodyLimit ?? 0);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AtlasError('MALFORMED_JSON');
    case 'FST_ERR_BAD_URL':
      return new AtlasError('RESOURCE_NOT_FOUND', request.url.split('?')[0] ?? request.url);
  }
  if (isStoreUnavailable(error)) return new AtlasError('SERVICE_UNAVAILABLE');
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) return new AtlasError('VALIDATION_ERROR', fastifyError.message);
  return undefined;
}

async function atlasConventions(app: FastifyInstance): Promise<void> {
  // Only JSON bodies (`application/json` and Atlas' `application/vnd.atlas.*+json`).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    /^application\/(json|[a-z0-9.+-]+\+json)(\s*;.*)?$/i,
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = String(body);
      // An empty body is an empty object: POST …/certs then takes its defaults.
      if (text.trim() === '') return done(null, {});
      let parsed: unknown;
      try {
        parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
      } catch {
        return done(new AtlasError('MALFORMED_JSON'), undefined);
      }
      // "\ud800" is valid JSON but no text, and "\u0000" cannot be stored: refused alike.
      if (hasUnstorableText(parsed)) return done(new AtlasError('MALFORMED_JSON'), undefined);
      done(null, parsed);
    },
  );

  // Query values arrive as text. Booleans are accepted in any case and integers only as
  // plain decimal digits (the schema's coercion alone would take "True" as invalid and
  // "1e1" or "0x3" as numbers).
  app.addHook('preValidation', async (request) => {
    // A path segment holding NUL or a lone surrogate names nothing that can exist.
    const params = request.params as Record<string, unknown> | undefined;
    if (params && Object.values(params).some((value) => typeof value === 'string' && UNSTORABLE.test(value))) {
      throw new AtlasError('RESOURCE_NOT_FOUND', request.url.split('?')[0] ?? request.url);
    }
    const query = request.query as Record<string, unknown> | undefined;
    if (!query) return;
    for (const [name, value] of Object.entries(query)) {
      if ([value].flat().some((text) => typeof text === 'string' && UNSTORABLE.test(text))) {
        throw new AtlasError('INVALID_QUERY_PARAMETER', name);
      }
    }
    for (const name of BOOLEAN_QUERY_PARAMETERS) {
      const value = query[name];
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) query[name] = value.toLowerCase();
    }
    for (const name of INTEGER_QUERY_PARAMETERS) {
      const value = query[name];
      if (typeof value === 'string' && !/^\d{1,9}$/.test(value)) throw new AtlasError('INVALID_QUERY_PARAMETER', name);
    }
  });

  // A write without a body (no Content-Type at all) is an empty object, as above; a
  // null member is one not sent.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && ['POST', 'PATCH', 'PUT'].includes(request.method)) {
      request.body = {};
    }
    if (!request.routeOptions.config.keepNullMembers) dropNullMembers(request.body);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (typeof payload !== 'string' || !queryFlag(request, 'pretty')) return payload;
    // The Digest challenge answers before the request is read: always Atlas' compact body.
    if (reply.statusCode === 401 && reply.hasHeader('www-authenticate')) return payload;
    if (!String(reply.getHeader('content-type') ?? '').includes('json')) return payload;
    if (!payload.startsWith('{') && !payload.startsWith('[')) return payload;
    return prettyPrintJson(payload);
  });

  app.setErrorHandler((error, request, reply) => {
    const atlasError = toAtlasError(error as FastifyError, request);
    if (atlasError?.status === 503) {
      request.log.warn({ err: error }, 'the database is unavailable');
      reply.header('retry-after', 5);
    }
    if (atlasError) return sendError(request, reply, atlasError);
    request.log.error({ err: error }, 'unexpected error');
    return sendError(request, reply, new AtlasError('UNEXPECTED_ERROR'));
  });

  // A path that is served, with a method it is not served with: 405 and the methods it has.
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const allowed = request.server.methodsServedAt(path);
    if (allowed.length === 0) return sendError(request, reply, new AtlasError('RESOURCE_NOT_FOUND', path));
    reply.header('allow', allowed.join(', '));
    return sendError(request, reply, new AtlasError('METHOD_NOT_ALLOWED', request.method, path));
  });
}

export default fp(atlasConventions, { name: 'dbcerts-atlas-conventions' });
