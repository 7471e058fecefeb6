/**
 * Identifier formats Atlas clients validate: 24-hex object ids (projects, orgs, keys,
 * users), 8-letter public API keys and UUID private API keys.
 */

const OBJECT_ID = /^[0-9a-f]{24}$/;
const PUBLIC_KEY = /^[a-z]{8}$/;

export type RandomBytes = (size: number) => Uint8Array;

const defaultRandom: RandomBytes = (size) => globalThis.crypto.getRandomValues(new Uint8Array(size));

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

// Per process, as in MongoDB's ObjectId: 5 random bytes, then a counter from a random start.
const processUnique = toHex(defaultRandom(5));
let counter = new DataView(defaultRandom(4).buffer).getUint32(0) & 0xffffff;

/**
 * A MongoDB ObjectId: 4 bytes of seconds since the epoch, 5 bytes unique to this
 * process, 3 bytes of a counter. Ids sort by creation time, and within one process and
 * second by creation order.
 */
export function newObjectId(now: Date): string {
  const seconds = Math.floor(now.getTime() / 1000) >>> 0;
  counter = (counter + 1) & 0xffffff;
  return seconds.toString(16).padStart(8, '0') + processUnique + counter.toString(16).padStart(6, '0');
}

export function isObjectId(value: string): boolean {
  return OBJECT_ID.test(value);
}

/** Eight lowercase letters, as Atlas prints public API keys (`zmmrboas`). */
export function newPublicApiKey(random: RandomBytes = defaultRandom): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz';
  let key = '';
  while (key.length < 8) {
    for (const byte of random(16)) {
      // 26 * 9 = 234: rejecting bytes >= 234 keeps every letter equally likely.
      if (byte < 234 && key.length < 8) key += alphabet[byte % 26];
    }
  }
  return key;
}

export function isPublicApiKey(value: string): boolean {
  return PUBLIC_KEY.test(value);
}

/** A random (version 4) UUID, the shape of Atlas private API keys. */
export function newPrivateApiKey(random: RandomBytes = defaultRandom): string {
  const bytes = random(16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Atlas shows a private key after creation only as `********-****-****-<last 12>`. */
export function redactPrivateApiKey(privateKey: string): string {
  return maskedPrivateApiKey(privateKey.slice(-12));
}

/** The redacted form, from the last 12 characters (all that is kept of a private key in the clear). */
export function maskedPrivateApiKey(tail: string): string {
  return `********-****-****-${tail}`;
}
