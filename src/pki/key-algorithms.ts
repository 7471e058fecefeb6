import { generateKeyPair, type KeyObject } from 'node:crypto';
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

/** Unencrypted PKCS#8, `-----BEGIN PRIVATE KEY-----`, as Atlas returns user keys. */
export function privateKeyToPkcs8Pem(privateKey: KeyObject): string {
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function privateKeyToPkcs8Der(privateKey: KeyObject): Buffer {
  return privateKey.export({ type: 'pkcs8', format: 'der' });
}

export function publicKeyToSpkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}
