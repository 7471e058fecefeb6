import { createECDH, generateKeyPair, generateKeyPairSync, type KeyObject, type webcrypto } from 'node:crypto';

/** What Node's key generation takes for one algorithm. */
export type KeyGeneration =
  | { type: 'rsa'; options: { modulusLength: number; publicExponent: number } }
  | { type: 'ec'; options: { namedCurve: string } };

/**
 * Everything dbcerts needs to know about one key algorithm. Every part of dbcerts that
 * treats algorithms differently reads it from here, so adding an algorithm is one entry
 * of KEY_ALGORITHM_TABLE.
 */
export interface KeyAlgorithmSpec {
  /** A description for people (test titles, messages): `RSA 4096`, `ECDSA P-256`. */
  label: string;
  keyGeneration: KeyGeneration;
  /**
   * OpenSSL's name of the curve (what createECDH takes and a KeyObject's
   * asymmetricKeyDetails.namedCurve reports); absent for keys that are not on a curve.
   */
  opensslCurve?: string;
  /** The WebCrypto parameters a private key of this kind is imported with to sign CAs and CRLs. */
  webCrypto: webcrypto.RsaHashedImportParams | (webcrypto.EcKeyImportParams & { hash: string });
  /** The signature such a key makes in certificates and CRLs: its OID, and the hash for node:crypto's sign. */
  signature: { oid: string; nullParameters: boolean; hash: 'sha256' | 'sha384' | 'sha512' };
  /**
   * Generating a key and signing with one cost little enough (P-256 ~0.1 ms, P-384 ~2 ms)
   * to run on the event loop; otherwise (RSA, P-521 ~5 ms each) they go to background
   * threads and libuv's pool.
   */
  cheap: boolean;
}

const rsa = (bits: number): KeyAlgorithmSpec => ({
  label: `RSA ${bits}`,
  keyGeneration: { type: 'rsa', options: { modulusLength: bits, publicExponent: 0x10001 } },
  webCrypto: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  // sha256WithRSAEncryption, whose parameters are an explicit NULL (RFC 4055 §5).
  signature: { oid: '1.2.840.113549.1.1.11', nullParameters: true, hash: 'sha256' },
  cheap: false,
});

/** A NIST curve, signing with the hash of matching strength (ecdsa-with-SHA…, RFC 5758 §3.2). */
const ec = (
  curve: string,
  opensslCurve: string,
  hash: 'sha256' | 'sha384' | 'sha512',
  oid: string,
): KeyAlgorithmSpec => ({
  label: `ECDSA ${curve}`,
  keyGeneration: { type: 'ec', options: { namedCurve: curve } },
  opensslCurve,
  webCrypto: { name: 'ECDSA', namedCurve: curve, hash: `SHA-${hash.slice(3)}` },
  signature: { oid, nullParameters: false, hash },
  cheap: true,
});

/**
 * Key algorithms dbcerts can issue with, in the order the command line lists them.
 * RSA-4096 is Atlas' choice for both user keys and its CA; the others are for deployments
 * that want faster issuance.
 */
const KEY_ALGORITHM_TABLE = {
  'rsa-4096': rsa(4096),
  'rsa-3072': rsa(3072),
  'rsa-2048': rsa(2048),
  'ec-p256': ec('P-256', 'prime256v1', 'sha256', '1.2.840.10045.4.3.2'),
  'ec-p384': ec('P-384', 'secp384r1', 'sha384', '1.2.840.10045.4.3.3'),
  'ec-p521': { ...ec('P-521', 'secp521r1', 'sha512', '1.2.840.10045.4.3.4'), cheap: false },
} as const satisfies Record<string, KeyAlgorithmSpec>;

export type KeyAlgorithm = keyof typeof KEY_ALGORITHM_TABLE;
export const KEY_ALGORITHMS = Object.keys(KEY_ALGORITHM_TABLE) as readonly KeyAlgorithm[];

export function isKeyAlgorithm(value: string): value is KeyAlgorithm {
  return Object.hasOwn(KEY_ALGORITHM_TABLE, value);
}

export function keyAlgorithmSpec(algorithm: KeyAlgorithm): KeyAlgorithmSpec {
  return KEY_ALGORITHM_TABLE[algorithm];
}

/** The table's algorithm of a public key, if it has one (for keys dbcerts did not generate: CSRs). */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm | undefined {
  const { modulusLength, namedCurve } = key.asymmetricKeyDetails ?? {};
  return KEY_ALGORITHMS.find((algorithm) => {
    const spec: KeyAlgorithmSpec = KEY_ALGORITHM_TABLE[algorithm];
    const generation = spec.keyGeneration;
    if (generation.type !== key.asymmetricKeyType) return false;
    if (generation.type === 'rsa') return generation.options.modulusLength === modulusLength;
    return spec.opensslCurve === namedCurve;
  });
}

