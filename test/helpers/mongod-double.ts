import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { deserialize, serialize, type Document } from 'bson';
import { formatRfc2253, type DnAttribute, type Rdn } from '../../src/domain/rfc2253.js';
import { NEW_P256_KEY, openssl } from './openssl.js';

/**
 * A TLS test double of mongod, for proving that the official driver can authenticate with a
 * certificate dbcerts issued (shared/spec/x509-and-mongod.md). It enforces what mongod enforces:
 * the TLS layer verifies the client certificate against `ca` (and `crl`) with OpenSSL, as
 * `net.tls.mode: requireTLS` + `CAFile`/`CRLFile` does, and MONGODB-X509 names the `$external`
 * user after the certificate subject in RFC 2253 form, compared byte for byte. It speaks just
 * enough of the wire protocol for a driver's handshake, authentication and a few commands.
 */

export interface MongodDoubleOptions {
  /** Trusted CAs (`net.tls.CAFile`). */
  caPem: string | string[];
  /** CRLs (`net.tls.CRLFile`): a revoked client certificate fails the handshake. */
  crlPem?: string | string[];
  /** `$external` users, by RFC 2253 subject. */
  users: string[];
  /** The server's certificate, and what the driver should trust for it (by default the certificate itself).
   * Without them the double makes a throwaway self-signed one for localhost/127.0.0.1. */
  serverCertPem?: string;
  serverKeyPem?: string;
  serverCaPem?: string;
}

export interface Authentication {
  /** The certificate subject in RFC 2253 form (the `$external` user mongod names), and the `user` requested. */
  user: string;
  requestedUser: string | undefined;
  ok: boolean;
  reason: string | undefined;
  /** Whether it came in the handshake's `speculativeAuthenticate`. */
  speculative: boolean;
}

export interface MongodDouble {
  port: number;
  serverCaPem: string;
  /** `serverCaPem` in a file, for the driver's `tlsCAFile`. */
  serverCaFile: string;
  authentications: Authentication[];
  /** Refused handshakes: OpenSSL's verdict on the client certificate (e.g. CERT_REVOKED), or a TLS error. */
  tlsErrors: Array<{ code: string | undefined; message: string }>;
  close(): Promise<void>;
}

const MAX_MESSAGE_SIZE = 48_000_000;
const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const AUTHENTICATION_FAILED = { ok: 0, errmsg: 'Authentication failed.', code: 18, codeName: 'AuthenticationFailed' };
const HELLO = {
  helloOk: true,
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: MAX_MESSAGE_SIZE,
  maxWriteBatchSize: 100_000,
  logicalSessionTimeoutMinutes: 30,
  minWireVersion: 0,
  maxWireVersion: 21,
  readOnly: false,
};

