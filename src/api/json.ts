/**
 * JSON as Atlas writes it. Serial numbers are bigints and must reach the wire as exact
 * integers, so nothing here goes through `JSON.parse` or numbers.
 */

/** Compact JSON of plain data, with bigints as bare integers; `undefined` members are left out. */
export function toJson(value: unknown): string {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (Array.isArray(value))
        return `[${value.map((item) => (item === undefined ? 'null' : toJson(item))).join(',')}]`;
      const members: string[] = [];
      for (const [key, member] of Object.entries(value)) {
        if (member !== undefined) members.push(`${JSON.stringify(key)}:${toJson(member)}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      return 'null';
  }
}

/**
 * Re-indents compact JSON the way Atlas' `pretty=true` does (Jackson's default pretty
 * printer): objects open a line per member, indented two spaces per enclosing
 * object, with `"key" : value`; arrays stay on the line, `[ a, b ]`, so a list of
 * objects reads `[ {` … `}, {` … `} ]`; empty containers are `{ }` and `[ ]`.
 * Works on the text, so numbers keep every digit.
 */
export function prettyPrintJson(compact: string): string {
  let out = '';
  let depth = 0;
  const containers: Array<'{' | '['> = [];
  let i = 0;
  const newline = () => `\n${'  '.repeat(depth)}`;
  while (i < compact.length) {
    const char = compact[i]!;
    if (char === '"') {
      let end = i + 1;
      while (compact[end] !== '"') end += compact[end] === '\\' ? 2 : 1;
      out += compact.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    switch (char) {
      case '{':
        if (compact[i + 1] === '}') {
          out += '{ }';
          i += 2;
          continue;
        }
        containers.push('{');
        depth++;
        out += `{${newline()}`;
        break;
      case '[':
        if (compact[i + 1] === ']') {
          out += '[ ]';
          i += 2;
          continue;
        }
        containers.push('[');
        out += '[ ';
        break;
      case '}':
        containers.pop();
        depth--;
        out += `${newline()}}`;
        break;
      case ']':
        containers.pop();
        out += ' ]';
        break;
      case ',':
        out += containers[containers.length - 1] === '{' ? `,${newline()}` : ', ';
        break;
      case ':':
        out += ' : ';
        break;
      default:
        if (char !== ' ' && char !== '\n' && char !== '\t' && char !== '\r') out += char;
    }
    i++;
  }
  return out;
}
