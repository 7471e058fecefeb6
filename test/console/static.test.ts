import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { consoleRoutes } from '../../src/api/console/routes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { http, type HttpResponse } from './helpers.js';

/**
 * The console's files: the page with its security headers, the scripts and the style,
 * precompressed (gzip, Brotli) and validated by ETag; nothing else can be reached; and
 * the whole first load stays under 200 KB on the wire.
 */

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const FIRST_LOAD_BUDGET = 200 * 1024;

/** The files a first visit loads: the page, what it links, and every module they import. */
async function firstLoad(origin: string, encoding: string): Promise<Map<string, HttpResponse>> {
  const loaded = new Map<string, HttpResponse>();
  const decode = (response: HttpResponse) => {
    const coding = response.headers['content-encoding'];
    if (coding === 'br') return brotliDecompressSync(response.body).toString('utf8');
    if (coding === 'gzip') return gunzipSync(response.body).toString('utf8');
    return response.text;
  };
  const pending = ['/console'];
  while (pending.length > 0) {
    const path = pending.shift()!;
    if (loaded.has(path)) continue;
    const response = await http(origin, 'GET', path, { headers: { 'accept-encoding': encoding } });
    assert.equal(response.status, 200, path);
    loaded.set(path, response);
    const text = decode(response);
    if (path === '/console') {
      for (const match of text.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)) pending.push(match[1]!);
    } else if (path.endsWith('.js')) {
      for (const match of text.matchAll(/(?:from|import)\s*['"]\.\/([^'"]+)['"]/g))
        pending.push(`/console/assets/${match[1]}`);
    } else if (path.endsWith('.css')) {
      for (const match of text.matchAll(/url\('?([^')]+)'?\)/g)) pending.push(`/console/assets/${match[1]}`);
    }
  }
  return loaded;
}

