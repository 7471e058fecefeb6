import { AtlasError } from './errors.js';
import {
  DEFAULT_MONTHS_UNTIL_EXPIRATION,
  MAX_MONTHS_UNTIL_EXPIRATION,
  MIN_MONTHS_UNTIL_EXPIRATION,
} from './validity.js';

/**
 * `monthsUntilExpiration` of `POST …/certs`: absent means Atlas' default of 3; above
 * 24 is Atlas' CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS; zero or negative has no documented
 * Atlas code, ATTRIBUTE_NEGATIVE_OR_ZERO is the catalog's closest.
 */
export function monthsUntilExpiration(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MONTHS_UNTIL_EXPIRATION;
  if (value > MAX_MONTHS_UNTIL_EXPIRATION) throw new AtlasError('CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS');
  if (value < MIN_MONTHS_UNTIL_EXPIRATION) throw new AtlasError('ATTRIBUTE_NEGATIVE_OR_ZERO', 'monthsUntilExpiration');
  return value;
}
