import { describe, expect, it } from 'vitest';
import { verifyStandardWebhook } from '../../../test/support/webhook-receiver.ts';
import { WEBHOOK_QUEUE_POLICY } from './delivery.ts';
import { newSigningSecret, signWebhook } from './signing.ts';

describe('Standard Webhooks signatures', () => {
  it("reproduces the specification's published test vector", () => {
    // From the Standard Webhooks specification and its reference libraries (not computed here).
    const headers = signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(1614265330 * 1000), '{"test": 2432232314}');
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('signs with fresh 256-bit secrets that an independent verifier accepts, and nothing else', () => {
    const secret = newSigningSecret();
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(newSigningSecret()).not.toBe(secret);
    const body = '{"modifiedEntites":["Person"],"deletedEntities":false}';
    const headers = signWebhook(secret, '0b5c8d9e-0000-4000-8000-000000000001', new Date('2026-11-22T10:00:00Z'), body);
    expect(verifyStandardWebhook(secret, headers, body)).toBe(true);
    expect(verifyStandardWebhook(secret, headers, body.replace('false', 'true'))).toBe(false);
    expect(verifyStandardWebhook(newSigningSecret(), headers, body)).toBe(false);
    expect(verifyStandardWebhook(secret, { ...headers, 'webhook-timestamp': '1800000000' }, body)).toBe(false);
  });
});

describe('the retry policy', () => {
  it('keeps trying a receiver that is down for more than 24 hours', () => {
    // pg-boss (retryBackoff) waits retryDelay · 2^n · (1 + random) seconds before retry n (n from 0),
    // capped at retryDelayMax: the least it can wait is with random = 0.
    const { retryLimit, retryDelay, retryDelayMax, retryBackoff } = WEBHOOK_QUEUE_POLICY;
    expect(retryBackoff).toBe(true);
    let least = 0;
    for (let n = 0; n < retryLimit; n++) least += Math.min(retryDelayMax, retryDelay * 2 ** n);
    expect(least).toBeGreaterThan(24 * 3600);
    // Backoff, not a hammering: the first retry waits a minute, later ones an hour.
    expect(retryDelay).toBeGreaterThanOrEqual(60);
    expect(retryDelayMax).toBe(3600);
  });
});
