import { generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
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

/** Generates and encodes a user key pair synchronously (in a background thread). */
export function generateEncodedKeySync(algorithm: KeyAlgorithm): EncodedKeyPair {
  const publicKeyEncoding = { type: 'spki', format: 'der' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  if (algorithm.startsWith('rsa-')) {
    const modulusLength = Number(algorithm.slice(4));
    const pair = generateKeyPairSync('rsa', {
      modulusLength,
      publicExponent: 0x10001,
      publicKeyEncoding,
      privateKeyEncoding,
    });
    return { algorithm, spki: pair.publicKey, pkcs8Pem: pair.privateKey };
  }
  const pair = generateKeyPairSync('ec', { namedCurve: curveOf(algorithm), publicKeyEncoding, privateKeyEncoding });
  return { algorithm, spki: pair.publicKey, pkcs8Pem: pair.privateKey };
}

/** Generates and encodes a user key pair on libuv's thread pool. */
export function generateEncodedKey(algorithm: KeyAlgorithm): Promise<EncodedKeyPair> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, spki: Buffer, pkcs8Pem: string) =>
      error ? reject(error) : resolve({ algorithm, spki, pkcs8Pem });
    if (algorithm.startsWith('rsa-')) {
      generateKeyPair(
        'rsa',
        { modulusLength: Number(algorithm.slice(4)), publicExponent: 0x10001, ...ENCODINGS },
        done,
      );
    } else {
      generateKeyPair('ec', { namedCurve: curveOf(algorithm), ...ENCODINGS }, done);
    }
  });
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
