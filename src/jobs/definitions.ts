import type { JobWithMetadata, Queue } from 'pg-boss';
import type { AppContext } from '../context.ts';
import { deliverMail, MAIL_DELIVERY_JOB } from '../mail/delivery.ts';
import { EXPIRY_JOB, runExpiry } from './expiry.ts';
import { deliverWebhook, WEBHOOK_DELIVERY_JOB, WEBHOOK_QUEUE_POLICY } from '../modules/webhooks/delivery.ts';
import { NOTICE_FANOUT_JOB } from '../modules/ss12000/changes.ts';
import { fanOutNotices, recheckNotice } from '../modules/ss12000/notices.ts';
import { SUBSCRIPTION_SWEEP_JOB, sweepSubscriptions } from '../modules/ss12000/subscription-sweep.ts';

/** One kind of background job: its queue, its policy and what runs it. */
export interface JobDefinition<T = never> {
  name: string;
  /** Queue policy; jobs copy retry settings from it when they are queued. */
  queue: Omit<Queue, 'name'>;
  /** Run a worker in this process only when this says so (default: always). */
  enabled?(ctx: AppContext): boolean;
  /** Recurring schedule (cron, UTC), if any. */
  cron?: string;
  pollingIntervalSeconds?: number;
  handle(ctx: AppContext, job: JobWithMetadata<T>): Promise<unknown>;
}

/** Every job Schoolgate runs. */
export const jobDefinitions: readonly JobDefinition[] = [
  {
    name: MAIL_DELIVERY_JOB,
    // ~6 tries over about an hour: 30 s, 1, 2, 4, 8, 16 min (with jitter), then the mail is 'failed'.
    queue: { retryLimit: 5, retryDelay: 30, retryBackoff: true, retryDelayMax: 3600, expireInSeconds: 120, notify: true },
    // Without SMTP_URL nothing is queued: mails are kept for the dev mailbox.
    enabled: (ctx) => Boolean(ctx.config.SMTP_URL),
    handle: (ctx, job: JobWithMetadata<{ id: string }>) => deliverMail(ctx, job.data.id, { finalAttempt: job.retryCount >= job.retryLimit }),
  } satisfies JobDefinition<{ id: string }> as unknown as JobDefinition,
  {
    name: WEBHOOK_DELIVERY_JOB,
    // Retried with exponential backoff for more than 24 hours (see WEBHOOK_QUEUE_POLICY), then 'failed'.
    queue: { ...WEBHOOK_QUEUE_POLICY },
    // A notification is re-checked against the subscriber's live grants on every attempt (notices.ts).
    handle: (ctx, job: JobWithMetadata<{ id: string }>) =>
      deliverWebhook(ctx, job.data.id, { finalAttempt: job.retryCount >= job.retryLimit, check: recheckNotice }),
  } satisfies JobDefinition<{ id: string }> as unknown as JobDefinition,
  {
    name: NOTICE_FANOUT_JOB,
    // The changes of one load become notifications in one transaction: a retry repeats nothing.
    queue: { retryLimit: 5, retryDelay: 10, retryBackoff: true, expireInSeconds: 600, notify: true },
    handle: (ctx, job: JobWithMetadata<{ loadId: string }>) => fanOutNotices(ctx, job.data.loadId),
  } satisfies JobDefinition<{ loadId: string }> as unknown as JobDefinition,
  {
    name: EXPIRY_JOB,
    queue: { retryLimit: 1, retryDelay: 60, expireInSeconds: 300, notify: true },
    cron: '*/15 * * * *',
    pollingIntervalSeconds: 30,
    handle: (ctx) => runExpiry(ctx),
  },
  {
    // Expired subscriptions (after their grace period) and change rows nobody reads: src/modules/ss12000/subscription-sweep.ts.
    name: SUBSCRIPTION_SWEEP_JOB,
    queue: { retryLimit: 1, retryDelay: 60, expireInSeconds: 300, notify: true },
    cron: '23 * * * *',
    pollingIntervalSeconds: 30,
    handle: (ctx) => sweepSubscriptions(ctx),
  },
];
