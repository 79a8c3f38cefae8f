import type { listAppDeliveries } from './queries.ts';

type DeliveryRow = Awaited<ReturnType<typeof listAppDeliveries>>[number];

/** An app's webhook endpoint (never its secret). */
export function presentAppWebhook(row: { target: string; created_at: Date; updated_at: Date }) {
  return { target: row.target, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** A delivery with its latest attempts. The entity ids kept for the re-check never leave. */
export function presentDelivery(row: DeliveryRow) {
  return {
    id: row.id,
    kind: row.kind as 'subscription' | 'partner',
    subscriptionId: row.subscription_id,
    eventType: row.event_type,
    payload: row.payload,
    status: row.status as 'pending' | 'delivered' | 'failed' | 'withheld',
    attempts: row.attempts,
    createdAt: row.created_at,
    lastAttemptAt: row.last_attempt_at,
    deliveredAt: row.delivered_at,
    replayOf: row.replay_of,
    attemptLog: row.attemptLog.map((a) => ({ at: a.attempted_at, target: a.target, statusCode: a.status_code, durationMs: a.duration_ms, error: a.error })),
  };
}
