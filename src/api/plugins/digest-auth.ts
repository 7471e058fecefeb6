import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Authority } from '../../authority/authority.js';
import type { AuthenticatedIdentity, Principal } from '../../authority/identities/principal.js';
import type { DigestIdentity } from '../../authority/identities/digest-keys.js';
import type { AccessRules } from '../../authority/identities/roles-and-access.js';
import { AtlasError } from '../../domain/errors.js';
import { type BucketPolicy, type BucketState, takeToken } from '../../domain/rate-limit.js';
import {
  carriesSessionCookie,
  comesFromConsoleScript,
  comesFromAnotherOrigin,
  isSafeMethod,
  presentedCsrfToken,
  sessionIdOf,
} from '../console/session-http.js';
import type { DigestFailure, Metrics } from '../metrics.js';
import {
  challengeHeader,
  DigestParseError,
  expectedResponse,
  NonceAuthority,
  parseDigestAuthorization,
  REALM,
  responsesMatch,
  storedHa1For,
  uriMatches,
} from '../digest.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set on every `/api/atlas` request that reaches a handler. */
    principal: Principal;
  }
  interface FastifyInstance {
    /**
     * Counts a failed authentication outside /api/atlas (the console's sign-in) against
     * its source, as Digest failures are: throws Atlas' 429 once the source has failed
     * too often.
     */
    authenticationFailed(request: FastifyRequest, reply: FastifyReply, reason: DigestFailure): void;
  }
}

export interface DigestAuthOptions {
  authority: Authority;
  metrics: Metrics;
  nonceLifetimeSeconds: number;
  /** Failed attempts one source address may make per period before it gets 429s. */
  failedAuthPolicy?: BucketPolicy;
  /** Path prefixes that require authentication. */
  protectedPrefixes: readonly string[];
  /** The public origin (`--public-url`), also accepted as the Origin of console writes. */
  publicUrl?: string | undefined;
}

// Atlas' 401 body for credential failures: no errorCode, and this member order.
export const UNAUTHORIZED_BODY = JSON.stringify({
  error: 401,
  reason: 'Unauthorized',
  detail: 'You are not authorized for this resource.',
});

const PURGE_INTERVAL_MS = 60_000;

/** 60 failed attempts per source, then one more per second. */
const DEFAULT_FAILED_AUTH_POLICY: BucketPolicy = { capacity: 60, refillRate: 60, refillSeconds: 60 };
const MAX_TRACKED_SOURCES = 10_000;

/**
 * Throttles failed authentication per source address, in this instance's memory (so
 * bad traffic costs no database writes). Only failures draw from a source's bucket, and
 * a correct credential always gets through: a key's legitimate users are never locked
 * out, while a source guessing keys gets 429s.
 */
class FailureThrottle {
  readonly #buckets = new Map<string, BucketState>();

  constructor(
    private readonly policy: BucketPolicy,
    private readonly now: () => number,
  ) {}

