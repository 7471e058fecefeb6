/** Conversions between stored column values and domain values. */

export function toDate(text: string): Date {
  return new Date(text);
}

export function toOptionalDate(text: string | null): Date | undefined {
  return text === null ? undefined : new Date(text);
}

export function toBytes(value: Uint8Array): Uint8Array {
  // better-sqlite3 and pg both return Buffers; copy into a plain view the domain owns.
  return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
}

export function toBigInt(value: bigint | number | string): bigint {
  return typeof value === 'bigint' ? value : BigInt(value);
}
