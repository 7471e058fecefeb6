import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { TestClock } from '../helpers/clock.js';
import { NEW_P256_KEY, openssl } from '../helpers/openssl.js';
import { startTestServer, type TestServer, V1 } from '../helpers/server.js';
import { createProjectKey, createServiceAccount, http } from './helpers.js';
import { type SeededCertificate, seedCertificates } from './seed.js';

/**
 * The web console in a real browser (Debian's Chromium driven by playwright-core), at a
 * laptop's 1440×900 and a phone's 390×844, over a project that looks lived in: three
 * projects, 31 database users, some 300 certificates, and one user with 10,000.
 *
 * Point by point (issue 13): a new private key cannot be lost without saying so; the
 * 10,000-certificate user is paged, filtered and searched on the server and its newest
 * certificate revoked; issuing comes first, and right after creating a user; the
 * overview says what expires soon and who has no valid certificate; saving a customer CA
 * warns first; the password field hides for X.509 and role names are checked; a session
 * ended in another tab leads to sign-in, never to a password prompt; errors keep the
 * navigation and offer a retry; the users list has status, search, order and works on a
 * phone; a read creates no CA, hidden controls say which role they need, event types
 * read as words and filters survive a reload. Also: a certificate's own page, CA rotation,
 * project API keys and service accounts; and what the first version checked (openssl
 * verifies what was downloaded, CRLs, hostile names, CSRF, keyboard use, idle sessions).
 *
 * Screenshots are taken only when DBCERTS_SCREENSHOTS names a directory
 * (`npm run screenshots`), so `npm test` leaves the tree as it was.
 */

// What the page-side callbacks of page.evaluate use: they run in the browser, not here.
declare const document: any;
declare const window: any;
declare const location: any;
declare const performance: any;
declare const navigator: any;

const CHROMIUM = '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SCREENSHOTS = process.env.DBCERTS_SCREENSHOTS;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const VIEWPORTS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
type ViewportName = (typeof VIEWPORTS)[number]['name'];

const XSS = {
  managed: '<script>alert("managed")</script>',
  scram: '"><img src=x onerror=alert("scram")>',
  labelKey: '"><svg onload=alert("label")>',
  labelValue: "<b onmouseover=alert('value')>bold</b>",
  description: '<iframe src=javascript:alert("d")>',
  // Quotes escaped too: RFC 2253 refuses a bare " in a value, as the server rightly does.
  dn: 'CN=\\<script\\>alert(\\"dn\\")\\</script\\>,O=\\"\\>\\<img src=x onerror=alert(\\"dn2\\")\\>',
};

/** `openssl req` with a new P-256 key (`-new`: a CSR; `-x509`: a self-signed certificate). */
function newP256Request(mode: '-new' | '-x509', keyFile: string, subject: string, out: string, ...extra: string[]) {
  return openssl('req', mode, ...NEW_P256_KEY, '-keyout', keyFile, '-subj', subject, '-out', out, ...extra);
}