  /** Counts one failure; returns the wait when the source has exhausted its allowance. */
  take(source: string): { retryAfterSeconds: number } | undefined {
    const result = takeToken(this.policy, this.#buckets.get(source), this.now());
    this.#buckets.delete(source);
    if (this.#buckets.size >= MAX_TRACKED_SOURCES) this.#buckets.delete(this.#buckets.keys().next().value!);
    this.#buckets.set(source, result.state);
    return result.allowed ? undefined : { retryAfterSeconds: result.retryAfterSeconds };
  }
}

/**
 * Authenticates every protected request — HTTP Digest for API keys, Bearer tokens for
 * service accounts, and the web console's session cookie when there is no Authorization
 * header — before anything else looks at it: before the body is read, parsed or validated
 * (curl's first POST carries no body and must get the challenge, not a 400). All
 * failures look alike to the client. A console session's writes must also carry its
 * CSRF token and come from this server's own origin.
 */
async function digestAuth(app: FastifyInstance, options: DigestAuthOptions): Promise<void> {
  const { authority, metrics } = options;
  const failedAuthPolicy = options.failedAuthPolicy ?? DEFAULT_FAILED_AUTH_POLICY;
  const failures = new FailureThrottle(failedAuthPolicy, () => authority.clock.now().getTime());
  const nonces = new NonceAuthority(
    await authority.digestNonceSecret(),
    options.nonceLifetimeSeconds,
    // Uses forgotten on restart: nonces then carry the tag of this run.
    authority.store.digestNonceUses.nonceTag,
  );

  const purge = setInterval(() => {
    authority.store.digestNonceUses.purgeExpired(authority.clock.now()).catch((error: unknown) => {
      app.log.warn({ err: error }, 'could not purge expired Digest nonce uses');
    });
  }, PURGE_INTERVAL_MS);
  purge.unref();
  app.addHook('onClose', async () => clearInterval(purge));

  app.decorateRequest<Principal>('principal', null as unknown as Principal);

  function countFailure(request: FastifyRequest, reply: FastifyReply, reason: DigestFailure): void {
    metrics.digestFailures.inc({ reason });
    const throttled = failures.take(request.ip);
    if (!throttled) return;
    metrics.authenticationThrottled.inc();
    reply.header('Retry-After', throttled.retryAfterSeconds);
    throw new AtlasError(
      'RATE_LIMITED_TOKEN_BUCKET',
      'authentication',
      throttled.retryAfterSeconds,
      failedAuthPolicy.capacity,
      failedAuthPolicy.refillRate,
      failedAuthPolicy.refillSeconds,
    );
  }
  app.decorate('authenticationFailed', countFailure);

  function challenge(reply: FastifyReply, stale = false): FastifyReply {
    return reply
      .code(401)
      .header('www-authenticate', challengeHeader(nonces.issue(authority.clock.now()), stale))
      .type('application/json')
      .send(UNAUTHORIZED_BODY);
  }

  type Outcome =
    | { identity: AuthenticatedIdentity; sessionId?: string; access?: AccessRules }
    | { stale: true }
    | { failure: DigestFailure }
    | { sessionEnded: true }
    | { missing: true };

  async function authenticate(request: FastifyRequest): Promise<Outcome> {
    const header = request.headers.authorization;
    if (!header) {
      // The web console: a session cookie. An unknown or ended session costs the source
      // nothing, but gets no Digest challenge: the browser would prompt for a password
      // (or, driven by a script, wait for one) instead of letting the console sign in again.
      const sessionId = sessionIdOf(request);
      const session = sessionId === undefined ? undefined : await authority.consoleSessions.resolve(sessionId);
      if (session) return { identity: session, sessionId: sessionId! };
      return carriesSessionCookie(request) || comesFromConsoleScript(request)
        ? { sessionEnded: true }
        : { missing: true };
    }
    // Service accounts: an OAuth 2.0 access token from /api/oauth/token.
    const bearer = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer) {
      const account = await authority.oauth.authenticate(bearer[1]!);
      return account
        ? { identity: { kind: 'SERVICE_ACCOUNT', record: account, via: 'accessToken' } }
        : { failure: 'invalid_token' };
    }
    let credentials;
    try {
      credentials = parseDigestAuthorization(header);
    } catch (error) {
      if (error instanceof DigestParseError) return { failure: 'malformed' };
      throw error;
    }
    if (credentials.realm !== '' && credentials.realm !== REALM) return { failure: 'realm' };
    if (!uriMatches(credentials.uri, request.url)) return { failure: 'uri_mismatch' };
    const now = authority.clock.now();
    const nonce = nonces.check(credentials.nonce, now);
    if (nonce.status === 'invalid') return { failure: 'invalid_nonce' };
    const answers = (identity: DigestIdentity) =>
      responsesMatch(
        expectedResponse(credentials, request.method, storedHa1For(credentials.algorithm, identity.secrets)),
        credentials.response,
      );
    const ledger = authority.store.digestNonceUses;
    const use = [credentials.nonce, credentials.cnonce ?? '', credentials.nc ?? '', nonce.expiresAt] as const;
    const lastRead = ledger.recordUseReadingGenerations && authority.digestKeys.lastRead(credentials.username);
    if (lastRead && nonce.status === 'valid' && answers(lastRead)) {
      // The ledger is in the database (PostgreSQL): the use and the generations that say
      // whether the identity just checked is still current go in one round trip.
      const { firstUse, ...generations } = await ledger.recordUseReadingGenerations!(...use);
      if (!firstUse) return { failure: 'replayed' };
      const identity = await authority.digestKeys.identityAt(credentials.username, generations);
      if (!identity) return { failure: 'unknown_key' };
      if (identity.secrets !== lastRead.secrets && !answers(identity)) return { failure: 'wrong_response' };
      return admitted(identity);
    }
    const identity = await authority.digestKeys.identity(credentials.username);
    if (!identity) return { failure: 'unknown_key' };
    if (!answers(identity)) return { failure: 'wrong_response' };
    // Only a correct response learns that its nonce went stale (RFC 7616 §3.3).
    if (nonce.status === 'stale') return { stale: true };
    return (await ledger.recordUse(...use)) ? admitted(identity) : { failure: 'replayed' };
  }

  function admitted(identity: DigestIdentity & { catalogGeneration: bigint }) {
    return {
      identity: {
        kind: 'API_KEY',
        record: identity.record,
        via: 'digest',
        catalogGeneration: identity.catalogGeneration,
      },
      access: identity.access,
    } as const;
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
    const outcome = await authenticate(request);
    if ('missing' in outcome) return challenge(reply);
    if ('sessionEnded' in outcome) {
      return reply.code(401).header('cache-control', 'no-store').type('application/json').send(UNAUTHORIZED_BODY);
    }
    if ('stale' in outcome) return challenge(reply, true);
    if ('failure' in outcome) {
      countFailure(request, reply, outcome.failure);
      return challenge(reply);
    }
    const resource = (request.url.split('?')[0] ?? '').replace(/^\/+/, '');
    // Throws Atlas' 403s for an address the identity's access list does not admit.
    const principal = await authority.admission.admit(
      outcome.identity,
      request.ip,
      { method: request.method, resource },
      outcome.access,
    );
    request.principal = principal;
    // A session's write must prove it comes from the console itself: another site can make
    // the browser send the cookie, but can neither read the token nor forge the Origin.
    // Refused with the principal known, so the refusal is on the audit trail.
    if (outcome.sessionId !== undefined && !isSafeMethod(request.method)) {
      const tokenOk = authority.consoleSessions.csrfTokenMatches(outcome.sessionId, presentedCsrfToken(request));
      if (!tokenOk || comesFromAnotherOrigin(request, options.publicUrl)) throw new AtlasError('CSRF_TOKEN_INVALID');
    }
  });
}

export default fp(digestAuth, { name: 'dbcerts-digest-auth' });
