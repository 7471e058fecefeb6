/**
 * A minimal DER writer: exactly what certificates need, so issuing one costs a handful
 * of buffer copies instead of an ASN.1 object model.
 */

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export const sequence = (...items: Uint8Array[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Uint8Array[]) => tlv(0x31, Buffer.concat(items));
export const explicit = (tagNumber: number, content: Uint8Array) => tlv(0xa0 | tagNumber, content);
export const octetString = (content: Uint8Array) => tlv(0x04, content);
export const bitString = (content: Uint8Array) => tlv(0x03, Buffer.concat([Buffer.from([0]), content]));
export const booleanTrue = () => tlv(0x01, Buffer.from([0xff]));
export const utf8String = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
export const printableString = (text: string) => tlv(0x13, Buffer.from(text, 'latin1'));
export const ia5String = (text: string) => tlv(0x16, Buffer.from(text, 'latin1'));

/** A non-negative INTEGER: minimal, with a leading zero byte when the high bit is set. */
export function integer(value: bigint): Buffer {
  if (value < 0n) throw new RangeError('negative INTEGER');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return tlv(0x02, Buffer.from(hex, 'hex'));
}

export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  const bytes: number[] = [Number(arcs[0]! * 40n + arcs[1]!)];
  for (const arc of arcs.slice(2)) {
    const groups: number[] = [];
    for (let rest = arc; ; rest >>= 7n) {
      groups.unshift(Number(rest & 0x7fn));
      if (rest < 0x80n) break;
    }
    bytes.push(...groups.map((group, index) => (index < groups.length - 1 ? group | 0x80 : group)));
  }
  return tlv(0x06, Buffer.from(bytes));
}

const two = (n: number) => String(n).padStart(2, '0');

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, always in seconds and Z. */
export function time(instant: Date): Buffer {
  const year = instant.getUTCFullYear();
  const rest =
    two(instant.getUTCMonth() + 1) +
    two(instant.getUTCDate()) +
    two(instant.getUTCHours()) +
    two(instant.getUTCMinutes()) +
    two(instant.getUTCSeconds()) +
    'Z';
  return year < 2050
    ? tlv(0x17, Buffer.from(two(year % 100) + rest, 'latin1'))
    : tlv(0x18, Buffer.from(`${year}${rest}`, 'latin1'));
}

/** A DER SET OF: its elements sorted by their encodings. */
export function setOf(items: Buffer[]): Buffer {
  return set(...[...items].sort(Buffer.compare));
}

/** One element of a DER encoding: its tag, and where its content lies in the bytes. */
export interface DerElement {
  tag: number;
  /** The whole element, header included. */
  bytes: Uint8Array;
  content: Uint8Array;
}

class DerError extends Error {
  override name = 'DerError';
}

/**
 * The element at `offset` of `bytes` (single-byte tags, definite minimal lengths: DER, as
 * every PKIX structure dbcerts reads is).
 */
function readElement(bytes: Uint8Array, offset = 0): DerElement {
  if (offset + 2 > bytes.length) throw new DerError('truncated');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tag');
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || offset + 2 + count > bytes.length) throw new DerError('bad length');
    length = 0;
    for (let index = 0; index < count; index++) length = length * 256 + bytes[offset + 2 + index]!;
    if (length < 0x80 || bytes[offset + 2] === 0) throw new DerError('length not minimal');
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new DerError('truncated');
  return { tag, bytes: bytes.subarray(offset, end), content: bytes.subarray(offset + header, end) };
}

/** The elements a constructed element's content holds, in order. */
export function readChildren(element: DerElement): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = 0; offset < element.content.length; offset += children.at(-1)!.bytes.length) {
    children.push(readElement(element.content, offset));
  }
  return children;
}

/** `bytes` as exactly one element, with nothing after it. */
export function readWhole(bytes: Uint8Array): DerElement {
  const element = readElement(bytes);
  if (element.bytes.length !== bytes.length) throw new DerError('bytes after the element');
  return element;
}
