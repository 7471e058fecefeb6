import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { parseChallenge, parseJsonExact } from './digest-client.js';
import { V1 } from './server.js';

/**
 * A raw HTTP client for tests: the request target, headers and body go on the wire exactly
 * as given (no normalisation of the path, no added authentication).
 */

export interface RawResponse {
  status: number;
  rawHeaders: string[];
  headers: IncomingHttpHeaders;
  /** The body's bytes as sent (never decompressed). */
  body: Buffer;
  text: string;
  /** The body parsed with integers beyond 2^53 kept exact (as bigint). */
  json<T = any>(): T;
}

export interface RawOptions {
  /** Source address of the connection (127.0.0.2, ::1, …); the kernel's choice when absent. */
  from?: string;
  /** Where to connect (`::1` for IPv6); the origin's host by default. */
  host?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked, in pieces of this size. */
  chunkSize?: number;
  /**
   * Send only this many bytes of the body, then wait for the answer (a client whose
   * upload the server cuts short): the server's refusal is then read deterministically,
   * instead of racing a reset of the half-sent upload.
   */
  stallAfter?: number;
}

/**
 * Sends one request on a fresh connection. A body gets a Content-Length (unless one is
 * given, or it is sent chunked).
 */
export function raw(origin: string, method: string, target: string, options: RawOptions = {}): Promise<RawResponse> {
  const url = new URL(origin);
  const headers: Record<string, string> = { ...options.headers };
  const has = (name: string) => Object.keys(headers).some((key) => key.toLowerCase() === name);
  if (options.body !== undefined && options.chunkSize === undefined && !has('content-length')) {
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }
  if (options.chunkSize !== undefined) headers['transfer-encoding'] = 'chunked';
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      {
        host: options.host ?? url.hostname,
        port: url.port,
        method,
        path: target,
        headers,
        agent: false,
        ...(options.from ? { localAddress: options.from } : {}),
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          if (options.stallAfter !== undefined) req.destroy();
          resolve({
            status: res.statusCode ?? 0,
            rawHeaders: res.rawHeaders,
            headers: res.headers,
            body,
            text,
            json: () => parseJsonExact(text),
          });
        });
      },
    );
    // The server may answer before reading an unwanted body; errors after the answer are moot.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    let body = options.body === undefined ? undefined : Buffer.from(options.body);
    if (body && options.stallAfter !== undefined) body = body.subarray(0, options.stallAfter);
    if (body && options.chunkSize !== undefined) {
      const size = options.chunkSize;
      for (let offset = 0; offset < body.length; offset += size) req.write(body.subarray(offset, offset + size));
      if (options.stallAfter === undefined) req.end();
    } else if (options.stallAfter !== undefined) {
      req.write(body ?? Buffer.alloc(0));
    } else {
      req.end(body);
    }
  });
}

/** Every value of a header, however many times it was sent. */
export function headerValues(response: RawResponse, name: string): string[] {
  const values: string[] = [];
  for (let index = 0; index < response.rawHeaders.length; index += 2) {
    if (response.rawHeaders[index]!.toLowerCase() === name) values.push(response.rawHeaders[index + 1]!);
  }
  return values;
}

/** A fresh nonce, as a client gets it: from the challenge to an unauthenticated request. */
export async function freshNonce(origin: string): Promise<string> {
  const response = await raw(origin, 'GET', `${V1}/groups`);
  assert.equal(response.status, 401);
  return parseChallenge(headerValues(response, 'www-authenticate')[0] ?? null).nonce;
}
