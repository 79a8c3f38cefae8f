import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { PayloadAdapter } from '../../src/oidc/adapter.ts';

const harness = useHarness();

// oidc-provider's storage for the authorization-code flows to come (sessions, codes, grants …).
describe('oidc_payloads adapter', () => {
  it('stores, finds by id, uid and user code, consumes, expires and revokes by grant', async () => {
    const { ctx, clock } = harness();
    const codes = new PayloadAdapter(ctx, 'AuthorizationCode');
    const sessions = new PayloadAdapter(ctx, 'Session');
    await codes.upsert('code-1', { kind: 'AuthorizationCode', grantId: 'g-1', accountId: 'a' }, 60);
    await codes.upsert('code-2', { kind: 'AuthorizationCode', grantId: 'g-2' }, 60);
    await sessions.upsert('sess-1', { kind: 'Session', uid: 'uid-1' }, 3600);
    await new PayloadAdapter(ctx, 'DeviceCode').upsert('dc-1', { userCode: 'ABCD-EFGH' }, 600);

    expect(await codes.find('code-1')).toEqual({ kind: 'AuthorizationCode', grantId: 'g-1', accountId: 'a' });
    expect(await sessions.find('code-1')).toBeUndefined();
    expect(await sessions.findByUid('uid-1')).toMatchObject({ uid: 'uid-1' });
    expect(await new PayloadAdapter(ctx, 'DeviceCode').findByUserCode('ABCD-EFGH')).toMatchObject({ userCode: 'ABCD-EFGH' });

    await codes.consume('code-1');
    expect((await codes.find('code-1'))?.consumed).toBe(Math.floor(clock.now().getTime() / 1000));

    // Upsert replaces (and un-consumes).
    await codes.upsert('code-1', { kind: 'AuthorizationCode', grantId: 'g-1', accountId: 'b' }, 60);
    expect(await codes.find('code-1')).toEqual({ kind: 'AuthorizationCode', grantId: 'g-1', accountId: 'b' });

    await codes.revokeByGrantId('g-1');
    expect(await codes.find('code-1')).toBeUndefined();
    expect(await codes.find('code-2')).toBeDefined();

    clock.advance(61_000);
    expect(await codes.find('code-2')).toBeUndefined();
    expect(await sessions.findByUid('uid-1')).toBeDefined();

    await sessions.destroy('sess-1');
    expect(await sessions.findByUid('uid-1')).toBeUndefined();
  });
});
