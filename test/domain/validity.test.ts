import assert from 'node:assert/strict';
import { test } from 'node:test';
import { monthsUntilExpiration } from '../../src/domain/certificate-request.js';
import { AtlasError } from '../../src/domain/errors.js';
import { addCalendarMonths, formatAtlasDate, userCertificateValidity } from '../../src/domain/validity.js';

const utc = (text: string) => new Date(text);

test('calendar months keep the time of day and clamp missing days to the end of the month', () => {
  const cases: Array<[string, number, string]> = [
    ['2019-12-03T21:00:42Z', 6, '2020-06-03T21:00:42Z'],
    ['2019-12-05T13:50:49Z', 3, '2020-03-05T13:50:49Z'],
    ['2024-01-31T10:00:00Z', 1, '2024-02-29T10:00:00Z'],
    ['2025-01-31T10:00:00Z', 1, '2025-02-28T10:00:00Z'],
    ['2025-03-31T23:59:59Z', 1, '2025-04-30T23:59:59Z'],
    ['2025-08-31T00:00:00Z', 24, '2027-08-31T00:00:00Z'],
    ['2024-02-29T12:00:00Z', 12, '2025-02-28T12:00:00Z'],
    ['2025-11-15T08:30:00Z', 2, '2026-01-15T08:30:00Z'],
  ];
  for (const [from, months, expected] of cases) {
    assert.equal(
      addCalendarMonths(utc(from), months).toISOString(),
      utc(expected).toISOString(),
      `${from} + ${months}`,
    );
  }
});

test('Atlas dates are UTC with second precision and a Z', () => {
  assert.equal(formatAtlasDate(utc('2019-12-03T21:00:42.987Z')), '2019-12-03T21:00:42Z');
});

test('a certificate starts at its creation second and lasts N months', () => {
  const { notBefore, notAfter } = userCertificateValidity(utc('2026-01-31T09:08:07.654Z'), 1);
  assert.equal(notBefore.toISOString(), '2026-01-31T09:08:07.000Z');
  assert.equal(notAfter.toISOString(), '2026-02-28T09:08:07.000Z');
});

test('monthsUntilExpiration: default 3, 1..24, Atlas errors outside', () => {
  assert.equal(monthsUntilExpiration(undefined), 3);
  assert.equal(monthsUntilExpiration(1), 1);
  assert.equal(monthsUntilExpiration(24), 24);
  const codeOf = (months: number) => {
    try {
      monthsUntilExpiration(months);
      return 'accepted';
    } catch (error) {
      assert.ok(error instanceof AtlasError);
      return `${error.status} ${error.errorCode}`;
    }
  };
  assert.equal(codeOf(25), '400 CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS');
  assert.equal(codeOf(1e12), '400 CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS');
  assert.equal(codeOf(0), '400 ATTRIBUTE_NEGATIVE_OR_ZERO');
  assert.equal(codeOf(-3), '400 ATTRIBUTE_NEGATIVE_OR_ZERO');
});
