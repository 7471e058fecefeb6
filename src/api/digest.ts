import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * HTTP Digest (RFC 7616) as Atlas speaks it and as its clients (curl, Go's digest
 * transport, Python requests, urllib) expect it. Nonces are stateless: a timestamp and
 * random bits, authenticated with a server secret every instance shares.
 */

export const REALM = 'MMS Public API';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop?: 'auth';
  nc?: string;
  cnonce?: string;
}

export class DigestParseError extends Error {}

/**
 * Reads an `Authorization: Digest …` header leniently: values quoted or bare, commas
 * with or without spaces, parameter names in any case, a missing algorithm means MD5.
 */
export function parseDigestAuthorization(header: string): DigestCredentials {
  const match = /^\s*digest\s+/i.exec(header);
  if (!match) throw new DigestParseError('not a Digest authorization');
  const params = new Map<string, string>();
  const pattern = /\s*([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/y;
  let rest = header.slice(match[0].length);
  pattern.lastIndex = 0;
  while (rest.trim() !== '') {
    const found = pattern.exec(rest);
    if (!found) throw new DigestParseError('malformed Digest parameters');
    const name = found[1]!.toLowerCase();
    if (params.has(name)) throw new DigestParseError(`repeated Digest parameter ${name}`);
    params.set(name, found[2] !== undefined ? found[2].replace(/\\(.)/g, '$1') : found[3]!);
    rest = rest.slice(pattern.lastIndex);
    pattern.lastIndex = 0;
  }
  const required = (name: string) => {
    const value = params.get(name);
    if (value === undefined || value === '') throw new DigestParseError(`missing Digest parameter ${name}`);
    return value;
  };
  const algorithm = normaliseAlgorithm(params.get('algorithm') ?? 'MD5');
  const credentials: DigestCredentials = {
    username: required('username'),
    realm: params.get('realm') ?? '',
    nonce: required('nonce'),
    uri: required('uri'),
    response: required('response').toLowerCase(),
    algorithm,
  };
  const qop = params.get('qop');
  if (qop !== undefined) {
    if (qop.toLowerCase() !== 'auth') throw new DigestParseError(`unsupported qop ${qop}`);
    credentials.qop = 'auth';
    credentials.nc = required('nc');
    credentials.cnonce = required('cnonce');
    if (!/^[0-9a-fA-F]{8}$/.test(credentials.nc)) throw new DigestParseError('nc must be 8 hex digits');
  }
  return credentials;
}

function normaliseAlgorithm(value: string): DigestAlgorithm {
  switch (value.toUpperCase()) {
    case 'MD5':
      return 'MD5';
    case 'MD5-SESS':
      return 'MD5-sess';
    case 'SHA-256':
      return 'SHA-256';
    case 'SHA-256-SESS':
      return 'SHA-256-sess';
    default:
      throw new DigestParseError(`unsupported algorithm ${value}`);
  }
}

function hashName(algorithm: DigestAlgorithm): 'md5' | 'sha256' {
  return algorithm.startsWith('MD5') ? 'md5' : 'sha256';
}

const hash = (name: 'md5' | 'sha256', text: string) => createHash(name).update(text).digest('hex');

/** The response a client holding the key would compute for this request. */
export function expectedResponse(credentials: DigestCredentials, method: string, storedHa1: string): string {
  const name = hashName(credentials.algorithm);
  const ha1 = credentials.algorithm.endsWith('-sess')
    ? hash(name, `${storedHa1}:${credentials.nonce}:${credentials.cnonce ?? ''}`)
    : storedHa1;
  const ha2 = hash(name, `${method}:${credentials.uri}`);
  return credentials.qop
    ? hash(name, `${ha1}:${credentials.nonce}:${credentials.nc}:${credentials.cnonce}:${credentials.qop}:${ha2}`)
    : hash(name, `${ha1}:${credentials.nonce}:${ha2}`);
}

export function responsesMatch(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function storedHa1For(algorithm: DigestAlgorithm, secrets: { md5: string; sha256: string }): string {
  return hashName(algorithm) === 'md5' ? secrets.md5 : secrets.sha256;
}

/**
 * Stateless nonces, 40 hex digits (no client's challenge parser can trip on them): 8 of
 * issue time (seconds), 4 naming the process or random, 8 random, then 20 of
 * HMAC-SHA-256 over the rest. When nonce uses are forgotten on restart (the embedded
 * store keeps them in memory, or in a scratch file shared by its processes), the 4 name
 * this run: a nonce from an earlier run is stale, since its uses were forgotten, and the
 * client is sent a fresh one.
 */
export class NonceAuthority {
  constructor(
    private readonly secret: Buffer,
    readonly lifetimeSeconds: number,
    private readonly processTag?: string,
  ) {
    if (processTag !== undefined && !/^[0-9a-f]{4}$/.test(processTag)) throw new Error('a process tag is 4 hex digits');
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('hex').slice(0, 20);
  }

  issue(now: Date): string {
    const seconds = Math.max(0, Math.floor(now.getTime() / 1000));
    const body =
      seconds.toString(16).padStart(8, '0').slice(-8) +
      (this.processTag ?? randomBytes(2).toString('hex')) +
      randomBytes(4).toString('hex');
    return body + this.mac(body);
  }

  /** `valid` (authentic and fresh), `stale` (authentic but expired) or `invalid`. */
  check(nonce: string, now: Date): { status: 'valid' | 'stale' | 'invalid'; expiresAt: Date } {
    const never = new Date(0);
    if (!/^[0-9a-f]{40}$/.test(nonce)) return { status: 'invalid', expiresAt: never };
    const body = nonce.slice(0, 20);
    if (!responsesMatch(this.mac(body), nonce.slice(20))) return { status: 'invalid', expiresAt: never };
    const issuedAt = parseInt(body.slice(0, 8), 16) * 1000;
    const expiresAt = new Date(issuedAt + this.lifetimeSeconds * 1000);
    if (issuedAt > now.getTime() + 60_000) return { status: 'invalid', expiresAt: never };
    if (this.processTag !== undefined && body.slice(8, 12) !== this.processTag) return { status: 'stale', expiresAt };
    return { status: now < expiresAt ? 'valid' : 'stale', expiresAt };
  }
}

/** The one challenge header, exactly as Atlas words it (Go's digest transport rejects any extra parameter). */
export function challengeHeader(nonce: string, stale: boolean): string {
  return `Digest realm="${REALM}", domain="", nonce="${nonce}", algorithm=MD5, qop="auth", stale=${stale}`;
}

/**
 * Whether the `uri` a client signed names this request. Clients disagree on how they
 * encode `$external`, DNs and `%2F`, so equal percent-decoded forms also match.
 */
export function uriMatches(signedUri: string, requestTarget: string): boolean {
  if (signedUri === requestTarget) return true;
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text.replace(/\+/g, '%20'));
    } catch {
      return undefined;
    }
  };
  const signed = decode(signedUri);
  return signed !== undefined && signed === decode(requestTarget);
}
