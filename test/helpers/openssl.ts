import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * The `openssl` command line, the tests' independent oracle on certificates: it shares no
 * code with dbcerts' own X.509 writer.
 */

const run = promisify(execFile);

/** Runs `openssl` and resolves to its stdout; rejects if it exits non-zero. */
export async function openssl(...args: string[]): Promise<string> {
  const { stdout } = await run('openssl', args, { encoding: 'utf8' });
  return stdout;
}

/** Runs `openssl` synchronously (no stdin) and returns its stdout; throws if it exits non-zero. */
export function opensslSync(args: string[]): string {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

/** `openssl req` arguments for a new, unencrypted P-256 key (the caller adds `-keyout`). */
export const NEW_P256_KEY: readonly string[] = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/**
 * The start of an `openssl req` that makes a self-signed certificate with a new P-256 key,
 * unencrypted, written to `keyOut`; the caller adds the subject, validity and output.
 */
export function selfSignedP256(keyOut: string): string[] {
  return ['req', '-x509', ...NEW_P256_KEY, '-keyout', keyOut];
}

export interface OpensslExtension {
  critical: boolean;
  value: string;
}

/** The X509v3 extensions section of `openssl x509 -text`, by extension name. */
export async function extensionsOf(certPath: string): Promise<Map<string, OpensslExtension>> {
  const text = await openssl('x509', '-in', certPath, '-noout', '-text');
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === 'X509v3 extensions:');
  assert.ok(start >= 0, `no extensions in:\n${text}`);
  const extensions = new Map<string, OpensslExtension>();
  let current: OpensslExtension | undefined;
  for (const line of lines.slice(start + 1)) {
    const header = /^ {12}(\S[^:]*):( critical)?\s*$/.exec(line);
    if (header) {
      current = { critical: header[2] !== undefined, value: '' };
      extensions.set(header[1]!, current);
      continue;
    }
    const value = /^ {16}(.*)$/.exec(line);
    if (value && current) {
      current.value = current.value ? `${current.value}\n${value[1]!.trimEnd()}` : value[1]!.trimEnd();
      continue;
    }
    break;
  }
  return extensions;
}
