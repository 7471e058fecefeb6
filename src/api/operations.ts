import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  ContextConfigDefault,
  FastifySchema,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
} from 'fastify';
import { type Operation, REQUIRED_ROLES } from '../authority/required-roles.js';
import type { ApiContext } from './context.js';
import { type ApiVersion, DEFAULT_VERSIONS } from './plugins/versioned-media-types.js';

/**
 * One declaration per operation: everything about an endpoint that is not its handler.
 * The routes (under each version prefix), the OpenAPI document, the role matrix and the
 * docs checks all read it, so adding an endpoint is one declaration, its handler, its
 * REQUIRED_ROLES entry and its test fixture.
 */

export type OperationMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface OperationSpec<Schema extends FastifySchema> {
  method: OperationMethod;
  /** The route template under the version prefix, in find-my-way's syntax (src/api/route-templates.ts). */
  path: string;
  /** Its entry in REQUIRED_ROLES: who may call it, and its rate-limit bucket. */
  operation: Operation;
  /** The OpenAPI operation id, only where several routes perform one operation. */
  operationId?: string;
  /** One line for the OpenAPI document. */
  summary: string;
  /** Its resource versions under v2, oldest first (default: DEFAULT_VERSIONS). */
  versions?: readonly ApiVersion[];
  /** dbcerts' own, not Atlas' (marked x-dbcerts-extension, listed in docs/extensions.md). */
  extension?: boolean;
  /** The status it answers when it succeeds: the one 2xx of `schema.response`. */
  success: number;
  schema: Schema;
  /** The handler sees `null` members of the body (see atlas-conventions). */
  keepNullMembers?: boolean;
}

export interface DeclaredOperation<Schema extends FastifySchema = FastifySchema> {
  readonly method: OperationMethod;
  readonly path: string;
  readonly operation: Operation;
  readonly operationId?: string;
  readonly summary: string;
  readonly versions: readonly ApiVersion[];
  readonly extension: boolean;
  readonly success: number;
  readonly schema: Schema;
  readonly keepNullMembers: boolean;
}

/** Checks a declaration once, when its module loads, so a wrong one stops the server from starting. */
export function defineOperation<const Schema extends FastifySchema>(
  spec: OperationSpec<Schema>,
): DeclaredOperation<Schema> {
  const where = `${spec.method} ${spec.path}`;
  // The cast guards what the compiler cannot see: a name built or cast at run time.
  if (!Object.hasOwn(REQUIRED_ROLES, spec.operation as string)) {
    throw new Error(`${where}: operation ${spec.operation} has no entry in REQUIRED_ROLES`);
  }
  if (!spec.path.startsWith('/') || spec.path.startsWith('/api/')) {
    throw new Error(`${where}: the path is the one under the version prefix`);
  }
  if (spec.summary.trim() === '') throw new Error(`${where}: no summary`);
  const statuses = Object.keys((spec.schema.response ?? {}) as object).filter((status) => /^[23]/.test(status));
  if (statuses.length !== 1 || statuses[0] !== String(spec.success)) {
    throw new Error(`${where}: success ${spec.success}, yet the response schema declares ${statuses.join(', ')}`);
  }
  return Object.freeze({
    method: spec.method,
    path: spec.path,
    operation: spec.operation,
    ...(spec.operationId !== undefined ? { operationId: spec.operationId } : {}),
    summary: spec.summary,
    versions: spec.versions ?? DEFAULT_VERSIONS,
    extension: spec.extension ?? false,
    success: spec.success,
    schema: spec.schema,
    keepNullMembers: spec.keepNullMembers ?? false,
  });
}

/** The handler of a declared operation, its request typed by the declaration's schemas. */
export type OperationHandler<Schema extends FastifySchema> = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  RouteGenericInterface,
  ContextConfigDefault,
  Schema,
  TypeBoxTypeProvider
>;

type Declarations = Readonly<Record<string, DeclaredOperation>>;

type Handlers<Operations extends Declarations> = {
  [Key in keyof Operations]: OperationHandler<Operations[Key]['schema']>;
};

/** A resource plugin that declares its operations: the server mounts it, the registry lists them. */
export type Resource = FastifyPluginAsyncTypebox<ApiContext> & { readonly operations: Declarations };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The declaration a route serves (every /api/atlas route has one). */
    declared?: DeclaredOperation;
  }
}

/**
 * A resource: its declarations and, for each, a handler (the compiler holds a declaration
 * without a handler, or a handler without a declaration, for an error). Routes are added
 * in the declarations' order.
 */
export function defineResource<const Operations extends Declarations>(
  operations: Operations,
  handlers: (context: ApiContext) => Handlers<Operations>,
): Resource {
  const plugin: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
    const handlerOf = handlers(context) as Record<string, RouteHandlerMethod>;
    for (const [key, declared] of Object.entries(operations)) {
      app.route({
        method: declared.method,
        url: declared.path,
        config: {
          versions: declared.versions,
          ...(declared.keepNullMembers ? { keepNullMembers: true } : {}),
          declared,
        },
        schema: declared.schema,
        handler: handlerOf[key]!,
      });
    }
  };
  return Object.assign(plugin, { operations });
}

/** The declarations of the resources, in the resources' order. */
export function declaredOperations(resources: readonly Resource[]): DeclaredOperation[] {
  return resources.flatMap((resource) => Object.values(resource.operations));
}
