import { createHmac, randomBytes } from 'node:crypto';

/** The prefix Standard Webhooks gives a signing secret; the rest is base64 of the key bytes. */
export const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` and base64 of 32 random bytes (256 bits, as every secret of Schoolgate). */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The Standard Webhooks headers of one attempt. */
export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/**
 * Signs one attempt of a message following the Standard Webhooks scheme
 * (https://www.standardwebhooks.com): the key is the base64 after `whsec_`, the signed content is
 * `<webhook-id>.<webhook-timestamp>.<body>` (timestamp in whole seconds), the signature is
 * `v1,` + base64 of its HMAC-SHA256. The id stays the same on every attempt, the timestamp is the
 * attempt's own, so a receiver checks freshness and drops duplicates.
 */
export function signWebhook(secret: string, id: string, at: Date, body: string): SignedHeaders {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
