import { AtlasError } from './errors.js';
import {
  formatCidrBlock,
  formatIpAddress,
  type IpNetwork,
  networkContains,
  parseCidrBlock,
  parseIpAddress,
} from './ip-address.js';

/** One entry of an API key's access list, as Atlas shows it. */
export interface AccessListEntry {
  /** Canonical CIDR block; an address is its single-host block (`/32`, `/128`). */
  cidrBlock: string;
  /** Present when the entry was given as one address. */
  ipAddress?: string;
  createdAt: Date;
  lastUsedAt?: Date;
  lastUsedAddress?: string;
  useCount: number;
}

/**
 * The entry a request names, `{ipAddress}` or `{cidrBlock}` (one, not both), in
 * canonical form. Blocks with host bits set are refused rather than silently widened.
 */
export function accessListEntryFrom(request: {
  ipAddress?: string;
  cidrBlock?: string;
}): Pick<AccessListEntry, 'cidrBlock' | 'ipAddress'> {
  const { ipAddress, cidrBlock } = request;
  if ((ipAddress === undefined) === (cidrBlock === undefined)) {
    throw new AtlasError('INVALID_IP_ADDRESS_OR_CIDR_NOTATION', ipAddress ?? cidrBlock ?? '(none)');
  }
  if (ipAddress !== undefined) {
    const bytes = parseIpAddress(ipAddress);
    if (!bytes) throw new AtlasError('INVALID_IP_ADDRESS_OR_CIDR_NOTATION', ipAddress);
    const address = formatIpAddress(bytes);
    return { cidrBlock: `${address}/${bytes.length * 8}`, ipAddress: address };
  }
  const network = parseCidrBlock(cidrBlock!);
  if (!network) throw new AtlasError('INVALID_IP_ADDRESS_OR_CIDR_NOTATION', cidrBlock!);
  return { cidrBlock: formatCidrBlock(network) };
}

/** The canonical block an entry path segment (`1.2.3.4`, `10.0.0.0%2F8` decoded) names, if any. */
export function canonicalEntryKey(text: string): string | undefined {
  if (text.includes('/')) {
    const network = parseCidrBlock(text);
    return network && formatCidrBlock(network);
  }
  const bytes = parseIpAddress(text);
  return bytes && `${formatIpAddress(bytes)}/${bytes.length * 8}`;
}

/** The entry that admits `address`, if any (the most specific one, so usage is attributed precisely). */
export function admittingEntry<T extends Pick<AccessListEntry, 'cidrBlock'>>(
  entries: readonly T[],
  address: string,
): T | undefined {
  const bytes = parseIpAddress(address);
  if (!bytes) return undefined;
  let best: { entry: T; network: IpNetwork } | undefined;
  for (const entry of entries) {
    const network = parseCidrBlock(entry.cidrBlock);
    if (network && networkContains(network, bytes) && (!best || network.prefixLength > best.network.prefixLength)) {
      best = { entry, network };
    }
  }
  return best?.entry;
}
