import { createPublicKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import './certificates.js';
import { keyAlgorithmOf } from './key-algorithms.js';
import { readPemBlocks } from './pem.js';

export class CsrError extends Error {
  override name = 'CsrError';
}

/** What dbcerts keeps of a CSR: the public key, and its kind for the inventory. */
export interface AcceptedCsr {
  spki: Uint8Array;
  /** `rsa-3072`, `ec-p256`, … */
  keyAlgorithm: string;
}

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

/**
 * Reads a PKCS#10 request (PEM) and checks it: one CERTIFICATE REQUEST block, a valid
 * self-signature (proof the client holds the key), and a key mongod's OpenSSL accepts and
 * that is strong enough (RSA of 2048..8192 bits, or a key of a KEY_ALGORITHM_TABLE entry). The requested
 * subject and extensions are ignored: dbcerts decides what the certificate says.
 */
export async function acceptCsr(pem: string): Promise<AcceptedCsr> {
  let blocks;
  try {
    blocks = readPemBlocks(pem);
  } catch (error) {
    throw new CsrError((error as Error).message);
  }
  const requests = blocks.filter(
    (block) => block.label === 'CERTIFICATE REQUEST' || block.label === 'NEW CERTIFICATE REQUEST',
  );
  if (requests.length !== 1 || blocks.length !== 1)
    throw new CsrError('expected exactly one PEM CERTIFICATE REQUEST block');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(requests[0]!.der);
  } catch {
    throw new CsrError('the request does not parse as PKCS#10');
  }
  const spki = new Uint8Array(csr.publicKey.rawData);
  let keyAlgorithm: string;
  try {
    const details = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const { modulusLength, namedCurve } = details.asymmetricKeyDetails ?? {};
    if (details.asymmetricKeyType === 'rsa') {
      if (modulusLength === undefined || modulusLength < MIN_RSA_BITS || modulusLength > MAX_RSA_BITS) {
        throw new CsrError(
          `an RSA key must have ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits (this one has ${modulusLength})`,
        );
      }
      keyAlgorithm = `rsa-${modulusLength}`;
    } else {
      const algorithm = keyAlgorithmOf(details);
      if (!algorithm)
        throw new CsrError(
          `keys of type ${details.asymmetricKeyType}${namedCurve ? ` (${namedCurve})` : ''} are not accepted`,
        );
      keyAlgorithm = algorithm;
    }
  } catch (error) {
    if (error instanceof CsrError) throw error;
    throw new CsrError('the public key does not parse');
  }
  let verified: boolean;
  try {
    verified = await csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) throw new CsrError('the signature does not verify with the request’s own key');
  return { spki, keyAlgorithm };
}
