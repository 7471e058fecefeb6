import { type Json, parseJson } from './json.js';

/**
 * The console is a client of the Atlas API: every call goes to the same /api/atlas routes
 * as curl's, authenticated by the session cookie. Writes carry the session's CSRF token.
 * JSON calls use v2 (its versioned media type); file downloads use v1.0, whose PEM and
 * DER answers need no version in the Accept header.
 */

const V2 = '/api/atlas/v2';
const V1 = '/api/atlas/v1.0';
/** The resource version the console asks for, unless an operation has it only in another. */
const V2_VERSION = '2023-01-01';
/** Atlas has service accounts in this resource version alone (2023-01-01 answers 406). */
export const SERVICE_ACCOUNTS_VERSION = '2024-08-05';
const mediaType = (version: string) => `application/vnd.atlas.${version}+json`;
/**
 * On every call: the server then never answers a call without a cookie (signed out in
 * another tab) with the Digest challenge, which would make the browser prompt for a password.
 */
const CONSOLE_HEADERS = { 'X-Dbcerts-Console': '1' };

/** An Atlas error answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string | undefined,
    detail: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

/** The session ended (401 without an Atlas error code: no valid credentials at all). */
export class SessionEndedError extends Error {
  constructor() {
    super('Your session has ended. Sign in again.');
    this.name = 'SessionEndedError';
  }
}

/** The server could not be reached at all (fetch itself failed). */
class UnreachableError extends Error {
  constructor() {
    super('The dbcerts server could not be reached. Check the connection, then retry.');
    this.name = 'UnreachableError';
  }
}

export interface ApiHooks {
  csrfToken(): string | undefined;
  /** Before a call: false when the session is known to have ended. */
  beforeCall(): Promise<boolean>;
  afterCall(): void;
  ended(): void;
}

let hooks: ApiHooks | undefined;
export function setApiHooks(value: ApiHooks): void {
  hooks = value;
}

/** A path from segments, each percent-encoded (usernames may hold `/`, `?`, `#`…). */
export function path(...segments: Array<string | number | bigint>): string {
  return segments.map((segment) => `/${encodeURIComponent(String(segment))}`).join('');
}

export type Query = Record<string, string | number | undefined | Array<string | number>>;

function withQuery(url: string, query: Query | undefined): string {
  if (!query) return url;
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue;
    for (const item of [value].flat()) parameters.append(name, String(item));
  }
  const text = parameters.toString();
  return text ? `${url}?${text}` : url;
}

export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = parseJson(text) as { detail?: Json; errorCode?: Json };
    const detail = typeof body.detail === 'string' ? body.detail : `HTTP ${response.status}`;
    return new ApiError(response.status, typeof body.errorCode === 'string' ? body.errorCode : undefined, detail);
  } catch {
    return new ApiError(response.status, undefined, `HTTP ${response.status}`);
  }
}

/**
 * An error in the console's words: Atlas calls a project a "group" in its messages, and
 * a failed fetch says nothing a person can act on.
 */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const detail = error.message
      .replace(/\bNo group with ID (\S+) exists\./, 'No project with ID $1 exists, or this key cannot see it.')
      .replace(/\bAn invalid group ID (\S+) was specified\./, '$1 is not a project ID.')
      .replace(
        /\bThe current user is not in the group, or the group does not exist\./,
        'This key has no role in this project, or the project does not exist.',
      )
      .replace(/\bgroup\b/g, 'project');
    return `${detail}${error.errorCode ? ` (${error.errorCode})` : ''}`;
  }
  if (error instanceof TypeError || error instanceof UnreachableError) return new UnreachableError().message;
  return error instanceof Error ? error.message : String(error);
}

interface CallOptions {
  body?: unknown;
  query?: Query;
  /** Answer as text (PEM) instead of JSON. */
  text?: boolean;
  /** The operation's resource version, when it is not 2023-01-01. */
  version?: string;
}

async function send(url: string, init: RequestInit): Promise<Response> {
  if (hooks && !(await hooks.beforeCall())) throw new SessionEndedError();
  let response: Response;
  try {
    response = await fetch(url, { credentials: 'same-origin', cache: 'no-store', ...init });
  } catch {
    throw new UnreachableError();
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    // Atlas' role refusals are 401s too, but they carry an error code; the bare 401 is "who are you?".
    if (response.status === 401 && error.errorCode === undefined) {
      hooks?.ended();
      throw new SessionEndedError();
    }
    hooks?.afterCall();
    throw error;
  }
  hooks?.afterCall();
  return response;
}

/** One Atlas v2 call. Throws ApiError for Atlas errors, SessionEndedError when signed out. */
export async function call<T = any>(method: string, route: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { ...CONSOLE_HEADERS, Accept: mediaType(options.version ?? V2_VERSION) };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = hooks?.csrfToken() ?? '';
  const response = await send(withQuery(`${V2}${route}`, options.query), {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  if (options.text) return text as T;
  return (text === '' ? null : parseJson(text)) as T;
}

/** Saves `blob` as a file, the browser's own download. */
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads a v1.0 file (PEM, DER) through the same call path: a dead session never prompts. */
export async function downloadFile(route: string, fileName: string): Promise<void> {
  const response = await send(`${V1}${route}`, { method: 'GET', headers: { ...CONSOLE_HEADERS } });
  saveFile(await response.blob(), fileName);
}

export interface Page<T> {
  results: T[];
  totalCount?: number;
}

export interface Listed<T> {
  items: T[];
  /** False when the list holds more than `limit` items and only the first ones were read. */
  complete: boolean;
  totalCount: number;
}

/** Every item of a list, page by page, at most `limit`: the caller says so when it stops short. */
export async function listAll<T>(route: string, query: Query = {}, limit = 5000, version?: string): Promise<Listed<T>> {
  const items: T[] = [];
  const itemsPerPage = 500;
  let totalCount = 0;
  for (let pageNum = 1; items.length < limit; pageNum++) {
    const page = await call<Page<T>>('GET', route, {
      query: { ...query, itemsPerPage, pageNum },
      ...(version !== undefined ? { version } : {}),
    });
    items.push(...page.results);
    totalCount = page.totalCount ?? items.length;
    if (page.results.length < itemsPerPage) break;
  }
  return { items: items.slice(0, limit), complete: totalCount <= limit, totalCount };
}

/** How many items a list holds (its totalCount, one item read). */
export async function countOf(route: string, query: Query = {}): Promise<number> {
  const page = await call<Page<unknown>>('GET', route, { query: { ...query, itemsPerPage: 1, includeCount: 'true' } });
  return page.totalCount ?? page.results.length;
}
