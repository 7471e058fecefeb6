/**
 * IP addresses and CIDR blocks for API access lists, IPv4 and IPv6. Addresses are kept
 * as bytes; text forms are canonical (IPv6 per RFC 5952), so an entry has one spelling.
 */

export interface IpNetwork {
  /** 4 or 16 bytes, host bits zero. */
  bytes: Uint8Array;
  prefixLength: number;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [index, part] of parts.entries()) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes[index] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  // A dotted IPv4 tail may only end the whole address, never the part before "::".
  const groupsOf = (part: string, mayEndInIpv4: boolean): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (const [index, piece] of pieces.entries()) {
      if (mayEndInIpv4 && index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[2 * index] = group >> 8;
    bytes[2 * index + 1] = group & 0xff;
  });
  return bytes;
}

/** An address as bytes (4 or 16); IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes IPv4. */
export function parseIpAddress(text: string): Uint8Array | undefined {
  const bytes = text.includes(':') ? parseIpv6(text) : parseIpv4(text);
  if (
    bytes?.length === 16 &&
    bytes.subarray(0, 10).every((byte) => byte === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff
  ) {
    return bytes.slice(12);
  }
  return bytes;
}

export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups = Array.from({ length: 8 }, (_unused, index) => (bytes[2 * index]! << 8) | bytes[2 * index + 1]!);
  // RFC 5952: the longest run (2 or more) of zero groups, the first if tied, becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8;) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start];
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Reads `a.b.c.d/n` or `x::y/n`; undefined when malformed or when host bits are set. */
export function parseCidrBlock(text: string): IpNetwork | undefined {
  const slash = text.indexOf('/');
  if (slash === -1) return undefined;
  const bytes = parseIpAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!bytes || !/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  // An IPv4-mapped IPv6 block is written as IPv6; its IPv4 prefix is 96 bits shorter.
  const mapped = bytes.length === 4 && text.slice(0, slash).includes(':');
  const prefixLength = Number(prefixText) - (mapped ? 96 : 0);
  if (prefixLength < 0 || prefixLength > bytes.length * 8) return undefined;
  const network = { bytes, prefixLength };
  return hostBitsZero(network) ? network : undefined;
}

function hostBitsZero({ bytes, prefixLength }: IpNetwork): boolean {
  return bytes.every((byte, index) => {
    const networkBits = Math.max(0, Math.min(8, prefixLength - 8 * index));
    return (byte & (0xff >> networkBits)) === 0;
  });
}

export function formatCidrBlock(network: IpNetwork): string {
  return `${formatIpAddress(network.bytes)}/${network.prefixLength}`;
}

/** Whether `address` (bytes) lies in `network`. IPv4 never matches an IPv6 block, nor the reverse. */
export function networkContains(network: IpNetwork, address: Uint8Array): boolean {
  if (address.length !== network.bytes.length) return false;
  for (let index = 0; index < address.length; index++) {
    const networkBits = Math.max(0, Math.min(8, network.prefixLength - 8 * index));
    if (networkBits === 0) return true;
    const mask = (0xff << (8 - networkBits)) & 0xff;
    if ((address[index]! & mask) !== network.bytes[index]) return false;
  }
  return true;
}

/** The canonical text of a client address, e.g. `::ffff:127.0.0.2` → `127.0.0.2`. */
export function canonicalAddress(text: string): string {
  const bytes = parseIpAddress(text.replace(/%.*$/, ''));
  return bytes ? formatIpAddress(bytes) : text;
}
