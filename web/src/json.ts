/**
 * JSON.parse that keeps every integer exact: certificate serials are 64-bit and
 * JavaScript numbers round beyond 2^53, so integers outside the safe range become
 * bigints. A serial is never shown rounded.
 */

export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

export function parseJson(text: string): Json {
  let index = 0;
  const fail = (): never => {
    throw new SyntaxError(`Malformed JSON at position ${index}`);
  };
  const skipSpace = () => {
    while (index < text.length && ' \t\n\r'.includes(text[index]!)) index++;
  };
  const expect = (literal: string) => {
    if (text.slice(index, index + literal.length) !== literal) fail();
    index += literal.length;
  };

  const parseString = (): string => {
    index++; // opening quote
    let out = '';
    for (;;) {
      const char = text[index++];
      if (char === undefined) return fail();
      if (char === '"') return out;
      if (char !== '\\') {
        out += char;
        continue;
      }
      const escape = text[index++];
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          out += escape;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = text.slice(index, index + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail();
          out += String.fromCharCode(parseInt(hex, 16));
          index += 4;
          break;
        }
        default:
          fail();
      }
    }
  };

  const parseNumber = (): number | bigint => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(index));
    if (!match) return fail();
    index += match[0].length;
    if (match[2] === undefined && match[3] === undefined) {
      const value = Number(match[0]);
      return Number.isSafeInteger(value) ? value : BigInt(match[0]);
    }
    return Number(match[0]);
  };

  const parseValue = (): Json => {
    skipSpace();
    const char = text[index];
    if (char === '{') {
      index++;
      const object: { [key: string]: Json } = {};
      skipSpace();
      if (text[index] === '}') {
        index++;
        return object;
      }
      for (;;) {
        skipSpace();
        if (text[index] !== '"') fail();
        const key = parseString();
        skipSpace();
        expect(':');
        // Own, non-inherited members only: "__proto__" is data, not a prototype.
        Object.defineProperty(object, key, {
          value: parseValue(),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        skipSpace();
        if (text[index] === ',') {
          index++;
          continue;
        }
        expect('}');
        return object;
      }
    }
    if (char === '[') {
      index++;
      const array: Json[] = [];
      skipSpace();
      if (text[index] === ']') {
        index++;
        return array;
      }
      for (;;) {
        array.push(parseValue());
        skipSpace();
        if (text[index] === ',') {
          index++;
          continue;
        }
        expect(']');
        return array;
      }
    }
    if (char === '"') return parseString();
    if (char === 't') return (expect('true'), true);
    if (char === 'f') return (expect('false'), false);
    if (char === 'n') return (expect('null'), null);
    return parseNumber();
  };

  const value = parseValue();
  skipSpace();
  if (index !== text.length) fail();
  return value;
}
