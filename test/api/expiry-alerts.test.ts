import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual, X509Certificate } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  atlasError,
  assertAtlasError,
  invalidAttribute,
  missingAttribute,
  type AtlasErrorBody,
} from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { DigestClient } from '../helpers/digest-client.js';
import {
  certsPath,
  createManagedUser,
  startTestServer,
  storeSnapshot,
  type TestServer,
  V1,
} from '../helpers/server.js';

/**
 * Certificate expiry alerts (a dbcerts extension modelled on Atlas' automatic alert 30 days
 * before a user's newest managed certificate expires): the settings at
 * `…/userSecurity/managedX509/alerts`, the daily scan that raises
 * NDS_X509_USER_AUTHENTICATION_MANAGED_USER_CERTS_EXPIRATION_CHECK, and signed webhooks
 * delivered from an outbox with exponential backoff. The background jobs are off in tests:
 * `authority.expiryAlerts.scan()` and `.deliver()` are called by hand with the TestClock.
 */

const EVENT_TYPE = 'NDS_X509_USER_AUTHENTICATION_MANAGED_USER_CERTS_EXPIRATION_CHECK';
const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;
const DAY = 24 * HOUR;
/** Every scenario issues its certificates at T0; a 1-month certificate ends 2032-02-10T08:00Z. */
const T0 = new Date('2032-01-10T08:00:00Z');
const ONE_MONTH_END = new Date('2032-02-10T08:00:00Z');

const alertsPath = (groupId: string) => `${V1}/groups/${groupId}/userSecurity/managedX509/alerts`;

async function issue(server: TestServer, username: string, months: number, groupId?: string): Promise<bigint> {
  const path = groupId
    ? `${V1}/groups/${groupId}/databaseUsers/${encodeURIComponent(username)}/certs`
    : certsPath(server, username);
  const response = await server.client.post(path, { monthsUntilExpiration: months });
  assert.equal(response.status, 201, response.text);
  return BigInt(`0x${new X509Certificate(response.text).serialNumber}`);
}

async function revoke(server: TestServer, serial: bigint): Promise<void> {
  const response = await server.client.post(
    `${V1}/groups/${server.credentials.groupId}/userSecurity/managedX509/certs/${serial}/revoke`,
    { reason: 'superseded' },
  );
  assert.equal(response.status, 200, response.text);
}

interface AlertEvent {
  targetUsername: string;
  serial: bigint;
  created: string;
}

/** The project's expiry-alert events, oldest first, checked for their fixed members. */
async function alertEvents(server: TestServer, groupId = server.credentials.groupId): Promise<AlertEvent[]> {
  const response = await server.client.get(`${V1}/groups/${groupId}/events?eventType=${EVENT_TYPE}&itemsPerPage=500`);
  assert.equal(response.status, 200, response.text);
  const events = response.json().results as Array<Record<string, any>>;
  for (const event of events) {
    assert.equal(event.eventTypeName, EVENT_TYPE);
    assert.equal(event.groupId, groupId);
    assert.equal(event.orgId, server.credentials.orgId);
    assert.equal(event.database, '$external');
    assert.equal(event.outcome, 'SUCCESS');
    // Raised by the server itself, not by an API key.
    assert.equal(event.apiKeyId, undefined);
    assert.equal(event.publicKey, undefined);
  }
  return events
    .map((event) => ({ targetUsername: event.targetUsername, serial: BigInt(event.serial), created: event.created }))
    .reverse();
}

async function readOnlyClient(server: TestServer): Promise<DigestClient> {
  const { key, privateKey } = await server.authority.apiKeys.mint(server.credentials.orgId, 'alerts reader', [
    'ORG_MEMBER',
  ]);
  await server.store.apiKeys.setProjectRoles(key.id, server.credentials.groupId, ['GROUP_READ_ONLY']);
  return new DigestClient(server.origin, key.publicKey, privateKey);
}

