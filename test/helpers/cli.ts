import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Running the `dbcerts` command line as a user would: its own process, from the
 * repository root, with none of the inherited dbcerts settings (a DBCERTS_MASTER_KEY or
 * PORT in the developer's shell would change what the tests see).
 */

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'dbcerts.js');

const execFileAsync = promisify(execFile);

/** The inherited environment without any dbcerts setting, plus `extra`. */
export function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('DBCERTS_') || name === 'PORT' || name === 'HOST') continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface Outcome<Output = string> {
  code: number;
  stdout: Output;
  stderr: string;
}

async function execute(
  file: string,
  args: string[],
  env: Record<string, string>,
  encoding: 'utf8' | 'buffer',
): Promise<Outcome<string | Buffer>> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, {
      cwd: ROOT,
      env: environment(env),
      encoding,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr: stderr.toString() };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string | Buffer; stderr?: string | Buffer };
    if (typeof failure.code !== 'number') throw error;
    const empty = encoding === 'buffer' ? Buffer.alloc(0) : '';
    return { code: failure.code, stdout: failure.stdout ?? empty, stderr: String(failure.stderr ?? '') };
  }
}

/** Runs a command to completion (at most 60 s), whatever its exit code. */
export function runCommand(file: string, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return execute(file, args, env, 'utf8') as Promise<Outcome>;
}

/** Runs `node bin/dbcerts.js …` to completion (at most 60 s). */
export function dbcerts(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return runCommand(process.execPath, [BIN, ...args], env);
}

/** The same, with the output as bytes (a DER CRL). */
export function dbcertsBytes(args: string[], env: Record<string, string> = {}): Promise<Outcome<Buffer>> {
  return execute(process.execPath, [BIN, ...args], env, 'buffer') as Promise<Outcome<Buffer>>;
}
