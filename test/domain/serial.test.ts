import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_SERIAL,
  parseSerial,
  randomSerial,
  serialFromHex,
  serialSearchCandidates,
  serialToDerHex,
} from '../../src/domain/serial.js';

test('random serials are positive, below 2^63 and use the high bits', () => {
  let maximum = 0n;
  const seen = new Set<bigint>();
  for (let i = 0; i < 2000; i++) {
    const serial = randomSerial();
    assert.ok(serial > 0n && serial <= MAX_SERIAL);
    seen.add(serial);
    if (serial > maximum) maximum = serial;
  }
  assert.equal(seen.size, 2000);
  assert.ok(maximum > 2n ** 62n, 'the top bit below 2^63 is used');
});

test('zero is redrawn and the sign bit is always cleared', () => {
  const draws = [new Uint8Array(8), new Uint8Array(8).fill(0xff)];
  const serial = randomSerial(() => draws.shift()!);
  assert.equal(serial, MAX_SERIAL);
});

test('DER hex is minimal and never reads as negative', () => {
  assert.equal(serialToDerHex(1n), '01');
  assert.equal(serialToDerHex(0x7fn), '7f');
  assert.equal(serialToDerHex(0x80n), '0080');
  assert.equal(serialToDerHex(0xffffn), '00ffff');
  assert.equal(serialToDerHex(5433027191242719574n), '4b65fd71ed0f8156');
  assert.equal(serialToDerHex(MAX_SERIAL), '7fffffffffffffff');
  assert.throws(() => serialToDerHex(0n));
  assert.throws(() => serialToDerHex(MAX_SERIAL + 1n));
  assert.equal(serialFromHex('00FFFF'), 0xffffn);
});

test('decimal serials parse exactly, and nothing else does', () => {
  assert.equal(parseSerial('946028664465903704'), 946028664465903704n);
  assert.equal(parseSerial('9223372036854775807'), MAX_SERIAL);
  for (const bad of ['0', '-1', '01', '9223372036854775808', '1e3', ' 1', '', 'abc']) {
    assert.equal(parseSerial(bad), undefined, bad);
  }
});

test('a serial search reads decimal, and hex as openssl prints it; digits alone both ways', () => {
  // 5433027191242719574 is 4B:65:FD:71:ED:0F:81:56 in openssl's -text form.
  assert.deepEqual(serialSearchCandidates('5433027191242719574'), [5433027191242719574n]);
  for (const hex of [
    '4B65FD71ED0F8156',
    '4b65fd71ed0f8156',
    '0x4B65FD71ED0F8156',
    '4B:65:FD:71:ED:0F:81:56',
    ' 004B65FD71ED0F8156 ',
  ]) {
    assert.deepEqual(serialSearchCandidates(hex), [5433027191242719574n], hex);
  }
  // Digits alone: the decimal reading and the hex one.
  assert.deepEqual(serialSearchCandidates('1234'), [1234n, 0x1234n]);
  assert.deepEqual(serialSearchCandidates('10'), [10n, 16n]);
  // Hex only once a letter, colon or 0x says so; beyond 2^63 - 1 either way, nothing.
  assert.deepEqual(serialSearchCandidates('0x10'), [16n]);
  assert.deepEqual(serialSearchCandidates('9223372036854775807'), [MAX_SERIAL]);
  assert.deepEqual(serialSearchCandidates('7FFFFFFFFFFFFFFF'), [MAX_SERIAL]);
  for (const bad of ['', '0', '00', 'xyz', '-1', '0x8000000000000000', '1.5', '12 34', '9999999999999999999']) {
    assert.equal(serialSearchCandidates(bad), undefined, bad);
  }
});