/** `t=<seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, checked independently. */
function assertSigned(header: string | undefined, secret: string, body: string, at: Date): void {
  assert.ok(header, 'a signature header');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  assert.ok(match, header);
  assert.equal(Number(match[1]), Math.floor(at.getTime() / 1000), 'signed at the delivery instant');
  const expected = createHmac('sha256', secret).update(`${match[1]}.${body}`).digest();
  assert.ok(timingSafeEqual(Buffer.from(match[2]!, 'hex'), expected), 'the HMAC verifies with the secret');
}

function assertPayload(
  body: string,
  expected: { groupId: string; orgId: string; username: string; serial: bigint; notAfter: Date; created: Date },
): void {
  const payload = JSON.parse(body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(payload).sort(), [
    'created',
    'eventTypeName',
    'groupId',
    'notAfter',
    'orgId',
    'serial',
    'subject',
    'username',
  ]);
  assert.equal(payload.eventTypeName, EVENT_TYPE);
  assert.equal(payload.groupId, expected.groupId);
  assert.equal(payload.orgId, expected.orgId);
  assert.equal(payload.username, expected.username);
  assert.equal(payload.subject, `CN=${expected.username}`);
  // A string, so that JavaScript consumers do not round a 64-bit serial.
  assert.equal(payload.serial, expected.serial.toString());
  assert.ok(body.includes(`"serial":"${expected.serial}"`));
  const isoUtc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
  assert.match(String(payload.notAfter), isoUtc);
  assert.match(String(payload.created), isoUtc);
  assert.equal(Date.parse(String(payload.notAfter)), expected.notAfter.getTime());
  assert.equal(Date.parse(String(payload.created)), expected.created.getTime());
}

// =============================================================================================

