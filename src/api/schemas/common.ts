import { type TSchema, Type } from '@sinclair/typebox';
import { DEFAULT_ITEMS_PER_PAGE, MAX_ITEMS_PER_PAGE } from '../../domain/pagination.js';

/**
 * Shapes shared by every Atlas resource. Property order is alphabetical on purpose:
 * Atlas (Jackson) writes members alphabetically, and fast-json-stringify follows the
 * schema's order.
 */

export const ObjectIdString = Type.String({ pattern: '^([a-f0-9]{24})$', minLength: 24, maxLength: 24 });

export const Link = Type.Object({
  href: Type.String(),
  rel: Type.String(),
});

const ApiError = Type.Object(
  {
    detail: Type.String(),
    error: Type.Integer(),
    errorCode: Type.String(),
    parameters: Type.Array(Type.Unknown()),
    reason: Type.String(),
  },
  { $id: 'ApiError' },
);

/** `pretty` and `envelope`, accepted by every Atlas operation. */
const envelopeQuery = {
  envelope: Type.Optional(Type.Boolean({ default: false })),
  pretty: Type.Optional(Type.Boolean({ default: false })),
};

export const EnvelopeQuery = Type.Object(envelopeQuery);

export const PageQuery = Type.Object({
  ...envelopeQuery,
  includeCount: Type.Optional(Type.Boolean({ default: true })),
  itemsPerPage: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_ITEMS_PER_PAGE, default: DEFAULT_ITEMS_PER_PAGE }),
  ),
  pageNum: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
});

/** The list shape: `{links, results, totalCount}` (totalCount only when counted). */
export function Paginated<T extends TSchema>(item: T) {
  return Type.Object({
    links: Type.Array(Link),
    results: Type.Array(item),
    totalCount: Type.Optional(Type.Integer({ minimum: 0 })),
  });
}

/**
 * A member the server sets, allowed in a write body because clients send back what they
 * read; checked against `schema`, then dropped before the handler (read-only-members.ts).
 */
export const ReadOnly = <T extends TSchema>(schema: T) =>
  Type.Optional(Type.Unsafe<undefined>({ ...schema, readOnly: true }));

export const GroupIdParams = Type.Object({ groupId: Type.String() });

/** A 204 answer: no body. */
export const NoContent = Type.Null({ description: 'No Content' });
