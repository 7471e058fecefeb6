/**
 * RFC 2253 distinguished names exactly as mongod sees them.
 *
 * mongod names a `$external` X.509 user after the client certificate's subject printed the way
 * `openssl x509 -noout -subject -nameopt RFC2253` prints it (without the `subject=` prefix). That
 * printer, not RFC 2253 itself, is the specification here: every rule below was checked against the
 * OpenSSL 3.0 binary, and where the two disagree OpenSSL wins (see the OPENSSL QUIRK comments).
 *
 * Pure domain code: no I/O, no imports.
 */

/** One AttributeTypeAndValue of a name. */
export interface DnAttribute {
  /** Dotted attribute type OID, e.g. '2.5.4.3'. */
  oid: string;
  /** The value as text (decoded from whichever ASN.1 string type carried it). */
  value: string;
  /**
   * The value's full DER TLV. Only needed where OpenSSL prints `#hex`: for attribute types it has no
   * name for, and for values that are not one of the string types it prints as text. When absent
   * for an unknown type, the value is treated as a UTF8String (what `openssl req -utf8` writes).
   */
  der?: Uint8Array;
}

/** A RelativeDistinguishedName: one or more attributes (more than one = multi-valued, `a+b`). */
export type Rdn = readonly DnAttribute[];

/** A distinguished name that cannot be parsed, or a value that cannot be represented in one. */
export class DnSyntaxError extends Error {
  override name = 'DnSyntaxError';
}

// ---------------------------------------------------------------------------------------------
// Attribute type names

/**
 * Names OpenSSL 3.0 prints for attribute types (`oid shortName [longName]`), taken from its
 * obj_mac.h; where OpenSSL defines no short name it uses the long name, so only one is listed.
 * OpenSSL prints any OID it knows by name, but it knows over a thousand (algorithms, extensions,
 * ...); this covers the arcs used for name attributes: all of X.520 (2.5.4), the COSINE/pilot
 * arc (UID, DC, ...), the PKCS#9 name attributes, EV jurisdiction and the Russian registry
 * numbers. An OID OpenSSL knows but that is missing here would print as `oid=#hex` instead of
 * `name=value`.
 */
