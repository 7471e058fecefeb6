import { createHash, randomBytes } from 'node:crypto';

/**
 * A deliberately separate, minimal Digest client for tests (it shares no code with the
 * server's implementation). Real clients (curl, urllib) are exercised elsewhere.
 */

export interface Challenge {
  realm: string;
  nonce: string;
  qop?: string;
  algorithm?: string;
  stale?: string;
  [name: string]: string | undefined;
}

export function parseChallenge(header: string | null): Challenge {
  if (!header || !header.startsWith('Digest ')) throw new Error(`not a Digest challenge: ${header}`);
  const challenge: Record<string, string> = {};
  for (const match of header.slice(7).matchAll(/([a-zA-Z]+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    challenge[match[1]!] = match[2] ?? match[3] ?? '';
  }
  return challenge as unknown as Challenge;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export interface DigestParams {
  username: string;
  password: string;
  method: string;
  uri: string;
  challenge: Challenge;
  nc?: number;
  cnonce?: string;
}

export function authorizationHeader(params: DigestParams): string {
  const nc = (params.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = params.cnonce ?? randomBytes(8).toString('hex');
  const ha1 = md5(`${params.username}:${params.challenge.realm}:${params.password}`);
  const ha2 = md5(`${params.method}:${params.uri}`);
  const response = md5(`${ha1}:${params.challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return (
    `Digest username="${params.username}", realm="${params.challenge.realm}", nonce="${params.challenge.nonce}", ` +
    `uri="${params.uri}", qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}", algorithm=MD5`
  );
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON with every integer kept exact (serials exceed 2^53). */
  json<T = any>(): T;
}

/** A serial as parseJsonExact returns it: a number up to 2^53, a bigint above. */
export function jsonSerial(serial: bigint): number | bigint {
  return serial <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(serial) : serial;
}

/**
 * JSON.parse that keeps integers beyond 2^53 exact, as bigints. (Node 20 has no
 * JSON.parse source access, so this is a small parser of its own.)
 */
export function parseJsonExact(text: string): any {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(`bad JSON at ${i}: ${text.slice(i, i + 20)}`);
  };
  const space = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const value = (): any => {
    space();
    const char = text[i];
    if (char === '{') {
      i++;
      const object: Record<string, any> = {};
      space();
      if (text[i] === '}') return (i++, object);
      for (;;) {
        space();
        const key = value();
        if (typeof key !== 'string') fail();
        space();
        if (text[i++] !== ':') fail();
        object[key] = value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return (i++, object);
        else fail();
      }
    }
    if (char === '[') {
      i++;
      const array: any[] = [];
      space();
      if (text[i] === ']') return (i++, array);
      for (;;) {
        array.push(value());
        space();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return (i++, array);
        else fail();
      }
    }
    if (char === '"') {
      const match = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i)) ?? fail();
      i += match[0].length;
      return JSON.parse(match[0]);
    }
    const match = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i)) ?? fail();
    i += match[0].length;
    if (/^-?\d+$/.test(match[0])) {
      const integer = BigInt(match[0]);
      return integer >= BigInt(Number.MIN_SAFE_INTEGER) && integer <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(integer)
        : integer;
    }
    return JSON.parse(match[0]);
  };
  const result = value();
  space();
  if (i !== text.length) fail();
  return result;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

/** A Digest-authenticating HTTP client: challenge, then the signed request (curl's way). */
export class DigestClient {
  constructor(
    readonly baseUrl: string,
    readonly publicKey: string,
    readonly privateKey: string,
  ) {}

  async challenge(path: string, method = 'GET'): Promise<Challenge> {
    const response = await fetch(this.baseUrl + path, { method });
    await response.arrayBuffer();
    if (response.status !== 401) throw new Error(`expected a 401 challenge, got ${response.status}`);
    return parseChallenge(response.headers.get('www-authenticate'));
  }

  async request(path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const method = options.method ?? 'GET';
    const challenge = await this.challenge(path, method);
    const authorization = authorizationHeader({
      username: this.publicKey,
      password: this.privateKey,
      method,
      uri: path,
      challenge,
    });
    return send(this.baseUrl + path, method, authorization, options);
  }

  get(path: string): Promise<ApiResponse> {
    return this.request(path);
  }

  post(path: string, body?: unknown): Promise<ApiResponse> {
    return this.request(path, { method: 'POST', body });
  }

  patch(path: string, body?: unknown): Promise<ApiResponse> {
    return this.request(path, { method: 'PATCH', body });
  }

  delete(path: string): Promise<ApiResponse> {
    return this.request(path, { method: 'DELETE' });
  }
}

export async function send(
  url: string,
  method: string,
  authorization: string | undefined,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (authorization) headers.authorization = authorization;
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => parseJsonExact(text) };
}
