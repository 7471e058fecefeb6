import { constants, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { type DerElement, objectIdentifier, readChildren, readWhole } from './der.js';
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
  let request: CertificationRequest;
  try {
    request = parseCertificationRequest(requests[0]!.der);
  } catch {
    throw new CsrError('the request does not parse as PKCS#10');
  }
  const spki = request.spki;
  let keyAlgorithm: string;
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const { modulusLength, namedCurve } = publicKey.asymmetricKeyDetails ?? {};
    if (publicKey.asymmetricKeyType === 'rsa') {
      if (modulusLength === undefined || modulusLength < MIN_RSA_BITS || modulusLength > MAX_RSA_BITS) {
        throw new CsrError(
          `an RSA key must have ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits (this one has ${modulusLength})`,
        );
      }
      keyAlgorithm = `rsa-${modulusLength}`;
    } else {
      const algorithm = keyAlgorithmOf(publicKey);
      if (!algorithm)
        throw new CsrError(
          `keys of type ${publicKey.asymmetricKeyType}${namedCurve ? ` (${namedCurve})` : ''} are not accepted`,
        );
      keyAlgorithm = algorithm;
    }
  } catch (error) {
    if (error instanceof CsrError) throw error;
    throw new CsrError('the public key does not parse');
  }
  const scheme = signatureScheme(request.signatureAlgorithm);
  if (!scheme || scheme.keyType !== publicKey.asymmetricKeyType)
    throw new CsrError('the request is signed with an algorithm dbcerts does not verify');
  let verified: boolean;
  try {
    verified = verify(scheme.hash, request.signedBytes, { key: publicKey, ...scheme.options }, request.signature);
  } catch {
    verified = false;
  }
  if (!verified) throw new CsrError('the signature does not verify with the request’s own key');
  return { spki, keyAlgorithm };
}

