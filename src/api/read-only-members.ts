/**
 * Members of a request body that the server sets (`readOnly: true` in the body schema:
 * `links`, `created`, `id`, …). Atlas' SDKs update by get → modify → send the whole
 * body back, so such members are accepted, checked against their schema like any other,
 * and dropped before the handler sees the body. A route that must compare one with the
 * path (a `groupId`, an `id`) declares it as an ordinary member instead.
 */

type JsonSchema = { readOnly?: boolean; properties?: Record<string, JsonSchema>; items?: JsonSchema };

/** A path to a read-only member: object keys, with `[]` for "every element of an array". */
type MemberPath = readonly string[];

const EVERY_ELEMENT = '[]';

function readOnlyPaths(schema: JsonSchema, prefix: string[], found: MemberPath[]): MemberPath[] {
  for (const [name, member] of Object.entries(schema.properties ?? {})) {
    if (member.readOnly === true) found.push([...prefix, name]);
    else readOnlyPaths(member, [...prefix, name], found);
  }
  if (schema.items) readOnlyPaths(schema.items, [...prefix, EVERY_ELEMENT], found);
  return found;
}

function dropAt(value: unknown, path: MemberPath, depth: number): void {
  if (typeof value !== 'object' || value === null) return;
  const step = path[depth]!;
  if (step === EVERY_ELEMENT) {
    if (Array.isArray(value)) for (const element of value) dropAt(element, path, depth + 1);
    return;
  }
  if (Array.isArray(value)) return;
  const record = value as Record<string, unknown>;
  if (depth === path.length - 1) delete record[step];
  else dropAt(record[step], path, depth + 1);
}

/** A function that removes the read-only members of a valid body, or undefined when the schema has none. */
export function readOnlyMemberDropper(schema: unknown): ((body: unknown) => void) | undefined {
  const paths = readOnlyPaths(schema as JsonSchema, [], []);
  if (paths.length === 0) return undefined;
  return (body) => {
    for (const path of paths) dropAt(body, path, 0);
  };
}
