import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { wireDeclarations, writtenDeclarations } from './wire-types.js';

/**
 * The console's wire types come from the server's schemas: web/src/wire.d.ts is what
 * the schemas print today, and the console takes only types from it, so nothing of it
 * reaches the browser.
 */

test('web/src/wire.d.ts is what the server schemas print (npm run wire-types rewrites it)', async () => {
  assert.equal(writtenDeclarations(), await wireDeclarations());
});

test('the console imports wire.js for types only, and no compiled module asks for it', () => {
  const sources = join(ROOT, 'web', 'src');
  for (const name of readdirSync(sources).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))) {
    const text = readFileSync(join(sources, name), 'utf8');
    for (const match of text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'\.\/wire\.js'/gms)) {
      assert.ok(match[1] !== undefined, `${name}: import type from './wire.js'`);
    }
  }
  const compiled = join(ROOT, 'dist', 'web');
  assert.ok(!existsSync(join(compiled, 'wire.js')));
  for (const name of readdirSync(compiled).filter((file) => file.endsWith('.js'))) {
    assert.doesNotMatch(readFileSync(join(compiled, name), 'utf8'), /wire\.js/, name);
  }
});
