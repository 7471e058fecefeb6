import * as x509 from '@peculiar/x509';
import { REVOCATION_REASONS, type RevocationReason } from '../domain/revocation.js';
import { serialToDerHex } from '../domain/serial.js';
import { type CertificateAuthorityForSigning, signingAlgorithmFor } from './certificates.js';
import { toPem } from './pem.js';

export interface RevokedEntry {
  serial: bigint;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlRequest {
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: readonly RevokedEntry[];
}

/** DER of a non-negative INTEGER, minimal, with a leading zero where the high bit is set. */
function derInteger(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  const content = Buffer.from(hex, 'hex');
  return new Uint8Array(Buffer.concat([Buffer.from([0x02, content.length]), content]));
}

const CRL_NUMBER_OID = '2.5.29.20';

/**
 * A v2 CRL signed by the CA: CRL number, authority key identifier, nextUpdate, and a
 * reason code for every entry (RFC 5280 §5). What mongod's net.tls.CRLFile reads.
 */
export async function createCrl(authority: CertificateAuthorityForSigning, request: CrlRequest): Promise<Uint8Array> {
  const caKeyIdentifier = authority.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!caKeyIdentifier) throw new Error('the CA certificate has no subject key identifier');
  const crl = await x509.X509CrlGenerator.create({
    issuer: authority.certificate.subjectName,
    thisUpdate: request.thisUpdate,
    nextUpdate: request.nextUpdate,
    signingKey: authority.signingKey.cryptoKey,
    signingAlgorithm: signingAlgorithmFor(authority.signingKey.algorithm),
    extensions: [
      new x509.AuthorityKeyIdentifierExtension(caKeyIdentifier.keyId),
      new x509.Extension(CRL_NUMBER_OID, false, derInteger(request.crlNumber)),
    ],
    entries: request.entries.map((entry) => ({
      serialNumber: serialToDerHex(entry.serial),
      revocationDate: entry.revokedAt,
      reason: REVOCATION_REASONS[entry.reason] as unknown as x509.X509CrlReason,
    })),
  });
  return new Uint8Array(crl.rawData);
}

/** The serial numbers a CRL lists, read back from its DER. */
export function crlSerials(der: Uint8Array): Set<bigint> {
  const crl = new x509.X509Crl(der);
  return new Set(crl.entries.map((entry) => BigInt(`0x${entry.serialNumber}`)));
}

export function crlPem(der: Uint8Array): string {
  return toPem('X509 CRL', der);
}
