import assert from 'node:assert/strict';
import { seededRandom } from '../helpers/random.js';
import { describe, test } from 'node:test';
import {
  canonicalAddress,
  formatCidrBlock,
  formatIpAddress,
  type IpNetwork,
  networkContains,
  parseCidrBlock,
  parseIpAddress,
} from '../../src/domain/ip-address.js';

/**
 * src/domain/ip-address.ts: addresses and CIDR blocks of API access lists. IPv6 text is
 * compared against Node's own WHATWG URL host parser, an implementation that shares no
 * code with dbcerts': `new URL('http://[a]').hostname` is the RFC 5952 form of `a`, or
 * throws when `a` is not an IPv6 address.
 */

/** The canonical IPv6 text of `text` per Node's URL parser, or undefined when it refuses it. */
function oracle(text: string): string | undefined {
  try {
    const hostname = new URL(`http://[${text}]/`).hostname;
    return hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** Round trip through dbcerts: parse, then format. */
function canonical(text: string): string | undefined {
  const bytes = parseIpAddress(text);
  return bytes && formatIpAddress(bytes);
}

function cidr(text: string): string | undefined {
  const network = parseCidrBlock(text);
  return network && formatCidrBlock(network);
}

function ipv6(groups: readonly number[]): Uint8Array {
  assert.equal(groups.length, 8);
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[2 * index] = group >> 8;
    bytes[2 * index + 1] = group & 0xff;
  });
  return bytes;
}

const isMapped = (bytes: Uint8Array) =>
  bytes.length === 16 && bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;

describe('parseIpAddress / formatIpAddress: IPv4', () => {
  test('dotted quads parse to 4 bytes and print back unchanged', () => {
    for (const text of ['0.0.0.0', '127.0.0.1', '10.20.30.40', '255.255.255.255', '1.0.0.1', '192.168.100.200']) {
      const bytes = parseIpAddress(text);
      assert.ok(bytes, text);
      assert.equal(bytes.length, 4, text);
      assert.equal(formatIpAddress(bytes), text);
    }
    assert.deepEqual(parseIpAddress('1.2.3.4'), new Uint8Array([1, 2, 3, 4]));
    assert.deepEqual(parseIpAddress('255.0.128.7'), new Uint8Array([255, 0, 128, 7]));
  });

  test('every malformed IPv4 form is refused', () => {
    const malformed = [
      '',
      '.',
      '...',
      '1',
      '1.2',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.',
      '.1.2.3',
      '1..2.3',
      '1.2.3.4.',
      '256.0.0.0',
      '1.2.3.256',
      '1.2.3.999',
      '1.2.3.1000',
      '01.2.3.4', // leading zeros are octal to some parsers: refused, not guessed
      '1.2.3.04',
      '1.2.3.00',
      '00.0.0.0',
      '0x1.2.3.4',
      '0x7f000001',
      '2130706433',
      '1.2.3.-4',
      '+1.2.3.4',
      '1.2.3.+4',
      '1e2.2.3.4',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '1.2 .3.4',
      '1.2.3.4\n',
      '1,2,3,4',
      '1.2.3.4/32',
      '1.2.3.a',
      '١.٢.٣.٤', // Arabic-Indic digits are not ASCII digits
      '１.２.３.４', // nor are fullwidth ones
      'localhost',
    ];
    assert.deepEqual(
      malformed.filter((text) => parseIpAddress(text) !== undefined),
      [],
      'accepted as IPv4',
    );
  });
});

