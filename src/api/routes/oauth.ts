import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authority } from '../../authority/authority.js';
import { OAuthError } from '../../authority/oauth.js';
import type { Metrics } from '../metrics.js';

/** Client credentials from HTTP Basic (RFC 6749 §2.3.1: each part form-urlencoded) or the body. */
function clientCredentials(request: FastifyRequest, form: URLSearchParams): { clientId: string; secret: string } {
  const basic = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new OAuthError('invalid_client', 'Invalid credentials provided.', 401);
    const part = (text: string) => {
      try {
        return decodeURIComponent(text.replace(/\+/g, ' '));
      } catch {
        return text;
      }
    };
    return { clientId: part(decoded.slice(0, colon)), secret: part(decoded.slice(colon + 1)) };
  }
  const clientId = form.get('client_id');
  const secret = form.get('client_secret');
  if (clientId && secret) return { clientId, secret };
  throw new OAuthError('invalid_client', 'Invalid credentials provided.', 401);
}

function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  // Atlas' member order: error_description, then error.
  return reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(JSON.stringify({ error_description: error.description, error: error.code }));
}

/**
 * The OAuth 2.0 endpoints of service accounts: `POST /api/oauth/token` (client
 * credentials grant) and `POST /api/oauth/revoke` (RFC 7009). Outside /api/atlas, so no
 * Digest; errors are OAuth's, not Atlas' error bodies.
 */
export async function oauthRoutes(app: FastifyInstance, options: { authority: Authority; metrics: Metrics }) {
  const { oauth } = options.authority;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(String(body)));
  });

  const formOf = (request: FastifyRequest) =>
    request.body instanceof URLSearchParams ? request.body : new URLSearchParams();

  // Public: these endpoints take client credentials, not the tokens they issue.
  const documented = (operationId: string, summary: string) => ({
    schema: { operationId, summary, tags: ['OAuth 2.0'], security: [] },
  });

  app.post('/api/oauth/token', documented('createAccessToken', 'Client credentials grant'), async (request, reply) => {
    try {
      const form = formOf(request);
      // RFC 6749 §3.1: a parameter sent without a value counts as omitted.
      const grant = form.get('grant_type');
      if (!grant) throw new OAuthError('invalid_request', 'grant_type is required.', 400);
      if (grant !== 'client_credentials') {
        throw new OAuthError('unsupported_grant_type', 'Only client_credentials is supported.', 400);
      }
      const { clientId, secret } = clientCredentials(request, form);
      const token = await oauth.issue(clientId, secret);
      return reply
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .type('application/json')
        .send(JSON.stringify({ access_token: token.accessToken, expires_in: token.expiresIn, token_type: 'Bearer' }));
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      if (error.code === 'invalid_client') options.metrics.digestFailures.inc({ reason: 'invalid_client' });
      return sendOAuthError(reply, error);
    }
  });

  app.post(
    '/api/oauth/revoke',
    documented('revokeAccessToken', 'Token revocation (RFC 7009)'),
    async (request, reply) => {
      try {
        const form = formOf(request);
        const token = form.get('token');
        if (token === null) throw new OAuthError('invalid_request', 'token is required.', 400);
        const { clientId, secret } = clientCredentials(request, form);
        await oauth.revoke(clientId, secret, token);
        return reply.code(200).header('cache-control', 'no-store').send();
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        if (error.code === 'invalid_client') options.metrics.digestFailures.inc({ reason: 'invalid_client' });
        return sendOAuthError(reply, error);
      }
    },
  );
}
