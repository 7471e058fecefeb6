/**
 * Certificate serial numbers. A serial is the certificate's `_id` in the Atlas API:
 * a positive integer below 2^63 (so it fits a signed 64-bit column and Java's long,
 * as Atlas' does). It is kept as a bigint everywhere: JavaScript numbers lose digits
 * above 2^53, and Atlas' own examples are above that.
 */

export const MAX_SERIAL = (1n << 63n) - 1n;

export type RandomBytes = (size: number) => Uint8Array;

const defaultRandom: RandomBytes = (size) => globalThis.crypto.getRandomValues(new Uint8Array(size));

/** 63 random bits; zero is redrawn because RFC 5280 wants a positive serial. */
export function randomSerial(random: RandomBytes = defaultRandom): bigint {
  for (;;) {
    const bytes = random(8);
    let value = 0n;
    for (const byte of bytes) value = (value << 8n) | BigInt(byte);
    value &= MAX_SERIAL;
    if (value !== 0n) return value;
  }
}

function isValidSerial(value: bigint): boolean {
  return value > 0n && value <= MAX_SERIAL;
}

/** Parses a decimal serial as written in a URL or JSON; undefined when it is not one. */
export function parseSerial(text: string): bigint | undefined {
  if (!/^[1-9][0-9]{0,18}$/.test(text)) return undefined;
  const value = BigInt(text);
  return isValidSerial(value) ? value : undefined;
}

/**
 * The DER INTEGER content of a positive serial in hex: minimal length, with a
 * leading zero byte when the high bit is set (otherwise it would read as negative).
 */
export function serialToDerHex(serial: bigint): string {
  if (!isValidSerial(serial)) throw new RangeError(`serial out of range: ${serial}`);
  let hex = serial.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return hex;
}

/** Reads a serial from the hex form X.509 libraries print (leading zeros allowed). */
export function serialFromHex(hex: string): bigint {
  return BigInt(`0x${hex}`);
}

/**
 * The serials a search text can name: decimal as the API writes `_id`, or hex as openssl
 * prints it (`0x` prefix, colons and any case allowed). Digits alone are read both ways,
 * since `1234` is a valid serial in either base. Undefined when the text names none.
 */
export function serialSearchCandidates(text: string): bigint[] | undefined {
  const trimmed = text.trim();
  const hexOnly = /^0x/i.test(trimmed) || /[:a-f]/i.test(trimmed);
  const hex = trimmed.replace(/^0x/i, '').replace(/:/g, '');
  const candidates: bigint[] = [];
  if (!hexOnly && /^[0-9]{1,19}$/.test(trimmed)) candidates.push(BigInt(trimmed));
  if (/^[0-9a-f]{1,18}$/i.test(hex)) candidates.push(serialFromHex(hex));
  const valid = [...new Set(candidates)].filter(isValidSerial);
  return valid.length === 0 ? undefined : valid;
}