describe('settings: GET/PATCH …/managedX509/alerts', () => {
  let server: TestServer;
  let path: string;
  const SECRET = 'whsec-settings-0123456789abcdef';

  before(async () => {
    server = await startTestServer({ clock: new TestClock(T0) });
    path = alertsPath(server.credentials.groupId);
  });
  after(() => server.close());

  async function assertRefused(body: unknown, expected: AtlasErrorBody): Promise<void> {
    const snapshot = await storeSnapshot(server.store);
    assertAtlasError(await server.client.patch(path, body), expected, JSON.stringify(body));
    assert.equal(await storeSnapshot(server.store), snapshot, 'the store is unchanged');
  }

  const invalidWebhookUrl = (url: string) =>
    atlasError(400, 'INVALID_WEBHOOK_URL', `The webhook URL ${url} must be an absolute http or https URL.`, [url]);

  test('defaults: lead time 30 days, no webhook', async () => {
    const response = await server.client.get(path);
    assert.equal(response.status, 200, response.text);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(response.text, '{"leadTimeDays":30,"webhookSecretSet":false}');
  });

  test('a webhook URL needs a secret: 400 MISSING_ATTRIBUTE webhookSecret', async () => {
    await assertRefused({ webhookUrl: 'https://hooks.example.com/dbcerts' }, missingAttribute('webhookSecret'));
    await assertRefused(
      { webhookUrl: 'https://hooks.example.com/dbcerts', leadTimeDays: 10 },
      missingAttribute('webhookSecret'),
    );
  });

  test('URLs that are not absolute http(s): 400 INVALID_WEBHOOK_URL', async () => {
    for (const url of [
      'ftp://hooks.example.com/dbcerts',
      '/relative/hook',
      'hooks.example.com/dbcerts',
      'not a url at all',
      'javascript:alert(1)',
      'file:///etc/passwd',
    ]) {
      await assertRefused({ webhookUrl: url, webhookSecret: SECRET }, invalidWebhookUrl(url));
    }
  });

  test('leadTimeDays outside 1..365, a short secret, unknown or mistyped attributes: 400', async () => {
    await assertRefused({ leadTimeDays: 0 }, invalidAttribute('leadTimeDays'));
    await assertRefused({ leadTimeDays: 366 }, invalidAttribute('leadTimeDays'));
    await assertRefused({ leadTimeDays: -5 }, invalidAttribute('leadTimeDays'));
    const mistyped = atlasError(
      400,
      'INVALID_JSON_ATTRIBUTE',
      'Received JSON for the leadTimeDays attribute does not match expected format.',
      ['leadTimeDays'],
    );
    await assertRefused({ leadTimeDays: 1.5 }, mistyped);
    await assertRefused({ leadTimeDays: '30' }, mistyped);
    await assertRefused(
      { webhookUrl: 'https://hooks.example.com/dbcerts', webhookSecret: 'fifteen-chars!!' },
      invalidAttribute('webhookSecret'),
    );
    await assertRefused({ webhookSecretSet: true }, invalidAttribute('webhookSecretSet'));
    await assertRefused({ emailAddress: 'ops@example.com' }, invalidAttribute('emailAddress'));
  });

  test('the bounds 1 and 365 are accepted', async () => {
    for (const leadTimeDays of [1, 365]) {
      const response = await server.client.patch(path, { leadTimeDays });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json(), { leadTimeDays, webhookSecretSet: false });
    }
  });

  test('a webhook with its secret: the secret is never shown again, nor stored in the clear', async () => {
    const webhookUrl = 'https://hooks.example.com/dbcerts?team=db';
    const response = await server.client.patch(path, { leadTimeDays: 45, webhookUrl, webhookSecret: SECRET });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.text, `{"leadTimeDays":45,"webhookSecretSet":true,"webhookUrl":"${webhookUrl}"}`);
    const read = await server.client.get(path);
    assert.equal(read.text, response.text);
    assert.ok(!(await storeSnapshot(server.store)).includes(SECRET), 'not in any table in the clear');
    // dbcerts' own event types are listed when named.
    const events = await server.client.get(
      `${V1}/groups/${server.credentials.groupId}/events?eventType=DBCERTS_X509_ALERT_SETTINGS_CHANGED`,
    );
    assert.ok(!events.text.includes(SECRET));
    assert.ok(
      events
        .json()
        .results.some(
          (event: { eventTypeName: string }) => event.eventTypeName === 'DBCERTS_X509_ALERT_SETTINGS_CHANGED',
        ),
      'the change is an audit event',
    );
    const pretty = await server.client.get(`${path}?pretty=true&envelope=true`);
    assert.ok(!pretty.text.includes(SECRET));
  });

  test('partial updates keep the rest; a new URL keeps the secret already set', async () => {
    let response = await server.client.patch(path, { leadTimeDays: 20 });
    assert.deepEqual(response.json(), {
      leadTimeDays: 20,
      webhookSecretSet: true,
      webhookUrl: 'https://hooks.example.com/dbcerts?team=db',
    });
    response = await server.client.patch(path, { webhookUrl: 'http://alerts.internal:8080/hook' });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json(), {
      leadTimeDays: 20,
      webhookSecretSet: true,
      webhookUrl: 'http://alerts.internal:8080/hook',
    });
    assert.deepEqual((await server.client.get(path)).json(), response.json());
  });

  test('webhookUrl null removes the webhook (and its secret)', async () => {
    const response = await server.client.patch(path, { webhookUrl: null });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.text, '{"leadTimeDays":20,"webhookSecretSet":false}');
    assert.equal((await server.client.get(path)).text, response.text);
    // A new webhook needs a secret again.
    await assertRefused({ webhookUrl: 'https://hooks.example.com/again' }, missingAttribute('webhookSecret'));
  });

  test('roles: Project Read Only may read the settings, not change them', async () => {
    const reader = await readOnlyClient(server);
    const read = await reader.get(path);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.json(), { leadTimeDays: 20, webhookSecretSet: false });
    const snapshot = await storeSnapshot(server.store);
    assertAtlasError(
      await reader.patch(path, { leadTimeDays: 10 }),
      atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.'),
    );
    assert.equal(await storeSnapshot(server.store), snapshot);
  });
});

// =============================================================================================

