// The real `openssl` binary is the oracle: certificates are made with `openssl req` (or, for names
// `req` cannot express, by splicing a hand-encoded subject into one), openssl prints the subject
// with `-nameopt RFC2253`, and the module must produce the same string from the RDNs this file
// reads out of the certificate with its own tiny DER walker (no project code is involved).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  ATTRIBUTE_TYPES,
  DnSyntaxError,
  commonNameSubject,
  escapeRfc2253Value,
  formatRfc2253,
  isRfc2253Spelling,
  normalizeRfc2253,
  oidOf,
  parseRfc2253,
  shortNameOf,
  type DnAttribute,
  type Rdn,
} from '../../src/domain/rfc2253.js';
import { opensslSync, selfSignedP256 } from '../helpers/openssl.js';

// ---------------------------------------------------------------------------------------------
// openssl

let dir = '';
let certCount = 0;
let baseCertDer: Uint8Array = new Uint8Array();

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbcerts-rfc2253-'));
  baseCertDer = reqCert('/CN=base').der;
});
after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The subject as `openssl x509 -nameopt RFC2253` prints it, or undefined if openssl cannot load the cert. */
function printedSubject(file: string, inform: 'PEM' | 'DER'): string | undefined {
  let out: string;
  try {
    out = opensslSync(['x509', '-inform', inform, '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253']);
  } catch {
    return undefined;
  }
  assert.ok(out.startsWith('subject=') && out.endsWith('\n'), `unexpected openssl output ${JSON.stringify(out)}`);
  return out.slice('subject='.length, -1); // never trim: the subject may end in an escaped space
}

interface Cert {
  der: Uint8Array;
  printed: string;
}

interface ReqOptions {
  /** Extra attribute names for -subj, e.g. { myAttr: '1.2.3.4' }: unknown to the printing openssl. */
  oids?: Record<string, string>;
  /** 'default' lets openssl pick PrintableString, T61String or BMPString where they suffice. */
  stringMask?: 'utf8only' | 'default';
}

/** A self-signed certificate from `openssl req -subj`. */
function reqCert(subj: string, options?: ReqOptions): Cert {
  const file = path.join(dir, `req-${++certCount}.pem`);
  const args = selfSignedP256('/dev/null');
  if (options !== undefined) {
    const oids = Object.entries(options.oids ?? {}).map(([name, oid]) => `${name} = ${oid}\n`);
    const cnf = path.join(dir, `req-${certCount}.cnf`);
    fs.writeFileSync(
      cnf,
      `oid_section = new_oids\n[ new_oids ]\n${oids.join('')}` +
        `[ req ]\ndistinguished_name = dn\nstring_mask = ${options.stringMask ?? 'utf8only'}\n[ dn ]\n`,
    );
    args.push('-config', cnf);
  }
  args.push('-subj', subj, '-utf8', '-multivalue-rdn', '-days', '1', '-out', file);
  opensslSync(args);
  const der = new Uint8Array(new X509Certificate(fs.readFileSync(file)).raw);
  const printed = printedSubject(file, 'PEM');
  assert.ok(printed !== undefined);
  return { der, printed };
}

/** -subj syntax: a backslash escapes the next character, `/` separates RDNs, `+` attributes. */
function subjEscape(value: string): string {
  return value.replace(/[\\/+]/g, '\\$&');
}

/** How many attributes a -subj string asks for, so that a silently skipped one fails the test. */
function subjAttributeCount(subj: string): number {
  return subj.replace(/\\./gs, '').replace(/[^/+]/g, '').length;
}

// ---------------------------------------------------------------------------------------------
// A tiny DER reader and writer, independent of the module under test

interface Tlv {
  tag: number;
  start: number;
  end: number;
  content: Uint8Array;
}

function readTlv(buf: Uint8Array, off: number): Tlv {
  const tag = buf[off]!;
  let len = buf[off + 1]!;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i]!;
    hdr += n;
  }
  return { tag, start: off, end: off + hdr + len, content: buf.subarray(off + hdr, off + hdr + len) };
}

function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < t.content.length; off = out[out.length - 1]!.end) out.push(readTlv(t.content, off));
  return out;
}

function decodeOid(content: Uint8Array): string {
  const arcs: number[] = [];
  let n = 0;
  for (const b of content) {
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (arcs.length === 0) arcs.push(Math.min(2, Math.floor(n / 40)), n - 40 * Math.min(2, Math.floor(n / 40)));
      else arcs.push(n);
      n = 0;
    }
  }
  return arcs.join('.');
}

