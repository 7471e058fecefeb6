import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openssl } from './openssl.js';

/**
 * The `openssl` command line as the oracle on chains and CRLs: what `openssl verify`
 * concludes at a given instant (with CRL checking, as mongod's net.tls.CRLFile does), and
 * everything `openssl crl` reads in a CRL.
 */

const run = promisify(execFile);

export interface OpensslOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `openssl` and resolves to its exit code and output, whatever the code. */
export async function opensslOutcome(args: string[]): Promise<OpensslOutcome> {
  try {
    const { stdout, stderr } = await run('openssl', args, { encoding: 'utf8', timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failure.code !== 'number') throw error;
    return { code: failure.code, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/** `Nov 28 17:32:25 2026 GMT` */
function opensslDate(text: string): Date {
  const date = new Date(text.trim());
  assert.ok(!Number.isNaN(date.getTime()), `not a date: ${text}`);
  return date;
}

/** A key identifier as openssl prints it, without its `keyid:` label, in capitals. */
function hexColons(text: string): string {
  return text
    .trim()
    .replace(/^keyid:/, '')
    .toUpperCase();
}

export async function subjectOf(certFile: string): Promise<string> {
  const printed = await openssl('x509', '-in', certFile, '-noout', '-subject', '-nameopt', 'RFC2253');
  return printed.replace(/^subject=|\n$/g, '');
}

export async function issuerOf(certFile: string): Promise<string> {
  const printed = await openssl('x509', '-in', certFile, '-noout', '-issuer', '-nameopt', 'RFC2253');
  return printed.replace(/^issuer=|\n$/g, '');
}

export async function subjectKeyId(caFile: string): Promise<string> {
  const text = await openssl('x509', '-in', caFile, '-noout', '-ext', 'subjectKeyIdentifier');
  const match = /X509v3 Subject Key Identifier: *\n\s+(\S+)/.exec(text);
  assert.ok(match, text);
  return hexColons(match[1]!);
}

export interface CrlEntry {
  revocationDate: Date;
  /** openssl's name of the reason code, undefined when the entry has none. */
  reason: string | undefined;
}

export interface CrlInfo {
  version: number;
  issuer: string;
  lastUpdate: Date;
  nextUpdate: Date;
  crlNumber: bigint;
  authorityKeyId: string;
  entries: Map<bigint, CrlEntry>;
}

/** Everything openssl reads in one CRL file (PEM or DER). */
export async function inspectCrl(file: string, inform: 'PEM' | 'DER'): Promise<CrlInfo> {
  const fields = await openssl(
    'crl',
    '-in',
    file,
    '-inform',
    inform,
    '-noout',
    '-issuer',
    '-lastupdate',
    '-nextupdate',
    '-crlnumber',
    '-nameopt',
    'RFC2253',
  );
  const text = await openssl('crl', '-in', file, '-inform', inform, '-noout', '-text');
  const field = (name: string) => {
    const match = new RegExp(`^${name}=(.*)$`, 'm').exec(fields);
    assert.ok(match, `no ${name} in ${fields}`);
    return match[1]!;
  };
  const version = /^\s+Version (\d+) /m.exec(text);
  const aki = /X509v3 Authority Key Identifier: *\n\s+(\S+)/.exec(text);
  assert.ok(version && aki, text);
  const entries = new Map<bigint, CrlEntry>();
  const revokedPart = text.split(/^Revoked Certificates:\n/m)[1]?.split(/^ {4}Signature Algorithm/m)[0] ?? '';
  for (const block of revokedPart.split(/^ {4}Serial Number: /m).slice(1)) {
    const serial = BigInt(`0x${/^([0-9A-F]+)/.exec(block)![1]}`);
    const date = /Revocation Date: (.*)$/m.exec(block);
    assert.ok(date, block);
    const reason = /X509v3 CRL Reason Code: *\n\s+(.*)$/m.exec(block)?.[1]?.trim();
    assert.ok(!entries.has(serial), `serial ${serial} listed twice`);
    entries.set(serial, { revocationDate: opensslDate(date[1]!), reason });
  }
  if (entries.size === 0) assert.match(text, /No Revoked Certificates\./);
  return {
    version: Number(version[1]),
    issuer: field('issuer'),
    lastUpdate: opensslDate(field('lastUpdate')),
    nextUpdate: opensslDate(field('nextUpdate')),
    crlNumber: BigInt(field('crlNumber')),
    authorityKeyId: hexColons(aki[1]!),
    entries,
  };
}

/** `openssl crl -verify`: the CRL's signature checked with the CA. */
export function verifyCrlSignature(crlFile: string, inform: 'PEM' | 'DER', caFile: string): Promise<OpensslOutcome> {
  return opensslOutcome(['crl', '-in', crlFile, '-inform', inform, '-noout', '-CAfile', caFile, '-verify']);
}

/** `openssl verify` at `at`, with CRL checking (`-crl_check`, `-crl_check_all`) when given a CRL file. */
export function verifyAt(
  certFile: string,
  caFile: string,
  at: Date,
  crl?: { file: string; flag: string },
): Promise<OpensslOutcome> {
  return opensslOutcome([
    'verify',
    '-attime',
    String(Math.floor(at.getTime() / 1000)),
    ...(crl ? [crl.flag, '-CRLfile', crl.file] : []),
    '-CAfile',
    caFile,
    certFile,
  ]);
}

export function assertVerified(result: OpensslOutcome, certFile: string, message?: string): void {
  assert.equal(result.code, 0, `${message ?? ''} ${result.stderr}`);
  assert.equal(result.stdout, `${certFile}: OK\n`, message);
}

export function assertUntrusted(result: OpensslOutcome, message?: string): void {
  assert.equal(result.code, 2, `${message ?? ''} ${result.stdout}${result.stderr}`);
  assert.match(result.stderr, /^error 20 at 0 depth lookup: unable to get local issuer certificate$/m, message);
}

export function assertRevoked(result: OpensslOutcome, message?: string): void {
  assert.equal(result.code, 2, `${message ?? ''} ${result.stdout}${result.stderr}`);
  assert.match(result.stderr, /^error 23 at 0 depth lookup: certificate revoked$/m, message);
}

/** The PEM blocks of a text, in order. */
export function pemBlocks(text: string, label: string): string[] {
  return [
    ...text.matchAll(new RegExp(`-----BEGIN ${label}-----\\n[A-Za-z0-9+/=\\n]+-----END ${label}-----\\n`, 'g')),
  ].map((match) => match[0]);
}
