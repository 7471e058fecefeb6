/**
 * Just enough DER to preview a customer CA bundle before it is saved: each certificate's
 * subject, issuer, validity and whether it is a CA. The server checks the bundle again
 * (and alone decides) when it is saved.
 */

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

export function readPemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const pattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const match of text.matchAll(pattern)) {
    const base64 = match[2]!.replace(/\s+/g, '');
    let binary: string;
    try {
      binary = atob(base64);
    } catch {
      binary = '';
    }
    blocks.push({ label: match[1]!, der: Uint8Array.from(binary, (char) => char.charCodeAt(0)) });
  }
  return blocks;
}

interface Tlv {
  tag: number;
  content: Uint8Array;
  /** Offset just past this element in the enclosing buffer. */
  end: number;
}

class DerError extends Error {}

function readTlv(buffer: Uint8Array, offset: number): Tlv {
  const tag = buffer[offset];
  let length = buffer[offset + 1];
  if (tag === undefined || length === undefined) throw new DerError('truncated');
  let position = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new DerError('unsupported length');
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = buffer[position++];
      if (byte === undefined) throw new DerError('truncated');
      length = length * 256 + byte;
    }
  }
  const end = position + length;
  if (end > buffer.length) throw new DerError('truncated');
  return { tag, content: buffer.subarray(position, end), end };
}

function children(content: Uint8Array): Tlv[] {
  const items: Tlv[] = [];
  let offset = 0;
  while (offset < content.length) {
    const item = readTlv(content, offset);
    items.push(item);
    offset = item.end;
  }
  return items;
}

function oidOf(content: Uint8Array): string {
  const first = content[0] ?? 0;
  const parts = [Math.floor(first / 40), first % 40];
  let value = 0;
  for (const byte of content.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

function stringOf(tlv: Tlv): string {
  switch (tlv.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8', { fatal: false }).decode(tlv.content);
    case 0x1e: {
      // BMPString: UTF-16BE
      let out = '';
      for (let i = 0; i + 1 < tlv.content.length; i += 2)
        out += String.fromCharCode(tlv.content[i]! * 256 + tlv.content[i + 1]!);
      return out;
    }
    case 0x1c: {
      // UniversalString: UTF-32BE
      let out = '';
      for (let i = 0; i + 3 < tlv.content.length; i += 4) {
        const view = new DataView(tlv.content.buffer, tlv.content.byteOffset + i, 4);
        out += String.fromCodePoint(Math.min(view.getUint32(0), 0x10ffff));
      }
      return out;
    }
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // T61String (read as Latin-1)
    case 0x12: // NumericString
      return String.fromCharCode(...tlv.content);
    default:
      return `#${[...tlv.content].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
  }
}

/** RFC 2253 escaping of one attribute value (for display). */
function escapeValue(value: string): string {
  let out = value.replace(/[,+"\\<>;=]/g, (char) => `\\${char}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** A Name as RFC 2253 text: last RDN first. */
function nameOf(tlv: Tlv): string {
  const rdns = children(tlv.content).map((set) =>
    children(set.content)
      .map((attribute) => {
        const [type, value] = children(attribute.content);
        if (!type || !value) throw new DerError('bad attribute');
        const oid = oidOf(type.content);
        return `${ATTRIBUTE_NAMES[oid] ?? oid}=${escapeValue(stringOf(value))}`;
      })
      .join('+'),
  );
  return rdns.reverse().join(',');
}

function timeOf(tlv: Tlv): Date {
  const text = String.fromCharCode(...tlv.content);
  const match =
    tlv.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) throw new DerError('bad time');
  let year = Number(match[1]);
  if (tlv.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return new Date(
    Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])),
  );
}

export interface CertificateSummary {
  /** Exact: a bigint, never a rounded number. */
  serial: bigint;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
}

export function summarizeCertificate(der: Uint8Array): CertificateSummary {
  const certificate = readTlv(der, 0);
  const [tbs] = children(certificate.content);
  if (!tbs || certificate.tag !== 0x30 || tbs.tag !== 0x30) throw new DerError('not a certificate');
  const fields = children(tbs.content);
  let index = fields[0]?.tag === 0xa0 ? 1 : 0; // optional version
  const serialField = fields[index];
  index += 2; // serial, signature algorithm
  if (!serialField || serialField.tag !== 0x02) throw new DerError('no serial');
  let serial = 0n;
  for (const byte of serialField.content) serial = (serial << 8n) | BigInt(byte);
  const issuer = fields[index++];
  const validity = fields[index++];
  const subject = fields[index];
  if (!issuer || !validity || !subject) throw new DerError('not a certificate');
  const [notBefore, notAfter] = children(validity.content);
  if (!notBefore || !notAfter) throw new DerError('bad validity');
  let isCa = false;
  const extensions = fields.find((field) => field.tag === 0xa3);
  if (extensions) {
    const [list] = children(extensions.content);
    for (const extension of list ? children(list.content) : []) {
      const parts = children(extension.content);
      if (parts[0] && oidOf(parts[0].content) === '2.5.29.19') {
        const value = parts[parts.length - 1]!;
        const [constraints] = children(value.content);
        const [first] = constraints ? children(constraints.content) : [];
        isCa = first?.tag === 0x01 && first.content[0] !== 0;
      }
    }
  }
  return {
    serial,
    subject: nameOf(subject),
    issuer: nameOf(issuer),
    notBefore: timeOf(notBefore),
    notAfter: timeOf(notAfter),
    isCa,
  };
}

export type BundleEntry = { index: number; summary: CertificateSummary } | { index: number; problem: string };

/** Every block of a PEM bundle, read or with the reason it could not be. */
export function previewBundle(text: string): BundleEntry[] {
  return readPemBlocks(text).map((block, index) => {
    if (block.label !== 'CERTIFICATE')
      return { index, problem: `block ${index + 1} is a ${block.label}, not a certificate` };
    try {
      return { index, summary: summarizeCertificate(block.der) };
    } catch {
      return { index, problem: `block ${index + 1} does not read as an X.509 certificate` };
    }
  });
}

/** The value of a DN that is exactly one CN (RFC 2253 escapes undone), or undefined. */
export function singleCommonName(dn: string): string | undefined {
  if (!dn.startsWith('CN=')) return undefined;
  const chars = Array.from(dn.slice(3));
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === ',' || char === '+') return undefined;
    if (char !== '\\') {
      bytes.push(...encoder.encode(char));
      continue;
    }
    const hex = (chars[i + 1] ?? '') + (chars[i + 2] ?? '');
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (i + 1 < chars.length) {
      bytes.push(...encoder.encode(chars[i + 1]!));
      i += 1;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
