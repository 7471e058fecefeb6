// `npm run screenshots`: refreshes the console's screenshots in docs/screenshots and their
// table in README.md. The browser tests take them only when DBCERTS_SCREENSHOTS names a
// directory, so `npm test` never writes into the tree; this runs those tests once with it
// set, then replaces the PNGs and the README block between the screenshots markers.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TARGET = 'docs/screenshots';
const START = '<!-- screenshots:start (npm run screenshots) -->';
const END = '<!-- screenshots:end -->';

const taken = mkdtempSync(join(tmpdir(), 'dbcerts-screenshots-'));
try {
  const run = spawnSync(process.execPath, ['--test', '--test-reporter=spec', 'dist/test/console/e2e.test.js'], {
    stdio: 'inherit',
    env: { ...process.env, DBCERTS_SCREENSHOTS: taken },
  });
  if (run.status !== 0) throw new Error('the browser tests failed: the screenshots are left as they were');
  const shots = JSON.parse(readFileSync(join(taken, 'manifest.json'), 'utf8'));
  mkdirSync(TARGET, { recursive: true });
  for (const file of readdirSync(TARGET)) if (file.endsWith('.png')) rmSync(join(TARGET, file));
  for (const { file } of shots) copyFileSync(join(taken, file), join(TARGET, file));

  const cells = shots.map(({ file, alt }) => `![${alt}](${TARGET}/${file})`);
  const rows = ['| | |', '|---|---|'];
  for (let index = 0; index < cells.length; index += 2) rows.push(`| ${cells[index]} | ${cells[index + 1] ?? ''} |`);
  const readme = readFileSync('README.md', 'utf8');
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from === -1 || to < from) throw new Error(`README.md has no ${START} … ${END} block`);
  writeFileSync('README.md', `${readme.slice(0, from + START.length)}\n${rows.join('\n')}\n${readme.slice(to)}`);
  process.stdout.write(`screenshots: ${shots.length} in ${TARGET}, README.md updated\n`);
} finally {
  rmSync(taken, { recursive: true, force: true });
}
