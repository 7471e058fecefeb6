import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Authority } from '../../authority/authority.js';
import type { Principal } from '../../authority/principal.js';
import type { ApiKey } from '../../domain/api-key.js';
import {
  challengeHeader,
  DigestParseError,
  expectedResponse,
  NonceAuthority,
  parseDigestAuthorization,
  responsesMatch,
  storedHa1For,
  uriMatches,
} from '../digest.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set on every `/api/atlas` request that reaches a handler. */
    principal: Principal;
  }
}

export interface DigestAuthOptions {
  authority: Authority;
  nonceLifetimeSeconds: number;
  /** Path prefixes that require authentication. */
  protectedPrefixes: readonly string[];
}

// Atlas' 401 body for credential failures: no errorCode, and this member order.
const UNAUTHORIZED_BODY = JSON.stringify({
  error: 401,
  reason: 'Unauthorized',
  detail: 'You are not authorized for this resource.',
});

const PURGE_INTERVAL_MS = 60_000;

/**
 * Authenticates every protected request with HTTP Digest before anything else looks at
 * it: before the body is read, parsed or validated (curl's first POST carries no body
 * and must get the challenge, not a 400). All failures look alike to the client.
 */
async function digestAuth(app: FastifyInstance, options: DigestAuthOptions): Promise<void> {
  const { authority } = options;
  const nonces = new NonceAuthority(await authority.digestNonceSecret(), options.nonceLifetimeSeconds);

  const purge = setInterval(() => {
    authority.store.digestNonceUses.purgeExpired(authority.clock.now()).catch((error: unknown) => {
      app.log.warn({ err: error }, 'could not purge expired Digest nonce uses');
    });
  }, PURGE_INTERVAL_MS);
  purge.unref();
  app.addHook('onClose', async () => clearInterval(purge));

  app.decorateRequest('principal', null as unknown as Principal);

  function challenge(reply: FastifyReply, stale = false): FastifyReply {
    return reply
      .code(401)
      .header('www-authenticate', challengeHeader(nonces.issue(authority.clock.now()), stale))
      .type('application/json')
      .send(UNAUTHORIZED_BODY);
  }

  async function authenticate(request: FastifyRequest): Promise<ApiKey | 'stale' | undefined> {
    const header = request.headers.authorization;
    if (!header) return undefined;
    let credentials;
    try {
      credentials = parseDigestAuthorization(header);
    } catch (error) {
      if (error instanceof DigestParseError) return undefined;
      throw error;
    }
    if (credentials.realm !== '' && credentials.realm !== 'MMS Public API') return undefined;
    if (!uriMatches(credentials.uri, request.url)) return undefined;
    const now = authority.clock.now();
    const nonce = nonces.check(credentials.nonce, now);
    if (nonce.status === 'invalid') return undefined;
    const identity = await authority.apiKeys.digestIdentity(credentials.username);
    if (!identity) return undefined;
    const expected = expectedResponse(
      credentials,
      request.method,
      storedHa1For(credentials.algorithm, identity.secrets),
    );
    if (!responsesMatch(expected, credentials.response)) return undefined;
    // Only a correct response learns that its nonce went stale (RFC 7616 §3.3).
    if (nonce.status === 'stale') return 'stale';
    const firstUse = await authority.store.digestNonceUses.recordUse(
      credentials.nonce,
      credentials.cnonce ?? '',
      credentials.nc ?? '',
      nonce.expiresAt,
    );
    return firstUse ? identity.apiKey : undefined;
  }

  /**
   * Whether a request needs credentials: its matched route is under a protected prefix,
   * or (for paths no route matches) its percent-decoded path is. The raw URL alone is
   * not enough: the router decodes `/api/%61tlas/…` to a protected route.
   */
  function isProtected(request: FastifyRequest): boolean {
    const underPrefix = (path: string) => options.protectedPrefixes.some((prefix) => path.startsWith(prefix));
    const route = request.routeOptions.url;
    if (route !== undefined && underPrefix(route)) return true;
    const path = request.url.split('?')[0] ?? '';
    try {
      return underPrefix(decodeURIComponent(path));
    } catch {
      return underPrefix(path);
    }
  }

  app.addHook('onRequest', async (request, reply) => {
    if (!isProtected(request)) return;
    const result = await authenticate(request);
    if (result === undefined) return challenge(reply);
    if (result === 'stale') return challenge(reply, true);
    const resource = (request.url.split('?')[0] ?? '').replace(/^\/+/, '');
    // Throws Atlas' 403s for an address the key's access list does not admit.
    request.principal = await authority.apiKeys.admit(result, request.ip, { method: request.method, resource });
  });
}

export default fp(digestAuth, { name: 'dbcerts-digest-auth' });
