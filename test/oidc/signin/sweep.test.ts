import { describe, expect, it } from 'vitest';
import { useHarness } from '../../support/harness.ts';
import { runExpiry } from '../../../src/jobs/expiry.ts';

const harness = useHarness();

describe('expiry sweep of oidc_payloads', () => {
  it('deletes expired interactions, codes and refresh tokens, keeps live ones and those without expiry', async () => {
    const { ctx, clock } = harness();
    const now = clock.now().getTime();
    const row = (id: string, type: string, expiresAt: Date | null) => ({
      id,
      type,
      payload: '{}',
      grant_id: null,
      user_code: null,
      uid: null,
      expires_at: expiresAt,
    });
    await ctx.db
      .insertInto('oidc_payloads')
      .values([
        row('gone-1', 'Interaction', new Date(now - 1000)),
        row('gone-2', 'RefreshToken', new Date(now - 86_400_000)),
        row('live-1', 'RefreshToken', new Date(now + 60_000)),
        row('live-2', 'Grant', null),
      ])
      .execute();
    await runExpiry(ctx);
    const left = await ctx.db.selectFrom('oidc_payloads').select('id').where('id', 'in', ['gone-1', 'gone-2', 'live-1', 'live-2']).execute();
    expect(left.map((r) => r.id).sort()).toEqual(['live-1', 'live-2']);
  });
});
