import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authority } from '../../authority/authority.js';
import type { ConsoleCredentials, ConsoleIdentity } from '../../authority/console-sessions.js';
import { AtlasError } from '../../domain/errors.js';
import { UNAUTHORIZED_BODY } from '../plugins/digest-auth.js';
import type { ConsoleSession } from '../schemas/console-session.js';
import {
  type Asset,
  assetOf,
  chooseEncoding,
  DEFAULT_ASSET_DIRECTORIES,
  etagOf,
  loadAssets,
  notModified,
} from './assets.js';
import {
  clearedSessionCookie,
  comesFromAnotherOrigin,
  presentedCsrfToken,
  sessionCookie,
  sessionIdOf,
} from './session-http.js';

export interface ConsoleOptions {
  authority: Authority;
  publicUrl?: string | undefined;
  /** Where the console's files are (default: web/static and dist/web of this installation). */
  assetDirectories?: readonly string[];
}

/** The HTML shell's policy: nothing but this server's own files, never framed. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const SHELL_FILE = 'index.html';

const MAX_CREDENTIAL_LENGTH = 1024;

/** The sign-in body: `{publicKey, privateKey}` or `{clientId, clientSecret}`, nothing else. */
function credentialsOf(body: unknown): ConsoleCredentials {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AtlasError('INVALID_JSON');
  const members = body as Record<string, unknown>;
  const pair: readonly [string, string] =
    'clientId' in members || 'clientSecret' in members ? ['clientId', 'clientSecret'] : ['publicKey', 'privateKey'];
  for (const name of Object.keys(members).sort()) {
    if (!pair.includes(name)) throw new AtlasError('INVALID_ATTRIBUTE', name);
  }
  for (const name of pair) {
    const value = members[name];
    if (value === undefined) throw new AtlasError('MISSING_ATTRIBUTE', name);
    if (typeof value !== 'string' || value.length > MAX_CREDENTIAL_LENGTH) {
      throw new AtlasError('INVALID_JSON_ATTRIBUTE', name);
    }
  }
  return pair[0] === 'clientId'
    ? { clientId: members.clientId as string, clientSecret: members.clientSecret as string }
    : { publicKey: members.publicKey as string, privateKey: members.privateKey as string };
}

const PRELOAD_MARKER = '<!-- dbcerts:modulepreload -->';

/**
 * The page, taken out of the assets, with every module listed for preloading: the
 * browser fetches them all at once instead of discovering imports one level at a time.
 */
function shellWithPreloads(assets: Map<string, Asset>): Asset | undefined {
  const shell = assets.get(SHELL_FILE);
  assets.delete(SHELL_FILE);
  if (!shell) return undefined;
  const text = shell.bodies.identity.toString('utf8');
  const modules = [...assets.keys()].filter((name) => name.endsWith('.js') && name !== 'main.js').sort();
  const links = modules.map((name) => `<link rel="modulepreload" href="/console/assets/${name}" />`).join('\n    ');
  return assetOf(SHELL_FILE, Buffer.from(text.replace(PRELOAD_MARKER, links), 'utf8'));
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
}

function unauthorized(reply: FastifyReply): FastifyReply {
  // No WWW-Authenticate: the console's own 401 must not make the browser prompt for Digest.
  return noStore(reply).code(401).type('application/json').send(UNAUTHORIZED_BODY);
}

/**
 * The web console (docs/extensions.md, "Web console"): its session endpoints and its
 * files. Everything else the console shows it reads from the Atlas API itself, with the
 * session cookie as credentials.
 *
 * - `POST /console/session` signs in (`{publicKey, privateKey}` or `{clientId, clientSecret}`);
 * - `GET /console/session` says who is signed in, what it may do, and its CSRF token;
 * - `DELETE /console/session` signs out (CSRF token required);
 * - `GET /console` is the page, `GET /console/assets/<file>` its scripts and style.
 */