const OPENSSL_NAMES = `
  2.5.4.3 CN commonName
  2.5.4.4 SN surname
  2.5.4.5 serialNumber
  2.5.4.6 C countryName
  2.5.4.7 L localityName
  2.5.4.8 ST stateOrProvinceName
  2.5.4.9 street streetAddress
  2.5.4.10 O organizationName
  2.5.4.11 OU organizationalUnitName
  2.5.4.12 title
  2.5.4.13 description
  2.5.4.14 searchGuide
  2.5.4.15 businessCategory
  2.5.4.16 postalAddress
  2.5.4.17 postalCode
  2.5.4.18 postOfficeBox
  2.5.4.19 physicalDeliveryOfficeName
  2.5.4.20 telephoneNumber
  2.5.4.21 telexNumber
  2.5.4.22 teletexTerminalIdentifier
  2.5.4.23 facsimileTelephoneNumber
  2.5.4.24 x121Address
  2.5.4.25 internationaliSDNNumber
  2.5.4.26 registeredAddress
  2.5.4.27 destinationIndicator
  2.5.4.28 preferredDeliveryMethod
  2.5.4.29 presentationAddress
  2.5.4.30 supportedApplicationContext
  2.5.4.31 member
  2.5.4.32 owner
  2.5.4.33 roleOccupant
  2.5.4.34 seeAlso
  2.5.4.35 userPassword
  2.5.4.36 userCertificate
  2.5.4.37 cACertificate
  2.5.4.38 authorityRevocationList
  2.5.4.39 certificateRevocationList
  2.5.4.40 crossCertificatePair
  2.5.4.41 name
  2.5.4.42 GN givenName
  2.5.4.43 initials
  2.5.4.44 generationQualifier
  2.5.4.45 x500UniqueIdentifier
  2.5.4.46 dnQualifier
  2.5.4.47 enhancedSearchGuide
  2.5.4.48 protocolInformation
  2.5.4.49 distinguishedName
  2.5.4.50 uniqueMember
  2.5.4.51 houseIdentifier
  2.5.4.52 supportedAlgorithms
  2.5.4.53 deltaRevocationList
  2.5.4.54 dmdName
  2.5.4.65 pseudonym
  2.5.4.72 role
  2.5.4.97 organizationIdentifier
  2.5.4.98 c3 countryCode3c
  2.5.4.99 n3 countryCode3n
  2.5.4.100 dnsName
  0.9.2342.19200300.100.1.1 UID userId
  0.9.2342.19200300.100.1.2 textEncodedORAddress
  0.9.2342.19200300.100.1.3 mail rfc822Mailbox
  0.9.2342.19200300.100.1.4 info
  0.9.2342.19200300.100.1.5 favouriteDrink
  0.9.2342.19200300.100.1.6 roomNumber
  0.9.2342.19200300.100.1.7 photo
  0.9.2342.19200300.100.1.8 userClass
  0.9.2342.19200300.100.1.9 host
  0.9.2342.19200300.100.1.10 manager
  0.9.2342.19200300.100.1.11 documentIdentifier
  0.9.2342.19200300.100.1.12 documentTitle
  0.9.2342.19200300.100.1.13 documentVersion
  0.9.2342.19200300.100.1.14 documentAuthor
  0.9.2342.19200300.100.1.15 documentLocation
  0.9.2342.19200300.100.1.20 homeTelephoneNumber
  0.9.2342.19200300.100.1.21 secretary
  0.9.2342.19200300.100.1.22 otherMailbox
  0.9.2342.19200300.100.1.23 lastModifiedTime
  0.9.2342.19200300.100.1.24 lastModifiedBy
  0.9.2342.19200300.100.1.25 DC domainComponent
  0.9.2342.19200300.100.1.26 aRecord
  0.9.2342.19200300.100.1.27 pilotAttributeType27
  0.9.2342.19200300.100.1.28 mXRecord
  0.9.2342.19200300.100.1.29 nSRecord
  0.9.2342.19200300.100.1.30 sOARecord
  0.9.2342.19200300.100.1.31 cNAMERecord
  0.9.2342.19200300.100.1.37 associatedDomain
  0.9.2342.19200300.100.1.38 associatedName
  0.9.2342.19200300.100.1.39 homePostalAddress
  0.9.2342.19200300.100.1.40 personalTitle
  0.9.2342.19200300.100.1.41 mobileTelephoneNumber
  0.9.2342.19200300.100.1.42 pagerTelephoneNumber
  0.9.2342.19200300.100.1.43 friendlyCountryName
  0.9.2342.19200300.100.1.44 uid uniqueIdentifier
  0.9.2342.19200300.100.1.45 organizationalStatus
  0.9.2342.19200300.100.1.46 janetMailbox
  0.9.2342.19200300.100.1.47 mailPreferenceOption
  0.9.2342.19200300.100.1.48 buildingName
  0.9.2342.19200300.100.1.49 dSAQuality
  0.9.2342.19200300.100.1.50 singleLevelQuality
  0.9.2342.19200300.100.1.51 subtreeMinimumQuality
  0.9.2342.19200300.100.1.52 subtreeMaximumQuality
  0.9.2342.19200300.100.1.53 personalSignature
  0.9.2342.19200300.100.1.54 dITRedirect
  0.9.2342.19200300.100.1.55 audio
  0.9.2342.19200300.100.1.56 documentPublisher
  1.2.840.113549.1.9.1 emailAddress
  1.2.840.113549.1.9.2 unstructuredName
  1.2.840.113549.1.9.3 contentType
  1.2.840.113549.1.9.4 messageDigest
  1.2.840.113549.1.9.5 signingTime
  1.2.840.113549.1.9.6 countersignature
  1.2.840.113549.1.9.7 challengePassword
  1.2.840.113549.1.9.8 unstructuredAddress
  1.2.840.113549.1.9.9 extendedCertificateAttributes
  1.3.6.1.4.1.311.60.2.1.1 jurisdictionL jurisdictionLocalityName
  1.3.6.1.4.1.311.60.2.1.2 jurisdictionST jurisdictionStateOrProvinceName
  1.3.6.1.4.1.311.60.2.1.3 jurisdictionC jurisdictionCountryName
  1.2.643.3.131.1.1 INN
  1.2.643.100.1 OGRN
  1.2.643.100.3 SNILS
  1.2.643.100.5 OGRNIP
`;

/** The attribute types this module names: `names[0]` is what OpenSSL prints, `names[1]` the long name. */
export const ATTRIBUTE_TYPES: ReadonlyArray<{ readonly oid: string; readonly names: readonly string[] }> =
  OPENSSL_NAMES.trim()
    .split('\n')
    .map((line) => {
      const [oid, ...names] = line.trim().split(/\s+/) as [string, ...string[]];
      return { oid, names };
    });