function serialHex(serial: bigint | string): string {
  const hex = BigInt(serial).toString(16).toUpperCase();
  return hex.length % 2 === 1 ? `0${hex}` : hex;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

describe('the web console in Chromium', { timeout: 900_000 }, () => {
  let server: TestServer;
  let clock: TestClock;
  let browser: Browser;
  let scratch: string;
  let groupId: string;
  let analyticsId: string;
  const pages = {} as Record<ViewportName, Page>;
  const contexts = {} as Record<ViewportName, BrowserContext>;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const challenges: string[] = [];
  const shots: Array<{ file: string; alt: string }> = [];
  let fleet: SeededCertificate[];
  const renderTimes: Record<string, number> = {};
  const users = (project = groupId) => `${V1}/groups/${project}/databaseUsers`;
  const inventory = (project = groupId) => `${V1}/groups/${project}/userSecurity/managedX509/certs`;

  /**
   * axe-core (WCAG 2 A and AA rules) finds nothing on the page as it is now, dialogs
   * included: run wherever a screen is shown for the README or checked for a phone's width.
   * Evaluated rather than added as a script tag, which the console's CSP rightly refuses.
   */
  async function assertAccessible(target: Page, what: string): Promise<void> {
    if (!(await target.evaluate(() => Boolean(window.axe)))) await target.evaluate(AXE_SOURCE);
    const violations: Array<{ id: string; help: string; nodes: Array<{ target: string[] }> }> = await target.evaluate(
      async () => {
        const result = await window.axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        });
        return result.violations.map((violation: any) => ({
          id: violation.id,
          help: violation.help,
          nodes: violation.nodes.map((node: any) => ({ target: node.target })),
        }));
      },
    );
    assert.deepEqual(
      violations.map(
        (violation) =>
          `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join('; ')})`,
      ),
      [],
      `${what}: axe found violations`,
    );
  }

  /** A screenshot for the README, only when asked for (npm run screenshots); axe checks the screen either way. */
  async function shot(target: Page, file: string, alt: string): Promise<void> {
    await assertAccessible(target, alt);
    if (!SCREENSHOTS) return;
    await target.screenshot({ path: join(SCREENSHOTS, file), animations: 'disabled', caret: 'hide' });
    shots.push({ file, alt });
  }

  async function newPage(scope: BrowserContext): Promise<Page> {
    const opened = await scope.newPage();
    opened.setDefaultTimeout(15_000);
    opened.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    opened.on('pageerror', (error) => pageErrors.push(error.message));
    // The browser's password prompt comes from a Digest challenge: the console must never meet one.
    opened.on('response', (response) => {
      if (response.headers()['www-authenticate']) challenges.push(`${response.request().method()} ${response.url()}`);
    });
    return opened;
  }

  async function newContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
    const created = await browser.newContext({
      viewport,
      acceptDownloads: true,
      reducedMotion: 'reduce',
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    return created;
  }

  async function signInWithKey(target: Page, publicKey: string, privateKey: string): Promise<void> {
    await target.goto(`${server.origin}/console`);
    await target.getByRole('heading', { name: 'Sign in to dbcerts' }).waitFor();
    await target.getByLabel('Public key').fill(publicKey);
    await target.getByLabel('Private key').fill(privateKey);
    await target.getByRole('button', { name: 'Sign in' }).click();
    await target.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
  }

  async function open(target: Page, route: string): Promise<void> {
    await target.goto(`${server.origin}/console#/projects/${route}`);
  }

  async function download(target: Page, click: () => Promise<void>, file: string): Promise<string> {
    const [downloaded] = await Promise.all([target.waitForEvent('download'), click()]);
    const path = join(scratch, file);
    await downloaded.saveAs(path);
    return path;
  }

  async function apiUser(username: string, body: Record<string, unknown>, project = groupId): Promise<void> {
    const response = await server.client.post(users(project), {
      username,
      roles: [{ roleName: 'readWrite', databaseName: 'app' }],
      ...body,
    });
    assert.equal(response.status, 201, response.text);
  }

  async function apiCert(username: string, months: number, project = groupId): Promise<string> {
    const response = await server.client.post(`${users(project)}/${encodeURIComponent(username)}/certs`, {
      monthsUntilExpiration: months,
    });
    assert.equal(response.status, 201, response.text);
    const listed = await server.client.get(`${users(project)}/${encodeURIComponent(username)}/certs?orderBy=desc`);
    return String(listed.json().results[0]._id);
  }

  async function apiCount(query: string, path = inventory()): Promise<number> {
    const response = await server.client.get(`${path}?${query}&itemsPerPage=1`);
    assert.equal(response.status, 200, response.text);
    return response.json().totalCount;
  }

  /** The page fits its width: nothing to scroll sideways; and axe finds nothing on it. */
  async function assertNoOverflow(target: Page, what: string): Promise<void> {
    await assertAccessible(target, what);
    const { scrollWidth, width } = await target.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      width: window.innerWidth,
    }));
    assert.ok(scrollWidth <= width, `${what}: the page is ${scrollWidth} px wide in a ${width} px viewport`);
  }

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
    scratch = mkdtempSync(join(tmpdir(), 'dbcerts-e2e-'));
    clock = new TestClock();
    server = await startTestServer({ clock });
    groupId = server.credentials.groupId;

    // A project that looks lived in: certificates active, expiring soon, expired and revoked.
    const now = clock.now().getTime();
    assert.equal(
      (await server.client.patch(`${V1}/groups/${groupId}/userSecurity/managedX509/alerts`, { leadTimeDays: 45 }))
        .status,
      200,
    );
    for (const name of ['alice', 'bob', 'carol', 'dave', 'fleet'])
      await apiUser(name, { databaseName: '$external', x509Type: 'MANAGED' });
    clock.set(new Date(now - 100 * DAY));
    await apiCert('dave', 1);
    await apiCert('alice', 3);
    clock.set(new Date(now - 20 * DAY));
    await apiCert('carol', 6);
    clock.set(new Date(now));
    await apiCert('alice', 12);
    await apiCert('bob', 1);
    const carolOld = await apiCert('carol', 2);
    const revoked = await server.client.post(`${inventory()}/${carolOld}/revoke`, { reason: 'superseded' });
    assert.equal(revoked.status, 200, revoked.text);
    await apiUser('app-reader', {
      databaseName: 'admin',
      password: 'correct horse battery staple',
      roles: [{ roleName: 'read', databaseName: 'reports' }],
      labels: [{ key: 'team', value: 'analytics' }],
      description: 'Read-only reporting',
    });
    await apiUser('CN=reporting,OU=analytics,O=Example', { databaseName: '$external', x509Type: 'CUSTOMER' });
    // 24 more managed users with some 250 certificates between them; a few have none valid left.
    for (let index = 1; index <= 24; index++) {
      const name = `svc-${String(index).padStart(2, '0')}`;
      await apiUser(name, { databaseName: '$external', x509Type: 'MANAGED' });
      await seedCertificates(server, groupId, name, {
        count: 10,
        newest: new Date(now - (index % 6 === 0 ? 200 : index) * DAY),
        everyMs: 30 * DAY,
        validityDays: index % 4 === 0 ? 20 : 90,
        revokeEvery: 3,
      });
    }
    // The user with 10,000: one every 4 hours for four and a half years, valid 90 days, every 50th revoked.
    fleet = await seedCertificates(server, groupId, 'fleet', {
      count: 10_000,
      newest: new Date(now - HOUR),
      everyMs: 4 * HOUR,
      validityDays: 90,
      revokeEvery: 50,
    });
    for (const name of ['payments', 'analytics']) {
      const created = await server.client.post(`${V1}/groups`, { name, orgId: server.credentials.orgId });
      assert.equal(created.status, 200, created.text);
      if (name === 'analytics') analyticsId = created.json().id;
    }
    const usersListed = (await server.client.get(`${users()}?itemsPerPage=1`)).json().totalCount;
    assert.equal(usersListed, 31, 'the project has 31 database users');
    assert.equal(await apiCount('status=all&username=fleet'), 10_000);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    for (const viewport of VIEWPORTS) {
      contexts[viewport.name] = await newContext(viewport);
      pages[viewport.name] = await newPage(contexts[viewport.name]);
    }
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    if (SCREENSHOTS) writeFileSync(join(SCREENSHOTS, 'manifest.json'), `${JSON.stringify(shots, null, 2)}\n`);
  });

  test('sign in with an API key, at both widths; the three projects the key sees', async () => {
    const page = pages.desktop;
    await page.goto(`${server.origin}/console`);
    await page.getByRole('heading', { name: 'Sign in to dbcerts' }).waitFor();
    await shot(page, 'sign-in.png', 'Sign in');
    await page.getByLabel('Public key').fill(server.credentials.publicKey);
    await page.getByLabel('Private key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'These credentials were not accepted' }).waitFor();
    await page.getByLabel('Private key').fill(server.credentials.privateKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    for (const name of ['Project0', 'payments', 'analytics']) await page.getByRole('link', { name }).waitFor();
    await page.getByText('3 projects').waitFor();
    await page.getByText(`API key ${server.credentials.publicKey}`).waitFor();
    const cookies = await contexts.desktop.cookies(server.origin);
    const session = cookies.find((cookie) => cookie.name === 'dbcerts_session');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the page script cannot read the session cookie');
    await signInWithKey(pages.phone, server.credentials.publicKey, server.credentials.privateKey);
    await assertNoOverflow(pages.phone, 'projects (phone)');
  });

  test('1, 3: creating an X.509 user offers its first certificate; the new key cannot be lost without saying so', async () => {
    const page = pages.desktop;
    await open(page, `${groupId}/users`);
    await page.getByRole('button', { name: 'Add database user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a database user' });
    await dialog.getByLabel('X.509 certificate issued by dbcerts').check();
    await dialog.getByLabel('Username').fill('e2e-user');
    await dialog.getByLabel('Role', { exact: true }).fill('readWrite');
    await dialog.getByLabel('Database', { exact: true }).fill('orders');
    await dialog.getByRole('button', { name: 'Add label' }).click();
    await dialog.getByLabel('Key', { exact: true }).fill('env');
    await dialog.getByLabel('Value', { exact: true }).fill('staging');
    assert.equal(await dialog.getByLabel('Issue its first certificate now').isChecked(), true, 'offered at once');
    await dialog.getByLabel('Valid for (months)').fill('6');
    await dialog.getByRole('button', { name: 'Create user and issue' }).click();

    const issued = page.getByRole('dialog', { name: 'Certificate issued' });
    await issued.getByText('This is the only time the private key is shown').waitFor();
    const serial = (await issued.locator('.issued-serial').textContent())!;
    assert.match(serial, /^\d+$/);
    await issued.getByText(`hex ${serialHex(serial)}`).waitFor();
    const created = (await server.client.get(`${users()}/$external/e2e-user`)).json();
    assert.equal(created.x509Type, 'MANAGED');
    assert.deepEqual(created.labels, [{ key: 'env', value: 'staging' }]);

    // Escape, Close, leaving the page: each one asks; "Keep it open" keeps it.
    const guard = page.getByRole('dialog', { name: 'Close without saving the private key?' });
    await page.keyboard.press('Escape');
    await guard.waitFor();
    assert.equal(
      await page.evaluate(() => document.activeElement?.textContent),
      'Keep it open',
      'the safe choice has focus',
    );
    await page.keyboard.press('Escape');
    await guard.waitFor({ state: 'detached' });
    await issued.waitFor();
    await issued.getByRole('button', { name: 'Close' }).click();
    await guard.getByRole('button', { name: 'Keep it open' }).click();
    await issued.waitFor();
    const leaving = await page.evaluate(() => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    });
    assert.equal(leaving, true, 'leaving the page makes the browser ask');
    await shot(page, 'certificate-issued.png', 'A new key: download or copy it, or say you mean to lose it');

    // The certificate alone does not save the key.
    const certOnly = await download(
      page,
      () => issued.getByRole('button', { name: 'Download certificate only' }).click(),
      'cert-only.pem',
    );
    assert.match(readFileSync(certOnly, 'utf8'), /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    await page.keyboard.press('Escape');
    await guard.getByRole('button', { name: 'Keep it open' }).click();
    const pemFile = await download(
      page,
      () => issued.getByRole('button', { name: 'Download certificate and key' }).click(),
      'e2e-user.pem',
    );
    await issued.getByText('Downloaded e2e-user.pem.').waitFor();
    await issued.getByRole('button', { name: 'Close' }).click();
    await issued.waitFor({ state: 'detached' });
    assert.equal(await guard.count(), 0, 'saved: closing asks nothing');

    const pem = readFileSync(pemFile, 'utf8');
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(
      (await openssl('x509', '-in', pemFile, '-noout', '-subject', '-nameopt', 'RFC2253')).trim(),
      'subject=CN=e2e-user',
    );
    assert.equal((await openssl('x509', '-in', pemFile, '-noout', '-serial')).trim(), `serial=${serialHex(serial)}`);
    assert.equal(
      await openssl('x509', '-in', pemFile, '-noout', '-pubkey'),
      await openssl('pkey', '-in', pemFile, '-pubout'),
    );

    // Then the user's page: issuing on top, the new certificate listed.
    await page.getByRole('heading', { name: 'e2e-user', level: 1 }).waitFor();
    const row = page.getByRole('row').filter({ hasText: serial });
    await row.getByText('Active', { exact: true }).waitFor();
    const issueTop = (await page.getByRole('heading', { name: 'Issue a certificate' }).boundingBox())!.y;
    const listTop = (await page.getByRole('heading', { name: 'Certificates', level: 2 }).boundingBox())!.y;
    assert.ok(issueTop < listTop, 'issuing comes before the history');
    await shot(page, 'user-certificates.png', 'A user: issue first, then its certificates');
  });

  test('1: on a phone, the key is copied, or thrown away only on an explicit “Close and lose”', async () => {
    const page = pages.phone;
    await open(page, `${groupId}/users/%24external/e2e-user`);
    await page.getByRole('button', { name: 'Issue certificate' }).click();
    const issued = page.getByRole('dialog', { name: 'Certificate issued' });
    await issued.getByRole('button', { name: 'Copy certificate and key' }).click();
    await issued.getByText('Copied to the clipboard.').waitFor();
    const copied: string = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN PRIVATE KEY-----/);
    await assertNoOverflow(page, 'the issued dialog (phone)');
    await shot(page, 'certificate-issued-390.png', 'The same on a phone');
    await page.keyboard.press('Escape');
    await issued.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Issue certificate' }).click();
    await issued.waitFor();
    await issued.getByRole('button', { name: 'Close' }).click();
    const guard = page.getByRole('dialog', { name: 'Close without saving the private key?' });
    await guard.getByRole('button', { name: 'Close and lose the private key' }).click();
    await issued.waitFor({ state: 'detached' });
    assert.equal(await apiCount('status=active&username=e2e-user'), 3);
  });

  test('1: a certificate from a CSR uploaded as a file: the certificate alone, no guard', async () => {
    const page = pages.desktop;
    const keyFile = join(scratch, 'csr.key');
    const csrFile = join(scratch, 'request.csr');
    await newP256Request('-new', keyFile, '/CN=ignored', csrFile);
    await open(page, `${groupId}/users/%24external/e2e-user`);
    await page.getByLabel('I have a certificate signing request').check();
    await page.getByLabel('CSR file').setInputFiles(csrFile);
    await page.waitForFunction(() =>
      document.querySelector('textarea[name="csr"]').value.includes('BEGIN CERTIFICATE REQUEST'),
    );
    await page.getByLabel('Valid for (months)').fill('1');
    await page.getByRole('button', { name: 'Issue certificate' }).click();
    const issued = page.getByRole('dialog', { name: 'Certificate issued' });
    await issued.getByText('Your private key never left your machine').waitFor();
    const pemFile = await download(
      page,
      () => issued.getByRole('button', { name: 'Download certificate' }).click(),
      'from-csr.pem',
    );
    assert.doesNotMatch(readFileSync(pemFile, 'utf8'), /PRIVATE KEY/);
    assert.equal(
      await openssl('x509', '-in', pemFile, '-noout', '-pubkey'),
      await openssl('pkey', '-in', keyFile, '-pubout'),
    );
    await page.keyboard.press('Escape');
    await issued.waitFor({ state: 'detached' });
  });

  test('the CA downloaded from the console verifies the certificate; revoking it in the console puts it on the CRL', async () => {
    const page = pages.desktop;
    await open(page, `${groupId}/ca`);
    await page.getByRole('cell', { name: /Active: signs new certificates/ }).waitFor();
    const caFile = await download(
      page,
      () => page.getByRole('button', { name: 'CA certificate (PEM)' }).click(),
      'ca.pem',
    );
    const pemFile = join(scratch, 'e2e-user.pem');
    assert.equal(
      (await openssl('verify', '-CAfile', caFile, '-purpose', 'sslclient', pemFile)).trim(),
      `${pemFile}: OK`,
    );
    const crlBefore = await download(
      page,
      () => page.getByRole('button', { name: 'CRL (PEM)' }).click(),
      'crl-before.pem',
    );
    const serial = (await openssl('x509', '-in', pemFile, '-noout', '-serial')).trim().slice('serial='.length);
    assert.doesNotMatch(
      await openssl('crl', '-in', crlBefore, '-noout', '-text'),
      new RegExp(`Serial Number: ${serial}`),
    );
    await shot(page, 'ca-and-crl.png', 'CA and CRL');

    const decimal = BigInt(`0x${serial}`).toString();
    await open(page, `${groupId}/users/%24external/e2e-user`);
    const row = page.getByRole('row').filter({ hasText: decimal });
    await row.getByRole('button', { name: `Revoke certificate ${decimal}` }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke certificate?' });
    await confirm.getByLabel('Reason').selectOption('keyCompromise');
    await confirm.getByRole('button', { name: 'Revoke certificate' }).click();
    await page.getByRole('row').filter({ hasText: decimal }).getByText('Revoked', { exact: true }).waitFor();
    await open(page, `${groupId}/ca`);
    const crlAfter = await download(
      page,
      () => page.getByRole('button', { name: 'CRL (PEM)' }).click(),
      'crl-after.pem',
    );
    assert.match(
      await openssl('crl', '-in', crlAfter, '-noout', '-text'),
      new RegExp(
        `Serial Number: ${serial}\\n\\s+Revocation Date: .+\\n\\s+CRL entry extensions:\\n\\s+X509v3 CRL Reason Code: \\n\\s+Key Compromise`,
      ),
    );
    const derFile = await download(
      page,
      () => page.getByRole('button', { name: 'CRL (DER)' }).first().click(),
      'crl.der',
    );
    assert.match(
      await openssl('crl', '-inform', 'DER', '-in', derFile, '-noout', '-text'),
      new RegExp(`Serial Number: ${serial}`),
    );
  });

  test('2: the user with 10,000 certificates: the newest first, paged, filtered and searched on the server', async (t) => {
    const newest = fleet[0]!;
    const now = clock.now().getTime();
    const lead = now + 45 * DAY;
    const expected = {
      all: 10_000,
      active: fleet.filter((c) => !c.revokedAt && c.notAfter.getTime() >= lead).length,
      expiring: fleet.filter((c) => !c.revokedAt && c.notAfter.getTime() > now && c.notAfter.getTime() < lead).length,
      expired: fleet.filter((c) => !c.revokedAt && c.notAfter.getTime() <= now).length,
      revoked: fleet.filter((c) => c.revokedAt).length,
    };
    for (const viewport of VIEWPORTS) {
      const page = pages[viewport.name];
      // Start from a page that has finished loading, so nothing else is in flight.
      await open(page, `${groupId}/overview`);
      await page.locator('svg.timeline').waitFor();
      // From the hash change to the first page of certificates on screen, in the browser's clock.
      const elapsed: number = await page.evaluate(
        (target: string) =>
          new Promise((resolve) => {
            const start = performance.now();
            const done = () => {
              const caption = document.querySelector('.certificates table caption');
              if (caption && caption.textContent.includes('of 10,000 certificates')) {
                observer.disconnect();
                resolve(performance.now() - start);
              }
            };
            const observer = new window.MutationObserver(done);
            observer.observe(document.getElementById('main'), { childList: true, subtree: true, characterData: true });
            location.hash = target;
          }),
        `#/projects/${groupId}/users/%24external/fleet`,
      );
      renderTimes[viewport.name] = elapsed;
      t.diagnostic(
        `the 10,000-certificate user page rendered in ${elapsed.toFixed(0)} ms at ${viewport.width}×${viewport.height}`,
      );
      const caption = page.getByText('1–50 of 10,000 certificates, newest first');
      await caption.waitFor();
      const firstRow = page.locator('.certificates tbody tr').first();
      assert.match(
        (await firstRow.textContent())!,
        new RegExp(String(newest.serial)),
        'the newest is on the first page',
      );
      for (const [label, value] of [
        ['All', expected.all],
        ['Active', expected.active],
        ['Expiring soon', expected.expiring],
        ['Expired', expected.expired],
        ['Revoked', expected.revoked],
      ] as const) {
        await page.getByRole('button', { name: `${label} ${count(value)}`, exact: true }).waitFor();
      }
      if (viewport.name === 'desktop') await shot(page, 'user-10000.png', 'A user with 10,000 certificates');
      else {
        await assertNoOverflow(page, 'the 10,000-certificate user (phone)');
        assert.equal(
          await firstRow.evaluate((element: any) => window.getComputedStyle(element).display),
          'block',
          'rows are cards',
        );
        await shot(page, 'user-10000-390.png', 'The same on a phone');
      }
      await page.getByRole('button', { name: 'Next page' }).first().click();
      await page.getByText('51–100 of 10,000 certificates, newest first').waitFor();
      await page.getByRole('button', { name: `Revoked ${count(expected.revoked)}` }).click();
      await page.getByText(`of ${count(expected.revoked)} revoked certificates`).waitFor();
      assert.match(page.url(), /[?&]status=revoked/);
      // Found by serial as openssl prints it (colons, hex), then the filter survives a reload.
      await page.getByRole('button', { name: 'All 10,000' }).click();
      const colons = serialHex(newest.serial).match(/../g)!.join(':');
      await page.getByLabel('Find by serial').fill(colons);
      await page.getByRole('button', { name: 'Find' }).click();
      await page.getByText('1–1 of 1 certificate, newest first').waitFor();
      await page.reload();
      await page.getByText('1–1 of 1 certificate, newest first').waitFor();
      assert.equal(await page.getByLabel('Find by serial').inputValue(), colons);
      await page.getByLabel('Find by serial').fill('not-a-serial');
      await page.getByRole('button', { name: 'Find' }).click();
      await page.getByText('is not a serial').waitFor();
    }
    // The newest can be revoked from the console.
    const page = pages.desktop;
    await page.getByLabel('Find by serial').fill(String(newest.serial));
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: `Revoke certificate ${newest.serial}` }).click();
    await page
      .getByRole('dialog', { name: 'Revoke certificate?' })
      .getByRole('button', { name: 'Revoke certificate' })
      .click();
    await page
      .getByRole('row')
      .filter({ hasText: String(newest.serial) })
      .getByText('Revoked', { exact: true })
      .waitFor();
    const revoked = (await server.client.get(`${inventory()}?serial=${newest.serial}`)).json().results[0];
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.revocationReason, 'unspecified');
  });

  test('4: the overview says what expires within 7 and 30 days, who has no valid certificate, what was revoked', async () => {
    const now = clock.now().getTime();
    const iso = (days: number) => new Date(now + days * DAY).toISOString();
    const week = await apiCount(`status=active&expiresBefore=${iso(7)}`);
    const month = await apiCount(`status=active&expiresBefore=${iso(30)}`);
    const revoked = await apiCount('status=revoked');
    const holders = (
      await server.client.get(
        `${V1}/groups/${groupId}/userSecurity/managedX509/users?certificateStatus=none&itemsPerPage=500`,
      )
    ).json();
    const without: string[] = holders.results.map((holder: { username: string }) => holder.username);
    assert.ok(
      without.length >= 3 && week > 0 && month > week,
      `a telling data set: ${without.length}, ${week}, ${month}`,
    );
    for (const viewport of VIEWPORTS) {
      const page = pages[viewport.name];
      await open(page, `${groupId}/overview`);
      const stats = page.getByRole('list', { name: 'Certificates at a glance' });
      for (const [value, label] of [
        [week, 'expire within 7 days'],
        [month, 'expire within 30 days'],
        [without.length, 'users without a valid certificate'],
        [revoked, 'revoked'],
      ] as const) {
        await stats
          .getByRole('listitem')
          .filter({ hasText: new RegExp(`^${count(value)}\\s*${label}$`) })
          .waitFor();
      }
      const chart = page.locator('svg.timeline');
      await chart.waitFor();
      // A near-term axis: dates a person reads at once, today and the alert lead time marked.
      const ticks = await chart.locator('text.tick-label').allTextContents();
      assert.ok(ticks.length >= 4, ticks.join(', '));
      for (const tick of ticks) assert.match(tick, /^[A-Z][a-z]{2} \d{1,2}$/);
      await chart.getByText('Today', { exact: true }).waitFor();
      await chart.getByText('Alert lead time: 45 days').waitFor();
      // The users without a valid certificate come first, and say so.
      const firstLabels = await chart.locator('text.row-label').allTextContents();
      const firstRows = firstLabels.slice(0, without.length).map((label) => label.replace(/…$/, ''));
      for (const label of firstRows)
        assert.ok(
          without.some((name) => name.startsWith(label)),
          `${label} has none valid`,
        );
      assert.equal(await chart.locator('text.row-none').count(), without.length);
      for (const name of without) {
        await page
          .getByRole('table', { name: 'Users without a valid certificate' })
          .getByRole('link', { name, exact: true })
          .waitFor();
      }
      const svgWidth = Number(await chart.getAttribute('width'));
      assert.ok(svgWidth <= viewport.width, `the chart (${svgWidth} px) is drawn for the ${viewport.width} px screen`);
      await assertNoOverflow(page, `the overview (${viewport.name})`);
      await shot(
        page,
        viewport.name === 'desktop' ? 'overview.png' : 'overview-390.png',
        viewport.name === 'desktop' ? 'Project overview and timeline' : 'The overview on a phone',
      );
      // A longer window is one choice away, and stays in the address.
      await page.getByLabel('Window').selectOption('365');
      await page.waitForURL(/range=365/);
      await chart.waitFor();
      await page.getByLabel('Window').selectOption('90');
    }
  });

  test('5: saving a customer CA warns first that managed issuance stops, and saves only when confirmed', async () => {
    const page = pages.desktop;
    const keyFile = join(scratch, 'customer-ca.key');
    const caFile = join(scratch, 'customer-ca.pem');
    await newP256Request(
      '-x509',
      keyFile,
      '/O=Example Corp/OU=Platform/CN=Example Root CA',
      caFile,
      '-days',
      '730',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    // The console reckons "now" from the server's clock, frozen before openssl stamped the CA.
    clock.set(new Date(Date.now() + 60_000));
    await page.reload();
    await open(page, `${groupId}/customer-ca`);
    await page.getByText('Saving a customer CA stops dbcerts issuing certificates').waitFor();
    await page.getByLabel('PEM bundle').fill(readFileSync(caFile, 'utf8'));
    const preview = page.getByRole('table', { name: 'Certificates in the bundle to save' });
    await preview.getByText('OK', { exact: true }).waitFor();
    await shot(page, 'customer-ca.png', 'Customer CA, previewed before it is saved');
    await page.getByRole('button', { name: 'Save CA bundle' }).click();
    const warning = page.getByRole('dialog', { name: 'Block dbcerts-managed issuance?' });
    await warning.getByText('CANNOT_GENERATE_CERT_IF_ADVANCED_X509').waitFor();
    const managedUsers = (
      await server.client.get(`${V1}/groups/${groupId}/userSecurity/managedX509/users?itemsPerPage=1`)
    ).json().totalCount;
    await warning.getByText(`${count(managedUsers)} dbcerts-managed X.509 users`).waitFor();
    await warning.getByRole('button', { name: 'Do not save' }).click();
    assert.equal(
      (await server.client.get(`${V1}/groups/${groupId}/userSecurity`)).json().customerX509?.cas,
      undefined,
      'nothing saved',
    );
    await page.getByRole('button', { name: 'Save CA bundle' }).click();
    await warning.getByRole('button', { name: 'Save and block managed issuance' }).click();
    await page.getByText('Customer-managed X.509 is on').waitFor();
    assert.equal(
      (await server.client.get(`${V1}/groups/${groupId}/userSecurity`)).json().customerX509.cas,
      readFileSync(caFile, 'utf8'),
    );
    // The user page says issuing is blocked, instead of a form the server would refuse.
    await open(page, `${groupId}/users/%24external/alice`);
    await page.getByText('Issuing is blocked: this project has a customer CA').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Issue certificate' }).count(), 0);
    assert.equal((await server.client.delete(`${V1}/groups/${groupId}/userSecurity/customerX509`)).status, 202);
  });

  test('6: the password field shows only for SCRAM; role names are checked before sending, the server has the last word', async () => {
    for (const viewport of VIEWPORTS) {
      const page = pages[viewport.name];
      await open(page, `${groupId}/users`);
      await page.getByRole('button', { name: 'Add database user' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add a database user' });
      await dialog.getByLabel('X.509 certificate issued by dbcerts').check();
      assert.equal(await dialog.getByLabel('Password', { exact: true }).isVisible(), false, 'no password for X.509');
      await dialog.getByLabel('X.509 certificate from your own CA').check();
      assert.equal(await dialog.getByLabel('Password', { exact: true }).isVisible(), false);
      assert.equal(await dialog.getByLabel('Issue its first certificate now').isVisible(), false);
      await dialog.getByLabel('Password (SCRAM)').check();
      await dialog.getByLabel('Password', { exact: true }).waitFor();
      const username = `roles-${viewport.name}`;
      await dialog.getByLabel('Username').fill(username);
      await dialog.getByLabel('Password', { exact: true }).fill('correct horse battery');
      await dialog.getByLabel('Role', { exact: true }).fill('readwrite');
      await dialog.getByLabel('Database', { exact: true }).fill('app');
      await dialog.getByRole('button', { name: 'Create user' }).click();
      await dialog.getByRole('alert').getByText('“readwrite” is neither a built-in role').waitFor();
      await dialog.getByLabel('Role', { exact: true }).fill('readAnyDatabase');
      await dialog.getByRole('button', { name: 'Create user' }).click();
      await dialog.getByRole('alert').getByText('readAnyDatabase is granted on the admin database only').waitFor();
      assert.equal((await server.client.get(`${users()}/admin/${username}`)).status, 404, 'nothing was sent');
      await dialog.getByLabel('Role', { exact: true }).fill('read');
      await dialog.getByRole('button', { name: 'Create user' }).click();
      await page.getByRole('heading', { name: username, level: 1 }).waitFor();
      assert.deepEqual((await server.client.get(`${users()}/admin/${username}`)).json().roles, [
        { databaseName: 'app', roleName: 'read' },
      ]);
    }
  });

  test('7: signed out in another tab, the next action goes to sign-in, with no password prompt, every time', async () => {
    for (const viewport of VIEWPORTS) {
      const scope = await newContext(viewport);
      try {
        const first = await newPage(scope);
        await signInWithKey(first, server.credentials.publicKey, server.credentials.privateKey);
        await open(first, `${groupId}/users`);
        await first.getByRole('link', { name: 'alice', exact: true }).waitFor();
        const second = await newPage(scope);
        await second.goto(`${server.origin}/console#/projects`);
        await second.getByRole('button', { name: 'Sign out' }).click();
        await second.getByText('You signed out.').waitFor();
        // The first tab learns it at once; and even without that, its next call would not be challenged.
        await first.getByRole('heading', { name: 'Sign in to dbcerts' }).waitFor();
        await first.getByText('Your session has ended').waitFor();
        await first.evaluate(() => {
          location.hash = '#/projects/x/events';
        });
        await first.getByRole('heading', { name: 'Sign in to dbcerts' }).waitFor();
        // A call made by the console's script after the cookie is gone: 401, no challenge.
        const status: number = await first.evaluate(async (target: string) => {
          const response = await fetch(target, { headers: { 'X-Dbcerts-Console': '1' } });
          return response.status;
        }, users());
        assert.equal(status, 401);
      } finally {
        await scope.close();
      }
    }
    assert.deepEqual(challenges, [], 'no response to the console carried a Digest challenge');
    assert.deepEqual(dialogs, []);
  });

  test('8: errors keep the navigation, say “project”, and offer a retry that works once the server is back', async () => {
    for (const viewport of VIEWPORTS) {
      const page = pages[viewport.name];
      await open(page, '0123456789abcdef01234567/overview');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const text = (await alert.textContent())!;
      assert.match(text, /project/);
      assert.doesNotMatch(text, /\bgroup\b/i);
      await page
        .getByRole('navigation', { name: 'Project sections' })
        .getByRole('link', { name: 'Database users' })
        .waitFor();
      await page.getByRole('link', { name: 'Projects', exact: true }).waitFor();
      await page.getByRole('button', { name: 'Retry' }).waitFor();
      // The server unreachable: words, not "Failed to fetch"; Retry once it is back.
      await open(page, `${groupId}/events`);
      await page.getByRole('heading', { name: 'Events', level: 2 }).waitFor();
      await contexts[viewport.name].setOffline(true);
      await page.getByRole('navigation', { name: 'Project sections' }).getByRole('link', { name: 'Overview' }).click();
      await page.getByText('The dbcerts server could not be reached').waitFor();
      assert.equal(await page.getByText('Failed to fetch').count(), 0);
      await page.getByRole('navigation', { name: 'Project sections' }).waitFor();
      await contexts[viewport.name].setOffline(false);
      await page.getByRole('button', { name: 'Retry' }).click();
      await page.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
      await page.getByRole('list', { name: 'Certificates at a glance' }).waitFor();
    }
  });

  test('9: the users list: certificate status, search, filter, order, in the address; cards on a phone', async () => {
    const none = (
      await server.client.get(
        `${V1}/groups/${groupId}/userSecurity/managedX509/users?certificateStatus=none&itemsPerPage=500`,
      )
    )
      .json()
      .results.map((holder: { username: string }) => holder.username);
    for (const viewport of VIEWPORTS) {
      const page = pages[viewport.name];
      await open(page, `${groupId}/users`);
      const table = page.getByRole('table', { name: /database users$/ });
      await table.waitFor();
      await table.getByRole('row').filter({ hasText: 'alice' }).getByText('Valid certificate').waitFor();
      await table.getByRole('row').filter({ hasText: none[0] }).getByText('No valid certificate').waitFor();
      if (viewport.name === 'desktop')
        await shot(page, 'database-users.png', 'Database users with their certificate status');
      await page.getByLabel('Search').fill('svc-1');
      await page.getByRole('table', { name: /^10 of \d+ database users$/ }).waitFor();
      await page.getByLabel('Show').selectOption('none');
      await page.waitForURL(/status=none/);
      const shown = await page.locator('main table tbody tr td:first-child a').allTextContents();
      assert.deepEqual(shown, none.filter((name: string) => name.startsWith('svc-1')).sort());
      await page.getByLabel('Search').fill('');
      await page.getByLabel('Order').selectOption('-name');
      await page.reload();
      await page.getByRole('table', { name: new RegExp(`^${none.length} of \\d+ database users$`) }).waitFor();
      assert.equal(await page.getByLabel('Show').inputValue(), 'none');
      assert.equal(await page.getByLabel('Order').inputValue(), '-name');
      const names = await page.locator('main table tbody tr td:first-child a').allTextContents();
      assert.deepEqual(names, [...none].sort().reverse());
      if (viewport.name === 'phone') {
        await page.getByLabel('Show').selectOption('');
        await assertNoOverflow(page, 'users (phone)');
        const display = await page
          .locator('main table tbody tr')
          .first()
          .evaluate((element: any) => window.getComputedStyle(element).display);
        assert.equal(display, 'block', 'each user is a card');
        await shot(page, 'database-users-390.png', 'Database users on a phone');
      }
    }
  });

  test('10: a read-only key: reading the CA tab creates no CA; hidden controls name the role; event words; filters survive reload', async () => {
    const reader = await createProjectKey(server, ['GROUP_READ_ONLY'], 'auditor');
    const assigned = await server.client.patch(`${V1}/groups/${analyticsId}/apiKeys/${reader.id}`, {
      roles: ['GROUP_READ_ONLY'],
    });
    assert.equal(assigned.status, 200, assigned.text);
    for (const viewport of VIEWPORTS) {
      const scope = await newContext(viewport);
      try {
        const page = await newPage(scope);
        await signInWithKey(page, reader.publicKey, reader.privateKey);
        await open(page, `${analyticsId}/ca`);
        await page.getByText('This project has no CA yet').waitFor();
        await page
          .getByText('Creating the CA before the first certificate needs the Project Owner role in this project.')
          .waitFor();
        assert.equal(await page.getByRole('button', { name: /Create the CA/ }).count(), 0);
        const cas = (await server.client.get(`${V1}/groups/${analyticsId}/userSecurity/managedX509/cas`)).json();
        assert.deepEqual(cas.results, [], 'reading created no CA');

        await open(page, `${groupId}/users`);
        await page.getByText('Adding, editing or deleting users needs the Project Database Access Admin').waitFor();
        for (const name of ['Add database user', /^Edit roles/, /^Delete/]) {
          assert.equal(await page.getByRole('button', { name }).count(), 0, String(name));
        }
        await open(page, `${groupId}/users/%24external/alice`);
        await page.getByText('Issuing a certificate needs the Project Owner role in this project.').waitFor();
        await page.getByText('Revoking a certificate needs the Project Owner role in this project.').waitFor();
        assert.equal(await page.getByRole('button', { name: /^Revoke certificate/ }).count(), 0);
        assert.equal(await page.getByRole('button', { name: 'Issue certificate' }).count(), 0);
        await open(page, `${groupId}/customer-ca`);
        await page.getByText('Reading and changing the customer CA needs the Project Owner role').waitFor();

        await open(page, `${groupId}/events`);
        await page.getByRole('table').getByText('Database user added').first().waitFor();
        await page.getByLabel('Event type').selectOption({ label: 'Certificate revoked' });
        await page.getByRole('button', { name: 'Apply filters' }).click();
        await page.waitForURL(/type=MONGODB_USER_X509_CERT_REVOKED/);
        await page.reload();
        const events = page.getByRole('table', { name: /events, newest first/ });
        await events.getByText('keyCompromise').waitFor();
        assert.equal(await page.getByLabel('Event type').inputValue(), 'MONGODB_USER_X509_CERT_REVOKED');
        assert.equal(await events.getByText('Database user added').count(), 0);
        if (viewport.name === 'desktop') await shot(page, 'events.png', 'Events, in words, filtered');
      } finally {
        await scope.close();
      }
    }
  });

  test('a certificate’s own page: subject, serial both ways, validity, status, fingerprint, PEM to copy', async () => {
    const alice = (await server.client.get(`${users()}/alice/certs?orderBy=desc`)).json().results[0];
    const serial = String(alice._id);
    for (const viewport of VIEWPORTS) {
      const page = pages[viewport.name];
      await open(page, `${groupId}/users/%24external/alice`);
      await page.getByRole('link', { name: serial }).click();
      await page.getByRole('heading', { name: `Certificate ${serial}`, level: 1 }).waitFor();
      await page.getByText(serialHex(serial).match(/../g)!.join(':')).waitFor();
      await page.getByText('CN=alice', { exact: true }).waitFor();
      const pem = (await page.getByLabel('Certificate PEM').textContent())!;
      const file = join(scratch, `alice-${viewport.name}.pem`);
      writeFileSync(file, pem);
      assert.equal((await openssl('x509', '-in', file, '-noout', '-serial')).trim(), `serial=${serialHex(serial)}`);
      const fingerprint = (await openssl('x509', '-in', file, '-noout', '-fingerprint', '-sha256'))
        .trim()
        .split('=')[1]!;
      await page.getByText(fingerprint).waitFor();
      await page.getByRole('button', { name: 'Copy PEM' }).click();
      await page.getByText('Copied the certificate to the clipboard.').waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), pem);
      await assertNoOverflow(page, `the certificate page (${viewport.name})`);
      if (viewport.name === 'desktop') await shot(page, 'certificate.png', 'One certificate');
    }
  });

  test('CA rotation from the console: the first CA on demand, then a rotation; the bundle holds both', async () => {
    const page = pages.desktop;
    await open(page, `${analyticsId}/ca`);
    await page.getByText('This project has no CA yet').waitFor();
    await page.getByRole('button', { name: 'Create the CA now' }).click();
    await page
      .getByRole('dialog', { name: 'Create the project CA?' })
      .getByRole('button', { name: 'Create the CA' })
      .click();
    await page.getByRole('cell', { name: /Active: signs new certificates/ }).waitFor();
    await page.getByRole('button', { name: 'Rotate the CA' }).click();
    await page
      .getByRole('dialog', { name: 'Rotate the project CA?' })
      .getByRole('button', { name: 'Rotate the CA' })
      .click();
    await page.getByRole('cell', { name: /Retired/ }).waitFor();
    const bundle = await download(
      page,
      () => page.getByRole('button', { name: 'CA bundle (PEM)' }).click(),
      'bundle.pem',
    );
    // The first CA signed nothing, so nothing still needs it trusted: the bundle is the new CA alone.
    assert.equal(readFileSync(bundle, 'utf8').match(/BEGIN CERTIFICATE/g)?.length, 1);
    const cas = (await server.client.get(`${V1}/groups/${analyticsId}/userSecurity/managedX509/cas`)).json().results;
    assert.deepEqual(
      cas.map((ca: { status: string }) => ca.status),
      ['ACTIVE', 'RETIRED'],
    );
  });

  test('project API keys and service accounts for owners: secrets shown once and guarded, roles changed, removed', async () => {
    for (const viewport of VIEWPORTS) {
      const page = pages[viewport.name];
      await open(page, `${groupId}/access`);
      await page.getByRole('button', { name: 'Create API key' }).click();
      const create = page.getByRole('dialog', { name: 'Create a project API key' });
      await create.getByLabel('Description').fill(`deploy ${viewport.name}`);
      await create.getByLabel('Project Read Only').check();
      await create.getByLabel('Project Owner').check();
      await create.getByRole('button', { name: 'Create API key' }).click();
      const secret = page.getByRole('dialog', { name: 'API key created' });
      await secret.waitFor();
      await page.keyboard.press('Escape');
      await page
        .getByRole('dialog', { name: 'Close without saving the private key?' })
        .getByRole('button', { name: 'Keep it open' })
        .click();
      await secret.getByRole('button', { name: 'Copy the private key' }).click();
      const privateKey: string = await page.evaluate(() => navigator.clipboard.readText());
      const publicKey = (await secret.locator('code.secret').first().textContent())!;
      await secret.getByRole('button', { name: 'Close' }).click();
      await secret.waitFor({ state: 'detached' });
      const keyRow = page.getByRole('row').filter({ hasText: publicKey });
      await keyRow.getByText(/Project Owner/).waitFor();
      await keyRow.getByText(/Project Read Only/).waitFor();
      // The key works: it signs in elsewhere.
      const check = await http(server.origin, 'POST', '/console/session', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ publicKey, privateKey }),
      });
      assert.equal(check.status, 201, check.text);
      await keyRow.getByRole('button', { name: `Edit roles of API key ${publicKey}` }).click();
      const roles = page.getByRole('dialog', { name: `Roles of API key ${publicKey}` });
      await roles.getByLabel('Project Owner').uncheck();
      await roles.getByRole('button', { name: 'Save roles' }).click();
      await page
        .getByRole('row')
        .filter({ hasText: publicKey })
        .getByText('Project Read Only', { exact: true })
        .waitFor();

      await page.getByRole('button', { name: 'Add service account' }).click();
      const add = page.getByRole('dialog', { name: 'Add a service account to the project' });
      await add.getByLabel('A new service account').check();
      await add.getByLabel('Name').fill(`robot ${viewport.name}`);
      await add.getByLabel('Project Database Access Admin').check();
      await add.getByRole('button', { name: 'Add to project' }).click();
      const accountSecret = page.getByRole('dialog', { name: 'Service account created' });
      await accountSecret.getByRole('button', { name: 'Copy the client secret' }).click();
      await accountSecret.getByRole('button', { name: 'Close' }).click();
      const accountRow = page.getByRole('row').filter({ hasText: `robot ${viewport.name}` });
      await accountRow.getByText(/Project Database Access Admin/).waitFor();
      if (viewport.name === 'desktop') await shot(page, 'api-access.png', 'Project API keys and service accounts');
      else await assertNoOverflow(page, 'API access (phone)');
      await accountRow.getByRole('button', { name: `Remove service account robot ${viewport.name}` }).click();
      await page
        .getByRole('dialog', { name: 'Remove service account from the project?' })
        .getByRole('button', { name: 'Remove service account' })
        .click();
      await accountRow.waitFor({ state: 'detached' });
      await page
        .getByRole('row')
        .filter({ hasText: publicKey })
        .getByRole('button', { name: `Remove API key ${publicKey}` })
        .click();
      await page
        .getByRole('dialog', { name: 'Remove API key from the project?' })
        .getByRole('button', { name: 'Remove API key' })
        .click();
      await page.getByRole('row').filter({ hasText: publicKey }).waitFor({ state: 'detached' });
    }
  });

  test('keyboard: the dialog keeps focus inside, Escape closes it and focus returns; delete names the user', async () => {
    const page = pages.desktop;
    await open(page, `${groupId}/users`);
    const add = page.getByRole('button', { name: 'Add database user' });
    await add.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Add a database user' });
    await dialog.waitFor();
    for (let step = 0; step < 30; step++) {
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog'))), true, `Tab ${step}`);
    }
    await page.keyboard.press('Shift+Tab');
    assert.equal(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog'))), true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Add database user');

    const remove = page.getByRole('button', { name: 'Delete e2e-user', exact: true });
    await remove.click();
    const confirm = page.getByRole('dialog', { name: 'Delete database user?' });
    await confirm.getByText('Every certificate dbcerts issued to this user will be revoked').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel', 'the safe choice has focus');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Delete e2e-user');
    assert.equal((await server.client.get(`${users()}/$external/e2e-user`)).status, 200, 'Escape deleted nothing');
    await remove.click();
    await confirm.getByRole('button', { name: 'Delete user' }).click();
    await page.getByRole('link', { name: 'e2e-user', exact: true }).waitFor({ state: 'detached' });
    assert.equal((await server.client.get(`${users()}/$external/e2e-user`)).status, 404);
    const left = (
      await server.client.get(`${inventory()}?status=all&itemsPerPage=500&username=e2e-user`).catch(() => undefined)
    )?.status;
    assert.equal(left, 404, 'the user is gone');
    const revoked = (await server.client.get(`${inventory()}?status=revoked&itemsPerPage=500`))
      .json()
      .results.filter((certificate: { subject: string }) => certificate.subject === 'CN=e2e-user');
    assert.equal(revoked.length, 4, 'all its certificates are revoked');
  });

  test('hostile names, labels, descriptions and DNs are shown as text and never run', async () => {
    const page = pages.desktop;
    await apiUser(XSS.managed, { databaseName: '$external', x509Type: 'MANAGED', description: XSS.description });
    await apiCert(XSS.managed, 3);
    await open(page, `${groupId}/users`);
    await page.getByRole('button', { name: 'Add database user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a database user' });
    await dialog.getByLabel('Password (SCRAM)').check();
    await dialog.getByLabel('Username').fill(XSS.scram);
    await dialog.getByLabel('Password', { exact: true }).fill('correct horse battery');
    await dialog.getByLabel('Role', { exact: true }).fill('read');
    await dialog.getByLabel('Database', { exact: true }).fill('app');
    await dialog.getByRole('button', { name: 'Add label' }).click();
    await dialog.getByLabel('Key', { exact: true }).fill(XSS.labelKey);
    await dialog.getByLabel('Value', { exact: true }).fill(XSS.labelValue);
    await dialog.getByLabel('Description (optional)').fill('<script>alert(1)</script>');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: XSS.scram, level: 1 }).waitFor();
    await open(page, `${groupId}/users`);
    await page.getByRole('button', { name: 'Add database user' }).click();
    await dialog.getByLabel('X.509 certificate from your own CA').check();
    await dialog.getByRole('textbox', { name: 'Distinguished name' }).fill(XSS.dn);
    await dialog.getByLabel('Role', { exact: true }).fill('read');
    await dialog.getByLabel('Database', { exact: true }).fill('app');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: XSS.dn, level: 1 }).waitFor();
    await open(page, `${groupId}/users`);
    for (const literal of [
      XSS.managed,
      XSS.scram,
      XSS.dn,
      XSS.description,
      `${XSS.labelKey}=${XSS.labelValue}`,
      '<script>alert(1)</script>',
    ]) {
      await page.getByText(literal, { exact: true }).first().waitFor();
    }
    const injected = () =>
      page.evaluate(
        () =>
          document.querySelectorAll(
            'main img, main script, main iframe, main b, main svg:not(.timeline), [onerror], [onload], [onmouseover]',
          ).length,
      );
    assert.equal(await injected(), 0);
    await page.getByRole('link', { name: XSS.managed, exact: true }).click();
    await page.getByRole('heading', { name: XSS.managed, level: 1 }).waitFor();
    await page.getByRole('link', { name: /^\d+$/ }).first().click();
    await page.getByText('CN=\\<script\\>alert(\\"managed\\")\\</script\\>', { exact: true }).waitFor();
    assert.equal(await injected(), 0);
    await page.getByRole('navigation', { name: 'Project sections' }).getByRole('link', { name: 'Overview' }).click();
    await page
      .locator('svg.timeline text.row-label')
      .filter({ hasText: XSS.managed.slice(0, 20) })
      .waitFor();
    await page.getByRole('navigation', { name: 'Project sections' }).getByRole('link', { name: 'Events' }).click();
    await page.getByRole('table').getByText(XSS.scram, { exact: true }).first().waitFor();
    assert.equal(await injected(), 0);
    assert.deepEqual(dialogs, [], 'no script of the data ran');
    assert.deepEqual(pageErrors, []);
  });

  test('forged requests from other origins are refused: the token cannot be read, and writes without it fail', async () => {
    const target = `${server.origin}${users()}`;
    const attackerPage = (host: string) => `<!doctype html><html><body>
<iframe name="sink"></iframe>
<form id="form" method="POST" action="${target}" enctype="text/plain" target="sink">
<input type="hidden" name='{"databaseName":"admin","username":"csrf-form-${host}","password":"correct horse battery","roles":[{"roleName":"read","databaseName":"app"}],"x":"' value='"}'>
</form>
<script>
window.results = {};
(async () => {
  const body = JSON.stringify({ databaseName: 'admin', username: 'csrf-fetch-${host}', password: 'correct horse battery', roles: [{ roleName: 'read', databaseName: 'app' }] });
  try { await fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body }); results.noCors = 'sent'; } catch (e) { results.noCors = 'failed'; }
  try { const r = await fetch(${JSON.stringify(target)}, { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'guessed' }, body }); results.preflighted = r.status; } catch (e) { results.preflighted = 'blocked'; }
  try { const r = await fetch(${JSON.stringify(`${server.origin}/console/session`)}, { credentials: 'include' }); results.readSession = await r.text(); } catch (e) { results.readSession = 'blocked'; }
  results.done = true;
})();
</script></body></html>`;
    const attacker: Server = createServer((request, response) => {
      const host = (request.headers.host ?? '').startsWith('localhost') ? 'localhost' : '127.0.0.1';
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(attackerPage(host));
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const port = (attacker.address() as { port: number }).port;
    const attackerTab = await contexts.desktop.newPage();
    try {
      for (const [host, expected] of [
        ['127.0.0.1', 403],
        ['localhost', 401],
      ] as const) {
        const posts: number[] = [];
        const listener = (response: { url(): string; status(): number; request(): { method(): string } }) => {
          if (response.url() === target && response.request().method() === 'POST') posts.push(response.status());
        };
        attackerTab.on('response', listener);
        await attackerTab.goto(`http://${host}:${port}/`);
        await attackerTab.waitForFunction(() => window.results.done === true);
        const results: Record<string, unknown> = await attackerTab.evaluate(() => window.results);
        assert.equal(
          results.preflighted,
          'blocked',
          `${host}: a request with the CSRF header needs a preflight, which fails`,
        );
        assert.equal(results.readSession, 'blocked', `${host}: the session (and its token) cannot be read`);
        const formDone = attackerTab.waitForResponse(
          (response) =>
            response.url() === target &&
            response.request().method() === 'POST' &&
            response.request().resourceType() === 'document',
        );
        await attackerTab.evaluate(() => document.getElementById('form').submit());
        await formDone;
        attackerTab.off('response', listener);
        assert.deepEqual(posts, [expected, expected], `${host}: the no-cors fetch and the form post`);
      }
    } finally {
      await attackerTab.close();
      await new Promise((resolve) => attacker.close(resolve));
    }
    const listed = (await server.client.get(`${users()}?itemsPerPage=500`))
      .json()
      .results.map((user: any) => user.username);
    assert.deepEqual(
      listed.filter((name: string) => name.startsWith('csrf-')),
      [],
    );
  });

  test('a forged write from the page of a read-only key is refused', async () => {
    const reader = await createProjectKey(server, ['GROUP_READ_ONLY'], 'forger');
    const scope = await newContext({ width: 1440, height: 900 });
    try {
      const page = await newPage(scope);
      await signInWithKey(page, reader.publicKey, reader.privateKey);
      const forged = await page.evaluate(
        async ({ target }: { target: string }) => {
          const body = JSON.stringify({
            databaseName: 'admin',
            username: 'forged',
            password: 'correct horse battery',
            roles: [{ roleName: 'read', databaseName: 'app' }],
          });
          const withoutToken = await fetch(target, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body,
          });
          const session: any = await (await fetch('/console/session')).json();
          const withToken = await fetch(target, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrfToken },
            body,
          });
          return [
            withoutToken.status,
            ((await withoutToken.json()) as { errorCode?: string }).errorCode,
            withToken.status,
            ((await withToken.json()) as { errorCode?: string }).errorCode,
          ];
        },
        { target: users() },
      );
      assert.deepEqual(forged, [403, 'CSRF_TOKEN_INVALID', 401, 'USER_UNAUTHORIZED']);
      assert.equal((await server.client.get(`${users()}/admin/forged`)).status, 404);
    } finally {
      await scope.close();
    }
  });

  test('sign in with a service account', async () => {
    const account = await createServiceAccount(server, ['GROUP_OWNER']);
    const scope = await newContext({ width: 1440, height: 900 });
    try {
      const page = await newPage(scope);
      await page.goto(`${server.origin}/console`);
      await page.getByRole('tab', { name: 'Service account' }).click();
      await page.getByLabel('Client ID').fill(account.clientId);
      await page.getByLabel('Client secret').fill(account.secret);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Service account console account').waitFor();
      await page.getByRole('link', { name: 'Project0' }).click();
      await page.getByRole('list', { name: 'Certificates at a glance' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText('You signed out.').waitFor();
      assert.equal(
        (await scope.cookies(server.origin)).some((cookie) => cookie.name === 'dbcerts_session'),
        false,
      );
    } finally {
      await scope.close();
    }
  });

  test('an idle session ends: the next action shows the sign-in page, and the old cookie is refused', async () => {
    const page = pages.desktop;
    await open(page, `${groupId}/users`);
    await page.getByRole('link', { name: 'alice', exact: true }).waitFor();
    const cookie = (await contexts.desktop.cookies(server.origin)).find((entry) => entry.name === 'dbcerts_session')!;
    clock.advance(16 * 60_000);
    await page.getByRole('navigation', { name: 'Project sections' }).getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { name: 'Sign in to dbcerts' }).waitFor();
    await page.getByText('Your session has ended. Sign in again to continue.').waitFor();
    const stolen = await http(server.origin, 'GET', users(), {
      headers: { cookie: `dbcerts_session=${cookie.value}` },
    });
    assert.equal(stolen.status, 401);
    assert.deepEqual(challenges, []);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(pageErrors, []);
  });

  test('the render times of the 10,000-certificate user page were measured at both widths', (t) => {
    for (const viewport of VIEWPORTS) {
      assert.ok(Number.isFinite(renderTimes[viewport.name]), viewport.name);
      t.diagnostic(
        `${viewport.name} (${viewport.width}×${viewport.height}): ${renderTimes[viewport.name]!.toFixed(0)} ms`,
      );
    }
  });
});
