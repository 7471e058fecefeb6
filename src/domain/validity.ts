/**
 * Certificate validity periods, in whole seconds (X.509 times and Atlas' JSON both
 * have second precision).
 */

export const MIN_MONTHS_UNTIL_EXPIRATION = 1;
export const MAX_MONTHS_UNTIL_EXPIRATION = 24;
export const DEFAULT_MONTHS_UNTIL_EXPIRATION = 3;

export function truncateToSecond(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / 1000) * 1000);
}

/**
 * Adds calendar months in UTC. A day that does not exist in the target month is
 * clamped to that month's last day (Jan 31 + 1 month = Feb 28 or 29), as Java's
 * `plusMonths` does, so a 1-month certificate never outlives February.
 */
export function addCalendarMonths(instant: Date, months: number): Date {
  const year = instant.getUTCFullYear();
  const month = instant.getUTCMonth() + months;
  const day = instant.getUTCDate();
  const lastDayOfTarget = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      year,
      month,
      Math.min(day, lastDayOfTarget),
      instant.getUTCHours(),
      instant.getUTCMinutes(),
      instant.getUTCSeconds(),
      instant.getUTCMilliseconds(),
    ),
  );
}

/** ISO-8601 UTC with second precision and a `Z`, as Atlas prints dates: 2019-12-03T21:00:42Z. */
export function formatAtlasDate(instant: Date): string {
  // toISOString always ends in `.sssZ`; cutting the milliseconds floors to the second,
  // negative instants and six-digit years included.
  const iso = instant.toISOString();
  return `${iso.slice(0, -5)}Z`;
}

export interface ValidityPeriod {
  notBefore: Date;
  notAfter: Date;
}

/** The validity of a user certificate created at `createdAt` for `months` months. */
export function userCertificateValidity(createdAt: Date, months: number): ValidityPeriod {
  const notBefore = truncateToSecond(createdAt);
  return { notBefore, notAfter: addCalendarMonths(notBefore, months) };
}
