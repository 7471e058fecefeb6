import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { TestClock } from '../helpers/clock.js';
import { NEW_P256_KEY, openssl } from '../helpers/openssl.js';
import { startTestServer, type TestServer, V1 } from '../helpers/server.js';
import { createProjectKey, createServiceAccount, http } from './helpers.js';

/**
 * The web console in a real browser (Debian's Chromium driven by playwright-core): sign
 * in, create an Atlas-managed X.509 user, issue a certificate and check the downloaded PEM
 * with `openssl verify` against the CA downloaded from the console, revoke it and see it
 * on the CRL, hostile names rendered as text, a read-only key without write controls,
 * forged requests from the page and from other origins refused, keyboard use, a phone's
 * width, and the session's end. Screenshots of the main screens go to docs/screenshots/.
 */

// What the page-side callbacks of page.evaluate use: they run in the browser, not here.
declare const document: any;
declare const window: any;

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const DAY = 86_400_000;

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

function serialHex(decimal: string): string {
  const hex = BigInt(decimal).toString(16).toUpperCase();
  return hex.length % 2 === 1 ? `0${hex}` : hex;
}

describe('the web console in Chromium', { timeout: 240_000 }, () => {
  let server: TestServer;
  let clock: TestClock;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let scratch: string;
  let groupId: string;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const users = () => `${V1}/groups/${groupId}/databaseUsers`;

  async function shot(target: Page, name: string): Promise<void> {
    await target.screenshot({ path: join(SCREENSHOTS, name), animations: 'disabled', caret: 'hide' });
  }

  async function newPage(scope: BrowserContext): Promise<Page> {
    const opened = await scope.newPage();
    opened.setDefaultTimeout(10_000);
    opened.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    opened.on('pageerror', (error) => pageErrors.push(error.message));
    return opened;
  }

  async function signInWithKey(target: Page, publicKey: string, privateKey: string): Promise<void> {
    await target.goto(`${server.origin}/console`);
    await target.getByRole('heading', { name: 'Sign in to dbcerts' }).waitFor();
    await target.getByLabel('Public key').fill(publicKey);
    await target.getByLabel('Private key').fill(privateKey);
    await target.getByRole('button', { name: 'Sign in' }).click();
    await target.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
  }

  async function openProject(target: Page, tab = 'users'): Promise<void> {
    await target.goto(`${server.origin}/console#/projects/${groupId}/${tab}`);
  }

  async function download(target: Page, name: string, file: string, which = 0): Promise<string> {
    const [downloaded] = await Promise.all([
      target.waitForEvent('download'),
      target.getByRole('link', { name, exact: true }).nth(which).click(),
    ]);
    const path = join(scratch, file);
    await downloaded.saveAs(path);
    return path;
  }

  async function apiUser(username: string, body: Record<string, unknown>): Promise<void> {
    const response = await server.client.post(users(), {
      username,
      roles: [{ roleName: 'readWrite', databaseName: 'app' }],
      ...body,
    });
    assert.equal(response.status, 201, response.text);
  }

  async function apiCert(username: string, months: number): Promise<string> {
    const response = await server.client.post(`${users()}/${encodeURIComponent(username)}/certs`, {
      monthsUntilExpiration: months,
    });
    assert.equal(response.status, 201, response.text);
    const listed = await server.client.get(`${users()}/${encodeURIComponent(username)}/certs?status=all`);
    return String(listed.json().results.at(-1)._id);
  }

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENSHOTS, { recursive: true });
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
    for (const name of ['alice', 'bob', 'carol', 'dave'])
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
    const revoked = await server.client.post(
      `${V1}/groups/${groupId}/userSecurity/managedX509/certs/${carolOld}/revoke`,
      {
        reason: 'superseded',
      },
    );
    assert.equal(revoked.status, 200, revoked.text);
    await apiUser('app-reader', {
      databaseName: 'admin',
      password: 'correct horse battery staple',
      roles: [{ roleName: 'read', databaseName: 'reports' }],
      labels: [{ key: 'team', value: 'analytics' }],
      description: 'Read-only reporting',
    });
    await apiUser('CN=reporting,OU=analytics,O=Example', { databaseName: '$external', x509Type: 'CUSTOMER' });
    const second = await server.client.post(`${V1}/groups`, { name: 'payments', orgId: server.credentials.orgId });
    assert.equal(second.status, 200, second.text);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
      reducedMotion: 'reduce',
    });
    page = await newPage(context);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('sign in with an API key; the projects the key sees', async () => {
    await page.goto(`${server.origin}/console`);
    await page.getByRole('heading', { name: 'Sign in to dbcerts' }).waitFor();
    await shot(page, 'sign-in.png');
    await page.getByLabel('Public key').fill(server.credentials.publicKey);
    await page.getByLabel('Private key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'These credentials were not accepted' }).waitFor();
    await page.getByLabel('Private key').fill(server.credentials.privateKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'payments' }).waitFor();
    await page.getByText(`API key ${server.credentials.publicKey}`).waitFor();
    const cookies = await context.cookies(server.origin);
    const session = cookies.find((cookie) => cookie.name === 'dbcerts_session');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the page script cannot read the session cookie');
    await shot(page, 'projects.png');
  });

  test('create an Atlas-managed X.509 user in the dialog', async () => {
    await page.getByRole('link', { name: 'Project0' }).click();
    await page.getByRole('heading', { name: 'Database users', level: 2 }).waitFor();
    await page.getByRole('button', { name: 'Add database user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a database user' });
    await dialog.waitFor();
    await dialog.getByLabel('X.509 certificate issued by dbcerts').check();
    await dialog.getByLabel('Username').fill('e2e-user');
    await dialog.getByLabel('Role', { exact: true }).fill('readWrite');
    await dialog.getByLabel('Database', { exact: true }).fill('orders');
    await dialog.getByRole('button', { name: 'Add label' }).click();
    await dialog.getByLabel('Key', { exact: true }).fill('env');
    await dialog.getByLabel('Value', { exact: true }).fill('staging');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'e2e-user', exact: true }).waitFor();
    const created = (await server.client.get(`${users()}/$external/e2e-user`)).json();
    assert.equal(created.x509Type, 'MANAGED');
    assert.deepEqual(created.roles, [{ databaseName: 'orders', roleName: 'readWrite' }]);
    assert.deepEqual(created.labels, [{ key: 'env', value: 'staging' }]);
    await shot(page, 'database-users.png');
  });

  test('issue a certificate, download the PEM once, and verify it with openssl against the console’s CA', async () => {
    await page.getByRole('link', { name: 'e2e-user', exact: true }).click();
    await page.getByRole('heading', { name: 'Issue a certificate' }).waitFor();
    await page.getByLabel('Valid for (months)').fill('6');
    await page.getByRole('button', { name: 'Issue certificate' }).click();
    const issued = page.getByRole('dialog', { name: 'Certificate issued' });
    await issued.waitFor();
    await issued.getByText('dbcerts does not keep the private key').waitFor();
    const pemFile = await download(page, 'Download PEM', 'e2e-user.pem');
    await issued.getByText('Downloaded e2e-user.pem.').waitFor();
    assert.equal(await issued.getByRole('link', { name: 'Download PEM' }).count(), 0, 'one download only');
    await issued.getByRole('button', { name: 'Close' }).click();
    await issued.waitFor({ state: 'detached' });

    const pem = readFileSync(pemFile, 'utf8');
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n/);
    const subject = await openssl('x509', '-in', pemFile, '-noout', '-subject', '-nameopt', 'RFC2253');
    assert.equal(subject.trim(), 'subject=CN=e2e-user');

    // The serial on the page is exact: the same number openssl reads from the certificate.
    const row = page.getByRole('row').filter({ hasText: 'CN=e2e-user' });
    await row.getByText('Active', { exact: true }).waitFor();
    const shown = (await row.locator('.serial code').textContent())!;
    const opensslSerial = (await openssl('x509', '-in', pemFile, '-noout', '-serial')).trim();
    assert.equal(opensslSerial, `serial=${serialHex(shown)}`);
    assert.equal(await row.getByText(`hex ${serialHex(shown)}`).count(), 1);

    await page.getByRole('link', { name: 'CA & CRL' }).click();
    await page.getByRole('heading', { name: 'CA & CRL', level: 2 }).waitFor();
    const caFile = await download(page, 'CA certificate (PEM)', 'ca.pem');
    const verified = await openssl('verify', '-CAfile', caFile, '-purpose', 'sslclient', pemFile);
    assert.equal(verified.trim(), `${pemFile}: OK`);
    await page.getByRole('cell', { name: /Active: signs new certificates/ }).waitFor();
  });

  test('revoke it in the console: the CRL downloaded before does not list it, the one after does', async () => {
    const crlBefore = await download(page, 'CRL (PEM)', 'crl-before.pem');
    await page.goto(`${server.origin}/console#/projects/${groupId}/users/%24external/e2e-user`);
    const row = page.getByRole('row').filter({ hasText: 'CN=e2e-user' });
    const serial = (await row.locator('.serial code').textContent())!;
    const hex = serialHex(serial);
    assert.doesNotMatch(await openssl('crl', '-in', crlBefore, '-noout', '-text'), new RegExp(`Serial Number: ${hex}`));

    await row.getByRole('button', { name: `Revoke certificate ${serial}` }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke certificate?' });
    await confirm.getByText(serial).waitFor();
    await confirm.getByLabel('Reason').selectOption('keyCompromise');
    await confirm.getByRole('button', { name: 'Revoke certificate' }).click();
    await page.getByRole('row').filter({ hasText: 'CN=e2e-user' }).getByText('Revoked', { exact: true }).waitFor();

    await page.getByRole('link', { name: 'CA & CRL' }).click();
    const crlAfter = await download(page, 'CRL (PEM)', 'crl-after.pem');
    const text = await openssl('crl', '-in', crlAfter, '-noout', '-text');
    assert.match(
      text,
      new RegExp(
        `Serial Number: ${hex}\\n\\s+Revocation Date: .+\\n\\s+CRL entry extensions:\\n\\s+X509v3 CRL Reason Code: \\n\\s+Key Compromise`,
      ),
    );
    const derFile = await download(page, 'CRL (DER)', 'crl.der');
    assert.match(
      await openssl('crl', '-inform', 'DER', '-in', derFile, '-noout', '-text'),
      new RegExp(`Serial Number: ${hex}`),
    );
    await shot(page, 'ca-and-crl.png');

    // A second certificate, from the key dbcerts makes, so the screen shows both states.
    await page.goto(`${server.origin}/console#/projects/${groupId}/users/%24external/e2e-user`);
    await page.getByRole('button', { name: 'Issue certificate' }).click();
    await page.getByRole('dialog', { name: 'Certificate issued' }).getByRole('button', { name: 'Close' }).click();
    await page.getByRole('row').filter({ hasText: 'CN=e2e-user' }).getByText('Active', { exact: true }).waitFor();
    await shot(page, 'user-certificates.png');
  });

  test('issue from a CSR uploaded as a file: the certificate alone comes back', async () => {
    const keyFile = join(scratch, 'csr.key');
    const csrFile = join(scratch, 'request.csr');
    await newP256Request('-new', keyFile, '/CN=ignored', csrFile);
    await page.getByLabel('I have a certificate signing request').check();
    await page.getByLabel('CSR file').setInputFiles(csrFile);
    await page.waitForFunction(() =>
      document.querySelector('textarea[name="csr"]').value.includes('BEGIN CERTIFICATE REQUEST'),
    );
    await page.getByLabel('Valid for (months)').fill('1');
    await page.getByRole('button', { name: 'Issue certificate' }).click();
    const issued = page.getByRole('dialog', { name: 'Certificate issued' });
    await issued.getByText('Your private key never left your machine').waitFor();
    const pemFile = await download(page, 'Download PEM', 'from-csr.pem');
    const pem = readFileSync(pemFile, 'utf8');
    assert.doesNotMatch(pem, /PRIVATE KEY/);
    const certificateKey = await openssl('x509', '-in', pemFile, '-noout', '-pubkey');
    const requestKey = await openssl('pkey', '-in', keyFile, '-pubout');
    assert.equal(certificateKey, requestKey);
    await issued.getByRole('button', { name: 'Close' }).click();
  });

  test('the certificates timeline: a row per user, bars by status, today and the alert lead time', async () => {
    await page.getByRole('link', { name: 'Certificates timeline' }).click();
    const chart = page.locator('svg.timeline');
    await chart.waitFor();
    for (const status of ['active', 'expiring', 'expired', 'revoked']) {
      assert.ok((await chart.locator(`rect.bar-${status}`).count()) >= 1, `a ${status} bar`);
    }
    await chart.getByText('Today', { exact: true }).waitFor();
    await chart.getByText('Alert lead time: 45 days').waitFor();
    for (const name of ['alice', 'bob', 'carol', 'dave', 'e2e-user']) {
      await chart
        .locator('text.row-label')
        .filter({ hasText: new RegExp(`^${name}$`) })
        .waitFor();
    }
    // bob's only certificate ends within 45 days: expiring soon, in words too.
    await chart.getByRole('link', { name: /^bob: certificate \d+, Expiring soon/ }).waitFor();
    await page.getByText('The same certificates as a table').click();
    await page.getByRole('table', { name: 'Certificates by expiry' }).getByText('Expired').first().waitFor();
    await page.getByText('The same certificates as a table').click();
    await shot(page, 'timeline.png');
  });

  test('customer CA: a pasted bundle is previewed certificate by certificate, then saved', async () => {
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
    const notAfter = (await openssl('x509', '-in', caFile, '-noout', '-enddate')).trim().slice('notAfter='.length);
    // The console reckons "now" from the server's clock, frozen here before openssl stamped
    // the CA's notBefore: move it past that and let the console read it again.
    clock.set(new Date(Date.now() + 60_000));
    await page.reload();
    await page.getByRole('link', { name: 'Customer CA' }).click();
    await page.getByRole('heading', { name: 'Upload a CA bundle' }).waitFor();
    await page.getByLabel('PEM bundle').fill(readFileSync(caFile, 'utf8'));
    const preview = page.getByRole('table', { name: 'Certificates in the bundle to save' });
    await preview.getByText('CN=Example Root CA,OU=Platform,O=Example Corp').first().waitFor();
    const expected = new Date(notAfter).toISOString().slice(0, 16).replace('T', ' ');
    await preview.getByText(`${expected} UTC`).waitFor();
    await preview.getByText('OK', { exact: true }).waitFor();
    await shot(page, 'customer-ca.png');
    await page.getByRole('button', { name: 'Save CA bundle' }).click();
    await page.getByText('Customer-managed X.509 is on').waitFor();
    const saved = (await server.client.get(`${V1}/groups/${groupId}/userSecurity`)).json();
    assert.equal(saved.customerX509.cas, readFileSync(caFile, 'utf8'));

    // A certificate that is not a CA is flagged before saving, and saving stays disabled.
    const leafKey = join(scratch, 'leaf.key');
    const leaf = join(scratch, 'leaf.pem');
    await newP256Request(
      '-x509',
      leafKey,
      '/CN=not a ca',
      leaf,
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
    );
    await page.getByLabel('PEM bundle').fill(readFileSync(leaf, 'utf8'));
    await page
      .getByRole('table', { name: 'Certificates in the bundle to save' })
      .getByText('Not a CA', { exact: true })
      .waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save CA bundle' }).isDisabled(), true);
    // Back to managed certificates for the tests that follow.
    assert.equal((await server.client.delete(`${V1}/groups/${groupId}/userSecurity/customerX509`)).status, 202);
  });

  test('events, filtered by type', async () => {
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { name: 'Events', level: 2 }).waitFor();
    await page.getByRole('table').getByText('MONGODB_USER_ADDED').first().waitFor();
    await shot(page, 'events.png');
    await page.getByLabel('Event type').selectOption('MONGODB_USER_X509_CERT_REVOKED');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const table = page.getByRole('table', { name: /^2 events, newest first/ });
    await table.waitFor();
    await table.getByText('keyCompromise').waitFor();
    await table.getByText('superseded').waitFor();
    assert.equal(await table.getByText('MONGODB_USER_ADDED').count(), 0);
  });

  test('keyboard: the dialog keeps focus inside, Escape closes it and focus returns; delete names the user', async () => {
    await openProject(page);
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
    await confirm.getByText('e2e-user', { exact: true }).waitFor();
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
    const inventory = await server.client.get(
      `${V1}/groups/${groupId}/userSecurity/managedX509/certs?status=all&itemsPerPage=500`,
    );
    const left = inventory.json().results.filter((certificate: any) => certificate.subject === 'CN=e2e-user');
    assert.equal(left.length, 3);
    assert.deepEqual(
      left.map((certificate: any) => certificate.status),
      ['revoked', 'revoked', 'revoked'],
    );
  });

  test('a phone’s width (375 px): nothing overflows the page', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await openProject(page);
    await page.getByRole('link', { name: 'alice', exact: true }).waitFor();
    assert.ok(
      await page.evaluate(() => document.documentElement.scrollWidth <= 375),
      'no horizontal scrolling of the page',
    );
    await shot(page, 'database-users-375.png');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('hostile names, labels, descriptions and DNs are shown as text and never run', async () => {
    await apiUser(XSS.managed, { databaseName: '$external', x509Type: 'MANAGED', description: XSS.description });
    await apiCert(XSS.managed, 3);
    await openProject(page);
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
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Add database user' }).click();
    await dialog.getByLabel('X.509 certificate from your own CA').check();
    await dialog.getByRole('textbox', { name: 'Distinguished name' }).fill(XSS.dn);
    await dialog.getByLabel('Role', { exact: true }).fill('read');
    await dialog.getByLabel('Database', { exact: true }).fill('app');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.waitFor({ state: 'detached' });

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
    await page.getByText(XSS.labelValue, { exact: false }).first().hover();

    // The same names on the user page, the timeline, and the events.
    await page.getByRole('link', { name: XSS.managed, exact: true }).click();
    await page.getByRole('heading', { name: XSS.managed, level: 1 }).waitFor();
    await page
      .getByRole('row')
      .filter({ hasText: 'CN=\\<script\\>alert(\\"managed\\")\\</script\\>' })
      .first()
      .waitFor();
    assert.equal(await injected(), 0);
    await page.getByRole('link', { name: 'Certificates timeline' }).click();
    await page
      .locator('svg.timeline text.row-label')
      .filter({ hasText: XSS.managed.slice(0, 25) })
      .waitFor();
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('table').getByText(XSS.scram, { exact: true }).first().waitFor();
    assert.equal(await injected(), 0);
    assert.deepEqual(dialogs, [], 'no script of the data ran');
    assert.deepEqual(pageErrors, []);
  });

  test('a read-only key sees no write controls, and a forged write from the page is refused', async () => {
    const reader = await createProjectKey(server, ['GROUP_READ_ONLY'], 'auditor');
    const readerContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const readerPage = await newPage(readerContext);
    try {
      await signInWithKey(readerPage, reader.publicKey, reader.privateKey);
      await openProject(readerPage);
      await readerPage.getByRole('link', { name: 'alice', exact: true }).waitFor();
      await readerPage.getByText('Your roles in this project allow reading only.').waitFor();
      for (const name of ['Add database user', /^Edit roles/, /^Delete/]) {
        assert.equal(await readerPage.getByRole('button', { name }).count(), 0, String(name));
      }
      await readerPage.getByRole('link', { name: 'alice', exact: true }).click();
      await readerPage.getByRole('heading', { name: 'Certificates', level: 2 }).waitFor();
      await readerPage.getByRole('row').filter({ hasText: 'CN=alice' }).first().waitFor();
      assert.equal(await readerPage.getByRole('button', { name: /^Revoke/ }).count(), 0);
      assert.equal(await readerPage.getByRole('button', { name: 'Issue certificate' }).count(), 0);
      assert.equal(await readerPage.getByRole('button', { name: 'Delete user' }).count(), 0);
      await readerPage.getByRole('link', { name: 'Customer CA' }).click();
      await readerPage.getByText('needs the Project Owner role').waitFor();
      await readerPage.getByRole('link', { name: 'CA & CRL' }).click();
      const caFile = await download(readerPage, 'CA certificate (PEM)', 'reader-ca.pem');
      assert.match(readFileSync(caFile, 'utf8'), /^-----BEGIN CERTIFICATE-----/);

      const forged = await readerPage.evaluate(
        async ({ target }) => {
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
          return [withoutToken.status, await withoutToken.json(), withToken.status, await withToken.json()];
        },
        { target: users() },
      );
      assert.deepEqual(forged, [
        403,
        {
          detail: 'The request carries no valid CSRF token for its console session, or comes from another origin.',
          error: 403,
          errorCode: 'CSRF_TOKEN_INVALID',
          parameters: [],
          reason: 'Forbidden',
        },
        401,
        {
          detail: 'Current user is not authorized to perform this action.',
          error: 401,
          errorCode: 'USER_UNAUTHORIZED',
          parameters: [],
          reason: 'Unauthorized',
        },
      ]);
      assert.equal((await server.client.get(`${users()}/admin/forged`)).status, 404);
    } finally {
      await readerContext.close();
    }
  });

  test('forged requests from other origins are refused: the token cannot be read, and writes without it fail', async () => {
    const refusalsBefore = (
      await server.client.get(`${V1}/groups/${groupId}/events?eventType=DBCERTS_REQUEST_REFUSED&itemsPerPage=500`)
    )
      .json()
      .results.filter(
        (event: any) => event.errorCode === 'CSRF_TOKEN_INVALID' && event.publicKey === server.credentials.publicKey,
      ).length;
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
    const attackerTab = await newPage(context);
    try {
      // The same site (another port of 127.0.0.1): the browser sends the cookie, the server refuses.
      // Another site (localhost): the browser does not even send it.
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
    const refusalsAfter = (
      await server.client.get(`${V1}/groups/${groupId}/events?eventType=DBCERTS_REQUEST_REFUSED&itemsPerPage=500`)
    )
      .json()
      .results.filter(
        (event: any) => event.errorCode === 'CSRF_TOKEN_INVALID' && event.publicKey === server.credentials.publicKey,
      );
    assert.equal(
      refusalsAfter.length - refusalsBefore,
      2,
      'the two same-site attempts carried the session and were refused',
    );
  });

  test('sign in with a service account', async () => {
    const account = await createServiceAccount(server, ['GROUP_OWNER']);
    const accountContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const accountPage = await newPage(accountContext);
    try {
      await accountPage.goto(`${server.origin}/console`);
      await accountPage.getByRole('tab', { name: 'Service account' }).click();
      await accountPage.getByLabel('Client ID').fill(account.clientId);
      await accountPage.getByLabel('Client secret').fill(account.secret);
      await accountPage.getByRole('button', { name: 'Sign in' }).click();
      await accountPage.getByText('Service account console account').waitFor();
      await accountPage.getByRole('link', { name: 'Project0' }).click();
      await accountPage.getByRole('button', { name: 'Add database user' }).waitFor();
      await accountPage.getByRole('button', { name: 'Sign out' }).click();
      await accountPage.getByText('You signed out.').waitFor();
      assert.equal(
        (await accountContext.cookies(server.origin)).some((cookie) => cookie.name === 'dbcerts_session'),
        false,
      );
    } finally {
      await accountContext.close();
    }
  });

  test('an idle session ends: the next action shows the sign-in page, and the old cookie is refused', async () => {
    await openProject(page);
    await page.getByRole('link', { name: 'alice', exact: true }).waitFor();
    const cookie = (await context.cookies(server.origin)).find((entry) => entry.name === 'dbcerts_session')!;
    clock.advance(16 * 60_000);
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { name: 'Sign in to dbcerts' }).waitFor();
    await page.getByText('Your session has ended. Sign in again to continue.').waitFor();
    const stolen = await http(server.origin, 'GET', users(), {
      headers: { cookie: `dbcerts_session=${cookie.value}` },
    });
    assert.equal(stolen.status, 401);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(pageErrors, []);
  });
});
