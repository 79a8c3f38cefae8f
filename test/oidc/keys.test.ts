import { decodeProtectedHeader } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { ensureSigningKey, keyRing, rotateSigningKeys } from '../../src/modules/access/tokens/keys.ts';
import { run } from '../../src/cli/keys.ts';
import { createClient, myGrants, requestToken } from './fixtures.ts';

const harness = useHarness();

const jwksKids = async (url: string) => ((await (await fetch(`${url}/oidc/jwks`)).json()).keys as { kid: string }[]).map((k) => k.kid).sort();

describe('signing keys', () => {
  it('creates one signing key on first start and no second one on the next', async () => {
    const { ctx } = harness();
    const before = await ctx.db.selectFrom('signing_keys').selectAll().execute();
    expect(before.filter((k) => k.retired_at === null)).toHaveLength(1);
    await ensureSigningKey(ctx.db, ctx.clock);
    expect(await ctx.db.selectFrom('signing_keys').selectAll().execute()).toHaveLength(before.length);
  });

  it('rotates: the new key signs, tokens of the retired key keep working through the grace period, then stop', async () => {
    const { url, ctx, clock } = harness();
    const c = await createClient(ctx);
    const oldToken = (await requestToken(url, c.clientId, c.secret)).body.access_token as string;
    const oldKid = decodeProtectedHeader(oldToken).kid!;

    const { kid: newKid, retired } = await rotateSigningKeys(ctx.db, ctx.clock);
    expect(retired).toEqual([oldKid]);
    const audit = await ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'signing_key.rotated').execute();
    expect(audit.map((a) => a.subject_id)).toContain(newKid);

    // Servers re-read the key table every minute; skip the wait.
    keyRing(ctx).invalidate();
    const newToken = (await requestToken(url, c.clientId, c.secret)).body.access_token as string;
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    expect(await jwksKids(url)).toEqual([newKid, oldKid].sort());
    expect((await myGrants(url, oldToken)).status).toBe(200);
    expect((await myGrants(url, newToken)).status).toBe(200);

    clock.advance(25 * 3_600_000);
    keyRing(ctx).invalidate();
    expect(await jwksKids(url)).toEqual([newKid]);
    const refused = await myGrants(url, oldToken);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');
    expect((await myGrants(url, newToken)).status).toBe(200);
  });
});

describe('schoolgate keys', () => {
  // Opens and migrates an embedded database of its own: slow on a busy machine, hence the long timeout.
  it('rotates and lists the keys of the configured database', { timeout: 120_000 }, async () => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    try {
      // An embedded database of its own (in memory), as DATA_DIR names it.
      const env = { DATA_DIR: 'memory://', LOG_LEVEL: 'silent' };
      // On an empty database, rotate first creates the key it then retires, and lists the result.
      expect(await run(['rotate'], env)).toBe(0);
      expect(out.filter((l) => l.startsWith('New signing key'))).toHaveLength(1);
      expect(out.filter((l) => l.endsWith('signing'))).toHaveLength(1);
      expect(out.filter((l) => l.includes('  retired '))).toHaveLength(1);
      expect(await run(['bogus'], env)).toBe(2);
    } finally {
      log.mockRestore();
    }
  });
});
