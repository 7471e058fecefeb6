import { createHmac } from 'node:crypto';
import { AtlasError } from '../domain/errors.js';
import { newObjectId } from '../domain/ids.js';
import { formatAtlasDate } from '../domain/validity.js';
import type { SecretBox } from '../pki/secret-box.js';
import type { AlertSettings, WebhookDelivery } from '../store/repositories/alerts.js';
import type { Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import { type AuditTrail, projectScope } from './audit.js';
import type { Clock } from './clock.js';
import type { Principal } from './identities/principal.js';

/** Atlas alerts 30 days before a user's newest managed certificate expires. */
export const DEFAULT_LEAD_TIME_DAYS = 30;
export const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_DELIVERY_ATTEMPTS = 10;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 60 * 60 * 1000;
const DELIVERY_TIMEOUT_MS = 10_000;
const SIGNATURE_HEADER = 'X-Dbcerts-Signature';

export interface ExpiryAlertSettings {
  leadTimeDays: number;
  webhookUrl?: string;
  /** A webhook secret is set (it is never shown again). */
  webhookSecretSet: boolean;
}

export interface ExpiryAlertSettingsUpdate {
  leadTimeDays?: number;
  /** `null` removes the webhook. */
  webhookUrl?: string | null;
  webhookSecret?: string;
}

/** Sends one webhook request; resolves to the HTTP status (injectable for tests). */
export type WebhookSender = (url: string, body: string, headers: Record<string, string>) => Promise<number>;

const fetchSender: WebhookSender = async (url, body, headers) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
  });
  await response.arrayBuffer();
  return response.status;
};