export async function startMongodDouble(options: MongodDoubleOptions): Promise<MongodDouble> {
  const dir = mkdtempSync(join(tmpdir(), 'mongod-double-'));
  let { serverCertPem: cert, serverKeyPem: key, serverCaPem } = options;
  if (cert === undefined || key === undefined) {
    ({ cert, key } = await throwawayServerCertificate(dir));
  }
  serverCaPem ??= cert;
  const serverCaFile = join(dir, 'server-ca.pem');
  writeFileSync(serverCaFile, serverCaPem);
  const memberAttributes = clusterAttributes(subjectRdns(new X509Certificate(cert).raw)); // see authenticate

  const authentications: Authentication[] = [];
  const tlsErrors: MongodDouble['tlsErrors'] = [];
  const sockets = new Set<tls.TLSSocket>();
  let connectionCount = 0;

  const server = tls.createServer(
    {
      cert,
      key,
      ca: options.caPem,
      ...(options.crlPem !== undefined ? { crl: options.crlPem } : {}),
      // requireTLS with a CAFile: a client without a certificate OpenSSL verifies never gets in.
      // Like mongod (and like Node's own rejectUnauthorized: true), the verdict is read once the
      // handshake is done and the connection dropped; done by hand here only to record why.
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket) => serveConnection(socket, ++connectionCount),
  );
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket) => {
    tlsErrors.push({ code: error.code, message: error.message });
    socket.destroy();
  });

  function serveConnection(socket: tls.TLSSocket, connectionId: number): void {
    if (!socket.authorized) {
      tlsErrors.push({ code: String(socket.authorizationError), message: 'client certificate not verified' });
      return void socket.destroy();
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const rdns = subjectRdns(socket.getPeerCertificate(true).raw);
    const subject = formatRfc2253(rdns);
    let user: string | undefined;

    function authenticate(request: Document, db: string, speculative: boolean): boolean {
      const requestedUser = typeof request.user === 'string' ? request.user : undefined;
      let reason: string | undefined;
      if (request.mechanism !== 'MONGODB-X509') reason = `unsupported mechanism ${String(request.mechanism)}`;
      else if (db !== '$external') reason = `MONGODB-X509 must use $external, not ${db}`;
      else if (requestedUser !== undefined && requestedUser !== subject) reason = 'user does not match the subject';
      // mongod takes a client with its own member certificate's O/OU/DC for a cluster member, which
      // it refuses as a user unless cluster X.509 auth is on (it is not, here).
      else if (memberAttributes !== '[]' && clusterAttributes(rdns) === memberAttributes) reason = 'cluster member';
      else if (!options.users.includes(subject)) reason = 'no such $external user';
      authentications.push({ user: subject, requestedUser, ok: reason === undefined, reason, speculative });
      if (reason === undefined) user = subject;
      return reason === undefined;
    }

    // mongod answers these without authentication. Any other command needs it (13 Unauthorized),
    // and after it this double, which implements nothing else, answers 59 CommandNotFound.
    function run(body: Document, db: string): Document {
      const name = Object.keys(body)[0] ?? '';
      switch (name) {
        case 'hello':
        case 'isMaster':
        case 'ismaster': {
          // mongod answers the legacy command in the legacy field; drivers read either.
          const role = name === 'hello' ? { isWritablePrimary: true } : { ismaster: true };
          const reply: Document = { ...role, ...HELLO, localTime: new Date(), connectionId, ok: 1 };
          // A failed speculative authentication is silent: the driver then sends `authenticate`.
          const speculative = body.speculativeAuthenticate as Document | undefined;
          if (speculative && authenticate(speculative, speculative.db ?? '$external', true)) {
            reply.speculativeAuthenticate = { dbname: '$external', user };
          }
          return reply;
        }
        case 'authenticate':
          return authenticate(body, db, false) ? { dbname: '$external', user, ok: 1 } : AUTHENTICATION_FAILED;
        case 'connectionStatus': {
          const authenticatedUsers = user ? [{ user, db: '$external' }] : [];
          return { authInfo: { authenticatedUsers, authenticatedUserRoles: [] }, ok: 1 };
        }
        case 'ping':
        case 'endSessions':
          return { ok: 1 };
        default:
          return user
            ? { ok: 0, errmsg: `no such command: '${name}'`, code: 59, codeName: 'CommandNotFound' }
            : { ok: 0, errmsg: `command ${name} requires authentication`, code: 13, codeName: 'Unauthorized' };
      }
    }

    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 16) {
        const length = pending.readInt32LE(0);
        if (length < 16 || length > MAX_MESSAGE_SIZE) return void socket.destroy();
        if (pending.length < length) return;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        let reply: Buffer | undefined;
        try {
          reply = respond(message, run);
        } catch {
          return void socket.destroy(); // a message this double cannot parse: hang up, as mongod does
        }
        if (reply) socket.write(reply);
      }
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    serverCaPem,
    serverCaFile,
    authentications,
    tlsErrors,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function clusterAttributes(rdns: readonly Rdn[]): string {
  const cluster = new Set(['2.5.4.10', '2.5.4.11', '0.9.2342.19200300.100.1.25']); // O, OU, DC
  const values = rdns.flat().filter((a) => cluster.has(a.oid));
  return JSON.stringify(values.map((a) => `${a.oid}=${a.value}`).sort());
}

/** Parses one wire message and returns the serialized reply (none for OP_MSG moreToCome). */
function respond(message: Buffer, run: (body: Document, db: string) => Document): Buffer | undefined {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_QUERY) {
    // The driver's first handshake: it cannot know the server speaks OP_MSG until it answers.
    const nameEnd = message.indexOf(0, 20);
    const collection = message.toString('utf8', 20, nameEnd);
    const docStart = nameEnd + 1 + 8; // numberToSkip, numberToReturn
    const query = deserialize(message.subarray(docStart, docStart + message.readInt32LE(docStart)));
    const reply = serialize(run(query.$query ?? query, collection.replace(/\.\$cmd$/, '')));
    const fields = Buffer.alloc(20); // responseFlags, cursorID, startingFrom, numberReturned
    fields.writeInt32LE(1, 16);
    return frame(requestId, OP_REPLY, fields, reply);
  }
  if (opCode !== OP_MSG) throw new Error(`unsupported opCode ${opCode}`);
  const flags = message.readUInt32LE(16);
  const end = flags & 1 ? message.length - 4 : message.length; // checksumPresent: CRC-32C trailer
  let body: Document | undefined;
  for (let offset = 20; offset < end; offset += 1 + message.readInt32LE(offset + 1)) {
    // Kind 1 (document sequences) only carries bulk-write payloads, which this double never takes.
    if (message[offset] !== 0) throw new Error(`OP_MSG section kind ${message[offset]} not supported`);
    body = deserialize(message.subarray(offset + 1, offset + 1 + message.readInt32LE(offset + 1)));
  }
  if (!body) throw new Error('OP_MSG without a body section');
  const reply = serialize(run(body, String(body.$db ?? 'admin')));
  if (flags & 2) return undefined; // moreToCome: the client expects no answer
  return frame(requestId, OP_MSG, Buffer.from([0, 0, 0, 0, 0]), reply); // flagBits 0, section kind 0
}

