import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Atlas error answers, checked exactly (shared/spec/atlas-api.md "Errors" and
 * docs/compatibility.md "Errors", "Wire format").
 */

/** The Digest 401 body, byte for byte: Atlas' member order, not alphabetical. */
export const UNAUTHORIZED_BODY =
  '{"error":401,"reason":"Unauthorized","detail":"You are not authorized for this resource."}';

/** The reason phrase Atlas writes for each status dbcerts answers with. */
const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
};

/** An Atlas error body, members in the alphabetical order Atlas writes them. */
export interface AtlasErrorBody {
  detail: string;
  error: number;
  errorCode: string;
  parameters: unknown[];
  reason: string;
}

/** An expected error by status, code and detail; `parameters` defaults to []. */
export interface ErrorFields {
  status: number;
  errorCode: string;
  detail: string;
  parameters?: unknown[];
}

/** An expected error: its fields, or the whole body (as the builders below give it). */
export type ErrorExpectation = ErrorFields | AtlasErrorBody;

const MEMBERS = ['detail', 'error', 'errorCode', 'parameters', 'reason'];

function reasonOf(status: number): string {
  const reason = REASONS[status];
  if (reason === undefined) throw new Error(`no Atlas reason phrase known for status ${status}`);
  return reason;
}

/** The whole Atlas error body for a status, code, detail and parameters. */
export function atlasError(
  error: number,
  errorCode: string,
  detail: string,
  parameters: unknown[] = [],
): AtlasErrorBody {
  return { detail, error, errorCode, parameters, reason: reasonOf(error) };
}

/** The whole body an expectation stands for. */
function errorBody(expected: ErrorExpectation): AtlasErrorBody {
  if ('reason' in expected) return expected;
  return atlasError(expected.status, expected.errorCode, expected.detail, expected.parameters ?? []);
}

/** A response from either test client: fetch's Headers (DigestClient) or Node's (raw HTTP). */
interface AnyResponse {
  status: number;
  text: string;
  headers: Headers | IncomingHttpHeaders;
  json(): any;
}

function contentType(response: AnyResponse): string {
  const { headers } = response;
  if (headers instanceof Headers) return headers.get('content-type') ?? '';
  return String(headers['content-type'] ?? '');
}

/**
 * An Atlas error answer, exactly: the status, a JSON content type, the whole body, and the
 * members compact and in alphabetical order, as Atlas writes them.
 */
export function assertAtlasError(response: AnyResponse, expected: ErrorExpectation, message?: string): void {
  const body = errorBody(expected);
  assert.equal(response.status, body.error, message === undefined ? response.text : `${message}: ${response.text}`);
  assert.match(contentType(response), /^application\/json/, message);
  assert.deepEqual(response.json(), body, message);
  assert.deepEqual(Object.keys(response.json()), MEMBERS, message);
  assert.ok(
    response.text.startsWith('{"detail":'),
    message === undefined ? response.text : `${message}: ${response.text}`,
  );
}

/**
 * A v2 error answer: exactly `expected` as `assertAtlasError` checks it, preceded (for a
 * request a schema refused) by `badRequestDetail` naming the violations.
 */
export function assertV2AtlasError(response: AnyResponse, expected: ErrorExpectation, message?: string): void {
  const { badRequestDetail, ...rest } = response.json();
  if (badRequestDetail === undefined) return assertAtlasError(response, expected, message);
  assert.equal(response.status, 400, message === undefined ? response.text : `${message}: ${response.text}`);
  assert.ok(badRequestDetail.fields.length > 0, message);
  for (const violation of badRequestDetail.fields) {
    assert.deepEqual(Object.keys(violation), ['description', 'field'], message);
  }
  assert.ok(response.text.startsWith('{"badRequestDetail":'), message);
  const text = JSON.stringify(rest);
  assertAtlasError({ ...response, text, json: () => rest }, expected, message);
}

// The errors several test files expect, in Atlas' wording.

export const groupNotFound = (groupId: string): AtlasErrorBody =>
  atlasError(404, 'GROUP_NOT_FOUND', `No group with ID ${groupId} exists.`, [groupId]);

export const usernameNotFound = (username: string): AtlasErrorBody =>
  atlasError(404, 'USERNAME_NOT_FOUND', `No user with username ${username} exists.`, [username]);

/** `path` without its query. */
export const resourceNotFound = (path: string): AtlasErrorBody =>
  atlasError(404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${path}.`, [path]);

export const invalidQueryParameter = (name: string): AtlasErrorBody =>
  atlasError(400, 'INVALID_QUERY_PARAMETER', `Invalid query parameter ${name} specified.`, [name]);

export const invalidGroupId = (groupId: string): AtlasErrorBody =>
  atlasError(404, 'INVALID_GROUP_ID', `An invalid group ID ${groupId} was specified.`, [groupId]);

export const invalidAttribute = (name: string): AtlasErrorBody =>
  atlasError(400, 'INVALID_ATTRIBUTE', `Invalid attribute ${name} specified.`, [name]);

export const invalidJsonAttribute = (name: string): AtlasErrorBody =>
  atlasError(400, 'INVALID_JSON_ATTRIBUTE', `Received JSON for the ${name} attribute does not match expected format.`, [
    name,
  ]);

export const invalidEnumValue = (value: string): AtlasErrorBody =>
  atlasError(400, 'INVALID_ENUM_VALUE', `An invalid enumeration value ${value} was specified.`, [value]);

export const missingAttribute = (name: string): AtlasErrorBody =>
  atlasError(400, 'MISSING_ATTRIBUTE', `The required attribute ${name} was not specified.`, [name]);