/** `t=<seconds>,v1=<HMAC-SHA256(secret, "<t>.<body>") in hex>`: the receiver checks both, so replays age out. */
function webhookSignature(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

function sealContext(groupId: string): string {
  return `x509_alert_settings.webhook_secret:${groupId}`;
}

/**
 * Certificate expiry alerts. A scan (run periodically, off the request path) raises at
 * most one alert per user and day when the user's newest live certificate expires within
 * the project's lead time: an audit event and, if configured, a signed webhook delivered
 * from an outbox with exponential backoff.
 */
export class ExpiryAlertService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly secrets: SecretBox,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly send: WebhookSender = fetchSender,
  ) {}

  private view(settings: AlertSettings | undefined): ExpiryAlertSettings {
    const view: ExpiryAlertSettings = {
      leadTimeDays: settings?.leadTimeDays ?? DEFAULT_LEAD_TIME_DAYS,
      webhookSecretSet: settings?.sealedWebhookSecret !== undefined,
    };
    if (settings?.webhookUrl) view.webhookUrl = settings.webhookUrl;
    return view;
  }

  async settings(principal: Principal, groupId: string): Promise<ExpiryAlertSettings> {
    await this.access.project(this.store, principal, 'getExpiryAlertSettings', groupId);
    return this.view(await this.store.alerts.settings(groupId));
  }

  async updateSettings(
    principal: Principal,
    groupId: string,
    update: ExpiryAlertSettingsUpdate,
  ): Promise<ExpiryAlertSettings> {
    const project = await this.access.project(this.store, principal, 'updateExpiryAlertSettings', groupId);
    const current = await this.store.alerts.settings(groupId);
    const next: AlertSettings = {
      groupId,
      leadTimeDays: update.leadTimeDays ?? current?.leadTimeDays ?? DEFAULT_LEAD_TIME_DAYS,
      updatedAt: this.clock.now(),
    };
    const url = update.webhookUrl === undefined ? current?.webhookUrl : (update.webhookUrl ?? undefined);
    // A secret alone, with no webhook to sign for, would be dropped: say so instead.
    if (url === undefined && update.webhookSecret !== undefined)
      throw new AtlasError('MISSING_ATTRIBUTE', 'webhookUrl');
    if (url !== undefined) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        parsed = undefined;
      }
      if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) throw new AtlasError('INVALID_WEBHOOK_URL', url);
      next.webhookUrl = url;
      const sealed =
        update.webhookSecret !== undefined
          ? this.secrets.seal(Buffer.from(update.webhookSecret), sealContext(groupId))
          : current?.sealedWebhookSecret;
      if (sealed === undefined) throw new AtlasError('MISSING_ATTRIBUTE', 'webhookSecret');
      next.sealedWebhookSecret = sealed;
    }
    await this.store.transaction(async (repositories) => {
      await repositories.alerts.saveSettings(next);
      await this.audit.record(repositories, principal, 'DBCERTS_X509_ALERT_SETTINGS_CHANGED', projectScope(project));
    });
    return this.view(next);
  }

  /** One pass over every project; returns how many alerts it raised. */
  async scan(): Promise<number> {
    const now = this.clock.now();
    const day = now.toISOString().slice(0, 10);
    const settingsByProject = new Map(
      (await this.store.alerts.allSettings()).map((settings) => [settings.groupId, settings]),
    );
    let raised = 0;
    for (const project of await this.store.projects.all()) {
      const settings = settingsByProject.get(project.id);
      const leadMs = (settings?.leadTimeDays ?? DEFAULT_LEAD_TIME_DAYS) * DAY_MS;
      for (const newest of await this.store.certificates.newestLiveByUser(project.id)) {
        const remaining = newest.notAfter.getTime() - now.getTime();
        if (remaining > leadMs || remaining < -leadMs) continue;
        const user = await this.store.databaseUsers.findById(newest.userId);
        if (!user || user.x509Type !== 'MANAGED') continue;
        const target = {
          targetUsername: user.username,
          database: user.databaseName,
          serial: newest.serial,
          notAfter: formatAtlasDate(newest.notAfter),
        };
        const claimed = await this.store.transaction(async (repositories) => {
          if (!(await repositories.alerts.claimAlert(user.id, day, project.id, now))) return false;
          await this.audit.record(
            repositories,
            undefined,
            'NDS_X509_USER_AUTHENTICATION_MANAGED_USER_CERTS_EXPIRATION_CHECK',
            projectScope(project),
            target,
          );
          if (settings?.webhookUrl) {
            const payload = JSON.stringify({
              eventTypeName: 'NDS_X509_USER_AUTHENTICATION_MANAGED_USER_CERTS_EXPIRATION_CHECK',
              groupId: project.id,
              orgId: project.orgId,
              username: user.username,
              // A string: webhook consumers in JavaScript would round a 64-bit number.
              serial: newest.serial.toString(),
              subject: newest.subject,
              notAfter: target.notAfter,
              created: formatAtlasDate(now),
            });
            await repositories.alerts.enqueueDelivery({
              id: newObjectId(now),
              groupId: project.id,
              url: settings.webhookUrl,
              payload,
              attempts: 0,
              nextAttemptAt: now,
              createdAt: now,
            });
          }
          return true;
        });
        if (claimed) raised++;
      }
    }
    return raised;
  }

  /** Attempts every delivery that is due; returns how many were delivered. */
  async deliver(): Promise<number> {
    const now = this.clock.now();
    let delivered = 0;
    for (const delivery of await this.store.alerts.dueDeliveries(now, 50)) {
      if (await this.attempt(delivery, now)) delivered++;
    }
    return delivered;
  }

  private async attempt(delivery: WebhookDelivery, now: Date): Promise<boolean> {
    const settings = await this.store.alerts.settings(delivery.groupId);
    let error: string | undefined;
    if (!settings?.sealedWebhookSecret) {
      error = 'the project has no webhook secret any more';
    } else {
      const secret = this.secrets.open(settings.sealedWebhookSecret, sealContext(delivery.groupId)).toString();
      const signature = webhookSignature(secret, Math.floor(now.getTime() / 1000), delivery.payload);
      try {
        const status = await this.send(delivery.url, delivery.payload, { [SIGNATURE_HEADER]: signature });
        if (status < 200 || status >= 300) error = `HTTP ${status}`;
      } catch (failure) {
        error = (failure as Error).message;
      }
    }
    const attempts = delivery.attempts + 1;
    const retryIn = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1));
    await this.store.alerts.recordAttempt(delivery.id, delivery.attempts, {
      delivered: error === undefined,
      at: now,
      ...(error !== undefined ? { error } : {}),
      ...(error !== undefined && attempts < MAX_DELIVERY_ATTEMPTS
        ? { nextAttemptAt: new Date(now.getTime() + retryIn) }
        : {}),
    });
    return error === undefined;
  }
}
