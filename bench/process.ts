import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LoadResult, LoadSpec } from './load-generator.js';

const run = promisify(execFile);
const LOAD_GENERATOR = fileURLToPath(new URL('./load-generator.js', import.meta.url));

/** Runs one load in a separate Node process (so it never shares the server's event loop). */
export async function loadFromOtherProcess(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, [LOAD_GENERATOR, JSON.stringify(spec)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult;
}