describe('alerts: one event per user and UTC day while the newest live certificate is within the lead time', () => {
  let server: TestServer;
  let secondGroupId: string;
  const serials: Record<string, bigint> = {};

  before(async () => {
    server = await startTestServer({ clock: new TestClock(T0) });
    for (const username of ['soon', 'renewed', 'revokednewest', 'revokedonly', 'far', 'nocert']) {
      await createManagedUser(server, username);
    }
    serials.soon = await issue(server, 'soon', 1);
    serials.renewedOld = await issue(server, 'renewed', 1);
    serials.revokedNewestOld = await issue(server, 'revokednewest', 1);
    serials.revokedOnly = await issue(server, 'revokedonly', 1);
    serials.far = await issue(server, 'far', 12);
    server.clock.advance(HOUR);
    serials.renewedNew = await issue(server, 'renewed', 12);
    serials.revokedNewestNew = await issue(server, 'revokednewest', 12);
    await revoke(server, serials.revokedNewestNew);
    await revoke(server, serials.revokedOnly);

    // A second project with a lead time of 7 days, and a certificate ending with soon's.
    const created = await server.client.post(`${V1}/groups`, { name: 'Weekly', orgId: server.credentials.orgId });
    assert.equal(created.status, 200, created.text);
    secondGroupId = created.json().id;
    const user = await server.client.post(`${V1}/groups/${secondGroupId}/databaseUsers`, {
      databaseName: '$external',
      username: 'weekly',
      x509Type: 'MANAGED',
      roles: [{ roleName: 'read', databaseName: 'app' }],
    });
    assert.equal(user.status, 201, user.text);
    const lead = await server.client.patch(alertsPath(secondGroupId), { leadTimeDays: 7 });
    assert.equal(lead.status, 200, lead.text);
    server.clock.set(T0);
    serials.weekly = await issue(server, 'weekly', 1, secondGroupId);
  });
  after(() => server.close());

  test('nothing is raised while every certificate is further away than the lead time', async () => {
    server.clock.set(new Date(ONE_MONTH_END.getTime() - 30 * DAY - SECOND));
    assert.equal(await server.authority.expiryAlerts.scan(), 0);
    assert.deepEqual(await alertEvents(server), []);
  });

  test('the window opens exactly leadTimeDays before notAfter; only the right users are alerted', async () => {
    const opening = new Date(ONE_MONTH_END.getTime() - 30 * DAY);
    server.clock.set(opening);
    assert.equal(await server.authority.expiryAlerts.scan(), 2);
    // soon: its only certificate. revokednewest: its newer certificate is revoked, so the old
    // one is its newest live one. Not renewed (a newer certificate outside the window),
    // revokedonly (nothing live), far, nocert.
    assert.deepEqual(await alertEvents(server), [
      { targetUsername: 'soon', serial: serials.soon!, created: '2032-01-11T08:00:00Z' },
      { targetUsername: 'revokednewest', serial: serials.revokedNewestOld!, created: '2032-01-11T08:00:00Z' },
    ]);
  });

  test('scanning again the same UTC day raises nothing more; the next UTC day raises again', async () => {
    server.clock.set('2032-01-11T23:59:59Z');
    assert.equal(await server.authority.expiryAlerts.scan(), 0);
    assert.equal(await server.authority.expiryAlerts.scan(), 0);
    assert.equal((await alertEvents(server)).length, 2);
    // Two seconds later it is another UTC day.
    server.clock.set('2032-01-12T00:00:01Z');
    assert.equal(await server.authority.expiryAlerts.scan(), 2);
    assert.equal(await server.authority.expiryAlerts.scan(), 0);
    const events = await alertEvents(server);
    assert.deepEqual(
      events.map((event) => [event.targetUsername, event.created]),
      [
        ['soon', '2032-01-11T08:00:00Z'],
        ['revokednewest', '2032-01-11T08:00:00Z'],
        ['soon', '2032-01-12T00:00:01Z'],
        ['revokednewest', '2032-01-12T00:00:01Z'],
      ],
    );
  });

  test('a project with a 7-day lead time is alerted 7 days before, not 30', async () => {
    // Jan 12: the default project alerts for a certificate ending Feb 10; the weekly one does not.
    assert.deepEqual(await alertEvents(server, secondGroupId), []);
    server.clock.set(new Date(ONE_MONTH_END.getTime() - 7 * DAY - SECOND));
    assert.equal(await server.authority.expiryAlerts.scan(), 2, 'the default project’s two users only');
    assert.deepEqual(await alertEvents(server, secondGroupId), []);
    server.clock.set(new Date(ONE_MONTH_END.getTime() - 7 * DAY));
    assert.equal(await server.authority.expiryAlerts.scan(), 1);
    assert.deepEqual(await alertEvents(server, secondGroupId), [
      { targetUsername: 'weekly', serial: serials.weekly!, created: '2032-02-03T08:00:00Z' },
    ]);
  });

  test('a user renewed within the window stops being alerted', async () => {
    server.clock.set('2032-02-04T09:00:00Z');
    await issue(server, 'soon', 6);
    assert.equal(await server.authority.expiryAlerts.scan(), 2, 'revokednewest, and weekly in the other project');
    const today = (await alertEvents(server)).filter((event) => event.created.startsWith('2032-02-04'));
    assert.deepEqual(
      today.map((event) => event.targetUsername),
      ['revokednewest'],
    );
  });
});

