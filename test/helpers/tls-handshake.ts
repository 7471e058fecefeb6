import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { openssl, selfSignedP256 } from './openssl.js';

/**
 * A mutual-TLS handshake against Node's own TLS server: the check a mongod makes of a
 * client certificate, done by OpenSSL through a second code path (not dbcerts', not the
 * `openssl verify` command line).
 */

export interface HandshakeResult {
  authorized: boolean;
  authorizationError: string | null;
  peerCN: string | undefined;
}

let serverCredentials: Promise<{ key: string; cert: string }> | undefined;

/** One throwaway certificate for localhost, made once per test process. */
function localhostCredentials(): Promise<{ key: string; cert: string }> {
  serverCredentials ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbcerts-tls-server-'));
    const keyPath = join(dir, 'tls-server.key');
    const certPath = join(dir, 'tls-server.crt');
    await openssl(...selfSignedP256(keyPath), '-out', certPath, '-subj', '/CN=localhost', '-days', '2');
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  })();
  return serverCredentials;
}

/**
 * Connects with `clientCert`/`clientKey` (PEM; one PEM holding both works for each, as
 * drivers load tlsCertificateKeyFile) to a server that trusts only `trustedCa` and asks
 * for a client certificate; resolves to what the server concluded.
 */
export async function clientCertificateHandshake(
  trustedCa: string,
  clientCert: string,
  clientKey: string,
): Promise<HandshakeResult> {
  const { key, cert } = await localhostCredentials();
  let resolveResult!: (result: HandshakeResult) => void;
  const result = new Promise<HandshakeResult>((resolve) => (resolveResult = resolve));
  const server = tls.createServer(
    { key, cert, ca: [trustedCa], requestCert: true, rejectUnauthorized: false },
    (socket) => {
      const peer = socket.getPeerCertificate();
      resolveResult({
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : null,
        peerCN: typeof peer?.subject?.CN === 'string' ? peer.subject.CN : undefined,
      });
      socket.end('done');
    },
  );
  // A handshake that fails outright (rather than completing unauthorized) is reported too.
  server.on('tlsClientError', (error) =>
    resolveResult({ authorized: false, authorizationError: `handshake failed: ${error.message}`, peerCN: undefined }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    const client = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: [cert],
      cert: clientCert,
      key: clientKey,
    });
    client.on('error', () => {});
    client.on('data', () => {});
    const outcome = await result;
    client.destroy();
    return outcome;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
