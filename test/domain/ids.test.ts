import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isObjectId,
  isPublicApiKey,
  newObjectId,
  newPrivateApiKey,
  newPublicApiKey,
  redactPrivateApiKey,
} from '../../src/domain/ids.js';

test('object ids are 24 lowercase hex, prefixed with the creation second', () => {
  const id = newObjectId(new Date('2026-11-28T00:00:00Z'));
  assert.ok(isObjectId(id));
  assert.equal(parseInt(id.slice(0, 8), 16), Date.parse('2026-11-28T00:00:00Z') / 1000);
  assert.equal(isObjectId('ABCDEF0123456789abcdef01'), false);
  assert.equal(isObjectId('abc'), false);
});

test('API keys have Atlas shapes: 8 lowercase letters, a v4 UUID, redacted to the last 12', () => {
  for (let i = 0; i < 200; i++) {
    assert.ok(isPublicApiKey(newPublicApiKey()));
    assert.match(newPrivateApiKey(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  assert.equal(redactPrivateApiKey('55c3bbb6-b4bb-4be1-8e66-d20841f3e0aa'), '********-****-****-d20841f3e0aa');
});

test('public keys use every letter', () => {
  const letters = new Set<string>();
  for (let i = 0; i < 500; i++) for (const letter of newPublicApiKey()) letters.add(letter);
  assert.equal(letters.size, 26);
});