function encodeOid(oid: string): Uint8Array {
  const [a, b, ...rest] = oid.split('.').map(Number) as [number, number, ...number[]];
  const out = [a * 40 + b];
  for (const arc of rest) {
    const bytes = [arc & 0x7f];
    for (let m = Math.floor(arc / 128); m > 0; m = Math.floor(m / 128)) bytes.unshift((m & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return tlv(0x06, out);
}

function tlv(tag: number, content: ArrayLike<number>): Uint8Array {
  const len = content.length;
  const lenBytes = len < 0x80 ? [len] : len < 0x100 ? [0x81, len] : [0x82, len >> 8, len & 0xff];
  return new Uint8Array([tag, ...lenBytes, ...Array.from(content)]);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(parts.flatMap((p) => Array.from(p)));
}

const utf8 = (s: string): Uint8Array => tlv(0x0c, new TextEncoder().encode(s));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();

/** Text of a string value, the way OpenSSL converts it to UTF-8 before escaping. */
function textOf(tag: number, c: Uint8Array): string | undefined {
  switch (tag) {
    case 0x0c:
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(c);
    case 0x1e:
      return Array.from({ length: c.length / 2 }, (_, i) => String.fromCharCode((c[2 * i]! << 8) | c[2 * i + 1]!)).join(
        '',
      );
    case 0x1c:
      return Array.from({ length: c.length / 4 }, (_, i) =>
        String.fromCodePoint(Buffer.from(c).readUInt32BE(4 * i)),
      ).join('');
    case 0x12:
    case 0x13:
    case 0x14:
    case 0x16:
      return Array.from(c, (b) => String.fromCharCode(b)).join('');
    default:
      return undefined;
  }
}

/** The subject's RDNs in DER order, each attribute with its full value TLV as der. */
function subjectRdns(certDer: Uint8Array): DnAttribute[][] {
  const [tbs] = children(readTlv(certDer, 0));
  const fields = children(tbs!);
  const subject = fields[fields[0]!.tag === 0xa0 ? 5 : 4]!;
  return children(subject).map((set) =>
    children(set).map((atv) => {
      const [type, value] = children(atv) as [Tlv, Tlv];
      const der = new Uint8Array(atv.content.subarray(value.start, value.end));
      return { oid: decodeOid(type.content), value: textOf(value.tag, value.content) ?? '', der };
    }),
  );
}

type Spliced = [oid: string, valueDer: Uint8Array][][];

/** A Name in exactly the given order (SET OF is deliberately not sorted). */
function encodeName(rdns: Spliced): Uint8Array {
  return tlv(
    0x30,
    concat(...rdns.map((rdn) => tlv(0x31, concat(...rdn.map(([oid, v]) => tlv(0x30, concat(encodeOid(oid), v))))))),
  );
}

/**
 * An openssl-made certificate with its subject replaced. The signature no longer verifies, which
 * `openssl x509 -subject` does not check. Returns undefined when openssl refuses to load it.
 */
function splicedCert(rdns: Spliced): Cert | undefined {
  const cert = readTlv(baseCertDer, 0);
  const [tbs, ...rest] = children(cert) as [Tlv, ...Tlv[]];
  const fields = children(tbs);
  const subjectIndex = fields[0]!.tag === 0xa0 ? 5 : 4;
  const newTbs = tlv(
    0x30,
    concat(...fields.map((f, i) => (i === subjectIndex ? encodeName(rdns) : tbs.content.subarray(f.start, f.end)))),
  );
  const der = tlv(0x30, concat(newTbs, ...rest.map((r) => cert.content.subarray(r.start, r.end))));
  const file = path.join(dir, `spliced-${++certCount}.der`);
  fs.writeFileSync(file, der);
  const printed = printedSubject(file, 'DER');
  return printed === undefined ? undefined : { der, printed };
}

// ---------------------------------------------------------------------------------------------
// Assertions shared by the oracle tests

const TEXT_TAGS = new Set([0x0c, 0x12, 0x13, 0x14, 0x16, 0x1c, 0x1e]);

/** What a DN means, independent of how the value was spelled: text, or DER when openssl dumps it. */
function meaning(rdns: readonly Rdn[]): unknown {
  return rdns.map((rdn) =>
    rdn.map((a) =>
      a.der !== undefined && !TEXT_TAGS.has(a.der[0]!)
        ? { oid: a.oid, der: hex(a.der) }
        : { oid: a.oid, value: a.value },
    ),
  );
}

/** The module agrees with openssl about this certificate, in both directions. */
function assertAgreesWithOpenssl(cert: Cert): void {
  const rdns = subjectRdns(cert.der);
  assert.equal(formatRfc2253(rdns), cert.printed, 'formatRfc2253(RDNs read from the certificate)');
  assert.deepEqual(
    meaning(parseRfc2253(cert.printed)),
    meaning(rdns.filter((r) => r.length > 0)),
    'parseRfc2253(openssl output)',
  );
  assert.equal(normalizeRfc2253(cert.printed), cert.printed, 'normalizeRfc2253(openssl output)');
}

const CN = '2.5.4.3';
const O = '2.5.4.10';
const OU = '2.5.4.11';
const DC = '0.9.2342.19200300.100.1.25';
const UID = '0.9.2342.19200300.100.1.1';
const EMAIL = '1.2.840.113549.1.9.1';

// ---------------------------------------------------------------------------------------------

describe('formatRfc2253 against openssl req -subj', () => {
  const cases: Record<string, string> = {
    'plain ascii': '/CN=alice',
    'common subject': '/C=US/ST=New York/L=New York City/O=Acme Inc/OU=Engineering/CN=Alice Smith',
    'spaces inside, leading, trailing': `/CN= leading/OU=trailing /O= both /L=in  side/ST=  two  `,
    'single and double space': '/CN= /O=  ',
    'leading and inner #': '/CN=#hash/O=a#b/OU=##',
    'value that is just #': '/CN=#',
    'each special in the middle': '/CN=a,b/O=a\\+b/OU=a"b/L=a\\\\b/ST=a<b/street=a>b/title=a;b/GN=a=b',
    'each special leading': '/CN=,x/O=\\+x/OU="x/L=\\\\x/ST=<x/street=>x/title=;x/GN==x',
    'each special trailing': '/CN=x,/O=x\\+/OU=x"/L=x\\\\/ST=x</street=x>/title=x;/GN=x=',
    'each special alone': '/CN=,/O=\\+/OU="/L=\\\\/ST=</street=>/title=;/GN==',
    'slash in a value': '/CN=a\\/b',
    'non-ASCII': '/CN=é/O=日本/OU=😀/L=Zoë Ünïcødé 日本語 🎉',
    'C1 control, BOM and noncharacter': '/CN=\u0080x\u009f/O=\ufeffbom/OU=\uffff',
    'control characters': '/CN=a\x01b\x09c\x0ad\x0de\x1bf\x1fg\x7fh/O=\x01/OU=\x7f',
    'control characters at the edges': '/CN=\x09x\x09',
    'multi-valued RDN': '/CN=a+OU=b',
    'multi-valued RDNs of three': '/DC=x/CN=a+OU=b+O=c/UID=u+emailAddress=e@x.org',
    'multi-valued RDN with escapes': '/CN=\\+ x ,+OU= #y',
    'many RDNs with DC, UID, emailAddress':
      '/DC=com/DC=example/O=Example/OU=People/UID=jdoe/CN=John Doe/emailAddress=jdoe@example.com',
    'the attributes named in the spec':
      '/UID=u/emailAddress=a@b.c/serialNumber=12/street=s/title=t/GN=g/SN=s/pseudonym=p/initials=i/generationQualifier=g' +
      '/dnQualifier=d/postalCode=p/businessCategory=b/jurisdictionC=US/jurisdictionST=x/jurisdictionL=y' +
      '/organizationIdentifier=o/L=l/ST=s/C=US/DC=d/OU=ou/O=o/CN=cn',
    'long values': `/CN=${'x'.repeat(64)}/description=${'é'.repeat(200)}`,
  };
  for (const [name, subj] of Object.entries(cases)) {
    it(name, () => {
      const cert = reqCert(subj);
      assert.equal(subjectRdns(cert.der).flat().length, subjAttributeCount(subj), 'openssl req kept every attribute');
      assertAgreesWithOpenssl(cert);
    });
  }

  it('prints RDNs last to first and attributes within an RDN last to first (documented literals)', () => {
    const cert = reqCert('/DC=org/O=Acme/CN=a+OU=bb+O=ccc');
    // DER sorts SET OF by encoding, so the RDN is stored as CN, OU, O (shortest first) ...
    assert.deepEqual(
      subjectRdns(cert.der).map((rdn) => rdn.map((a) => shortNameOf(a.oid))),
      [['DC'], ['O'], ['CN', 'OU', 'O']],
    );
    // ... and printed in reverse: the within-RDN order is reversed too.
    assert.equal(cert.printed, 'O=ccc+OU=bb+CN=a,O=Acme,DC=org');
    assert.equal(formatRfc2253(subjectRdns(cert.der)), cert.printed);
  });
});

describe('formatRfc2253 against openssl req with a config file', () => {
  const oids = { myAttr: '1.2.3.4', otherAttr: '1.3.6.1.4.1.99999.1.2' };

  it('unknown OIDs print as dotted OID = #hex of the DER value (UTF8String)', () => {
    const cert = reqCert('/myAttr=hello/CN=x+otherAttr=é日, x/myAttr= #lead', { oids });
    assert.match(
      cert.printed,
      /^1\.2\.3\.4=#0C0620236C656164,1\.3\.6\.1\.4\.1\.99999\.1\.2=#0C.*\+CN=x,1\.2\.3\.4=#0C0568656C6C6F$/,
    );
    assertAgreesWithOpenssl(cert);
  });

  it('unknown OIDs with PrintableString, T61String and BMPString values', () => {
    const cert = reqCert('/myAttr=hello/otherAttr=é latin-1/myAttr=日本 bmp/otherAttr=😀', {
      oids,
      stringMask: 'default',
    });
    const tags = subjectRdns(cert.der).map(([a]) => a!.der![0]);
    assert.deepEqual(tags, [0x13, 0x14, 0x1e, 0x0c]);
    assertAgreesWithOpenssl(cert);
  });

  it('known attributes with PrintableString, T61String, BMPString and UTF8String values', () => {
    const cert = reqCert('/CN=plain/O=é latin-1/OU=日本 bmp/L=😀 utf8/DC=a.b/emailAddress=a@b.c', {
      stringMask: 'default',
    });
    const tags = subjectRdns(cert.der).map(([a]) => a!.der![0]);
    assert.deepEqual(tags, [0x13, 0x14, 0x1e, 0x0c, 0x16, 0x16]);
    assertAgreesWithOpenssl(cert);
  });
});

describe('formatRfc2253 against openssl for hand-encoded subjects', () => {
  it('every ASCII byte (NUL included) alone, first, inside and last in a value', () => {
    const rdns: Spliced = [];
    for (let b = 0; b < 0x80; b++) {
      const c = String.fromCharCode(b);
      for (const v of [c, `${c}x`, `x${c}x`, `x${c}`]) rdns.push([[CN, utf8(v)]]);
    }
    assertAgreesWithOpenssl(splicedCert(rdns)!);
  });

  it('edge spaces and # in combination', () => {
    const values = ['  ', '   ', ' # ', '# ', ' #', '##', '#', ' ', '', 'a ', ' a', '\\ ', ' \\', '# #'];
    assertAgreesWithOpenssl(splicedCert(values.map((v) => [[CN, utf8(v)]]))!);
  });

  it('empty values print as CN=', () => {
    const cert = splicedCert([
      [[CN, utf8('')]],
      [
        [O, utf8('')],
        [OU, tlv(0x13, [])],
      ],
    ])!;
    assert.equal(cert.printed, 'OU=+O=,CN=');
    assertAgreesWithOpenssl(cert);
  });

  it('multi-valued RDNs print in reverse of their encoded order, sorted or not', () => {
    const cert = splicedCert([
      [
        [O, utf8('o')],
        [CN, utf8('c')],
        [OU, utf8('u')],
      ],
      [
        [DC, utf8('d')],
        [UID, utf8('u')],
        [EMAIL, utf8('e')],
      ],
    ])!;
    assert.equal(cert.printed, 'emailAddress=e+UID=u+DC=d,OU=u+CN=c+O=o');
    assertAgreesWithOpenssl(cert);
  });

  it('an empty RDN prints as nothing', () => {
    const cert = splicedCert([[[CN, utf8('a')]], [], [[O, utf8('b')]]])!;
    assert.equal(cert.printed, 'O=b,CN=a');
    assertAgreesWithOpenssl(cert);
  });

  it('string types: 8-bit types are read as Latin-1, BMPString and UniversalString as UCS', () => {
    const cert = splicedCert([
      [[CN, tlv(0x14, [0xe9, 0x41, 0xff])]],
      [[CN, tlv(0x13, [0xe9])]],
      [[CN, tlv(0x16, [0x80, 0x23])]],
      [[CN, tlv(0x12, [0x20, 0x31, 0x20])]],
      [[CN, tlv(0x1e, [0x00, 0x23, 0x65, 0xe5, 0xff, 0xff, 0x00, 0x00])]],
      [[CN, tlv(0x1c, [0x00, 0x01, 0xf6, 0x00, 0x00, 0x00, 0x00, 0x20])]],
      [[CN, utf8('\ufeff')]],
    ])!;
    assertAgreesWithOpenssl(cert);
  });

  it('unknown OIDs with every string type, and a long one', () => {
    const cert = splicedCert([
      [['1.2.3.4', utf8('x')]],
      [['1.2.3.4', tlv(0x13, [0x41])]],
      [
        ['2.999.1', tlv(0x1e, [0x65, 0xe5])],
        [CN, utf8('+')],
      ],
      [['1.3.6.1.4.1.311.20.2', utf8('y'.repeat(200))]],
    ])!;
    assertAgreesWithOpenssl(cert);
  });

  it('#hex values: parseRfc2253 accepts exactly the DER that openssl prints back unchanged', () => {
    const contentFor: Record<number, number[]> = {
      0x01: [0xff],
      0x02: [0x01],
      0x03: [0x00, 0x41],
      0x05: [],
      0x06: [0x2a],
      0x0a: [0x01],
      0x17: [...Buffer.from('250101000000Z')],
      0x18: [...Buffer.from('20250101000000Z')],
      0x1c: [0x00, 0x00, 0x00, 0x41],
    };
    const candidates: Uint8Array[] = [];
    for (let tag = 0; tag <= 0x1e; tag++) candidates.push(tlv(tag, contentFor[tag] ?? [0x41, 0x42]));
    for (const tag of [0x40, 0x80, 0xa0, 0xc0]) candidates.push(tlv(tag, [0x41]));
    for (const bits of [[0x00], [0x00, 0x00], [0x07, 0x80], [0x01, 0x41], [0x03], [0x08, 0x00], []])
      candidates.push(tlv(0x03, bits));
    for (const seq of [[0xff, 0xff], [], [0x02, 0x01, 0x01]]) candidates.push(tlv(0x30, seq));
    candidates.push(
      tlv(0x0c, [0xc3, 0x28]),
      tlv(0x1e, [0xd8, 0x3d, 0xde, 0x00]),
      tlv(0x1c, [0, 0x11, 0, 0]),
      tlv(0x1e, [0x41]),
    );
    // BER that OpenSSL loads (it flattens constructed strings and shortens lengths) but never prints.
    const ber: Uint8Array[] = [0x27, 0x28, 0x2c, 0x31, 0x32, 0x3d].map((tag) => tlv(tag, utf8('A')));
    ber.push(new Uint8Array([0x0c, 0x81, 0x01, 0x41]), new Uint8Array([0x30, 0x81, 0x00]));
    ber.push(new Uint8Array([0x0c, 0x82, 0x00, 0x81, ...Buffer.from('x'.repeat(0x81))]));
    candidates.push(...ber);

    const outcomes = { text: 0, hex: 0, rejected: 0 };
    const check = (name: string, der: Uint8Array, printed: string | undefined): void => {
      const typed = `${name}=#${hex(der)}`;
      const printsAsText = printed !== undefined && !printed.startsWith(`${name}=#`);
      if (printed === typed || (printsAsText && TEXT_TAGS.has(der[0]!) && !ber.includes(der))) {
        assert.equal(normalizeRfc2253(typed), printed, typed);
        outcomes[printed === typed ? 'hex' : 'text']++;
      } else {
        assert.throws(() => parseRfc2253(typed), DnSyntaxError, `${typed} (openssl: ${printed ?? 'cannot load'})`);
        outcomes.rejected++;
      }
    };
    // One certificate per candidate, since one unloadable value makes the whole certificate so.
    const loadable: Uint8Array[] = [];
    for (const der of candidates) {
      const printed = splicedCert([[[CN, der]]])?.printed;
      check('CN', der, printed);
      if (printed === undefined)
        check('1.2.3.4', der, undefined); // loading does not depend on the type
      else loadable.push(der);
    }
    // An unknown type always prints as `oid=#HEX` (no commas), so these can share a certificate.
    const printed = splicedCert(loadable.map((der) => [['1.2.3.4', der]]))!
      .printed.split(',')
      .reverse();
    assert.equal(printed.length, loadable.length);
    loadable.forEach((der, i) => check('1.2.3.4', der, printed[i]));
    assert.ok(outcomes.text >= 7 && outcomes.hex >= 17 && outcomes.rejected > 0, JSON.stringify(outcomes));
  });

  it('randomized names (seeded)', () => {
    let seed = 0x2253;
    const random = (n: number): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const alphabet = [...'ab ,+"\\<>;=#/\x00\x01\x1f\x7f', 'é', '日', '😀', '\u0080', '\ufeff', ' '];
    const oids = [CN, O, OU, DC, UID, EMAIL, '2.5.4.13', '1.2.3.4'];
    for (let n = 0; n < 25; n++) {
      const rdns: Spliced = [];
      for (let r = 1 + random(8); r > 0; r--) {
        const rdn: Spliced[number] = [];
        for (let k = 1 + (random(4) === 0 ? random(3) : 0); k > 0; k--) {
          const value = Array.from({ length: random(7) }, () => alphabet[random(alphabet.length)]).join('');
          rdn.push([oids[random(oids.length)]!, utf8(value)]);
        }
        rdns.push(rdn);
      }
      assertAgreesWithOpenssl(splicedCert(rdns)!);
    }
  });
});

describe('attribute type names', () => {
  const valueFor = (oid: string): string =>
    ({
      '2.5.4.98': 'USA',
      '2.5.4.99': '840',
      '1.2.643.3.131.1.1': '840',
      '1.2.643.100.1': '840',
      '1.2.643.100.3': '840',
      '1.2.643.100.5': '840',
    })[oid] ?? 'US';

  it('every OID in the table prints with the short name openssl uses', () => {
    const cert = reqCert(ATTRIBUTE_TYPES.map(({ oid }) => `/${oid}=${valueFor(oid)}`).join(''));
    const rdns = subjectRdns(cert.der);
    assert.deepEqual(
      rdns.map(([a]) => a!.oid),
      ATTRIBUTE_TYPES.map((t) => t.oid),
    );
    const printedNames = cert.printed.split(',').map((s) => s.slice(0, s.indexOf('=')));
    assert.deepEqual(printedNames, ATTRIBUTE_TYPES.map((t) => t.names[0]).reverse());
    assertAgreesWithOpenssl(cert);
  });

  for (const which of [0, 1] as const) {
    it(`openssl resolves every ${which === 0 ? 'short' : 'long'} name in the table to the same OID`, () => {
      const types = ATTRIBUTE_TYPES.filter((t) => t.names[which] !== undefined);
      const cert = reqCert(types.map(({ oid, names }) => `/${names[which]}=${valueFor(oid)}`).join(''));
      assert.deepEqual(
        subjectRdns(cert.der).map(([a]) => a!.oid),
        types.map((t) => t.oid),
      );
    });
  }

  it('an OID that openssl does not know is not in the table', () => {
    const cert = reqCert('/myAttr=x', { oids: { myAttr: '2.5.4.200' } });
    assert.equal(cert.printed, '2.5.4.200=#0C0178');
    assert.equal(shortNameOf('2.5.4.200'), undefined);
  });

  it('oidOf: exact names, any case, dotted OIDs; only UID/uid is ambiguous', () => {
    const ambiguous = new Set<string>();
    const allNames = new Set(ATTRIBUTE_TYPES.flatMap((t) => t.names));
    for (const { oid, names } of ATTRIBUTE_TYPES) {
      for (const name of names) {
        assert.equal(oidOf(name), oid, name);
        // A different case that is itself a name in the table means that other attribute.
        const variants = [name.toLowerCase(), name.toUpperCase(), name[0]!.toUpperCase() + name.slice(1).toLowerCase()];
        for (const spelled of variants.filter((n) => !allNames.has(n))) {
          const got = oidOf(spelled);
          if (got === undefined) ambiguous.add(spelled.toLowerCase());
          else assert.equal(got, oid, spelled);
        }
      }
    }
    assert.deepEqual([...ambiguous], ['uid']);
    assert.equal(oidOf('UID'), UID);
    assert.equal(oidOf('uid'), '0.9.2342.19200300.100.1.44');
    assert.equal(oidOf('Uid'), undefined);
    assert.equal(oidOf('cn'), CN);
    assert.equal(oidOf('CommonName'), CN);
    assert.equal(oidOf('EMAILADDRESS'), EMAIL);
    assert.equal(oidOf('1.2.3.4'), '1.2.3.4');
    for (const bad of ['', 'foo', 'E', 'EMAIL', '1', '1.', '.1', '3.1', '1.02', '1..2', ' CN', 'oid.2.5.4.3']) {
      assert.equal(oidOf(bad), undefined, bad);
    }
    assert.equal(shortNameOf(CN), 'CN');
    assert.equal(shortNameOf(EMAIL), 'emailAddress');
    assert.equal(shortNameOf('1.2.3.4'), undefined);
  });
});

describe('parseRfc2253 / normalizeRfc2253', () => {
  it('returns RDNs in DER order (the reverse of the string) and normalize keeps the string order', () => {
    assert.deepEqual(parseRfc2253('cn = Alice , o=Acme'), [[{ oid: O, value: 'Acme' }], [{ oid: CN, value: 'Alice' }]]);
    assert.deepEqual(parseRfc2253('CN=a+OU=b'), [
      [
        { oid: OU, value: 'b' },
        { oid: CN, value: 'a' },
      ],
    ]);
    assert.equal(normalizeRfc2253('cn = Alice , o=Acme'), 'CN=Alice,O=Acme');
    assert.equal(normalizeRfc2253('CN=a+OU=b'), 'CN=a+OU=b');
  });

  // What a user may type, and how to make a certificate that openssl prints that way: a -subj
  // string, or a hand-encoded subject where -subj cannot express it.
  const typed: [typed: string, oracle: string | Spliced][] = [
    ['cn = Alice , o=Acme', '/O=Acme/CN=Alice'],
    ['  CN=Alice  ,  O = Acme  ', '/O=Acme/CN=Alice'],
    ['commonName=Bob,organizationalUnitName=Eng,domainComponent=example,DC=com', '/DC=com/DC=example/OU=Eng/CN=Bob'],
    ['2.5.4.3=Bob,0.9.2342.19200300.100.1.25=org', '/DC=org/CN=Bob'],
    ['userid=jdoe,EMAILADDRESS=j@x.org', '/emailAddress=j@x.org/UID=jdoe'],
    ['CN=Alice + OU=Eng', '/CN=Alice+OU=Eng'],
    ['CN=\\ x\\ ', '/CN= x '],
    ['CN=  spaced  out  ', '/CN=spaced  out'],
    ['CN=a \\ ', '/CN=a  '],
    ['CN=\\#x', '/CN=#x'],
    ['CN=#', '/CN=#'],
    ['CN=\\#', '/CN=#'],
    ['CN=a=b', '/CN=a=b'],
    ['CN=a\\=b', '/CN=a=b'],
    ['CN=\\"q\\"', '/CN="q"'],
    ['CN=\\,\\+\\<\\>\\;\\\\', '/CN=,\\+<>;\\\\'],
    ['CN=caf\\C3\\A9 \\2C x', '/CN=café , x'],
    ['CN=caf\\c3\\a9', '/CN=café'],
    ['CN=café 日本 😀', '/CN=café 日本 😀'],
    ['CN=\\E6\\97\\A5本', '/CN=日本'],
    ['CN=#0C03616263', '/CN=abc'],
    ['CN=#130161', '/CN=a'],
    ['CN=#1E0200E9', '/CN=é'],
    ['CN=a\\09b\\00', [[[CN, utf8('a\tb\0')]]]],
    ['CN=,O=x', [[[O, utf8('x')]], [[CN, utf8('')]]]],
    [
      '1.2.3.4=#1E0200E9+CN=x',
      [
        [
          [CN, utf8('x')],
          ['1.2.3.4', tlv(0x1e, [0x00, 0xe9])],
        ],
      ],
    ],
  ];
  for (const [input, oracle] of typed) {
    it(`normalizes ${JSON.stringify(input)} to what openssl prints`, () => {
      const cert = typeof oracle === 'string' ? reqCert(oracle) : splicedCert(oracle)!;
      assert.equal(normalizeRfc2253(input), cert.printed);
      assert.equal(normalizeRfc2253(cert.printed), cert.printed, 'idempotent');
    });
  }

  it('keeps the DER of values openssl prints as #hex', () => {
    const [[a]] = parseRfc2253('1.2.3.4=#130568656c6c6f') as [[DnAttribute]];
    assert.deepEqual(a, {
      oid: '1.2.3.4',
      value: 'hello',
      der: new Uint8Array([0x13, 5, 0x68, 0x65, 0x6c, 0x6c, 0x6f]),
    });
    assert.equal(formatRfc2253([[a]]), '1.2.3.4=#130568656C6C6F');
    const [[b]] = parseRfc2253('CN=#3000') as [[DnAttribute]];
    assert.deepEqual(b, { oid: CN, value: '#3000', der: new Uint8Array([0x30, 0]) });
    const [[c]] = parseRfc2253('CN=#0C0161') as [[DnAttribute]];
    assert.deepEqual(c, { oid: CN, value: 'a' });
    const long = 'a'.repeat(200);
    assert.equal(
      normalizeRfc2253(`1.2.3.4=#0C81C8${Buffer.from(long).toString('hex')}`),
      `1.2.3.4=#0C81C8${hex(Buffer.from(long))}`,
    );
  });

  const rejected: [input: string, message: RegExp][] = [
    ['', /empty distinguished name/],
    ['   ', /empty distinguished name/],
    ['CN=a,', /empty RDN at position 5/],
    [',CN=a', /empty RDN at position 0/],
    ['CN=a,,O=b', /empty RDN/],
    ['CN=a, ,O=b', /empty RDN/],
    ['CN=a+', /empty attribute after "\+"/],
    ['+CN=a', /empty RDN/],
    ['CN=a++O=b', /empty attribute/],
    ['=a', /empty attribute type/],
    ['CN=a, =b', /empty attribute type/],
    ['CN', /expected "="/],
    ['CN=a,O', /expected "="/],
    ['CN,O=a', /expected "="/],
    ['foo=bar', /unknown attribute type "foo"/],
    ['E=a@b.c', /unknown attribute type "E"/],
    ['2.5.04.3=x', /unknown attribute type "2.5.04.3"/],
    ['oid.2.5.4.3=x', /unknown attribute type/],
    ['Uid=x', /ambiguous attribute type "Uid".*UID.*uid/],
    ['1.2.3.4=hello', /1\.2\.3\.4 is unknown to OpenSSL.*#/],
    ['1.2.3.4=', /1\.2\.3\.4 is unknown to OpenSSL/],
    ['1.2.3.4=#', /too short/],
    ['CN=a;b', /unescaped ; in value/],
    ['CN=a;O=b', /unescaped ;/],
    ['CN="quoted"', /unescaped " in value/],
    ['CN=<x>', /unescaped </],
    ['CN=a>', /unescaped >/],
    ['CN=a\\', /dangling backslash/],
    ['CN=\\', /dangling backslash/],
    ['CN=\\x', /invalid escape \\x/],
    ['CN=\\g1', /invalid escape \\g/],
    ['CN=\\4', /invalid escape \\4/],
    ['CN=\\/', /invalid escape/],
    ['CN=\\C3', /do not form valid UTF-8/],
    ['CN=\\C3x', /do not form valid UTF-8/],
    ['CN=\\FF', /do not form valid UTF-8/],
    ['CN=\\C0\\80', /do not form valid UTF-8/],
    ['CN=\\ED\\A0\\80', /do not form valid UTF-8/],
    ['CN=#zz', /bad hex/],
    ['CN=#0C0', /odd number of hex digits/],
    ['CN=#0C 01 61', /bad hex/],
    ['CN=#0C02', /length mismatch/],
    ['CN=#0C0161FF', /length mismatch/],
    ['CN=#0C', /too short/],
    ['CN=#0C8101', /DER length/],
    ['CN=#0C80', /DER length/],
    ['CN=#0C02C328', /not valid UTF-8/],
    ['CN=#1E0141', /multiple of 2/],
    ['CN=#1E02D800', /not a Unicode scalar value/],
    ['CN=#1C0400110000', /not a Unicode scalar value/],
    ['CN=#020101', /tag 0x02/],
    ['CN=#040141', /tag 0x04/],
    ['CN=#03020141', /not a DER BIT STRING/],
    ['CN=#2C030C0141', /tag 0x2C/],
    ['CN=#1F0100', /tag 0x1F/],
    ['CN=#a#', /bad hex.*escape a literal #/],
    ['CN=a\tb', /raw control character U\+0009.*\\09/],
    ['CN=a\nb', /raw control character/],
    ['CN=\x7f', /raw control character/],
    ['CN=\ud800', /lone UTF-16 surrogate/],
  ];
  for (const [input, message] of rejected) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseRfc2253(input),
        (e: unknown) => {
          assert.ok(e instanceof DnSyntaxError, `not a DnSyntaxError: ${String(e)}`);
          assert.ok(e instanceof Error);
          assert.equal(e.name, 'DnSyntaxError');
          assert.match(e.message, message);
          return true;
        },
      );
      assert.throws(() => normalizeRfc2253(input), DnSyntaxError);
    });
  }
});

describe('isRfc2253Spelling: the names written as RFC 2253 writes them', () => {
  const spellings = [
    'CN=Alice,O=Acme',
    'cn=alice,o=acme',
    'commonName=Bob,organizationalUnitName=Eng',
    '2.5.4.3=Bob,0.9.2342.19200300.100.1.25=org',
    'CN=café 日本',
    'CN=caf\\C3\\A9',
    'CN=\\41lice',
    'CN=\\ x\\ ',
    'CN=a \\ ',
    'CN=Doe\\, John',
    'CN=Doe\\2C John',
    'CN=a=b',
    'CN=#0C03616263',
    'CN=John Doe+serialNumber=42,OU=people',
    'CN=,O=x',
  ];
  for (const dn of spellings) {
    it(`${JSON.stringify(dn)} is one`, () => assert.equal(isRfc2253Spelling(dn), true));
  }

  // RFC 2253 §4 lets a parser accept spaces around the separators; they are not part of the name.
  const tolerated = [
    'cn = Alice , o=Acme',
    ' CN=Alice',
    'CN=Alice ',
    'CN= Alice',
    'CN =Alice',
    'CN=Alice, O=Acme',
    'CN=Alice ,O=Acme',
    'CN=a +OU=b',
    'CN=a+ OU=b',
    'CN=#0C0161 ',
  ];
  for (const dn of tolerated) {
    it(`${JSON.stringify(dn)} is not, though it parses to ${JSON.stringify(normalizeRfc2253(dn))}`, () =>
      assert.equal(isRfc2253Spelling(dn), false));
  }

  it('a string that is no name at all is a DnSyntaxError, as for parseRfc2253', () => {
    for (const dn of ['', 'CN=a,,O=b', 'CN=a;b', 'foo=bar']) assert.throws(() => isRfc2253Spelling(dn), DnSyntaxError);
  });
});

describe('escapeRfc2253Value / commonNameSubject', () => {
  it('documented literals', () => {
    assert.equal(escapeRfc2253Value('alice'), 'alice');
    assert.equal(escapeRfc2253Value(' a b '), '\\ a b\\ ');
    assert.equal(escapeRfc2253Value('#a#'), '\\#a#');
    assert.equal(escapeRfc2253Value('#'), '#'); // OpenSSL quirk: a lone # is not escaped
    assert.equal(escapeRfc2253Value(' '), '\\ ');
    assert.equal(escapeRfc2253Value(',+"\\<>;='), '\\,\\+\\"\\\\\\<\\>\\;=');
    assert.equal(escapeRfc2253Value('é\x01\x7f'), '\\C3\\A9\\01\\7F');
    assert.equal(escapeRfc2253Value(''), '');
    assert.equal(commonNameSubject('alice@example.com'), 'CN=alice@example.com');
    assert.throws(() => escapeRfc2253Value('a\udc00'), DnSyntaxError);
  });

  it('commonNameSubject matches openssl for awkward usernames', () => {
    const usernames = [
      'alice',
      'Alice Smith',
      ' alice',
      'alice ',
      '#1',
      '#',
      ' ',
      'a,b+c',
      "o'brien",
      'x"y\\z<>;=',
      'zoë',
      '日本',
      '👩‍💻',
      'tab\there',
      'a/b',
    ];
    assertAgreesWithOpenssl(splicedCert(usernames.map((u) => [[CN, utf8(u)]]))!);
    for (const u of usernames) assert.deepEqual(parseRfc2253(commonNameSubject(u)), [[{ oid: CN, value: u }]]);
    // And the same through openssl req -subj, the way an operator would make such a certificate.
    for (const u of usernames.filter((u) => !u.includes('\t'))) {
      assert.equal(commonNameSubject(u), reqCert(`/CN=${subjEscape(u)}`).printed, JSON.stringify(u));
    }
  });
});

describe('formatRfc2253 inputs that do not come from a certificate', () => {
  it('an unknown OID without der is encoded as a UTF8String, as openssl req -utf8 does', () => {
    assert.equal(formatRfc2253([[{ oid: '1.2.3.4', value: 'hi' }]]), '1.2.3.4=#0C026869');
    const cert = reqCert('/myAttr=é日', { oids: { myAttr: '1.2.3.4' } });
    assert.equal(formatRfc2253([[{ oid: '1.2.3.4', value: 'é日' }]]), cert.printed);
  });

  it('empty input, empty RDNs and invalid attribute types', () => {
    assert.equal(formatRfc2253([]), '');
    assert.equal(formatRfc2253([[], [{ oid: CN, value: 'a' }], []]), 'CN=a');
    assert.throws(() => formatRfc2253([[{ oid: 'CN', value: 'a' }]]), DnSyntaxError);
    assert.throws(() => formatRfc2253([[{ oid: CN, value: 'a', der: new Uint8Array([0x0c]) }]]), DnSyntaxError);
  });
});
