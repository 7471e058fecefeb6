import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Atlas' OpenAPI 3.0 fragments (test/fixtures/atlas-openapi/, copies of the steering repo's
 * shared/atlas-openapi/) turned into JSON Schema and checked with Ajv: the independent
 * oracle for the shape of every Atlas response dbcerts writes.
 *
 * OpenAPI 3.0 is not JSON Schema; the conversion below:
 * - `nullable: true` becomes a type union with `null`;
 * - `example(s)`, `externalDocs`, `x-*`, `discriminator`, `xml`, `deprecated` are dropped;
 * - readOnly / writeOnly are enforced for the direction: a writeOnly member may not appear
 *   in a response (nor a readOnly one in a request), and leaves `required` for it, as the
 *   OpenAPI 3.0 text says ("required … will take effect on the request only");
 * - optionally every object schema is *closed* (`additionalProperties: false`), to find
 *   members a response has that the specification does not define;
 * - `#/components/schemas/…` references resolve inside a schema holding the components.
 */

export type Direction = 'response' | 'request';

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, any>; responses?: Record<string, any>; [name: string]: any };
  [name: string]: unknown;
}

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/atlas-openapi/', import.meta.url));

/** A fragment from test/fixtures/atlas-openapi/ (never from /work/shared: CI may not have it). */
export function loadFragment(fileName: string): OpenApiDocument {
  return JSON.parse(readFileSync(FIXTURES + fileName, 'utf8')) as OpenApiDocument;
}

const DROPPED = new Set(['example', 'examples', 'externalDocs', 'discriminator', 'xml', 'deprecated', 'nullable']);

export interface ConvertOptions {
  direction: Direction;
  /** Add `additionalProperties: false` to object schemas that do not say otherwise. */
  closed: boolean;
  /** The document's component schemas, to see readOnly/writeOnly behind a `$ref`. */
  components: Record<string, any>;
}

function referenced(schema: any, components: Record<string, any>): any {
  const ref = schema?.$ref;
  if (typeof ref !== 'string') return schema;
  const match = /^#\/components\/schemas\/(.+)$/.exec(ref);
  return match ? components[match[1]!] : schema;
}

/** Is this member excluded in this direction (writeOnly in a response, readOnly in a request)? */
function excluded(schema: any, options: ConvertOptions): boolean {
  const target = referenced(schema, options.components);
  const flag = options.direction === 'response' ? 'writeOnly' : 'readOnly';
  return schema?.[flag] === true || target?.[flag] === true;
}

/** One OpenAPI 3.0 Schema Object as JSON Schema (draft 7, as Ajv's default). */
function toJsonSchema(schema: any, options: ConvertOptions): any {
  if (Array.isArray(schema)) return schema.map((item) => toJsonSchema(item, options));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key) || key.startsWith('x-')) continue;
    if (key === 'properties') {
      const properties: Record<string, any> = {};
      for (const [name, member] of Object.entries(value as Record<string, any>)) {
        properties[name] = excluded(member, options) ? false : toJsonSchema(member, options);
      }
      out.properties = properties;
    } else if (key === 'required') {
      const properties = (schema.properties ?? {}) as Record<string, any>;
      out.required = (value as string[]).filter(
        (name) => !(name in properties) || !excluded(properties[name], options),
      );
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      out[key] = toJsonSchema(value, options);
    } else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      out[key] = (value as any[]).map((item) => toJsonSchema(item, options));
    } else {
      out[key] = value;
    }
  }
  if (schema.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.type === undefined) return { anyOf: [out, { type: 'null' }] };
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  const composed = 'allOf' in out || 'anyOf' in out || 'oneOf' in out;
  if (options.closed && out.properties && out.additionalProperties === undefined && !composed) {
    out.additionalProperties = false;
  }
  return out;
}

/** The largest and smallest int64. */
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * A parsed JSON value (parseJsonExact: integers beyond 2^53 are bigints) made fit for Ajv:
 * a bigint inside the int64 range becomes a Number (exactness no longer matters: it is
 * only checked for being an integer), one outside stays visibly wrong (a string, so
 * `type: integer` fails).
 */
function forValidation(value: unknown): unknown {
  if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(forValidation);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, forValidation(member)]));
  }
  return value;
}