const shortNames = new Map<string, string>(); // oid -> short name
const namesExact = new Map<string, string>(); // short or long name -> oid
const namesFolded = new Map<string, string[]>(); // lower-cased name -> oids
for (const { oid, names } of ATTRIBUTE_TYPES) {
  shortNames.set(oid, names[0]!);
  for (const n of names) {
    namesExact.set(n, oid);
    const folded = namesFolded.get(n.toLowerCase()) ?? [];
    if (!folded.includes(oid)) folded.push(oid);
    namesFolded.set(n.toLowerCase(), folded);
  }
}

// Canonical dotted form only: a second spelling of an OID (leading zeros) would be a second
// spelling of the same username.
const DOTTED_OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/** The name OpenSSL prints for `oid`, or undefined if it prints the dotted OID (and `#hex`). */
export function shortNameOf(oid: string): string | undefined {
  return shortNames.get(oid);
}

/**
 * The OID for an attribute type as a user may type it: an OpenSSL short or long name in any case
 * (`cn`, `commonName`), or a dotted OID (returned as is). Undefined if unknown or ambiguous: the
 * only ambiguity is OpenSSL's own `UID` (userId) versus `uid` (uniqueIdentifier), which is
 * resolved by exact case and otherwise refused rather than guessed.
 */
export function oidOf(shortNameOrOid: string): string | undefined {
  if (DOTTED_OID.test(shortNameOrOid)) return shortNameOrOid;
  const exact = namesExact.get(shortNameOrOid);
  if (exact !== undefined) return exact;
  const folded = namesFolded.get(shortNameOrOid.toLowerCase());
  return folded?.length === 1 ? folded[0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Formatting

const utf8 = new TextEncoder();

// Escaped with a backslash wherever they occur (RFC 2253 §2.4). '=' is deliberately absent:
// OpenSSL prints it bare.
const ALWAYS_ESCAPED = new Set([...',+"\\<>;'].map((c) => c.charCodeAt(0)));

function hex2(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, hex2).join('');
}

function assertWellFormed(value: string): void {
  // A lone surrogate has no UTF-8 encoding; TextEncoder would silently turn it into U+FFFD and we
  // would name a user after a different string.
  if (/\p{Cs}/u.test(value)) {
    throw new DnSyntaxError('value contains a lone UTF-16 surrogate, which has no UTF-8 encoding');
  }
}

/** Escape one attribute value the way `-nameopt RFC2253` prints it. */
export function escapeRfc2253Value(value: string): string {
  assertWellFormed(value);
  const bytes = utf8.encode(value);
  let out = '';
  bytes.forEach((b, i) => {
    const last = i === bytes.length - 1;
    // OPENSSL QUIRK: for a one-character value OpenSSL applies only its "last character" rule
    // (the flag is overwritten, not OR-ed), so the value "#" prints as `#`, not `\#`.
    // A one-character " " still prints as `\ ` because a trailing space is escaped too.
    const first = i === 0 && !last;
    if (b >= 0x80 || b < 0x20 || b === 0x7f) {
      // UTF-8 bytes and control characters (ESC_MSB, ESC_CTRL; NUL included) as \XX.
      out += '\\' + hex2(b);
    } else if (ALWAYS_ESCAPED.has(b) || (first && b === 0x23) || ((first || last) && b === 0x20)) {
      out += '\\' + String.fromCharCode(b);
    } else {
      out += String.fromCharCode(b);
    }
  });
  return out;
}

// The ASN.1 string types OpenSSL prints as text (all others it dumps as #hex): UTF8String,
// NumericString, PrintableString, T61String, IA5String, UniversalString, BMPString.
// (UTCTime, GeneralizedTime and VisibleString would print as text too, but OpenSSL refuses to load
// a certificate whose name holds one, so they can never reach mongod.)
const TEXT_TAGS = new Set([0x0c, 0x12, 0x13, 0x14, 0x16, 0x1c, 0x1e]);
// Other value types OpenSSL loads (and prints as #hex): BIT STRING, ObjectDescriptor, EXTERNAL,
// REAL, EMBEDDED PDV, tags 13-15, CharacterString, SEQUENCE. Any other tag makes the certificate
// unloadable, so it can never reach mongod.
const OPAQUE_TAGS = new Set([0x03, 0x07, 0x08, 0x09, 0x0b, 0x0d, 0x0e, 0x0f, 0x1d, 0x30]);

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return [0x80 | bytes.length, ...bytes];
}