// =============================================================================================

interface Call {
  url: string;
  body: string;
  headers: Record<string, string>;
  at: Date;
}

describe('webhooks: signed, delivered off the request path, retried with backoff', () => {
  let server: TestServer;
  const calls: Call[] = [];
  let respond: () => Promise<number> = async () => 204;
  const clock = new TestClock(T0);
  const SECRET = 'whsec-0123456789abcdef-webhooks';
  const WEBHOOK_URL = 'https://hooks.example.test/dbcerts?source=dbcerts';
  let serial: bigint;

  before(async () => {
    server = await startTestServer({
      clock,
      webhookSender: async (url, body, headers) => {
        calls.push({ url, body, headers: { ...headers }, at: clock.now() });
        return respond();
      },
    });
    await createManagedUser(server, 'hooked');
    const patched = await server.client.patch(alertsPath(server.credentials.groupId), {
      webhookUrl: WEBHOOK_URL,
      webhookSecret: SECRET,
    });
    assert.equal(patched.status, 200, patched.text);
    serial = await issue(server, 'hooked', 1);
  });
  after(() => server.close());

  const payloadFor = (created: Date) => ({
    groupId: server.credentials.groupId,
    orgId: server.credentials.orgId,
    username: 'hooked',
    serial,
    notAfter: ONE_MONTH_END,
    created,
  });

  /** Runs deliver() just before `due` (nothing happens), then at `due` (one attempt). */
  async function attemptAt(due: Date, expectedStatus: () => Promise<number>): Promise<Call> {
    respond = expectedStatus;
    const count = calls.length;
    clock.set(new Date(due.getTime() - 1));
    assert.equal(await server.authority.expiryAlerts.deliver(), 0);
    assert.equal(calls.length, count, `no attempt before ${due.toISOString()}`);
    clock.set(due);
    await server.authority.expiryAlerts.deliver();
    assert.equal(calls.length, count + 1, `one attempt at ${due.toISOString()}`);
    return calls.at(-1)!;
  }

  test('requests never call the sender: not issuing, not configuring; scan() only queues', async () => {
    assert.deepEqual(calls, []);
    await createManagedUser(server, 'bystander');
    await issue(server, 'bystander', 1);
    assert.equal((await server.client.get(certsPath(server, 'hooked'))).status, 200);
    assert.equal((await server.client.patch(alertsPath(server.credentials.groupId), { leadTimeDays: 30 })).status, 200);
    clock.set('2032-01-20T08:00:00Z');
    assert.equal(await server.authority.expiryAlerts.scan(), 2);
    assert.deepEqual(calls, [], 'scan() queues; it does not send');
    // Requests after the scan do not deliver the queue either.
    await issue(server, 'bystander', 2);
    assert.equal((await server.client.get(alertsPath(server.credentials.groupId))).status, 200);
    assert.deepEqual(calls, []);
    assert.equal((await server.store.alerts.deliveries(server.credentials.groupId)).length, 2);
  });

  test('deliver() POSTs the JSON payload with X-Dbcerts-Signature; a delivered alert is not sent again', async () => {
    const now = new Date('2032-01-20T08:00:00Z');
    respond = async () => 204;
    assert.equal(await server.authority.expiryAlerts.deliver(), 2);
    assert.equal(calls.length, 2);
    const hooked = calls.find((call) => JSON.parse(call.body).username === 'hooked')!;
    assert.ok(hooked);
    assert.equal(hooked.url, WEBHOOK_URL);
    assertPayload(hooked.body, payloadFor(now));
    assert.deepEqual(Object.keys(hooked.headers), ['X-Dbcerts-Signature']);
    assertSigned(hooked.headers['X-Dbcerts-Signature'], SECRET, hooked.body, now);
    // A signature with another secret or over another body does not verify.
    assert.throws(() => assertSigned(hooked.headers['X-Dbcerts-Signature'], `${SECRET}x`, hooked.body, now));
    assert.throws(() => assertSigned(hooked.headers['X-Dbcerts-Signature'], SECRET, `${hooked.body} `, now));

    clock.advance(HOUR);
    assert.equal(await server.authority.expiryAlerts.deliver(), 0);
    assert.equal(calls.length, 2);
    const deliveries = await server.store.alerts.deliveries(server.credentials.groupId);
    assert.deepEqual(
      deliveries.map((delivery) => [delivery.attempts, delivery.deliveredAt?.toISOString(), delivery.nextAttemptAt]),
      [
        [1, now.toISOString(), undefined],
        [1, now.toISOString(), undefined],
      ],
    );
    // Only `hooked` from now on.
    const removed = await server.client.delete(
      `${V1}/groups/${server.credentials.groupId}/databaseUsers/$external/bystander`,
    );
    assert.equal(removed.status, 204, removed.text);
  });

  test('a failing receiver (500, or an exception) is retried after 30 s, 60 s, 120 s … and succeeds later', async () => {
    const start = new Date('2032-01-21T08:00:00Z');
    clock.set(start);
    assert.equal(await server.authority.expiryAlerts.scan(), 1);
    const before = calls.length;

    respond = async () => 500;
    assert.equal(await server.authority.expiryAlerts.deliver(), 0);
    assert.equal(calls.length, before + 1);
    const body = calls.at(-1)!.body;
    assertPayload(body, payloadFor(start));

    let due = start.getTime();
    const outcomes: Array<() => Promise<number>> = [
      async () => {
        throw new Error('connect ECONNREFUSED');
      },
      async () => 500,
      async () => 200,
    ];
    for (const [index, outcome] of outcomes.entries()) {
      due += 30 * SECOND * 2 ** index;
      const call = await attemptAt(new Date(due), outcome);
      assert.equal(call.body, body, 'the same payload on every attempt');
      assertSigned(call.headers['X-Dbcerts-Signature'], SECRET, body, new Date(due));
    }
    // Delivered on the fourth attempt (30 + 60 + 120 s after the first); never again.
    const delivery = (await server.store.alerts.deliveries(server.credentials.groupId)).at(-1)!;
    assert.equal(delivery.attempts, 4);
    assert.equal(delivery.deliveredAt?.toISOString(), new Date(start.getTime() + 210 * SECOND).toISOString());
    assert.equal(delivery.nextAttemptAt, undefined);
    clock.advance(6 * HOUR);
    assert.equal(await server.authority.expiryAlerts.deliver(), 0);
    assert.equal(calls.length, before + 4);
  });

  test('a receiver that always fails is given up after 10 attempts (backoff capped at 1 h)', async () => {
    const start = new Date('2032-01-22T08:00:00Z');
    clock.set(start);
    assert.equal(await server.authority.expiryAlerts.scan(), 1);
    const before = calls.length;
    respond = async () => 503;
    await server.authority.expiryAlerts.deliver();
    assert.equal(calls.length, before + 1);

    // Waits before attempts 2..10: 30, 60, 120, 240, 480, 960, 1920 s, then the 1 h cap twice.
    const waits = [30, 60, 120, 240, 480, 960, 1920, 3600, 3600];
    let due = start.getTime();
    for (const wait of waits) {
      due += wait * SECOND;
      await attemptAt(new Date(due), async () => 503);
    }
    assert.equal(calls.length, before + 10);
    clock.advance(DAY - 4 * HOUR);
    assert.equal(await server.authority.expiryAlerts.deliver(), 0);
    assert.equal(calls.length, before + 10, 'no eleventh attempt');
    const delivery = (await server.store.alerts.deliveries(server.credentials.groupId)).at(-1)!;
    assert.equal(delivery.attempts, 10);
    assert.equal(delivery.deliveredAt, undefined);
    assert.equal(delivery.nextAttemptAt, undefined);
    assert.equal(delivery.lastError, 'HTTP 503');
  });

  test('a new secret alone signs the next deliveries', async () => {
    const NEW_SECRET = 'whsec-rotated-fedcba9876543210';
    const patched = await server.client.patch(alertsPath(server.credentials.groupId), { webhookSecret: NEW_SECRET });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.json(), { leadTimeDays: 30, webhookSecretSet: true, webhookUrl: WEBHOOK_URL });
    const now = new Date('2032-01-23T08:00:00Z');
    clock.set(now);
    assert.equal(await server.authority.expiryAlerts.scan(), 1);
    respond = async () => 200;
    assert.equal(await server.authority.expiryAlerts.deliver(), 1);
    const call = calls.at(-1)!;
    assertSigned(call.headers['X-Dbcerts-Signature'], NEW_SECRET, call.body, now);
    assert.throws(() => assertSigned(call.headers['X-Dbcerts-Signature'], SECRET, call.body, now));
  });

  test('without a webhook, alerts are still raised but nothing is sent', async () => {
    const removed = await server.client.patch(alertsPath(server.credentials.groupId), { webhookUrl: null });
    assert.equal(removed.status, 200, removed.text);
    const count = calls.length;
    clock.set('2032-01-24T08:00:00Z');
    assert.equal(await server.authority.expiryAlerts.scan(), 1);
    assert.equal(await server.authority.expiryAlerts.deliver(), 0);
    assert.equal(calls.length, count);
    const events = await alertEvents(server);
    assert.equal(events.at(-1)!.created, '2032-01-24T08:00:00Z');
  });
});

