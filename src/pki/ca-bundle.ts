import * as x509 from '@peculiar/x509';
import { rfc2253Of } from './certificates.js';
import { readPemBlocks } from './pem.js';

/** One CA certificate of a customer's bundle, as the console and the checks see it. */
export interface BundleCertificate {
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  serialHex: string;
  selfSigned: boolean;
}

export type BundleProblem =
  | { kind: 'empty' }
  | { kind: 'not-a-certificate'; index: number; detail: string }
  | { kind: 'not-a-ca'; index: number; subject: string }
  | { kind: 'not-yet-valid'; index: number; subject: string }
  | { kind: 'expired'; index: number; subject: string };

/**
 * Reads a customer's CA bundle (root and intermediates, PEM, in any order) and checks
 * each certificate: it parses, it is a CA (basicConstraints CA:TRUE), and it is valid at
 * `now`. Returns the certificates, or the first problem found.
 */
export function inspectCaBundle(
  pem: string,
  now: Date,
): { certificates: BundleCertificate[] } | { problem: BundleProblem } {
  let blocks;
  try {
    blocks = readPemBlocks(pem);
  } catch (error) {
    return { problem: { kind: 'not-a-certificate', index: 0, detail: (error as Error).message } };
  }
  if (blocks.length === 0) return { problem: { kind: 'empty' } };
  const certificates: BundleCertificate[] = [];
  for (const [index, block] of blocks.entries()) {
    if (block.label !== 'CERTIFICATE') {
      return { problem: { kind: 'not-a-certificate', index, detail: `block ${index + 1} is a ${block.label}` } };
    }
    let certificate: x509.X509Certificate;
    try {
      certificate = new x509.X509Certificate(block.der);
    } catch {
      return { problem: { kind: 'not-a-certificate', index, detail: `block ${index + 1} does not parse as X.509` } };
    }
    const subject = rfc2253Of(certificate.subjectName);
    const issuer = rfc2253Of(certificate.issuerName);
    const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
    if (!constraints?.ca) return { problem: { kind: 'not-a-ca', index, subject } };
    if (certificate.notBefore.getTime() > now.getTime()) return { problem: { kind: 'not-yet-valid', index, subject } };
    if (certificate.notAfter.getTime() <= now.getTime()) return { problem: { kind: 'expired', index, subject } };
    certificates.push({
      subject,
      issuer,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
      serialHex: certificate.serialNumber,
      selfSigned: subject === issuer,
    });
  }
  return { certificates };
}