function formatAttribute(a: DnAttribute): string {
  const name = shortNameOf(a.oid);
  if (name === undefined && !DOTTED_OID.test(a.oid)) {
    throw new DnSyntaxError(`attribute type ${JSON.stringify(a.oid)} is not a dotted OID`);
  }
  if (a.der !== undefined && a.der.length < 2) throw new DnSyntaxError('der is not a TLV');
  // OpenSSL's DUMP_UNKNOWN_FIELDS: an attribute type without a name is printed as the DER of
  // its value; so is a value that is not a text string type.
  if (name === undefined || (a.der !== undefined && !TEXT_TAGS.has(a.der[0]!))) {
    let der = a.der;
    if (der === undefined) {
      assertWellFormed(a.value);
      const content = utf8.encode(a.value);
      der = new Uint8Array([0x0c, ...derLength(content.length), ...content]);
    }
    return `${name ?? a.oid}=#${hex(der)}`;
  }
  return `${name}=${escapeRfc2253Value(a.value)}`;
}

/**
 * The subject string mongod expects, from the name's RDNs in DER (certificate) order.
 *
 * OpenSSL walks the name's attributes last to first, so RDNs come out reversed and so do the
 * attributes inside a multi-valued RDN, in the order they are encoded (DER sorts a SET OF by
 * encoding, so that is usually not the order they were written in `-subj`). An RDN with no
 * attributes prints as nothing at all, separator included, as it does in OpenSSL.
 */
export function formatRfc2253(rdnsInDerOrder: readonly Rdn[]): string {
  return rdnsInDerOrder
    .filter((rdn) => rdn.length > 0)
    .map((rdn) => rdn.map(formatAttribute).reverse().join('+'))
    .reverse()
    .join(',');
}

/** The subject of a certificate whose only attribute is CN=username, as mongod prints it. */
export function commonNameSubject(username: string): string {
  return 'CN=' + escapeRfc2253Value(username);
}

// ---------------------------------------------------------------------------------------------
// Parsing

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;
// What may follow a backslash other than a hex pair (RFC 4514 §2.4's set, which covers 2253's).
const ESCAPABLE = ',=+<>#;"\\ ';
// Special characters that must be escaped even in the middle of a value; `,` and `+` end it.
const UNESCAPED_FORBIDDEN = '"<>;';

/** Decode the content of an OpenSSL-loadable ASN.1 text string, or explain why it is not one. */
function decodeText(tag: number, content: Uint8Array): string {
  const codePoints = (width: 2 | 4): string => {
    if (content.length % width !== 0) throw new DnSyntaxError(`string length is not a multiple of ${width}`);
    let s = '';
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    for (let i = 0; i < content.length; i += width) {
      const c = width === 2 ? view.getUint16(i) : view.getUint32(i);
      if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        throw new DnSyntaxError(`U+${c.toString(16).toUpperCase()} is not a Unicode scalar value`);
      }
      s += String.fromCodePoint(c);
    }
    return s;
  };
  switch (tag) {
    case 0x0c:
      try {
        return strictUtf8.decode(content);
      } catch {
        throw new DnSyntaxError('UTF8String value is not valid UTF-8');
      }
    case 0x1e:
      return codePoints(2); // BMPString: UCS-2 big-endian
    case 0x1c:
      return codePoints(4); // UniversalString: UCS-4 big-endian
    default:
      // The 8-bit types: OpenSSL reads every byte as a Latin-1 character, valid or not.
      return Array.from(content, (b) => String.fromCharCode(b)).join('');
  }
}

/**
 * `#hex` value: one DER TLV, turned into text when OpenSSL would print it as text. Only what
 * OpenSSL can print is accepted: it re-encodes what it dumps, so BER forms (long lengths,
 * constructed strings) never appear in its output and are refused here.
 */
