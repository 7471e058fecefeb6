import assert from 'node:assert/strict';
import { seededRandom } from '../helpers/random.js';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { managedX509Subject } from '../../src/domain/database-user.js';
import { escapeRfc2253Value, normalizeRfc2253 } from '../../src/domain/rfc2253.js';
import { MAX_SERIAL } from '../../src/domain/serial.js';
import { createCaCertificate, issueUserCertificate, prepareSigner } from '../../src/pki/certificates.js';
import {
  generateKey,
  type KeyAlgorithm,
  privateKeyToPkcs8Der,
  publicKeyToSpkiDer,
} from '../../src/pki/key-algorithms.js';

/**
 * The DER template issuer against OpenSSL on thousands of certificates: every one must
 * verify as a client certificate under its CA, and `openssl x509 -nameopt RFC2253` must
 * print exactly the subject dbcerts lists, the serial that is its _id and its validity.
 * Subjects, serials and dates are drawn from a seeded generator that favours the awkward
 * cases (characters RFC 2253 escapes, UTF-8, long names, serials at byte boundaries,
 * dates on both sides of the UTCTime/GeneralizedTime switch in 2050).
 */

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'dbcerts-template-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const PIECES = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...' #,+"\\<>;=.-_@/:*()[]{}|!?\'`~$%&^',
  'é',
  'ß',
  '日本',
  'Ω',
  '🔐',
  '\u00a0',
];

function randomValue(random: () => number, maxLength: number): string {
  const length = 1 + Math.floor(random() * maxLength);
  let value = '';
  while ([...value].length < length) value += PIECES[Math.floor(random() * PIECES.length)]!;
  return value;
}

interface Case {
  subject: string;
  /** What OpenSSL must print for it (and what dbcerts lists). */
  expected: string;
  serial: bigint;
  notBefore: Date;
  notAfter: Date;
}

const VERIFICATION_TIME = new Date('2025-06-01T00:00:00Z');

const BOUNDARY_SERIALS = [1n, 127n, 128n, 255n, 256n, 32767n, 32768n, 2n ** 53n + 1n, 2n ** 62n, MAX_SERIAL];

function cases(count: number, seed: number): Case[] {
  const random = seededRandom(seed);
  const result: Case[] = [];
  for (let index = 0; index < count; index++) {
    let subject: string;
    let expected: string;
    const shape = random();
    if (shape < 0.6) {
      // A plain username (no "=", else it is read as a DN): the subject is CN=<username>,
      // escaped as OpenSSL prints it.
      const username = randomValue(random, index % 50 === 0 ? 200 : 24).replaceAll('=', '-');
      subject = managedX509Subject(username);
      expected = subject;
    } else if (shape < 0.8) {
      // A username typed as a one-CN DN, with escapes and stray spaces the parser accepts.
      const value = randomValue(random, 16);
      subject = managedX509Subject(` CN = ${escapeRfc2253Value(value)}`);
      expected = `CN=${escapeRfc2253Value(value)}`;
    } else {
      // Several RDNs of the attribute types the template encodes specially (PrintableString, IA5String).
      const parts = [
        `CN=${escapeRfc2253Value(randomValue(random, 12))}`,
        `OU=${escapeRfc2253Value(randomValue(random, 8))}`,
        `O=${escapeRfc2253Value(randomValue(random, 8))}`,
        random() < 0.5 ? `DC=example${index}` : `emailAddress=user${index}@example.com`,
        `C=${['US', 'DE', 'JP', 'FR'][index % 4]}`,
      ];
      subject = parts.join(',');
      expected = normalizeRfc2253(subject);
    }
    const serial =
      index < BOUNDARY_SERIALS.length
        ? BOUNDARY_SERIALS[index]!
        : 1n + ((BigInt(Math.floor(random() * 2 ** 31)) << 32n) | BigInt(Math.floor(random() * 2 ** 32)));
    // Any second of 2024, so that VERIFICATION_TIME falls inside every validity period.
    const notBefore = new Date(Date.UTC(2024, 0, 1) + Math.floor(random() * 366 * 86_400) * 1000);
    // A quarter of them expire after 2049, where the encoding switches to GeneralizedTime.
    const years = random() < 0.25 ? 30 + Math.floor(random() * 40) : 2 + Math.floor(random() * 3);
    const notAfter = new Date(notBefore.getTime() + years * 365 * 86_400_000);
    result.push({ subject, expected, serial, notBefore, notAfter });
  }
  return result;
}

