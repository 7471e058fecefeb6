import { type Json, parseJson } from './json.js';

/**
 * The console is a client of the Atlas API: every call goes to the same /api/atlas routes
 * as curl's, authenticated by the session cookie. Writes carry the session's CSRF token.
 * JSON calls use v2 (its versioned media type); plain download links use v1.0, whose
 * answers a browser can fetch without an Accept header of its own.
 */

export const V2 = '/api/atlas/v2';
export const V1 = '/api/atlas/v1.0';
const V2_MEDIA_TYPE = 'application/vnd.atlas.2023-01-01+json';

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
    const body = parseJson(text) as { detail?: Json; errorCode?: Json; error_description?: Json };
    const detail = typeof body.detail === 'string' ? body.detail : `HTTP ${response.status}`;
    return new ApiError(response.status, typeof body.errorCode === 'string' ? body.errorCode : undefined, detail);
  } catch {
    return new ApiError(response.status, undefined, `HTTP ${response.status}`);
  }
}

interface CallOptions {
  body?: unknown;
  query?: Query;
  /** Answer as text (PEM) instead of JSON. */
  text?: boolean;
}

/** One Atlas v2 call. Throws ApiError for Atlas errors, SessionEndedError when signed out. */
export async function call<T = any>(method: string, route: string, options: CallOptions = {}): Promise<T> {
  if (hooks && !(await hooks.beforeCall())) throw new SessionEndedError();
  const headers: Record<string, string> = { Accept: V2_MEDIA_TYPE };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = hooks?.csrfToken() ?? '';
  const response = await fetch(withQuery(`${V2}${route}`, options.query), {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
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
  const text = await response.text();
  if (options.text) return text as T;
  return (text === '' ? null : parseJson(text)) as T;
}

export interface Page<T> {
  results: T[];
  totalCount?: number;
}

/** Every item of a list, page by page (at most `limit`). */
export async function listAll<T>(route: string, query: Query = {}, limit = 5000): Promise<T[]> {
  const items: T[] = [];
  const itemsPerPage = 500;
  for (let pageNum = 1; items.length < limit; pageNum++) {
    const page = await call<Page<T>>('GET', route, { query: { ...query, itemsPerPage, pageNum } });
    items.push(...page.results);
    if (page.results.length < itemsPerPage) break;
  }
  return items.slice(0, limit);
}
