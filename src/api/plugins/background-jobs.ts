import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Authority } from '../../authority/authority.js';

export interface BackgroundJobsOptions {
  authority: Authority;
  /** How often to look for certificates entering their alert window. */
  scanIntervalMs?: number;
  /** How often to attempt due webhook deliveries. */
  deliveryIntervalMs?: number;
}

/**
 * Work that never runs on a request's path: expiry-alert scans and webhook deliveries.
 * Every instance may run them; the store decides which instance raises an alert (one
 * per user and day) and which delivers an attempt.
 */
async function backgroundJobs(app: FastifyInstance, options: BackgroundJobsOptions): Promise<void> {
  const { expiryAlerts } = options.authority;
  const running = new Set<string>();
  const every = (name: string, intervalMs: number, job: () => Promise<unknown>) => {
    const timer = setInterval(() => {
      if (running.has(name)) return;
      running.add(name);
      job()
        .catch((error: unknown) => app.log.error({ err: error }, `background job ${name} failed`))
        .finally(() => running.delete(name));
    }, intervalMs);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  };
  every('expiry-alert-scan', options.scanIntervalMs ?? 60 * 60 * 1000, () => expiryAlerts.scan());
  every('webhook-delivery', options.deliveryIntervalMs ?? 15_000, () => expiryAlerts.deliver());
}

export default fp(backgroundJobs, { name: 'dbcerts-background-jobs' });
