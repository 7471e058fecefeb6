import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, describe, test } from 'node:test';
import { acceptCsr, CsrError } from '../../src/pki/csr.js';
import { openssl } from '../helpers/openssl.js';
import { scratchDirectory } from '../helpers/scratch.js';

/**
 * dbcerts checks a CSR's self-signature with Node's native `crypto.verify`, reading the
 * request with its own DER reader: every request here is made by `openssl req`, and its
 * verdict must be OpenSSL's (`openssl req -verify`), for every digest and padding OpenSSL
 * signs requests with, for requests altered after signing, and for malformed encodings.
 */

const scratch = scratchDirectory('csr-signatures');
const run = promisify(execFile);

interface Made {
  pem: string;
  der: Buffer;
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
}

function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}

async function makeRequest(keyPath: string, args: string[]): Promise<Made> {
  const pem = await openssl('req', '-new', '-key', keyPath, '-subj', '/CN=signatures', ...args);
  return { pem, der: pemToDer(pem) };
}

/** OpenSSL's verdict on a request's self-signature (3.0 exits 0 on a failure: its words decide). */
async function opensslVerdict(pem: string): Promise<boolean> {
  const path = scratch.write(pem, 'request.pem');
  const { stdout, stderr } = await run('openssl', ['req', '-in', path, '-noout', '-verify'], {
    encoding: 'utf8',
  }).catch((error: { stdout: string; stderr: string }) => error);
  return /verify OK/.test(`${stdout}${stderr}`);
}

async function dbcertsVerdict(pem: string): Promise<'accepted' | string> {
  try {
    await acceptCsr(pem);
    return 'accepted';
  } catch (error) {
    if (error instanceof CsrError) return error.message;
    throw error;
  }
}

const BAD_SIGNATURE = 'the signature does not verify with the request’s own key';
const DOES_NOT_PARSE = 'the request does not parse as PKCS#10';

describe('CSR self-signatures, against openssl req -verify', () => {
  let rsaKey: string;
  let ecKey: string;
  let p384Key: string;

  before(async () => {
    rsaKey = join(scratch.dir, 'rsa.key');
    ecKey = join(scratch.dir, 'ec.key');
    p384Key = join(scratch.dir, 'p384.key');
    await Promise.all([
      openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', rsaKey),
      openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', ecKey),
      openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', p384Key),
    ]);
  });

  const SIGNED: Array<{ name: string; key: () => string; args: string[] }> = [
    ...['sha1', 'sha224', 'sha256', 'sha384', 'sha512'].map((digest) => ({
      name: `RSA PKCS#1 v1.5 with ${digest}`,
      key: () => rsaKey,
      args: [`-${digest}`],
    })),
    ...['sha1', 'sha224', 'sha256', 'sha384', 'sha512'].map((digest) => ({
      name: `ECDSA P-256 with ${digest}`,
      key: () => ecKey,
      args: [`-${digest}`],
    })),
    { name: 'ECDSA P-384 with sha384', key: () => p384Key, args: ['-sha384'] },
    ...[
      ['sha256', 'digest'],
      ['sha256', '20'],
      ['sha384', '48'],
      ['sha512', '0'],
      ['sha1', '20'],
    ].map(([digest, salt]) => ({
      name: `RSASSA-PSS with ${digest}, salt ${salt}`,
      key: () => rsaKey,
      args: [`-${digest}`, '-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${salt}`],
    })),
  ];

  for (const kind of SIGNED) {
    test(`${kind.name}: accepted as OpenSSL accepts it, refused once one signed byte changes`, async () => {
      const made = await makeRequest(kind.key(), kind.args);
      assert.equal(await opensslVerdict(made.pem), true);
      assert.equal(await dbcertsVerdict(made.pem), 'accepted');
      const accepted = await acceptCsr(made.pem);
      const key = createPublicKey({ key: Buffer.from(accepted.spki), format: 'der', type: 'spki' });
      assert.ok(['rsa', 'ec'].includes(key.asymmetricKeyType!));

      // The subject's last byte (inside the signed CertificationRequestInfo) altered.
      const altered = Buffer.from(made.der);
      const at = altered.indexOf(Buffer.from('signatures', 'latin1'));
      altered[at + 9] = altered[at + 9]! ^ 0x01;
      assert.equal(await opensslVerdict(derToPem(altered)), false);
      assert.equal(await dbcertsVerdict(derToPem(altered)), BAD_SIGNATURE);
    });
  }

  test('a request whose signature algorithm names the other kind of key is refused', async () => {
    const made = await makeRequest(rsaKey, ['-sha256']);
    // sha256WithRSAEncryption (…01 01 0b, NULL parameters) relabelled ecdsa-with-SHA256.
    const rsaAlgorithm = Buffer.from('300d06092a864886f70d01010b0500', 'hex');
    const ecdsaAlgorithm = Buffer.from('300a06082a8648ce3d040302', 'hex');
    const at = made.der.lastIndexOf(rsaAlgorithm);
    assert.ok(at > 0);
    const body = Buffer.concat([made.der.subarray(4, at), ecdsaAlgorithm, made.der.subarray(at + rsaAlgorithm.length)]);
    const relabelled = Buffer.concat([Buffer.from([0x30, 0x82, body.length >> 8, body.length & 0xff]), body]);
    assert.equal(await opensslVerdict(derToPem(relabelled)), false);
    assert.equal(
      await dbcertsVerdict(derToPem(relabelled)),
      'the request is signed with an algorithm dbcerts does not verify',
    );
  });

  test('malformed encodings do not parse: bytes after the request, a length not minimal, truncation, a version not 0', async () => {
    const made = await makeRequest(ecKey, ['-sha256']);
    const trailing = Buffer.concat([made.der, Buffer.from([0x00])]);
    assert.equal(await dbcertsVerdict(derToPem(trailing)), DOES_NOT_PARSE);

    // The outer length written in two bytes where one would do (BER, not DER).
    assert.equal(made.der[1], 0x81, 'a P-256 request is under 256 bytes');
    const longForm = Buffer.concat([Buffer.from([0x30, 0x82, 0x00, made.der[2]!]), made.der.subarray(3)]);
    assert.equal(await dbcertsVerdict(derToPem(longForm)), DOES_NOT_PARSE);

    assert.equal(await dbcertsVerdict(derToPem(made.der.subarray(0, made.der.length - 5))), DOES_NOT_PARSE);

    const versionAt = made.der.indexOf(Buffer.from('020100', 'hex'));
    const version1 = Buffer.from(made.der);
    version1[versionAt + 2] = 0x01;
    assert.equal(await dbcertsVerdict(derToPem(version1)), DOES_NOT_PARSE);
  });

  test('a request written by hand with random bytes as its signature is refused', async () => {
    const made = await makeRequest(ecKey, ['-sha256']);
    const noise = Buffer.from(made.der);
    noise.fill(0x5a, noise.length - 20);
    const verdict = await dbcertsVerdict(derToPem(noise));
    assert.ok(verdict === BAD_SIGNATURE || verdict === DOES_NOT_PARSE, verdict);
    assert.equal(await opensslVerdict(derToPem(noise)), false);
  });
});