function frame(responseTo: number, opCode: number, ...parts: Uint8Array[]): Buffer {
  const header = Buffer.alloc(16);
  const length = 16 + parts.reduce((n, p) => n + p.length, 0);
  header.writeInt32LE(length, 0);
  header.writeInt32LE(Math.floor(Math.random() * 2 ** 31), 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, ...parts]);
}

// ---------------------------------------------------------------------------------------------
// The subject, read from the certificate's DER with a reader of its own, so that the name the
// double authenticates owes nothing to dbcerts' certificate writer.

type Tlv = { tag: number; start: number; content: number; end: number };

function tlv(der: Uint8Array, start: number): Tlv {
  const tag = der[start]!;
  let length = der[start + 1]!;
  let content = start + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[content++]!;
  }
  if (content + length > der.length) throw new Error('truncated DER');
  return { tag, start, content, end: content + length };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.content; p < parent.end; p = out[out.length - 1]!.end) out.push(tlv(der, p));
  return out;
}

function oid(bytes: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
    else arcs.push(value);
    value = 0;
  }
  return arcs.join('.');
}

function text(tag: number, bytes: Uint8Array): string {
  if (tag === 0x0c) return Buffer.from(bytes).toString('utf8'); // UTF8String
  if (tag === 0x1e) return Buffer.from(bytes).swap16().toString('utf16le'); // BMPString
  if (tag !== 0x1c) return Buffer.from(bytes).toString('latin1'); // 8-bit string types, byte by byte
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength); // UniversalString
  return Array.from({ length: bytes.length / 4 }, (_, i) => String.fromCodePoint(view.getUint32(i * 4))).join('');
}

/** The subject's RDNs in DER order: Certificate → tbsCertificate → subject (after [0] version). */
function subjectRdns(der: Uint8Array): Rdn[] {
  const tbs = children(der, tlv(der, 0))[0]!;
  const fields = children(der, tbs);
  const subject = fields[(fields[0]!.tag === 0xa0 ? 1 : 0) + 4]!;
  return children(der, subject).map((rdn) =>
    children(der, rdn).map((atv): DnAttribute => {
      const [type, value] = children(der, atv) as [Tlv, Tlv];
      const content = der.subarray(value.content, value.end);
      return {
        oid: oid(der.subarray(type.content, type.end)),
        value: text(value.tag, content),
        der: der.subarray(value.start, value.end),
      };
    }),
  );
}

/** A throwaway self-signed certificate for localhost/127.0.0.1 (it is also the CA the driver trusts). */
async function throwawayServerCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const [certFile, keyFile] = [join(dir, 'server.pem'), join(dir, 'server.key')];
  const san = ['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'];
  // O=mongod-double gives the server a member identity, so the cluster-member rule has teeth.
  const subject = ['-subj', '/O=mongod-double/CN=localhost', '-days', '2'];
  await openssl('req', '-x509', ...NEW_P256_KEY, '-keyout', keyFile, '-out', certFile, ...subject, ...san);
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}