function parseHexValue(oid: string, hexDigits: string): DnAttribute {
  if (!/^[0-9A-Fa-f]*$/.test(hexDigits)) throw new DnSyntaxError(`bad hex in #${hexDigits}`);
  if (hexDigits.length % 2 !== 0) throw new DnSyntaxError(`odd number of hex digits in #${hexDigits}`);
  const der = Uint8Array.from(hexDigits.match(/../g) ?? [], (h) => parseInt(h, 16));
  const tag = der[0];
  let length = der[1];
  if (tag === undefined || length === undefined) throw new DnSyntaxError(`#${hexDigits} is too short to be DER`);
  let offset = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    const bytes = der.subarray(2, 2 + n);
    // DER: definite, minimal length; anything else has a second encoding of the same value.
    if (n === 0 || n > 4 || bytes.length !== n || bytes[0] === 0) {
      throw new DnSyntaxError(`#${hexDigits} does not have a DER length`);
    }
    length = bytes.reduce((acc, b) => acc * 256 + b, 0);
    if (length < 0x80) throw new DnSyntaxError(`#${hexDigits} does not have a DER length`);
    offset += n;
  }
  if (offset + length !== der.length) {
    throw new DnSyntaxError(`#${hexDigits} is not exactly one DER value (length mismatch)`);
  }
  const content = der.subarray(offset);
  const known = shortNameOf(oid) !== undefined;
  if (tag === 0x03) {
    // OpenSSL re-encodes a BIT STRING before dumping it, so only the DER form (at most 7 unused
    // bits, none without data, all of them zero) ever appears in its output.
    const unused = content[0] ?? 8;
    const lastByte = content[content.length - 1]!;
    if (unused > 7 || (content.length === 1 && unused !== 0) || (lastByte & ((1 << unused) - 1)) !== 0) {
      throw new DnSyntaxError(`#${hexDigits} is not a DER BIT STRING`);
    }
  }
  if (TEXT_TAGS.has(tag)) {
    const value = decodeText(tag, content);
    return known ? { oid, value } : { oid, value, der };
  }
  if (OPAQUE_TAGS.has(tag)) return { oid, value: '#' + hex(der), der };
  throw new DnSyntaxError(
    `#${hexDigits}: OpenSSL cannot load a certificate whose name holds an ASN.1 value with tag 0x${hex2(tag)}`,
  );
}

/**
 * Parse a DN as users type it for CUSTOMER X.509 usernames (RFC 2253 plus RFC 2253 §4's tolerance
 * of spaces around `,` `+` `=`). Returns RDNs in DER order, i.e. the reverse of the string's, and
 * attributes inside an RDN reversed likewise, so that formatRfc2253 reproduces the string's order.
 *
 * Decisions, so that everything accepted denotes a subject OpenSSL can print:
 * - types: OpenSSL short/long names in any case, or dotted OIDs; anything else is refused.
 * - values: backslash escapes of specials and `\XX` hex pairs (UTF-8 bytes, strictly validated);
 *   `#hex` DER values, decoded to text where OpenSSL prints text. Empty values are accepted:
 *   OpenSSL prints an empty value as `CN=` (RFC 5280 forbids them, but some CAs issue them).
 * - an unknown OID needs a `#hex` value: OpenSSL prints nothing else for it, and a plain value
 *   would not say which string type (UTF8String? PrintableString?) the certificate holds.
 * - a value that is just `#` is the literal `#`, because OpenSSL prints the value "#" that way.
 * - raw control characters, `;` as a separator and quoted values are refused.
 */
export function parseRfc2253(dn: string): Rdn[] {
  return readRfc2253(dn).rdns;
}

/**
 * Whether `dn` is a valid name already written as RFC 2253 writes names (RFC 4514's grammar,
 * which fixes 2253's): without the spaces around `,` `+` `=` and at the ends of values that
 * RFC 2253 §4 lets a parser tolerate and drop. Attribute types in any case, long names, OIDs,
 * `#hex` values, raw UTF-8 and any valid escaping are all RFC 2253 spellings. Throws
 * DnSyntaxError, as parseRfc2253 does, when `dn` is not a name at all.
 */
export function isRfc2253Spelling(dn: string): boolean {
  return !readRfc2253(dn).droppedSpaces;
}