/** What the specification says a response with this status carries. */
export type ResponseSpec =
  { kind: 'undocumented' } | { kind: 'no-content' } | { kind: 'content'; mediaType: string; schema: any };

/** The schema and media type a path, method and status answer with, by the fragment. */
export function responseSpec(document: OpenApiDocument, path: string, method: string, status: number): ResponseSpec {
  const operation = document.paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`the fragment has no ${method.toUpperCase()} ${path}`);
  let response = operation.responses?.[String(status)];
  if (!response) return { kind: 'undocumented' };
  if (typeof response.$ref === 'string') {
    const match = /^#\/components\/responses\/(.+)$/.exec(response.$ref);
    response = match ? document.components.responses?.[match[1]!] : undefined;
    if (!response) throw new Error(`unresolvable response reference ${operation.responses[String(status)].$ref}`);
  }
  const entries = Object.entries((response.content ?? {}) as Record<string, { schema?: any }>);
  const withSchema = entries.filter(([, media]) => media.schema !== undefined);
  if (withSchema.length === 0) return { kind: 'no-content' };
  if (withSchema.length > 1) throw new Error(`${method} ${path} ${status}: several media types`);
  const [mediaType, media] = withSchema[0]!;
  return { kind: 'content', mediaType, schema: media.schema };
}

/** Every (path, method, status) the fragment documents with a 2xx status. */
export function successResponses(document: OpenApiDocument): Array<{ path: string; method: string; status: number }> {
  const result: Array<{ path: string; method: string; status: number }> = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (method === 'parameters' || typeof operation !== 'object' || !operation.responses) continue;
      for (const status of Object.keys(operation.responses)) {
        if (/^2\d\d$/.test(status)) result.push({ path, method: method.toUpperCase(), status: Number(status) });
      }
    }
  }
  return result;
}

/** A fragment compiled for one direction, open or closed. */
export class FragmentValidator {
  readonly ajv: Ajv;
  private readonly id: string;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(
    readonly document: OpenApiDocument,
    readonly options: { name: string; direction: Direction; closed: boolean },
  ) {
    this.ajv = new Ajv({ strict: false, allErrors: true, verbose: true, validateFormats: true });
    (addFormats as unknown as (ajv: Ajv) => void)(this.ajv);
    this.id = `https://dbcerts.test/atlas-openapi/${options.name}/${options.direction}${options.closed ? '/closed' : ''}`;
    const convert: ConvertOptions = {
      direction: options.direction,
      closed: options.closed,
      components: document.components.schemas,
    };
    const schemas = Object.fromEntries(
      Object.entries(document.components.schemas).map(([name, schema]) => [name, toJsonSchema(schema, convert)]),
    );
    this.ajv.addSchema({ $id: this.id, components: { schemas } });
  }

  /** A validator for an inline schema (a response's own), its `$ref`s into the components. */
  private compile(schema: any): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.cache.get(key);
    if (!validate) {
      const convert: ConvertOptions = {
        direction: this.options.direction,
        closed: this.options.closed,
        components: this.document.components.schemas,
      };
      const rebased = JSON.parse(
        JSON.stringify(toJsonSchema(schema, convert)).replace(/"#\/components\//g, `"${this.id}#/components/`),
      );
      validate = this.ajv.compile(rebased);
      this.cache.set(key, validate);
    }
    return validate;
  }

  /** Ajv's errors for `instance` against a component schema, [] when it conforms. */
  validateComponent(name: string, instance: unknown): ErrorObject[] {
    if (!(name in this.document.components.schemas)) throw new Error(`no component schema ${name}`);
    return this.run(this.compile({ $ref: `#/components/schemas/${name}` }), instance);
  }

  /** Ajv's errors for `instance` against an inline OpenAPI schema. */
  validateSchema(schema: any, instance: unknown): ErrorObject[] {
    return this.run(this.compile(schema), instance);
  }

  private run(validate: ValidateFunction, instance: unknown): ErrorObject[] {
    return validate(forValidation(instance)) ? [] : [...(validate.errors ?? [])];
  }

  errorsText(errors: readonly ErrorObject[]): string {
    return errors
      .map(
        (error) =>
          `${error.instancePath || '/'} ${error.message} (${error.schemaPath} ${JSON.stringify(error.params)})`,
      )
      .join('; ');
  }
}
