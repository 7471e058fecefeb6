// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto, type KeyObject } from 'node:crypto';
import { AsnParser } from '@peculiar/asn1-schema';
import { Name as AsnName } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { type DnAttribute, formatRfc2253, parseRfc2253, shortNameOf, type Rdn } from '../domain/rfc2253.js';
import { serialToDerHex } from '../domain/serial.js';
import { issueFromTemplate, type IssuerTemplate, issuerTemplate } from './issuer.js';
import {
  type KeyAlgorithm,
  type KeyAlgorithmSpec,
  keyAlgorithmSpec,
  privateKeyToPkcs8Der,
  publicKeyToSpkiDer,
} from './key-algorithms.js';
import { toPem } from './pem.js';

// @peculiar/x509 signs through WebCrypto; Node's implementation is native.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const subtle = webcrypto.subtle;

/** How a CA key of each algorithm signs through WebCrypto (CA certificates and CRLs). */
export function signingAlgorithmFor(algorithm: KeyAlgorithm): KeyAlgorithmSpec['webCrypto'] {
  return keyAlgorithmSpec(algorithm).webCrypto;
}

/** A CA private key in the form WebCrypto signs with (imported once, then kept in memory). */
export interface SigningKey {
  algorithm: KeyAlgorithm;
  cryptoKey: webcrypto.CryptoKey;
}

async function importSigningKey(algorithm: KeyAlgorithm, pkcs8Der: Uint8Array): Promise<SigningKey> {
  const cryptoKey = await subtle.importKey('pkcs8', pkcs8Der, signingAlgorithmFor(algorithm), false, ['sign']);
  return { algorithm, cryptoKey };
}

// String types RFC 5280 requires for some attributes; everything else is UTF8String.
const PRINTABLE_ATTRIBUTES = new Set(['C', 'serialNumber', 'dnQualifier']);
const IA5_ATTRIBUTES = new Set(['emailAddress', 'DC']);

function nameFromRdns(rdns: readonly Rdn[]): x509.Name {
  const json = rdns.map((rdn) => {
    const item: Record<string, x509.JsonAttributeObject[]> = {};
    for (const attribute of rdn) {
      const shortName = shortNameOf(attribute.oid) ?? '';
      const value: x509.JsonAttributeObject = PRINTABLE_ATTRIBUTES.has(shortName)
        ? { printableString: attribute.value }
        : IA5_ATTRIBUTES.has(shortName)
          ? { ia5String: attribute.value }
          : { utf8String: attribute.value };
      (item[attribute.oid] ??= []).push(value);
    }
    return item;
  });
  return new x509.Name(json);
}

/** A certificate name as mongod prints it (RFC 2253, last RDN first), whatever its string types. */
export function rfc2253Of(name: x509.Name): string {
  const rdns = AsnParser.parse(name.toArrayBuffer(), AsnName).map((rdn) =>
    rdn.map((attribute): DnAttribute => {
      const { value } = attribute;
      return value.anyValue
        ? { oid: attribute.type, value: '', der: new Uint8Array(value.anyValue) }
        : { oid: attribute.type, value: value.toString() };
    }),
  );
  return formatRfc2253(rdns);
}

/** An X.509 Name from its RFC 2253 text (as mongod prints it). */
function nameFromRfc2253(dn: string): x509.Name {
  return nameFromRdns(parseRfc2253(dn));
}

export interface IssuedCertificate {
  der: Uint8Array;
  pem: string;
}

/** PEM with LF line ends and one trailing newline, as OpenSSL writes it. */
export function certificatePem(certificate: x509.X509Certificate): string {
  return `${certificate.toString('pem').replace(/\r\n/g, '\n').trimEnd()}\n`;
}

function issued(certificate: x509.X509Certificate): IssuedCertificate {
  return { der: new Uint8Array(certificate.rawData), pem: certificatePem(certificate) };
}

export interface CaCertificateRequest {
  subject: string;
  serial: bigint;
  notBefore: Date;
  notAfter: Date;
  key: { algorithm: KeyAlgorithm; privateKey: KeyObject; publicKey: KeyObject };
}

/**
 * A self-signed CA that may sign end-entity certificates only (pathLen 0) and CRLs.
 */
export async function createCaCertificate(request: CaCertificateRequest): Promise<IssuedCertificate> {
  const signingKey = await importSigningKey(request.key.algorithm, privateKeyToPkcs8Der(request.key.privateKey));
  const spki = publicKeyToSpkiDer(request.key.publicKey);
  const name = nameFromRfc2253(request.subject);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialToDerHex(request.serial),
    subject: name,
    issuer: name,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    publicKey: spki,
    signingKey: signingKey.cryptoKey,
    signingAlgorithm: signingAlgorithmFor(request.key.algorithm),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(spki),
    ],
  });
  return issued(certificate);
}

export interface CertificateAuthorityForSigning {
  certificate: x509.X509Certificate;
  /** WebCrypto form of the CA key (CRLs are built with @peculiar/x509). */
  signingKey: SigningKey;
  /** The pre-encoded parts of every user certificate this CA signs. */
  template: IssuerTemplate;
}

/** Everything a CA signs with, from its stored certificate and (unsealed) key. */
export async function prepareSigner(
  caDer: Uint8Array,
  algorithm: KeyAlgorithm,
  pkcs8: Uint8Array,
): Promise<CertificateAuthorityForSigning> {
  return {
    certificate: parseCertificate(caDer),
    signingKey: await importSigningKey(algorithm, pkcs8),
    template: issuerTemplate(caDer, algorithm, pkcs8),
  };
}

export function parseCertificate(der: Uint8Array): x509.X509Certificate {
  return new x509.X509Certificate(der);
}

export interface UserCertificateRequest {
  subject: string;
  serial: bigint;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject | Uint8Array;
}

/**
 * A client certificate mongod accepts for MONGODB-X509: keyUsage digitalSignature
 * (critical), extendedKeyUsage clientAuth, CA:false, and key identifiers that chain
 * it to the project CA.
 */
export async function issueUserCertificate(
  authority: CertificateAuthorityForSigning,
  request: UserCertificateRequest,
): Promise<IssuedCertificate> {
  const spki = request.publicKey instanceof Uint8Array ? request.publicKey : publicKeyToSpkiDer(request.publicKey);
  const der = await issueFromTemplate(authority.template, { ...request, spki });
  return { der: new Uint8Array(der), pem: toPem('CERTIFICATE', der) };
}
