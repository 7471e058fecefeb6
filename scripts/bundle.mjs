// Bundles the compiled server (dist/src) into dist/bundle: the command line and the
// key-generation thread, one module each. Loading one file instead of several hundred
// small ones is most of `dbcerts serve`'s start-up time (see docs/benchmarks.md).
// Native and lazily loaded packages stay outside: better-sqlite3 (a native addon), pg
// (loaded only for PostgreSQL) and pino (its transports load files by path).
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli/main.js', 'dist/src/pki/key-generator-thread.js'],
  outdir: 'dist/bundle',
  entryNames: '[name]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['better-sqlite3', 'pg', 'pino'],
  // Bundled CommonJS packages call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __dbcertsCreateRequire } from 'node:module';\nconst require = __dbcertsCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  // Less to parse at start-up; names stay, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
