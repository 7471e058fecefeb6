import { createHash, createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { oidOf, parseRfc2253, shortNameOf } from '../domain/rfc2253.js';
import {
  bitString,
  booleanTrue,
  explicit,
  ia5String,
  integer,
  objectIdentifier,
  octetString,
  printableString,
  sequence,
  setOf,
  tlv,
  time,
  utf8String,
} from './der.js';
import { type KeyAlgorithm, type KeyAlgorithmSpec, keyAlgorithmSpec } from './key-algorithms.js';

const signAsync = promisify(sign);

/** What never changes between two certificates of one CA, encoded once. */
export interface IssuerTemplate {
  algorithm: KeyAlgorithm;
  hash: KeyAlgorithmSpec['signature']['hash'];
  /** Signing waits for libuv's thread pool (costly keys: RSA, P-521) rather than running inline. */
  signsInBackground: boolean;
  signatureAlgorithm: Buffer;
  issuerName: Buffer;
  /** basicConstraints, keyUsage, extendedKeyUsage: the same in every user certificate. */
  fixedExtensions: Buffer;
  authorityKeyIdentifier: Buffer;
  privateKey: KeyObject;
}

const OID = {
  basicConstraints: objectIdentifier('2.5.29.19'),
  keyUsage: objectIdentifier('2.5.29.15'),
  extendedKeyUsage: objectIdentifier('2.5.29.37'),
  clientAuth: objectIdentifier('1.3.6.1.5.5.7.3.2'),
  subjectKeyIdentifier: objectIdentifier('2.5.29.14'),
  authorityKeyIdentifier: objectIdentifier('2.5.29.35'),
};

const NULL = Buffer.from([0x05, 0x00]);

/** The AlgorithmIdentifier of the signature a key of this algorithm makes. */
function signatureIdentifier({ oid, nullParameters }: KeyAlgorithmSpec['signature']): Buffer {
  return nullParameters ? sequence(objectIdentifier(oid), NULL) : sequence(objectIdentifier(oid));
}

/** Reads one TLV at `offset`: where its content starts and ends. */
function readTlv(der: Uint8Array, offset: number): { tag: number; start: number; end: number } {
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let index = 0; index < count; index++) length = length * 256 + der[start + index]!;
    start += count;
  }
  return { tag, start, end: start + length };
}

/** The subjectPublicKey bits of an SPKI (what RFC 5280 §4.2.1.2 method 1 hashes). */
function publicKeyBits(spki: Uint8Array): Uint8Array {
  const outer = readTlv(spki, 0);
  const algorithm = readTlv(spki, outer.start);
  const bits = readTlv(spki, algorithm.end);
  if (bits.tag !== 0x03) throw new Error('not a SubjectPublicKeyInfo');
  return spki.subarray(bits.start + 1, bits.end);
}

function keyIdentifier(spki: Uint8Array): Buffer {
  return createHash('sha1').update(publicKeyBits(spki)).digest();
}

/** The pieces of a CA certificate's TBS a user certificate reuses: its subject and key identifier. */
function caFields(caDer: Uint8Array): { subject: Buffer; spki: Uint8Array } {
  const certificate = readTlv(caDer, 0);
  const tbs = readTlv(caDer, certificate.start);
  let cursor = tbs.start;
  const fields: Array<{ start: number; end: number; tag: number; offset: number }> = [];
  while (cursor < tbs.end) {
    const field = readTlv(caDer, cursor);
    fields.push({ ...field, offset: cursor });
    cursor = field.end;
  }
  // [0] version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo, …
  const subject = fields[5]!;
  const spki = fields[6]!;
  return {
    subject: Buffer.from(caDer.subarray(subject.offset, subject.end)),
    spki: caDer.subarray(spki.offset, spki.end),
  };
}

export function issuerTemplate(caDer: Uint8Array, algorithm: KeyAlgorithm, pkcs8: Uint8Array): IssuerTemplate {
  const spec = keyAlgorithmSpec(algorithm);
  const { subject, spki } = caFields(caDer);
  const extension = (oid: Buffer, critical: boolean, value: Buffer) =>
    sequence(oid, ...(critical ? [booleanTrue()] : []), octetString(value));
  return {
    algorithm,
    hash: spec.signature.hash,
    signsInBackground: !spec.cheap,
    signatureAlgorithm: signatureIdentifier(spec.signature),
    issuerName: subject,
    fixedExtensions: Buffer.concat([
      extension(OID.basicConstraints, true, sequence()),
      // digitalSignature: bit 0, so one byte 0x80 with 7 unused bits.
      extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x07, 0x80])),
      extension(OID.extendedKeyUsage, false, sequence(OID.clientAuth)),
    ]),
    authorityKeyIdentifier: extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(spki)))),
    privateKey: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }),
  };
}

// String types RFC 5280 requires for some attributes; everything else is UTF8String.
function attributeValue(shortName: string | undefined, value: string): Buffer {
  if (shortName === 'C' || shortName === 'serialNumber' || shortName === 'dnQualifier') return printableString(value);
  if (shortName === 'emailAddress' || shortName === 'DC') return ia5String(value);
  return utf8String(value);
}

/** The DER Name of an RFC 2253 string (the order of the string is reversed, as mongod prints it). */
function nameDer(dn: string): Buffer {
  const rdns = parseRfc2253(dn).map((rdn) =>
    setOf(
      rdn.map((attribute) =>
        attribute.der
          ? sequence(objectIdentifier(attribute.oid), Buffer.from(attribute.der))
          : sequence(
              objectIdentifier(oidOf(attribute.oid) ?? attribute.oid),
              attributeValue(shortNameOf(attribute.oid), attribute.value),
            ),
      ),
    ),
  );
  return sequence(...rdns);
}

export interface TemplateRequest {
  subject: string;
  serial: bigint;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
}

/**
 * A user certificate from the template: only serial, validity, subject, public key and
 * its identifier are encoded per certificate; the CA signs natively (costly keys on libuv's
 * thread pool, cheap ones inline: it costs less than the hand-off).
 */
export async function issueFromTemplate(template: IssuerTemplate, request: TemplateRequest): Promise<Buffer> {
  const extensions = Buffer.concat([
    template.fixedExtensions,
    sequence(OID.subjectKeyIdentifier, octetString(octetString(keyIdentifier(request.spki)))),
    template.authorityKeyIdentifier,
  ]);
  const tbs = sequence(
    explicit(0, integer(2n)),
    integer(request.serial),
    template.signatureAlgorithm,
    template.issuerName,
    sequence(time(request.notBefore), time(request.notAfter)),
    nameDer(request.subject),
    Buffer.from(request.spki),
    explicit(3, sequence(extensions)),
  );
  const signature = template.signsInBackground
    ? await signAsync(template.hash, tbs, template.privateKey)
    : sign(template.hash, tbs, template.privateKey);
  return sequence(tbs, template.signatureAlgorithm, bitString(signature));
}
