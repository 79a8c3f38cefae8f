import type { ResourceType, SubscriptionBody } from './schemas.ts';

/** A subscription row as the spec's Subscription (never the secret: it is shown once, on creation). */
export function presentSubscription(row: { id: string; name: string; resource_types: string[]; target: string; expires_at: Date }): SubscriptionBody {
  return {
    id: row.id,
    expires: row.expires_at.toISOString(),
    name: row.name,
    resourceTypes: row.resource_types.map((resource) => ({ resource: resource as ResourceType })),
    target: row.target,
  };
}
