import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';

/**
 * The web console's files, read once at start-up and kept in memory with their gzip and
 * Brotli forms. Only these files can be served: a request names a key of a map, never a
 * path on disk, so no `..` or encoded trick reaches anything else.
 */

export type Encoding = 'br' | 'gzip' | 'identity';

export interface Asset {
  contentType: string;
  /** The file, and its compressed forms (kept only when smaller). */
  bodies: Partial<Record<Encoding, Buffer>> & { identity: Buffer };
  /** Strong validator of the content; each encoding gets its own suffix. */
  hash: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

/** The repository root, from dist/src/api/console/ (compiled) where this module runs. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Where the console's files are: hand-written static files, and the compiled modules. */
export const DEFAULT_ASSET_DIRECTORIES = [join(ROOT, 'web', 'static'), join(ROOT, 'dist', 'web')];

export function assetOf(name: string, content: Buffer): Asset {
  const contentType = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
  const bodies: Asset['bodies'] = { identity: content };
  const compressible = !contentType.startsWith('image/') || contentType === 'image/svg+xml';
  if (compressible) {
    const br = brotliCompressSync(content, {
      params: {
        [zlibConstants.BROTLI_PARAM_QUALITY]: zlibConstants.BROTLI_MAX_QUALITY,
        [zlibConstants.BROTLI_PARAM_SIZE_HINT]: content.length,
      },
    });
    const gzip = gzipSync(content, { level: 9 });
    if (br.length < content.length) bodies.br = br;
    if (gzip.length < content.length) bodies.gzip = gzip;
  }
  const hash = createHash('sha256').update(content).digest('base64url').slice(0, 27);
  return { contentType, bodies, hash };
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