/**
 * One `openssl verify -show_chain -nameopt RFC2253` over every file: whether each verifies
 * as a client certificate, and the RFC 2253 subject OpenSSL prints for it (mongod's form).
 * The validation time is one at which every case is valid, so expiry never masks an
 * encoding fault.
 */
async function opensslVerifyAndSubjects(caPath: string, paths: string[], at: Date): Promise<Map<string, string>> {
  const { stdout } = await run(
    'openssl',
    [
      'verify',
      '-CAfile',
      caPath,
      '-purpose',
      'sslclient',
      '-attime',
      String(Math.floor(at.getTime() / 1000)),
      '-show_chain',
      '-nameopt',
      'RFC2253',
      ...paths,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const subjects = new Map<string, string>();
  const lines = stdout.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const verdict = /^(.*): OK$/.exec(lines[index]!);
    if (!verdict) continue;
    assert.equal(lines[index + 1], 'Chain:');
    const leaf = /^depth=0: (.*) \(untrusted\)$/.exec(lines[index + 2]!);
    assert.ok(leaf, lines[index + 2]);
    subjects.set(verdict[1]!, leaf[1]!);
  }
  return subjects;
}

const COMBINATIONS: Array<{ ca: KeyAlgorithm; user: KeyAlgorithm; count: number; seed: number }> = [
  { ca: 'ec-p256', user: 'ec-p256', count: 2000, seed: 1 },
  { ca: 'rsa-2048', user: 'ec-p256', count: 300, seed: 2 },
  { ca: 'ec-p384', user: 'rsa-2048', count: 300, seed: 3 },
  { ca: 'ec-p521', user: 'ec-p521', count: 300, seed: 4 },
];

for (const combination of COMBINATIONS) {
  describe(`${combination.count} ${combination.user} certificates from the template of an ${combination.ca} CA`, () => {
    test('openssl verifies each and prints its subject, serial and validity', async () => {
      const caKey = await generateKey(combination.ca);
      const ca = await createCaCertificate({
        subject: `CN=template test ${combination.ca},O=dbcerts`,
        serial: 7n,
        notBefore: new Date('2019-01-01T00:00:00Z'),
        notAfter: new Date('2099-01-01T00:00:00Z'),
        key: caKey,
      });
      const signer = await prepareSigner(ca.der, combination.ca, privateKeyToPkcs8Der(caKey.privateKey));
      const directory = mkdtempSync(join(scratch, `${combination.ca}-`));
      const caPath = join(directory, 'ca.pem');
      writeFileSync(caPath, ca.pem);
      const caCertificate = new X509Certificate(ca.pem);

      // A handful of user keys is enough: the encoder sees the SPKI as bytes; each key still
      // gets its own subject key identifier checked by the verifier's chain building.
      const userKeys = await Promise.all(Array.from({ length: 8 }, () => generateKey(combination.user)));
      const all = cases(combination.count, combination.seed);
      const paths: string[] = [];
      const issuedPems: string[] = [];
      for (const [index, item] of all.entries()) {
        const key = userKeys[index % userKeys.length]!;
        const issued = await issueUserCertificate(signer, { ...item, publicKey: publicKeyToSpkiDer(key.publicKey) });
        const certificate = new X509Certificate(issued.pem);
        assert.ok(certificate.checkIssued(caCertificate), `case ${index}: not issued by the CA`);
        assert.ok(certificate.verify(caCertificate.publicKey), `case ${index}: signature does not verify`);
        const path = join(directory, `${index}.pem`);
        writeFileSync(path, issued.pem);
        paths.push(path);
        issuedPems.push(issued.pem);
      }

      const subjects = await opensslVerifyAndSubjects(caPath, paths, VERIFICATION_TIME);
      for (const [index, item] of all.entries()) {
        const context = `case ${index}: ${JSON.stringify(item.subject)}`;
        assert.equal(subjects.get(paths[index]!), item.expected, context);
        // Serial and validity as OpenSSL's parser (behind node:crypto) reads them.
        const certificate = new X509Certificate(issuedPems[index]!);
        assert.equal(BigInt(`0x${certificate.serialNumber}`), item.serial, context);
        assert.equal(new Date(certificate.validFrom).toISOString(), item.notBefore.toISOString(), context);
        assert.equal(new Date(certificate.validTo).toISOString(), item.notAfter.toISOString(), context);
      }
    });
  });
}
