import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';

const brotliCompressAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * The web console's files, read once at start-up and kept in memory with their gzip and
 * Brotli forms (compressed on the thread pool, so start-up does not wait for them). Only these files can be served: a request names a key of a map, never a
 * path on disk, so no `..` or encoded trick reaches anything else.
 */

export type Encoding = 'br' | 'gzip' | 'identity';

export interface Asset {
  contentType: string;
  /** The file, and its compressed forms (kept only when smaller). */
  bodies: Partial<Record<Encoding, Buffer>> & { identity: Buffer };
  /** Strong validator of the content; each encoding gets its own suffix. */
  hash: string;
  /** Settles once the compressed forms are in `bodies` (or known not to be worth it). */
  compressed: Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

/**
 * The installation's root: the nearest directory above this module with a package.json
 * (this module runs from dist/src/api/console/, or bundled from dist/bundle/).
 */
function installationRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return directory;
}

const ROOT = installationRoot();

/** Where the console's files are: hand-written static files, and the compiled modules. */
export const DEFAULT_ASSET_DIRECTORIES = [join(ROOT, 'web', 'static'), join(ROOT, 'dist', 'web')];

export function assetOf(name: string, content: Buffer): Asset {
  const contentType = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
  const bodies: Asset['bodies'] = { identity: content };
  const compressible = !contentType.startsWith('image/') || contentType === 'image/svg+xml';
  const compressed = compressible
    ? Promise.all([
        brotliCompressAsync(content, {
          params: {
            [zlibConstants.BROTLI_PARAM_QUALITY]: zlibConstants.BROTLI_MAX_QUALITY,
            [zlibConstants.BROTLI_PARAM_SIZE_HINT]: content.length,
          },
        }),
        gzipAsync(content, { level: 9 }),
      ]).then(
        ([br, gzipped]) => {
          if (br.length < content.length) bodies.br = br;
          if (gzipped.length < content.length) bodies.gzip = gzipped;
        },
        // Compression cannot fail on a buffer in memory; if it did, the file goes as it is.
        () => undefined,
      )
    : Promise.resolve();
  const hash = createHash('sha256').update(content).digest('base64url').slice(0, 27);
  return { contentType, bodies, hash, compressed };
}

/**
 * Every servable file of the directories (not their subdirectories), by file name. A
 * later directory's file replaces an earlier one's; source maps are left out.
 */
export function loadAssets(directories: readonly string[]): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const directory of directories) {
    if (!existsSync(directory)) continue;
    for (const name of readdirSync(directory).sort()) {
      const path = join(directory, name);
      if (!statSync(path).isFile() || !(extname(name) in CONTENT_TYPES)) continue;
      assets.set(name, assetOf(name, readFileSync(path)));
    }
  }
  return assets;
}

/** Parses `Accept-Encoding` (RFC 9110 §12.5.3): the coding to send, Brotli first on a tie. */
export function chooseEncoding(header: string | undefined, asset: Asset): Encoding {
  if (!header) return 'identity';
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [coding, ...parameters] = part.trim().toLowerCase().split(';');
    if (!coding) continue;
    let weight = 1;
    for (const parameter of parameters) {
      const match = /^\s*q\s*=\s*([01](\.\d{0,3})?)\s*$/.exec(parameter);
      if (match) weight = Number(match[1]);
    }
    weights.set(coding.trim(), weight);
  }
  const weightOf = (coding: string) => weights.get(coding) ?? weights.get('*') ?? 0;
  let best: Encoding = 'identity';
  let bestWeight = 0;
  for (const coding of ['br', 'gzip'] as const) {
    const weight = weightOf(coding);
    if (asset.bodies[coding] !== undefined && weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}

export function etagOf(asset: Asset, encoding: Encoding): string {
  return `"${asset.hash}${encoding === 'identity' ? '' : `-${encoding}`}"`;
}

/** True when `If-None-Match` names this representation (or `*`); weak tags compare weakly. */
export function notModified(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}