function readRfc2253(dn: string): { rdns: Rdn[]; droppedSpaces: boolean } {
  assertWellFormed(dn);
  if (/^ *$/.test(dn)) throw new DnSyntaxError('empty distinguished name');
  let pos = 0;
  let droppedSpaces = false;

  function fail(message: string): never {
    throw new DnSyntaxError(`${message} at position ${pos} in ${JSON.stringify(dn)}`);
  }
  function skipSpaces(): void {
    while (dn[pos] === ' ') {
      pos++;
      droppedSpaces = true;
    }
  }
  function atSeparatorOrEnd(): boolean {
    return pos === dn.length || dn[pos] === ',' || dn[pos] === '+';
  }

  function parseType(): string {
    skipSpaces();
    const eq = dn.indexOf('=', pos);
    const stop = dn.slice(pos).search(/[,+]/);
    if (eq < 0 || (stop >= 0 && pos + stop < eq)) fail('expected "=" after attribute type');
    const written = dn.slice(pos, eq);
    const type = written.trim();
    if (type === '') fail('empty attribute type');
    if (type !== written) droppedSpaces = true;
    const oid = oidOf(type);
    if (oid === undefined) {
      const candidates = namesFolded.get(type.toLowerCase()) ?? [];
      if (candidates.length > 1) {
        const spelled = candidates.map((o) => `${shortNameOf(o)} (${o})`).join(' or ');
        fail(`ambiguous attribute type ${JSON.stringify(type)}: write ${spelled} in exact case`);
      }
      fail(`unknown attribute type ${JSON.stringify(type)}`);
    }
    pos = eq + 1;
    return oid;
  }

  function parseHashValue(oid: string): DnAttribute {
    const end = dn.slice(pos).search(/[,+]/);
    const next = end < 0 ? dn.length : pos + end;
    const written = dn.slice(pos, next);
    const text = written.trimEnd();
    if (text !== written) droppedSpaces = true;
    // OPENSSL QUIRK (see escapeRfc2253Value): the value "#" prints as a bare `#`.
    if (text === '#' && shortNameOf(oid) !== undefined) {
      pos = next;
      return { oid, value: '#' };
    }
    try {
      const attribute = parseHexValue(oid, text.slice(1));
      pos = next;
      return attribute;
    } catch (e) {
      return fail(`${(e as Error).message} (a value starting with # is DER in hex; escape a literal # as \\#)`);
    }
  }

  function parseStringValue(oid: string): DnAttribute {
    const bytes: number[] = [];
    let significant = 0; // bytes up to the last character that is not an unescaped space
    while (!atSeparatorOrEnd()) {
      const c = dn.codePointAt(pos)!;
      const ch = String.fromCodePoint(c);
      if (ch === '\\') {
        const pair = dn.slice(pos + 1, pos + 3);
        const next = dn[pos + 1];
        if (HEX_PAIR.test(pair)) {
          bytes.push(parseInt(pair, 16));
          pos += 3;
        } else if (next === undefined) {
          fail('dangling backslash');
        } else if (ESCAPABLE.includes(next)) {
          bytes.push(next.charCodeAt(0));
          pos += 2;
        } else {
          fail(`invalid escape \\${next} (only \\XX hex pairs and \\ before one of ${ESCAPABLE.trim()} or a space)`);
        }
        significant = bytes.length;
        continue;
      }
      if (UNESCAPED_FORBIDDEN.includes(ch)) fail(`unescaped ${ch} in value (write \\${ch})`);
      if (c < 0x20 || c === 0x7f) fail(`raw control character U+00${hex2(c)} in value (write \\${hex2(c)})`);
      bytes.push(...utf8.encode(ch));
      if (ch !== ' ') significant = bytes.length;
      pos += ch.length;
    }
    if (significant < bytes.length) droppedSpaces = true;
    try {
      return { oid, value: strictUtf8.decode(new Uint8Array(bytes.slice(0, significant))) };
    } catch {
      return fail('\\XX escapes do not form valid UTF-8');
    }
  }

  function parseAttribute(): DnAttribute {
    const oid = parseType();
    skipSpaces();
    if (dn[pos] === '#') return parseHashValue(oid);
    if (shortNameOf(oid) === undefined) {
      fail(`${oid} is unknown to OpenSSL, which prints its values only as #<hex of the DER value>`);
    }
    return parseStringValue(oid);
  }

  const rdns: DnAttribute[][] = [];
  for (;;) {
    skipSpaces();
    if (atSeparatorOrEnd()) fail('empty RDN');
    const rdn = [parseAttribute()];
    while (dn[pos] === '+') {
      pos++;
      skipSpaces();
      if (atSeparatorOrEnd()) fail('empty attribute after "+"');
      rdn.push(parseAttribute());
    }
    rdns.push(rdn.reverse());
    if (pos === dn.length) break;
    pos++; // the ',' that ended the value
  }
  return { rdns: rdns.reverse(), droppedSpaces };
}

/** The form mongod prints for a DN typed by a user (string order preserved). */
export function normalizeRfc2253(dn: string): string {
  return formatRfc2253(parseRfc2253(dn));
}