export interface KeyPair {
  algorithm: KeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Generates a key pair on libuv's thread pool, so the event loop keeps serving. */
export function generateKey(algorithm: KeyAlgorithm): Promise<KeyPair> {
  const { type, options } = keyAlgorithmSpec(algorithm).keyGeneration;
  return new Promise((resolve, reject) => {
    (generateKeyPair as unknown as KeyObjectGenerator)(type, options, (error, publicKey, privateKey) =>
      error ? reject(error) : resolve({ algorithm, privateKey, publicKey }),
    );
  });
}

// node:crypto's overloads are per key type; the table's entries pick the type at run time.
type KeyObjectGenerator = (
  type: string,
  options: object,
  callback: (error: Error | null, publicKey: KeyObject, privateKey: KeyObject) => void,
) => void;
type EncodedGenerator = (
  type: string,
  options: object,
  callback: (error: Error | null, spki: Buffer, pkcs8Pem: string) => void,
) => void;
type EncodedGeneratorSync = (type: string, options: object) => { publicKey: Buffer; privateKey: string };

/**
 * A user key pair already in the forms a certificate response needs: the public key as
 * SubjectPublicKeyInfo DER (what the certificate embeds) and the private key as the
 * unencrypted PKCS#8 PEM Atlas returns. Encoding happens where the key is generated,
 * off the event loop.
 */
export interface EncodedKeyPair {
  algorithm: KeyAlgorithm;
  spki: Buffer;
  pkcs8Pem: string;
}

const ENCODINGS = {
  publicKeyEncoding: { type: 'spki', format: 'der' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
} as const;

/** Generates and encodes a user key pair synchronously (costly ones: in a background thread). */
export function generateEncodedKeySync(algorithm: KeyAlgorithm): EncodedKeyPair {
  const spec = keyAlgorithmSpec(algorithm);
  if (spec.opensslCurve) return generateEcKey(algorithm, spec.opensslCurve);
  const { type, options } = spec.keyGeneration;
  const pair = (generateKeyPairSync as unknown as EncodedGeneratorSync)(type, { ...options, ...ENCODINGS });
  return { algorithm, spki: pair.publicKey, pkcs8Pem: pair.privateKey };
}

/** Generates and encodes a user key pair: cheap EC keys at once, the others on libuv's thread pool. */
export function generateEncodedKey(algorithm: KeyAlgorithm): Promise<EncodedKeyPair> {
  const spec = keyAlgorithmSpec(algorithm);
  if (spec.opensslCurve && spec.cheap) return Promise.resolve(generateEcKey(algorithm, spec.opensslCurve));
  const { type, options } = spec.keyGeneration;
  return new Promise((resolve, reject) => {
    (generateKeyPair as unknown as EncodedGenerator)(type, { ...options, ...ENCODINGS }, (error, spki, pkcs8Pem) =>
      error ? reject(error) : resolve({ algorithm, spki, pkcs8Pem }),
    );
  });
}

/**
 * Where an EC key's bytes go in OpenSSL's own encodings: the PKCS#8 PrivateKeyInfo is
 * `head ‖ private scalar ‖ middle ‖ public point` and the SubjectPublicKeyInfo
 * `spkiHead ‖ public point`, with every length fixed by the curve. Read once from a key
 * OpenSSL encoded (found through its JWK), so the output is byte for byte what OpenSSL
 * writes.
 */
interface EcEncoding {
  curve: string;
  scalarLength: number;
  head: Buffer;
  middle: Buffer;
  spkiHead: Buffer;
}

function ecEncoding(algorithm: KeyAlgorithm, curve: string): EcEncoding {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const jwk = privateKey.export({ format: 'jwk' });
  const scalar = Buffer.from(jwk.d!, 'base64url');
  const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const at = pkcs8.indexOf(scalar);
  const pointAt = pkcs8.lastIndexOf(point);
  if (at < 0 || pointAt + point.length !== pkcs8.length || !spki.subarray(spki.length - point.length).equals(point)) {
    throw new Error(`unexpected ${algorithm} PKCS#8 layout`);
  }
  return {
    curve,
    scalarLength: scalar.length,
    head: pkcs8.subarray(0, at),
    middle: pkcs8.subarray(at + scalar.length, pointAt),
    spkiHead: spki.subarray(0, spki.length - point.length),
  };
}

const EC_ENCODINGS = new Map<KeyAlgorithm, EcEncoding>();

/**
 * An EC key from OpenSSL's key generation (ECDH's, the same curve arithmetic and random
 * source), encoded here: OpenSSL 3's PEM encoder costs several times the generation
 * itself (~170 µs of ~220 µs per P-256 key).
 */
function generateEcKey(algorithm: KeyAlgorithm, curve: string): EncodedKeyPair {
  let encoding = EC_ENCODINGS.get(algorithm);
  if (!encoding) {
    encoding = ecEncoding(algorithm, curve);
    EC_ENCODINGS.set(algorithm, encoding);
  }
  const ecdh = createECDH(encoding.curve);
  const point = ecdh.generateKeys();
  // The scalar comes without its leading zero bytes; RFC 5915 writes it at full length.
  const raw = ecdh.getPrivateKey();
  const scalar =
    raw.length === encoding.scalarLength ? raw : Buffer.concat([Buffer.alloc(encoding.scalarLength - raw.length), raw]);
  const base64 = Buffer.concat([encoding.head, scalar, encoding.middle, point]).toString('base64');
  const lines: string[] = [];
  for (let index = 0; index < base64.length; index += 64) lines.push(base64.slice(index, index + 64));
  return {
    algorithm,
    spki: Buffer.concat([encoding.spkiHead, point]),
    pkcs8Pem: `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`,
  };
}

export function privateKeyToPkcs8Der(privateKey: KeyObject): Buffer {
  return privateKey.export({ type: 'pkcs8', format: 'der' });
}

export function publicKeyToSpkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}
