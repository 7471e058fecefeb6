import { createECDH, generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * Key algorithms dbcerts can issue with. RSA-4096 is Atlas' choice for both user
 * keys and its CA; the others are for deployments that want faster issuance.
 */
export const KEY_ALGORITHMS = ['rsa-4096', 'rsa-3072', 'rsa-2048', 'ec-p256', 'ec-p384'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export function isKeyAlgorithm(value: string): value is KeyAlgorithm {
  return (KEY_ALGORITHMS as readonly string[]).includes(value);
}

export interface KeyPair {
  algorithm: KeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const generate = promisify(generateKeyPair);

/** Generates a key pair on libuv's thread pool, so the event loop keeps serving. */
export async function generateKey(algorithm: KeyAlgorithm): Promise<KeyPair> {
  switch (algorithm) {
    case 'rsa-4096':
    case 'rsa-3072':
    case 'rsa-2048': {
      const modulusLength = Number(algorithm.slice(4));
      const pair = await generate('rsa', { modulusLength, publicExponent: 0x10001 });
      return { algorithm, ...pair };
    }
    case 'ec-p256':
    case 'ec-p384': {
      const namedCurve = algorithm === 'ec-p256' ? 'P-256' : 'P-384';
      const pair = await generate('ec', { namedCurve });
      return { algorithm, ...pair };
    }
  }
}

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

/** Generates and encodes a user key pair synchronously (RSA: in a background thread). */
export function generateEncodedKeySync(algorithm: KeyAlgorithm): EncodedKeyPair {
  if (algorithm === 'ec-p256' || algorithm === 'ec-p384') return generateEcKey(algorithm);
  const pair = generateKeyPairSync('rsa', {
    modulusLength: Number(algorithm.slice(4)),
    publicExponent: 0x10001,
    publicKeyEncoding: ENCODINGS.publicKeyEncoding,
    privateKeyEncoding: ENCODINGS.privateKeyEncoding,
  });
  return { algorithm, spki: pair.publicKey, pkcs8Pem: pair.privateKey };
}

/** Generates and encodes a user key pair: RSA on libuv's thread pool, EC at once (~30 µs). */
export function generateEncodedKey(algorithm: KeyAlgorithm): Promise<EncodedKeyPair> {
  if (algorithm === 'ec-p256' || algorithm === 'ec-p384') return Promise.resolve(generateEcKey(algorithm));
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      { modulusLength: Number(algorithm.slice(4)), publicExponent: 0x10001, ...ENCODINGS },
      (error: Error | null, spki: Buffer, pkcs8Pem: string) =>
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
  curve: 'prime256v1' | 'secp384r1';
  scalarLength: number;
  head: Buffer;
  middle: Buffer;
  spkiHead: Buffer;
}

function ecEncoding(algorithm: 'ec-p256' | 'ec-p384'): EcEncoding {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curveOf(algorithm) });
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
    curve: algorithm === 'ec-p256' ? 'prime256v1' : 'secp384r1',
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
function generateEcKey(algorithm: 'ec-p256' | 'ec-p384'): EncodedKeyPair {
  let encoding = EC_ENCODINGS.get(algorithm);
  if (!encoding) {
    encoding = ecEncoding(algorithm);
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

function curveOf(algorithm: KeyAlgorithm): 'P-256' | 'P-384' {
  return algorithm === 'ec-p384' ? 'P-384' : 'P-256';
}

export function privateKeyToPkcs8Der(privateKey: KeyObject): Buffer {
  return privateKey.export({ type: 'pkcs8', format: 'der' });
}

export function publicKeyToSpkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}
