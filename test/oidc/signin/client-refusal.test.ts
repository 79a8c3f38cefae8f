/**
 * The authorization endpoint is public: anybody who knows a client id can call it. A refusal there
 * must not tell them the app's name or its status in the review (suspended, submitted …); a client
 * that authenticates at the token endpoint is told why (test/oidc/live-state.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { authorizePath, pkcePair, world } from './support.ts';

const harness = useHarness();

describe('/oidc/auth for a client that may not sign anybody in', () => {
  it.each(['suspended', 'submitted', 'draft'] as const)('names neither the app nor its status (%s)', async (status) => {
    const { ctx } = harness();
    const { app } = await world(ctx);
    const { name } = await ctx.db.selectFrom('apps').select('name').where('id', '=', app.appId).executeTakeFirstOrThrow();
    await ctx.db.updateTable('apps').set({ status }).where('id', '=', app.appId).execute();
    const res = await harness()
      .client()
      .get(authorizePath({ clientId: app.clientId, pkce: pkcePair() }), { accept: 'text/html' });
    expect(res.status).toBe(401);
    const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
    expect(text).toContain('invalid_client');
    expect(text).not.toContain(name);
    expect(text).not.toContain(status);
  });
});
