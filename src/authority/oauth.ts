import { randomBytes } from 'node:crypto';
import { ACCESS_TOKEN_LIFETIME_SECONDS } from '../domain/service-account.js';
import type { SecretBox } from '../pki/secret-box.js';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';
import type { ClientSecrets } from './identities/client-secrets.js';
import type { IdentityRecord } from './identities/principal.js';

/** jose, loaded on first use: most deployments never issue a token, and start faster without it. */
const jose = () => import('jose');

const ISSUER = 'dbcerts';
const AUDIENCE = 'dbcerts-atlas-api';
const ALGORITHM = 'HS256';

/** An OAuth 2.0 error answer (RFC 6749 §5.2), e.g. `invalid_client`. */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly code: 'invalid_client' | 'invalid_request' | 'unsupported_grant_type',
    readonly description: string,
    readonly status: 400 | 401,
  ) {
    super(description);
  }
}

export interface AccessToken {
  accessToken: string;
  expiresIn: number;
}

/**
 * OAuth 2.0 client credentials for service accounts: access tokens are JWTs signed
 * (HS256) with a secret every instance reads from the store, so any instance verifies a
 * token another minted. A token names its account and secret; deleting either ends it at
 * its next use.
 */
export class OAuthService {
  #key: Promise<Uint8Array> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly secrets: SecretBox,
    private readonly clientSecrets: ClientSecrets,
  ) {}

  /** The token signing key, created with the store (so no request ever writes it). */
  signingKey(): Promise<Uint8Array> {
    this.#key ??= (async () => {
      const context = 'settings.oauth_signing_key';
      const sealed = await this.store.settings.getOrCreate('oauth_signing_key', () =>
        this.secrets.seal(randomBytes(32), context),
      );
      return new Uint8Array(this.secrets.open(sealed, context));
    })();
    return this.#key;
  }

  /** Mints a token for client credentials (the access list is checked when the token is used). */
  async issue(clientId: string, clientSecret: string): Promise<AccessToken> {
    const authenticated = await this.clientSecrets.verify(clientId, clientSecret);
    if (!authenticated) throw new OAuthError('invalid_client', 'Invalid credentials provided.', 401);
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const { SignJWT } = await jose();
    const accessToken = await new SignJWT({ sid: authenticated.secretId, org: authenticated.account.orgId })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(clientId)
      .setJti(randomBytes(16).toString('hex'))
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TOKEN_LIFETIME_SECONDS)
      .sign(await this.signingKey());
    return { accessToken, expiresIn: ACCESS_TOKEN_LIFETIME_SECONDS };
  }

  /**
   * Revokes an access token of the authenticated client (RFC 7009). Tokens that do not
   * verify, or belong to another client, are ignored: the answer is 200 either way.
   */
  async revoke(clientId: string, clientSecret: string, token: string): Promise<void> {
    const authenticated = await this.clientSecrets.verify(clientId, clientSecret);
    if (!authenticated) throw new OAuthError('invalid_client', 'Invalid credentials provided.', 401);
    try {
      const payload = await this.verifiedClaims(token);
      if (payload.sub === clientId && typeof payload.jti === 'string' && typeof payload.exp === 'number') {
        await this.store.revokedTokens.revoke(payload.jti, new Date(payload.exp * 1000));
      }
    } catch (error) {
      if (!(error instanceof (await jose()).errors.JOSEError)) throw error;
    }
  }

  /** The claims of a token this server signed and that is valid now; throws jose's errors otherwise. */
  private async verifiedClaims(token: string) {
    const { jwtVerify } = await jose();
    const { payload } = await jwtVerify(token, await this.signingKey(), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: [ALGORITHM],
      currentDate: this.clock.now(),
    });
    return payload;
  }

  /** The service account a bearer token stands for, or undefined (bad signature, expired, revoked…). */
  async authenticate(token: string): Promise<IdentityRecord | undefined> {
    try {
      const payload = await this.verifiedClaims(token);
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.jti !== 'string') {
        return undefined;
      }
      if (await this.store.revokedTokens.isRevoked(payload.jti)) return undefined;
      return await this.clientSecrets.stillLive(payload.sub, payload.sid);
    } catch (error) {
      if (error instanceof (await jose()).errors.JOSEError) return undefined;
      throw error;
    }
  }
}