export async function consoleRoutes(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const { authority, publicUrl } = options;
  const sessions = authority.consoleSessions;

  const assets = loadAssets(options.assetDirectories ?? DEFAULT_ASSET_DIRECTORIES);
  const shell = shellWithPreloads(assets);
  if (!shell) app.log.warn('the web console is not built (no web/static/index.html): /console answers 503');
  else if (![...assets.keys()].some((name) => name.endsWith('.js'))) {
    app.log.warn('the web console scripts are not built (npm run build): /console will not work');
  }

  /** A session's answer: who, what it may do, its CSRF token. Always fresh, never cached. */
  function sendSession(reply: FastifyReply, status: number, sessionId: string, identity: ConsoleIdentity) {
    // Typed as the schema the console's wire types are printed from: a change shows here.
    const description: Static<typeof ConsoleSession> = sessions.describe(sessionId, identity);
    return noStore(reply).code(status).type('application/json').send(JSON.stringify(description));
  }

  app.post('/console/session', { schema: { hide: true }, bodyLimit: 16 * 1024 }, async (request, reply) => {
    // A sign-in posted by another site would sign the browser in as the attacker's key.
    if (comesFromAnotherOrigin(request, publicUrl)) throw new AtlasError('CSRF_TOKEN_INVALID');
    const credentials = credentialsOf(request.body);
    const verified = await sessions.verify(credentials);
    if (!verified) {
      app.authenticationFailed(request, reply, 'clientId' in credentials ? 'invalid_client' : 'wrong_response');
      return unauthorized(reply);
    }
    // The key's access list and its organization's rules apply to signing in as to any request.
    await authority.admission.admit(verified, request.ip, { method: 'POST', resource: 'console/session' });
    const { sessionId, identity } = await sessions.open(verified);
    reply.header('set-cookie', sessionCookie(request, sessionId));
    return sendSession(reply, 201, sessionId, identity);
  });

  app.get('/console/session', { schema: { hide: true } }, async (request, reply) => {
    const sessionId = sessionIdOf(request);
    const identity = sessionId === undefined ? undefined : await sessions.resolve(sessionId);
    if (!identity) return unauthorized(reply);
    await authority.admission.admit(identity, request.ip, { method: 'GET', resource: 'console/session' });
    return sendSession(reply, 200, sessionId!, identity);
  });

  app.delete('/console/session', { schema: { hide: true } }, async (request, reply) => {
    const sessionId = sessionIdOf(request);
    if (sessionId === undefined) return unauthorized(reply);
    // The token is derived from the id, so even an ended session's sign-out is checked.
    if (
      !sessions.csrfTokenMatches(sessionId, presentedCsrfToken(request)) ||
      comesFromAnotherOrigin(request, publicUrl)
    ) {
      throw new AtlasError('CSRF_TOKEN_INVALID');
    }
    await sessions.close(sessionId);
    return noStore(reply).header('set-cookie', clearedSessionCookie(request)).code(204).send();
  });

  async function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: Asset): Promise<FastifyReply> {
    await asset.compressed;
    const encoding = chooseEncoding(request.headers['accept-encoding'], asset);
    const etag = etagOf(asset, encoding);
    reply
      .header('etag', etag)
      .header('vary', 'Accept-Encoding')
      // Always revalidated: an upgrade is seen at once, and an unchanged file costs a 304.
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff');
    if (notModified(request.headers['if-none-match'], etag)) return reply.code(304).send();
    if (encoding !== 'identity') reply.header('content-encoding', encoding);
    return reply.code(200).type(asset.contentType).send(asset.bodies[encoding]);
  }

  app.get('/console', { schema: { hide: true } }, async (request, reply) => {
    if (!shell) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web console is not built: run npm run build.\n');
    }
    reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('cross-origin-opener-policy', 'same-origin');
    return sendAsset(request, reply, shell);
  });

  app.get('/console/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console', 301));

  app.get<{ Params: { '*': string } }>('/console/assets/*', { schema: { hide: true } }, async (request, reply) => {
    const asset = assets.get(request.params['*']);
    if (!asset) {
      return reply
        .code(404)
        .header('x-content-type-options', 'nosniff')
        .type('text/plain; charset=utf-8')
        .send('Not found.\n');
    }
    return sendAsset(request, reply, asset);
  });
}
