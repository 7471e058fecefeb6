import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  generateEncodedKey,
  generateEncodedKeySync,
  generateKey,
  KEY_ALGORITHMS,
  keyAlgorithmOf,
  keyAlgorithmSpec,
} from '../../src/pki/key-algorithms.js';

/**
 * Every entry of the key-algorithm table, checked the same way, so a new entry is tested by
 * being added: the keys it generates are what OpenSSL itself would write, and a public key
 * of its kind (as a CSR brings it) is recognised as that entry.
 */

for (const algorithm of KEY_ALGORITHMS) {
  const spec = keyAlgorithmSpec(algorithm);
  // EC keys come from dbcerts' own encoder: enough of them that short scalars (a leading
  // zero byte, padded back) turn up; RSA keys are OpenSSL's encoding and slow.
  const count = spec.cheap ? 300 : 1;

  describe(`${algorithm} (${spec.label})`, () => {
    test(`${count} encoded keys are byte for byte OpenSSL's PKCS#8 and SPKI, and of the entry's kind`, async () => {
      for (let index = 0; index < count; index++) {
        const encoded = index % 2 === 0 ? generateEncodedKeySync(algorithm) : await generateEncodedKey(algorithm);
        assert.equal(encoded.algorithm, algorithm);
        const privateKey = createPrivateKey(encoded.pkcs8Pem);
        assert.equal(privateKey.export({ type: 'pkcs8', format: 'pem' }), encoded.pkcs8Pem);
        const publicKey = createPublicKey(privateKey);
        assert.deepEqual(publicKey.export({ type: 'spki', format: 'der' }), encoded.spki);
        assert.equal(keyAlgorithmOf(publicKey), algorithm);
        assert.equal(privateKey.asymmetricKeyType, spec.keyGeneration.type);
        if (spec.opensslCurve) assert.equal(privateKey.asymmetricKeyDetails?.namedCurve, spec.opensslCurve);
      }
    });

    test('CA keys (KeyObjects) are of the entry’s kind', async () => {
      const pair = await generateKey(algorithm);
      assert.equal(pair.algorithm, algorithm);
      assert.equal(keyAlgorithmOf(pair.publicKey), algorithm);
    });
  });
}

test('a public key of no entry is recognised as none', () => {
  assert.equal(keyAlgorithmOf(generateKeyPairSync('ed25519').publicKey), undefined);
  assert.equal(keyAlgorithmOf(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey), undefined);
  assert.equal(keyAlgorithmOf(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey), undefined);
});
