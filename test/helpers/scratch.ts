import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/**
 * A temporary directory for the files one test file hands to `openssl` and the command
 * line, removed when the file's tests are done. Each written file gets a name of its own.
 */
export function scratchDirectory(label: string): {
  dir: string;
  write(content: string | Uint8Array, name?: string): string;
} {
  const dir = mkdtempSync(join(tmpdir(), `dbcerts-${label}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let written = 0;
  return {
    dir,
    write(content, name = 'file.pem') {
      const path = join(dir, `${++written}-${name}`);
      writeFileSync(path, content);
      return path;
    },
  };
}

/** Every file below a directory, at any depth. */
export function filesBelow(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) files.push(...filesBelow(path));
    else files.push(path);
  }
  return files;
}