describe('the console’s files', () => {
  let server: TestServer;
  let origin: string;
  before(async () => {
    server = await startTestServer();
    origin = server.origin;
  });
  after(() => server?.close());

  test('GET /console: the page, with its exact security headers', async () => {
    const response = await http(origin, 'GET', '/console');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(response.headers['content-security-policy'], CSP);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.equal(response.headers['cache-control'], 'no-cache');
    assert.equal(response.headers.vary, 'Accept-Encoding');
    assert.match(String(response.headers.etag), /^"[A-Za-z0-9_-]{27}"$/);
    assert.equal(response.headers['content-encoding'], undefined);
    const html = response.text;
    assert.match(html, /<script type="module" src="\/console\/assets\/main\.js"><\/script>/);
    // Nothing inline that the policy would have to allow: no inline script or style, no handler attributes.
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from another host');
  });

  test('the page preloads every module, and every module it names is served', async () => {
    const html = (await http(origin, 'GET', '/console')).text;
    const preloaded = [...html.matchAll(/<link rel="modulepreload" href="\/console\/assets\/([^"]+)" \/>/g)].map(
      (m) => m[1]!,
    );
    assert.ok(preloaded.includes('api.js') && preloaded.includes('view-users.js'), preloaded.join());
    assert.ok(!preloaded.includes('main.js'), 'main.js is the script itself');
    assert.doesNotMatch(html, /dbcerts:modulepreload/);
    for (const name of preloaded) {
      const response = await http(origin, 'GET', `/console/assets/${name}`);
      assert.equal(response.status, 200, name);
      assert.equal(response.headers['content-type'], 'text/javascript; charset=utf-8', name);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    }
    const css = await http(origin, 'GET', '/console/assets/console.css');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    const icon = await http(origin, 'GET', '/console/assets/favicon.svg');
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
  });

  test('the scripts never parse HTML from data: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', async () => {
    const loaded = await firstLoad(origin, 'identity');
    const scripts = [...loaded].filter(([path]) => path.endsWith('.js'));
    assert.ok(scripts.length >= 10, `${scripts.length} modules`);
    for (const [path, response] of scripts) {
      assert.doesNotMatch(
        response.text,
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(/,
        path,
      );
    }
  });

  test('gzip and Brotli, chosen by Accept-Encoding (q-values honoured, Brotli on a tie)', async () => {
    const plain = await http(origin, 'GET', '/console/assets/view-users.js');
    assert.equal(plain.headers['content-encoding'], undefined);
    const cases: Array<[string, string | undefined]> = [
      ['gzip', 'gzip'],
      ['br', 'br'],
      ['gzip, deflate, br', 'br'],
      ['br;q=0, gzip', 'gzip'],
      ['gzip;q=0.5, br;q=0.4', 'gzip'],
      ['*', 'br'],
      ['*;q=0', undefined],
      ['identity', undefined],
      ['deflate', undefined],
      ['GZIP;Q=1', 'gzip'],
    ];
    for (const [acceptEncoding, expected] of cases) {
      const response = await http(origin, 'GET', '/console/assets/view-users.js', {
        headers: { 'accept-encoding': acceptEncoding },
      });
      assert.equal(response.status, 200, acceptEncoding);
      assert.equal(response.headers['content-encoding'], expected, acceptEncoding);
      assert.equal(response.headers.vary, 'Accept-Encoding');
      const decoded =
        expected === 'br'
          ? brotliDecompressSync(response.body)
          : expected === 'gzip'
            ? gunzipSync(response.body)
            : response.body;
      assert.ok(decoded.equals(plain.body), `${acceptEncoding}: the same file`);
      if (expected) assert.ok(response.body.length < plain.body.length, `${acceptEncoding}: smaller`);
      assert.equal(Number(response.headers['content-length']), response.body.length);
    }
  });

  test('ETag per representation; If-None-Match gives 304 without a body', async () => {
    const target = '/console/assets/main.js';
    const plain = await http(origin, 'GET', target);
    const br = await http(origin, 'GET', target, { headers: { 'accept-encoding': 'br' } });
    const gzip = await http(origin, 'GET', target, { headers: { 'accept-encoding': 'gzip' } });
    const tag = String(plain.headers.etag);
    assert.match(tag, /^"[A-Za-z0-9_-]{27}"$/);
    assert.equal(br.headers.etag, tag.replace(/"$/, '-br"'));
    assert.equal(gzip.headers.etag, tag.replace(/"$/, '-gzip"'));
    for (const [ifNoneMatch, encoding] of [
      [tag, 'identity'],
      [`W/${tag}`, 'identity'],
      [`"other", ${String(br.headers.etag)}`, 'br'],
      ['*', 'gzip'],
    ] as const) {
      const response = await http(origin, 'GET', target, {
        headers: { 'if-none-match': ifNoneMatch, 'accept-encoding': encoding },
      });
      assert.equal(response.status, 304, ifNoneMatch);
      assert.equal(response.body.length, 0);
      assert.equal(response.headers['cache-control'], 'no-cache');
    }
    // The identity tag does not validate the Brotli representation, nor a stale tag anything.
    for (const [ifNoneMatch, encoding] of [
      [tag, 'br'],
      ['"stale"', 'identity'],
    ] as const) {
      const response = await http(origin, 'GET', target, {
        headers: { 'if-none-match': ifNoneMatch, 'accept-encoding': encoding },
      });
      assert.equal(response.status, 200, ifNoneMatch);
    }
    const page = await http(origin, 'GET', '/console');
    const again = await http(origin, 'GET', '/console', { headers: { 'if-none-match': String(page.headers.etag) } });
    assert.equal(again.status, 304);
  });

  test('HEAD answers the headers alone; /console/ redirects to /console', async () => {
    const head = await http(origin, 'HEAD', '/console/assets/console.css');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-type'], 'text/css; charset=utf-8');
    const slash = await http(origin, 'GET', '/console/');
    assert.equal(slash.status, 301);
    assert.equal(slash.headers.location, '/console');
  });

  test('only the known files: traversal, encoded separators, source maps and the page under assets are 404', async () => {
    const secrets = [readFileSync('package.json', 'utf8').slice(0, 40), 'BEGIN PRIVATE KEY', 'export async function'];
    for (const target of [
      '/console/assets/../../package.json',
      '/console/assets/..%2f..%2fpackage.json',
      '/console/assets/%2e%2e/%2e%2e/package.json',
      '/console/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/console/assets/..%5c..%5cpackage.json',
      '/console/assets/....//....//package.json',
      '/console/assets/%252e%252e%252fpackage.json',
      '/console/assets//etc/passwd',
      '/console/assets/%2fetc%2fpasswd',
      '/console/assets/../../src/api/server.ts',
      '/console/assets/../web/main.js',
      '/console/assets/main.js%00.css',
      '/console/assets/main.js.map',
      '/console/assets/main.ts',
      '/console/assets/index.html',
      '/console/assets/',
      '/console/assets/.',
      '/console/assets/MAIN.JS',
      '/console/../package.json',
    ]) {
      const response = await http(origin, 'GET', target);
      assert.equal(response.status, 404, `${target}: ${response.status}`);
      for (const secret of secrets) assert.ok(!response.text.includes(secret), `${target} leaked a file`);
    }
  });

  test(`the first load (page, style, icon, every module) is under ${FIRST_LOAD_BUDGET / 1024} KB compressed`, async (t) => {
    for (const encoding of ['br', 'gzip']) {
      const loaded = await firstLoad(origin, encoding);
      const total = [...loaded.values()].reduce((sum, response) => sum + response.body.length, 0);
      const identity = [...(await firstLoad(origin, 'identity')).values()].reduce((sum, r) => sum + r.body.length, 0);
      t.diagnostic(`${encoding}: ${loaded.size} files, ${total} bytes (${identity} uncompressed)`);
      assert.ok(loaded.size >= 12, `${loaded.size} files`);
      assert.ok(total < FIRST_LOAD_BUDGET, `${encoding}: ${total} bytes`);
      for (const [path, response] of loaded) assert.equal(response.headers['content-encoding'], encoding, path);
    }
  });

  test('the console is not part of the OpenAPI document', async () => {
    const document = (await http(origin, 'GET', '/api/openapi.json')).json();
    assert.deepEqual(
      Object.keys(document.paths).filter((path) => path.startsWith('/console')),
      [],
    );
  });
});

describe('a server whose console is not built', () => {
  test('GET /console answers 503 with what to do; nothing else is served', async () => {
    const server = await startTestServer();
    const empty = mkdtempSync(join(tmpdir(), 'dbcerts-no-console-'));
    const app = Fastify();
    app.decorate('authenticationFailed', () => undefined);
    try {
      await app.register(consoleRoutes, { authority: server.authority, assetDirectories: [empty] });
      const page = await app.inject({ method: 'GET', url: '/console' });
      assert.equal(page.statusCode, 503);
      assert.equal(page.body, 'The web console is not built: run npm run build.\n');
      assert.equal((await app.inject({ method: 'GET', url: '/console/assets/main.js' })).statusCode, 404);
      // A directory with a page but no scripts still serves the page (the warning is in the log).
      writeFileSync(join(empty, 'index.html'), '<!doctype html><title>x</title><!-- dbcerts:modulepreload -->');
      const partial = Fastify();
      partial.decorate('authenticationFailed', () => undefined);
      await partial.register(consoleRoutes, { authority: server.authority, assetDirectories: [empty] });
      const shell = await partial.inject({ method: 'GET', url: '/console' });
      assert.equal(shell.statusCode, 200);
      assert.equal(shell.body, '<!doctype html><title>x</title>');
      await partial.close();
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
      await server.close();
    }
  });
});