// =============================================================================================

describe('webhooks over real HTTP: the default fetch sender and a local receiver', () => {
  let server: TestServer;
  let receiver: Server;
  const received: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
  const SECRET = 'whsec-real-receiver-0123456789';

  before(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        response.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    // No webhookSender: the server's own fetch-based sender.
    server = await startTestServer({ clock: new TestClock(T0) });
    await createManagedUser(server, 'real');
  });
  after(async () => {
    await server?.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  test('the receiver gets the POST, the JSON body and a signature that verifies', async () => {
    const { port } = receiver.address() as { port: number };
    const url = `http://127.0.0.1:${port}/hooks/dbcerts?channel=ops`;
    const patched = await server.client.patch(alertsPath(server.credentials.groupId), {
      webhookUrl: url,
      webhookSecret: SECRET,
    });
    assert.equal(patched.status, 200, patched.text);
    const serial = await issue(server, 'real', 1);
    assert.equal(received.length, 0, 'issuing sends nothing');

    const now = new Date('2032-01-25T08:00:00Z');
    server.clock.set(now);
    assert.equal(await server.authority.expiryAlerts.scan(), 1);
    assert.equal(received.length, 0);
    assert.equal(await server.authority.expiryAlerts.deliver(), 1);

    assert.equal(received.length, 1);
    const [request] = received;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.url, '/hooks/dbcerts?channel=ops');
    assert.match(String(request!.headers['content-type']), /^application\/json/);
    assertPayload(request!.body, {
      groupId: server.credentials.groupId,
      orgId: server.credentials.orgId,
      username: 'real',
      serial,
      notAfter: ONE_MONTH_END,
      created: now,
    });
    assertSigned(String(request!.headers['x-dbcerts-signature']), SECRET, request!.body, now);

    const [delivery] = await server.store.alerts.deliveries(server.credentials.groupId);
    assert.equal(delivery!.attempts, 1);
    assert.equal(delivery!.deliveredAt?.toISOString(), now.toISOString());
    assert.equal(await server.authority.expiryAlerts.deliver(), 0);
    assert.equal(received.length, 1);
  });
});
