import type { Kysely } from 'kysely';
import type { Database, WebhookDeliveriesTable } from '../schema.js';
import { toDate, toOptionalDate } from './codec.js';

export interface AlertSettings {
  groupId: string;
  leadTimeDays: number;
  webhookUrl?: string;
  sealedWebhookSecret?: string;
  updatedAt: Date;
}

export interface WebhookDelivery {
  id: string;
  groupId: string;
  url: string;
  payload: string;
  attempts: number;
  nextAttemptAt?: Date;
  deliveredAt?: Date;
  lastError?: string;
  createdAt: Date;
}

function deliveryFromRow(row: WebhookDeliveriesTable): WebhookDelivery {
  const delivery: WebhookDelivery = {
    id: row.id,
    groupId: row.project_id,
    url: row.url,
    payload: row.payload,
    attempts: Number(row.attempts),
    createdAt: toDate(row.created_at),
  };
  const next = toOptionalDate(row.next_attempt_at);
  if (next) delivery.nextAttemptAt = next;
  const delivered = toOptionalDate(row.delivered_at);
  if (delivered) delivery.deliveredAt = delivered;
  if (row.last_error !== null) delivery.lastError = row.last_error;
  return delivery;
}

/** Expiry-alert settings per project, the alerts raised, and the webhook outbox. */
export class AlertsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async settings(groupId: string): Promise<AlertSettings | undefined> {
    const row = await this.db
      .selectFrom('x509_alert_settings')
      .selectAll()
      .where('project_id', '=', groupId)
      .executeTakeFirst();
    if (!row) return undefined;
    const settings: AlertSettings = {
      groupId: row.project_id,
      leadTimeDays: Number(row.lead_time_days),
      updatedAt: toDate(row.updated_at),
    };
    if (row.webhook_url !== null) settings.webhookUrl = row.webhook_url;
    if (row.webhook_secret_sealed !== null) settings.sealedWebhookSecret = row.webhook_secret_sealed;
    return settings;
  }

  async allSettings(): Promise<AlertSettings[]> {
    const rows = await this.db.selectFrom('x509_alert_settings').select('project_id').execute();
    const settings = await Promise.all(rows.map((row) => this.settings(row.project_id)));
    return settings.filter((entry): entry is AlertSettings => entry !== undefined);
  }

  async saveSettings(settings: AlertSettings): Promise<void> {
    const values = {
      lead_time_days: settings.leadTimeDays,
      webhook_url: settings.webhookUrl ?? null,
      webhook_secret_sealed: settings.sealedWebhookSecret ?? null,
      updated_at: settings.updatedAt.toISOString(),
    };
    await this.db
      .insertInto('x509_alert_settings')
      .values({ project_id: settings.groupId, ...values })
      .onConflict((oc) => oc.column('project_id').doUpdateSet(values))
      .execute();
  }

  /** Deletes a project's alert settings, the alerts raised and its undelivered webhooks. */
  async deleteAllOfProject(groupId: string): Promise<void> {
    await this.db.deleteFrom('x509_alert_settings').where('project_id', '=', groupId).execute();
    await this.db.deleteFrom('x509_expiry_alerts').where('project_id', '=', groupId).execute();
    await this.db.deleteFrom('webhook_deliveries').where('project_id', '=', groupId).execute();
  }

  /** Claims today's alert for a user; false when it was already raised (here or on another instance). */
  async claimAlert(userId: string, day: string, groupId: string, at: Date): Promise<boolean> {
    // ON CONFLICT, not a caught unique violation: on PostgreSQL a failed statement would
    // abort the surrounding transaction.
    const result = await this.db
      .insertInto('x509_expiry_alerts')
      .values({ user_id: userId, alert_day: day, project_id: groupId, created_at: at.toISOString() })
      .onConflict((oc) => oc.columns(['user_id', 'alert_day']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async enqueueDelivery(delivery: WebhookDelivery): Promise<void> {
    await this.db
      .insertInto('webhook_deliveries')
      .values({
        id: delivery.id,
        project_id: delivery.groupId,
        url: delivery.url,
        payload: delivery.payload,
        attempts: delivery.attempts,
        next_attempt_at: delivery.nextAttemptAt?.toISOString() ?? null,
        delivered_at: null,
        last_error: null,
        created_at: delivery.createdAt.toISOString(),
      })
      .execute();
  }

  /** Deliveries due at `now`, oldest first. */
  async dueDeliveries(now: Date, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('next_attempt_at', '<=', now.toISOString())
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    return rows.map(deliveryFromRow);
  }

  /**
   * Records an attempt. `nextAttemptAt` undefined ends the delivery (delivered, or given
   * up). Only the instance that still sees the attempt it read updates it.
   */
  async recordAttempt(
    id: string,
    expectedAttempts: number,
    outcome: { delivered: boolean; nextAttemptAt?: Date; error?: string; at: Date },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({
        attempts: expectedAttempts + 1,
        next_attempt_at: outcome.nextAttemptAt?.toISOString() ?? null,
        delivered_at: outcome.delivered ? outcome.at.toISOString() : null,
        last_error: outcome.error ?? null,
      })
      .where('id', '=', id)
      .where('attempts', '=', expectedAttempts)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deliveries(groupId: string): Promise<WebhookDelivery[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('project_id', '=', groupId)
      .orderBy('created_at')
      .execute();
    return rows.map(deliveryFromRow);
  }
}