/** What a PKCS#10 request's self-signature covers, and the signature itself (RFC 2986). */
interface CertificationRequest {
  /** The DER of the CertificationRequestInfo: the signed bytes. */
  signedBytes: Uint8Array;
  spki: Uint8Array;
  signatureAlgorithm: DerElement;
  signature: Uint8Array;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const ATTRIBUTES = 0xa0;

function parseCertificationRequest(der: Uint8Array): CertificationRequest {
  const outer = readWhole(der);
  const parts = readChildren(outer);
  const [info, signatureAlgorithm, signature] = parts;
  if (outer.tag !== SEQUENCE || parts.length !== 3 || info!.tag !== SEQUENCE) throw new Error('not PKCS#10');
  if (signatureAlgorithm!.tag !== SEQUENCE || signature!.tag !== BIT_STRING) throw new Error('not PKCS#10');
  const [version, subject, spki, attributes, ...rest] = readChildren(info!);
  if (version?.tag !== INTEGER || version.content.length !== 1 || version.content[0] !== 0) throw new Error('version');
  if (subject?.tag !== SEQUENCE || spki?.tag !== SEQUENCE || attributes?.tag !== ATTRIBUTES || rest.length > 0)
    throw new Error('not a CertificationRequestInfo');
  // A signature is a whole number of bytes: no unused bits.
  if (signature!.content.length < 2 || signature!.content[0] !== 0) throw new Error('signature bits');
  return {
    signedBytes: info!.bytes,
    spki: spki.bytes,
    signatureAlgorithm: signatureAlgorithm!,
    signature: signature!.content.subarray(1),
  };
}

interface SignatureScheme {
  /** The type of key that makes such signatures (Node's `asymmetricKeyType`). */
  keyType: 'rsa' | 'ec';
  hash: string;
  options: { padding?: number; saltLength?: number };
}

const oidHex = (dotted: string) => objectIdentifier(dotted).toString('hex');
const hex = (element: DerElement | undefined) => (element ? Buffer.from(element.bytes).toString('hex') : undefined);
const DER_NULL = '0500';

/** PKCS#1 v1.5 and ECDSA, by the OID of the signature algorithm (parameters absent or NULL). */
const PLAIN_SCHEMES = new Map<string, { keyType: 'rsa' | 'ec'; hash: string }>([
  [oidHex('1.2.840.113549.1.1.5'), { keyType: 'rsa', hash: 'sha1' }],
  [oidHex('1.2.840.113549.1.1.14'), { keyType: 'rsa', hash: 'sha224' }],
  [oidHex('1.2.840.113549.1.1.11'), { keyType: 'rsa', hash: 'sha256' }],
  [oidHex('1.2.840.113549.1.1.12'), { keyType: 'rsa', hash: 'sha384' }],
  [oidHex('1.2.840.113549.1.1.13'), { keyType: 'rsa', hash: 'sha512' }],
  [oidHex('1.2.840.10045.4.1'), { keyType: 'ec', hash: 'sha1' }],
  [oidHex('1.2.840.10045.4.3.1'), { keyType: 'ec', hash: 'sha224' }],
  [oidHex('1.2.840.10045.4.3.2'), { keyType: 'ec', hash: 'sha256' }],
  [oidHex('1.2.840.10045.4.3.3'), { keyType: 'ec', hash: 'sha384' }],
  [oidHex('1.2.840.10045.4.3.4'), { keyType: 'ec', hash: 'sha512' }],
]);
const RSASSA_PSS = oidHex('1.2.840.113549.1.1.10');
const MGF1 = oidHex('1.2.840.113549.1.1.8');
const HASHES = new Map<string, string>([
  [oidHex('1.3.14.3.2.26'), 'sha1'],
  [oidHex('2.16.840.1.101.3.4.2.4'), 'sha224'],
  [oidHex('2.16.840.1.101.3.4.2.1'), 'sha256'],
  [oidHex('2.16.840.1.101.3.4.2.2'), 'sha384'],
  [oidHex('2.16.840.1.101.3.4.2.3'), 'sha512'],
]);

/** The hash of an AlgorithmIdentifier of a digest (parameters absent or NULL). */
function hashOf(algorithm: DerElement): string | undefined {
  const [oid, parameters, ...rest] = readChildren(algorithm);
  if (rest.length > 0 || (parameters && hex(parameters) !== DER_NULL)) return undefined;
  return HASHES.get(hex(oid)!);
}

/**
 * How Node verifies a signature of this algorithm, or undefined for one dbcerts does not
 * verify. RSASSA-PSS only with MGF1 over the message's own hash (all Node's verify does).
 */
function signatureScheme(algorithm: DerElement): SignatureScheme | undefined {
  try {
    const [oid, parameters, ...rest] = readChildren(algorithm);
    if (rest.length > 0) return undefined;
    const plain = PLAIN_SCHEMES.get(hex(oid)!);
    if (plain) return !parameters || hex(parameters) === DER_NULL ? { ...plain, options: {} } : undefined;
    if (hex(oid) !== RSASSA_PSS || parameters?.tag !== SEQUENCE) return undefined;
    // RSASSA-PSS-params (RFC 4055): each member explicitly tagged, each with a default.
    let hash = 'sha1';
    let maskHash = 'sha1';
    let saltLength = 20;
    for (const member of readChildren(parameters)) {
      const [value, ...extra] = readChildren(member);
      if (!value || extra.length > 0) return undefined;
      if (member.tag === 0xa0) hash = hashOf(value) ?? '';
      else if (member.tag === 0xa1) {
        const [maskOid, maskParameters, ...more] = readChildren(value);
        if (hex(maskOid) !== MGF1 || !maskParameters || more.length > 0) return undefined;
        maskHash = hashOf(maskParameters) ?? '';
      } else if (member.tag === 0xa2 && value.tag === INTEGER && value.content.length <= 2) {
        saltLength = value.content.reduce((sum, byte) => sum * 256 + byte, 0);
      } else if (!(member.tag === 0xa3 && hex(value) === '020101')) return undefined;
    }
    if (!hash || hash !== maskHash) return undefined;
    return { keyType: 'rsa', hash, options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength } };
  } catch {
    return undefined;
  }
}