describe('parseIpAddress / formatIpAddress: IPv6', () => {
  test('RFC 5952 canonical forms, as Node prints them', () => {
    const cases: Array<[string, string]> = [
      ['::', '::'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::1', '::1'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['1::', '1::'],
      ['1:0:0:0:0:0:0:0', '1::'],
      // 4.1: no leading zeros
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['0001:0002:0003:0004:0005:0006:0007:0008', '1:2:3:4:5:6:7:8'],
      // 4.2.1: the longest run of zero groups is shortened
      ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
      // 4.2.2: a single zero group is not shortened
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
      ['0:2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
      ['1:2:3:0:5:6:7:8', '1:2:3:0:5:6:7:8'],
      // 4.2.3: the longest run wins; of equal runs, the first
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['0:0:1:0:0:1:0:0', '::1:0:0:1:0:0'],
      ['1:0:0:1:0:0:1:1', '1::1:0:0:1:1'],
      ['0:1:0:1:0:1:0:1', '0:1:0:1:0:1:0:1'],
      // 4.3: lower case
      ['2001:DB8::ABCD:EF', '2001:db8::abcd:ef'],
      ['FE80::1', 'fe80::1'],
      ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
      // "::" standing for one group, at either end or inside
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
      ['1:2:3::5:6:7:8', '1:2:3:0:5:6:7:8'],
      ['::1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7'],
      // a redundant "::" spelling and over-long compression
      ['1:0::0:2', '1::2'],
      ['0::0', '::'],
      // dotted IPv4 in the last 32 bits (not IPv4-mapped: stays IPv6)
      ['::1.2.3.4', '::102:304'],
      ['::0.0.0.0', '::'],
      ['::0.0.0.1', '::1'],
      ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
      ['::ffff:0:1.2.3.4', '::ffff:0:102:304'], // IPv4-translated, not mapped
      ['::fffe:1.2.3.4', '::fffe:102:304'],
      ['1::ffff:1.2.3.4', '1::ffff:102:304'], // not mapped: a non-zero prefix
    ];
    for (const [input, expected] of cases) {
      assert.equal(oracle(input), expected, `the oracle itself on ${input}`);
      assert.equal(canonical(input), expected, input);
      assert.equal(parseIpAddress(input)?.length, 16, input);
    }
  });

  test('IPv4-mapped IPv6 addresses become IPv4, in any spelling', () => {
    const cases: Array<[string, string]> = [
      ['::ffff:1.2.3.4', '1.2.3.4'],
      ['::FFFF:1.2.3.4', '1.2.3.4'],
      ['0:0:0:0:0:ffff:1.2.3.4', '1.2.3.4'],
      ['0000:0000:0000:0000:0000:FFFF:0102:0304', '1.2.3.4'],
      ['::ffff:102:304', '1.2.3.4'],
      ['::ffff:7f00:1', '127.0.0.1'],
      ['::ffff:127.0.0.2', '127.0.0.2'],
      ['::ffff:0:0', '0.0.0.0'],
      ['::ffff:ffff:ffff', '255.255.255.255'],
      ['0::ffff:10.0.0.1', '10.0.0.1'],
    ];
    for (const [input, expected] of cases) {
      const bytes = parseIpAddress(input);
      assert.equal(bytes?.length, 4, input);
      assert.equal(formatIpAddress(bytes!), expected, input);
      // The same 32 bits the oracle reads.
      const printed = oracle(input)!;
      assert.match(printed, /^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/, input);
      const [high, low] = printed
        .slice(7)
        .split(':')
        .map((group) => parseInt(group, 16));
      assert.equal([high! >> 8, high! & 0xff, low! >> 8, low! & 0xff].join('.'), expected, input);
    }
  });

  test('every malformed IPv6 form is refused, as Node refuses it', () => {
    const malformed = [
      ':',
      ':::',
      '::::',
      '1:::2',
      ':1::2',
      '1::2:',
      ':1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:',
      '1::2::3',
      '::1::',
      '1:2:3:4:5:6:7', // too few groups, no "::"
      '1:2:3:4:5:6:7:8:9', // too many
      '1:2:3:4:5:6:7:8::', // "::" must stand for at least one group
      '::1:2:3:4:5:6:7:8',
      '1:2:3:4::5:6:7:8',
      '12345::',
      '00001::',
      '::10000',
      '::g',
      '::1g',
      'g::',
      '::-1',
      '::+1',
      '::0x1',
      ' ::1',
      '::1 ',
      ':: 1',
      '[::1]',
      '::1/128',
      'fe80::1%eth0', // zone ids are not part of an address (canonicalAddress strips them)
      'fe80::1%',
      '::1.2.3',
      '::1.2.3.4.5',
      '::1.2.3.4:5', // dotted IPv4 only in the last 32 bits
      '::1.2.3.4:5:6',
      '::256.1.1.1',
      '::1.2.3.256',
      '::01.2.3.4',
      '::1.2.3.04',
      '::ffff:1.2.3.04',
      '::ffff:1.2.3',
      '::1.2..3',
      '1:2:3:4:5:6:7:1.2.3.4', // 9 groups' worth
      '1:2:3:4:5:6:7:8:1.2.3.4',
      '1.2.3.4::', // the dotted quad is not at the end
      '1.2.3.4::5',
      '1:2:3:4:5:1.2.3.4::',
      '::1:1.2.3.4:2',
      '1.2.3.4:1::',
      '::ffff:1.2.3.4::',
      '٠::١', // non-ASCII digits
      '::１',
    ];
    for (const text of malformed) assert.equal(oracle(text), undefined, `the oracle accepts ${JSON.stringify(text)}`);
    assert.deepEqual(
      malformed.filter((text) => parseIpAddress(text) !== undefined),
      [],
      'accepted as IPv6',
    );
  });

  test('random addresses print as Node prints them (5000 cases, runs of zeros favoured)', () => {
    const next = seededRandom(0x5952);
    for (let run = 0; run < 5000; run++) {
      const groups = Array.from({ length: 8 }, () => {
        const roll = next();
        if (roll < 0.5) return 0;
        if (roll < 0.6) return 1 + Math.floor(next() * 15);
        return Math.floor(next() * 0x10000);
      });
      const bytes = ipv6(groups);
      if (isMapped(bytes)) continue; // dbcerts reads those as IPv4 (tested above)
      const expanded = groups.map((group) => group.toString(16)).join(':');
      const expected = oracle(expanded);
      assert.equal(formatIpAddress(bytes), expected, expanded);
      // Any spelling the oracle accepts reads back to the same bytes and the same text.
      const padded = groups.map((group) => group.toString(16).toUpperCase().padStart(4, '0')).join(':');
      assert.deepEqual(parseIpAddress(padded), bytes, padded);
      assert.deepEqual(parseIpAddress(expected!), bytes, expected);
      assert.equal(canonical(padded), expected, padded);
    }
  });

  test('random compressions of random addresses read back exactly (2000 cases)', () => {
    const next = seededRandom(4291);
    for (let run = 0; run < 2000; run++) {
      const groups = Array.from({ length: 8 }, () => (next() < 0.4 ? 0 : Math.floor(next() * 0x10000)));
      // Compress an arbitrary zero run (not necessarily the longest): still a valid spelling.
      const zeroRuns: Array<[number, number]> = [];
      for (let start = 0; start < 8; start++) {
        for (let end = start + 1; end <= 8 && groups[end - 1] === 0; end++) zeroRuns.push([start, end]);
      }
      if (zeroRuns.length === 0) continue;
      const [start, end] = zeroRuns[Math.floor(next() * zeroRuns.length)]!;
      const hex = groups.map((group) => group.toString(16));
      const text = `${hex.slice(0, start).join(':')}::${hex.slice(end).join(':')}`;
      const expected = oracle(text);
      assert.ok(expected !== undefined, `the oracle refuses ${text}`);
      const bytes = ipv6(groups);
      if (isMapped(bytes)) {
        assert.equal(parseIpAddress(text)?.length, 4, text);
        continue;
      }
      assert.deepEqual(parseIpAddress(text), bytes, text);
      assert.equal(canonical(text), expected, text);
    }
  });

  test('formatting is the inverse of parsing for canonical text', () => {
    for (const text of ['::', '::1', '1::', 'fe80::1', '2001:db8::1:0:0:1', '1:2:3:4:5:6:7:8', '10.0.0.1', '0.0.0.0']) {
      assert.equal(formatIpAddress(parseIpAddress(text)!), text);
    }
  });
});

describe('parseCidrBlock / formatCidrBlock', () => {
  test('IPv4 blocks with host bits clear, every prefix length', () => {
    assert.equal(cidr('10.0.0.0/8'), '10.0.0.0/8');
    assert.equal(cidr('0.0.0.0/0'), '0.0.0.0/0');
    assert.equal(cidr('1.2.3.4/32'), '1.2.3.4/32');
    assert.equal(cidr('127.0.0.0/30'), '127.0.0.0/30');
    assert.equal(cidr('128.0.0.0/1'), '128.0.0.0/1');
    assert.equal(cidr('10.128.0.0/9'), '10.128.0.0/9');
    assert.equal(cidr('192.168.1.128/25'), '192.168.1.128/25');
    assert.equal(cidr('255.255.255.254/31'), '255.255.255.254/31');
    for (let prefix = 0; prefix <= 32; prefix++) {
      // The highest network of each length: all network bits set, host bits clear.
      const value = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const text = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
      assert.equal(cidr(`${text}/${prefix}`), `${text}/${prefix}`, `${text}/${prefix}`);
      assert.deepEqual(parseCidrBlock(`${text}/${prefix}`), { bytes: parseIpAddress(text), prefixLength: prefix });
    }
  });

  test('a block with any host bit set is refused, not widened', () => {
    const hostBitsSet = [
      '10.0.0.1/8',
      '10.64.0.0/9',
      '1.0.0.0/0',
      '0.0.0.1/0',
      '127.0.0.1/8',
      '127.0.0.4/29',
      '127.0.0.1/31',
      '192.168.1.1/24',
      '192.168.1.129/25',
      '::1/127',
      '::1/0',
      'fe80::1/64',
      '2001:db8::/28', // 0x0db8 = 0000 1101 1011 1000: bit 28 is set
      'ff00::/7',
      '::ffff:10.0.0.1/104', // IPv4-mapped: the IPv4 block 10.0.0.1/8
    ];
    assert.deepEqual(
      hostBitsSet.filter((text) => parseCidrBlock(text) !== undefined),
      [],
      'accepted with host bits set',
    );
    // Every single host bit of 10.0.0.0/8, one at a time.
    for (let bit = 0; bit < 24; bit++) {
      const value = (10 * 2 ** 24 + 2 ** bit) >>> 0;
      const text = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
      assert.equal(parseCidrBlock(`${text}/8`), undefined, `${text}/8`);
    }
    // And of ::/1 in IPv6: the 127 host bits.
    for (let bit = 1; bit < 128; bit++) {
      const bytes = new Uint8Array(16);
      bytes[bit >> 3] = 0x80 >> (bit & 7);
      const text = formatIpAddress(bytes);
      if (isMapped(bytes)) continue;
      assert.equal(parseCidrBlock(`${text}/1`), undefined, `${text}/1`);
      assert.equal(cidr(`${text}/${bit + 1}`), `${text}/${bit + 1}`, `${text}/${bit + 1}`);
    }
  });

  test('IPv6 blocks are written canonically', () => {
    assert.equal(cidr('::/0'), '::/0');
    assert.equal(cidr('::1/128'), '::1/128');
    assert.equal(cidr('::/127'), '::/127');
    assert.equal(cidr('0:0:0:0:0:0:0:0/127'), '::/127');
    assert.equal(cidr('2001:0DB8:0000:0000:0000:0000:0000:0000/32'), '2001:db8::/32');
    assert.equal(cidr('2001:db8::/29'), '2001:db8::/29');
    assert.equal(cidr('fe80::/10'), 'fe80::/10');
    assert.equal(cidr('FE80:0:0:0::/64'), 'fe80::/64');
    assert.equal(cidr('fe80::/9'), 'fe80::/9');
    assert.equal(cidr('2001:db8:0:0:1:0:0:0/80'), '2001:db8:0:0:1::/80');
    assert.equal(cidr('8000::/1'), '8000::/1');
  });

  test('IPv4-mapped blocks become IPv4 blocks, 96 bits shorter', () => {
    assert.equal(cidr('::ffff:10.0.0.0/104'), '10.0.0.0/8');
    assert.equal(cidr('::ffff:127.0.0.5/128'), '127.0.0.5/32');
    assert.equal(cidr('0:0:0:0:0:ffff:7f00:0/120'), '127.0.0.0/24');
    assert.equal(cidr('::ffff:0:0/96'), '0.0.0.0/0');
    assert.equal(parseCidrBlock('::ffff:0.0.0.0/95'), undefined); // ffff in the host bits
    assert.equal(parseCidrBlock('::ffff:1.2.3.4/129'), undefined);
  });

  test('malformed blocks are refused', () => {
    const malformed = [
      '',
      '/',
      '/8',
      '10.0.0.0',
      '10.0.0.0/',
      '10.0.0.0/33',
      '10.0.0.0/-1',
      '10.0.0.0/+8',
      '10.0.0.0/08',
      '10.0.0.0/8.0',
      '10.0.0.0/0x8',
      '10.0.0.0/ 8',
      '10.0.0.0 /8',
      '10.0.0.0/8 ',
      '10.0.0.0/8/8',
      '10.0.0.0//8',
      '10.0.0/8',
      '10.0.0.0.0/8',
      '256.0.0.0/8',
      '010.0.0.0/8',
      '10.0.0.0/255.0.0.0', // netmask notation is not CIDR
      '10.0.0.0/1000',
      '::/129',
      '::/1280',
      '::/',
      ':::/64',
      'fe80::%eth0/64',
      '[::]/0',
      '1.2.3.4::/64',
      'a/8',
    ];
    assert.deepEqual(
      malformed.filter((text) => parseCidrBlock(text) !== undefined),
      [],
      'accepted as CIDR blocks',
    );
  });
});

describe('networkContains', () => {
  const net = (text: string): IpNetwork => {
    const network = parseCidrBlock(text);
    assert.ok(network, text);
    return network;
  };
  const contains = (block: string, address: string) => networkContains(net(block), parseIpAddress(address)!);

  test('IPv4 edges', () => {
    // /30: the four addresses .0-.3, not .4 nor the address before
    for (const address of ['127.0.0.0', '127.0.0.1', '127.0.0.2', '127.0.0.3']) {
      assert.equal(contains('127.0.0.0/30', address), true, address);
    }
    for (const address of ['127.0.0.4', '126.255.255.255', '127.0.1.0', '127.0.0.255']) {
      assert.equal(contains('127.0.0.0/30', address), false, address);
    }
    assert.equal(contains('127.0.0.6/32', '127.0.0.6'), true);
    assert.equal(contains('127.0.0.6/32', '127.0.0.7'), false);
    assert.equal(contains('127.0.0.6/32', '127.0.0.5'), false);
    assert.equal(contains('127.0.0.6/31', '127.0.0.7'), true);
    assert.equal(contains('127.0.0.6/31', '127.0.0.8'), false);
    assert.equal(contains('127.0.0.0/8', '127.255.255.255'), true);
    assert.equal(contains('127.0.0.0/8', '128.0.0.0'), false);
    assert.equal(contains('127.0.0.0/8', '126.255.255.255'), false);
    // prefixes that do not end on a byte
    assert.equal(contains('10.0.0.0/9', '10.127.255.255'), true);
    assert.equal(contains('10.0.0.0/9', '10.128.0.0'), false);
    assert.equal(contains('10.128.0.0/9', '10.128.0.0'), true);
    assert.equal(contains('10.128.0.0/9', '10.255.255.255'), true);
    assert.equal(contains('10.128.0.0/9', '10.127.255.255'), false);
    assert.equal(contains('128.0.0.0/1', '255.255.255.255'), true);
    assert.equal(contains('128.0.0.0/1', '127.255.255.255'), false);
    assert.equal(contains('192.168.1.128/25', '192.168.1.127'), false);
    assert.equal(contains('192.168.1.128/25', '192.168.1.128'), true);
    assert.equal(contains('172.16.0.0/12', '172.31.255.255'), true);
    assert.equal(contains('172.16.0.0/12', '172.32.0.0'), false);
    assert.equal(contains('172.16.0.0/12', '172.15.255.255'), false);
    // /0: every IPv4 address
    for (const address of ['0.0.0.0', '127.0.0.1', '255.255.255.255']) {
      assert.equal(contains('0.0.0.0/0', address), true, address);
    }
  });

  test('IPv6 edges', () => {
    assert.equal(contains('::1/128', '::1'), true);
    assert.equal(contains('::1/128', '::2'), false);
    assert.equal(contains('::1/128', '::'), false);
    assert.equal(contains('::2/128', '::1'), false);
    assert.equal(contains('::/127', '::'), true);
    assert.equal(contains('::/127', '::1'), true);
    assert.equal(contains('::/127', '::2'), false);
    assert.equal(contains('::/128', '::1'), false);
    assert.equal(contains('fe80::/10', 'fe80::1'), true);
    assert.equal(contains('fe80::/10', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), true);
    assert.equal(contains('fe80::/10', 'fec0::'), false);
    assert.equal(contains('fe80::/10', 'fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), false);
    assert.equal(contains('2001:db8::/32', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'), true);
    assert.equal(contains('2001:db8::/32', '2001:db9::'), false);
    assert.equal(contains('2001:db8::/127', '2001:db8::1'), true);
    assert.equal(contains('2001:db8::/127', '2001:db8::2'), false);
    assert.equal(contains('8000::/1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), true);
    assert.equal(contains('8000::/1', '7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), false);
    assert.equal(contains('::/0', '::'), true);
    assert.equal(contains('::/0', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), true);
  });

  test('one family never matches a block of the other', () => {
    assert.equal(contains('0.0.0.0/0', '::1'), false);
    assert.equal(contains('0.0.0.0/0', '::'), false);
    assert.equal(contains('::/0', '127.0.0.1'), false);
    assert.equal(contains('::/0', '0.0.0.0'), false);
    // ::1.2.3.4 (IPv4-compatible, deprecated) is IPv6, not 1.2.3.4
    assert.equal(contains('1.2.3.4/32', '::1.2.3.4'), false);
    // but an IPv4-mapped client is its IPv4 address, for IPv4 blocks and mapped blocks alike
    assert.equal(contains('127.0.0.5/32', '::ffff:127.0.0.5'), true);
    assert.equal(contains('::ffff:127.0.0.0/120', '127.0.0.200'), true);
    assert.equal(contains('::ffff:127.0.0.0/120', '::ffff:127.0.1.0'), false);
  });

  test('a block contains exactly the addresses that share its first prefixLength bits (random)', () => {
    const next = seededRandom(0xc1d2);
    for (let run = 0; run < 3000; run++) {
      const size = next() < 0.5 ? 4 : 16;
      const address = Uint8Array.from({ length: size }, () => Math.floor(next() * 256));
      const prefixLength = Math.floor(next() * (size * 8 + 1));
      const bytes = Uint8Array.from(address, (byte, index) => {
        const bits = Math.max(0, Math.min(8, prefixLength - 8 * index));
        return byte & ((0xff << (8 - bits)) & 0xff);
      });
      assert.equal(networkContains({ bytes, prefixLength }, address), true);
      if (prefixLength > 0) {
        // Flip one network bit: outside.
        const bit = Math.floor(next() * prefixLength);
        const outside = Uint8Array.from(address);
        outside[bit >> 3] = outside[bit >> 3]! ^ (0x80 >> (bit & 7));
        assert.equal(networkContains({ bytes, prefixLength }, outside), false);
      }
      if (prefixLength < size * 8) {
        // Flip one host bit: still inside.
        const bit = prefixLength + Math.floor(next() * (size * 8 - prefixLength));
        const inside = Uint8Array.from(address);
        inside[bit >> 3] = inside[bit >> 3]! ^ (0x80 >> (bit & 7));
        assert.equal(networkContains({ bytes, prefixLength }, inside), true);
      }
    }
  });
});

describe('canonicalAddress (client addresses as the server sees them)', () => {
  test('IPv4-mapped clients are their IPv4 address', () => {
    assert.equal(canonicalAddress('::ffff:127.0.0.2'), '127.0.0.2');
    assert.equal(canonicalAddress('::FFFF:127.0.0.2'), '127.0.0.2');
    assert.equal(canonicalAddress('::ffff:7f00:2'), '127.0.0.2');
    assert.equal(canonicalAddress('0:0:0:0:0:ffff:10.1.2.3'), '10.1.2.3');
  });

  test('IPv4 and canonical IPv6 are unchanged; other IPv6 spellings are canonicalised', () => {
    assert.equal(canonicalAddress('127.0.0.1'), '127.0.0.1');
    assert.equal(canonicalAddress('::1'), '::1');
    assert.equal(canonicalAddress('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(canonicalAddress('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(canonicalAddress('::1.2.3.4'), '::102:304');
  });

  test('zone ids are dropped', () => {
    assert.equal(canonicalAddress('fe80::1%eth0'), 'fe80::1');
    assert.equal(canonicalAddress('FE80:0:0:0:0:0:0:1%25lo'), 'fe80::1');
    assert.equal(canonicalAddress('fe80::a:b%2'), 'fe80::a:b');
    assert.equal(canonicalAddress('fe80::1%'), 'fe80::1');
  });

  test('text that is no address is returned as it came', () => {
    for (const text of ['', 'unknown', 'not-an-ip', '1.2.3', '1.2.3.4.5', '::g', '[::1]', ' 127.0.0.1']) {
      assert.equal(canonicalAddress(text), text, JSON.stringify(text));
    }
  });
});
