/**
 * The partner's webhooks per app, through the real server and the real delivery workers: the endpoint
 * is configured in the partner API, the app's events (status, grants) arrive signed at a real
 * receiver on 127.0.0.1 and are verified there with the receiver's own Standard Webhooks code; the
 * deliveries are listed with their attempts and can be sent again.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useHarness, type TestClient } from '../../../test/support/harness.ts';
import { startReceiver, verifyStandardWebhook, type Receiver } from '../../../test/support/webhook-receiver.ts';
import { insertApp, insertClient, insertInstitution, insertPartner, insertUser } from '../../seed/builders.ts';
import { replaceGrants } from '../access/grants.ts';

const harness = useHarness();
const PASSWORD = 'webhook partner password';
let receiver: Receiver;
let appId: string;
let clientId: string;
let partner: TestClient;
let otherPartner: TestClient;
let operator: TestClient;

const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 20_000, interval: 50 });

beforeAll(async () => {
  const { ctx } = harness();
  receiver = await startReceiver();
  const user = await insertUser(ctx.db, { email: 'pia@hooks.example', password: PASSWORD, displayName: 'Pia', kind: 'partner' });
  const other = await insertUser(ctx.db, { email: 'olof@other.example', password: PASSWORD, displayName: 'Olof', kind: 'partner' });
  await insertUser(ctx.db, { email: 'op@hooks.example', password: PASSWORD, displayName: 'Op', kind: 'operator' });
  const partnerId = await insertPartner(ctx.db, { name: 'Hooks AB', contactEmail: 'pia@hooks.example', memberUserIds: [user] });
  await insertPartner(ctx.db, { name: 'Other AB', contactEmail: 'olof@other.example', memberUserIds: [other] });
  appId = await insertApp(ctx.db, {
    partnerId,
    name: 'Hooked',
    status: 'approved',
    apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Planning' }],
  });
  ({ clientId } = await insertClient(ctx.db, { appId, name: 'Hooked' }));
  await insertInstitution(ctx.db, { number: '480001', name: 'Skola 480001' });
  const login = async (email: string) => {
    const c = harness().client();
    expect((await c.login(email, PASSWORD)).status).toBe(200);
    return c;
  };
  partner = await login('pia@hooks.example');
  otherPartner = await login('olof@other.example');
  operator = await login('op@hooks.example');
}, 120_000);

afterAll(async () => {
  await receiver?.close();
});

describe("an app's webhook for its partner's events", () => {
  it('is configured by the partner, with a secret shown once', async () => {
    expect((await partner.get(`/api/v1/partner/apps/${appId}/webhook`)).body).toEqual({ webhook: null });
    const bad = await partner.put(`/api/v1/partner/apps/${appId}/webhook`, { target: 'ftp://example.org/x' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_target');
    const set = await partner.put(`/api/v1/partner/apps/${appId}/webhook`, { target: `${receiver.url}/events` });
    expect(set.status).toBe(200);
    expect(set.body.webhook.secret).toMatch(/^whsec_/);
    const read = await partner.get(`/api/v1/partner/apps/${appId}/webhook`);
    expect(read.body.webhook).toMatchObject({ target: `${receiver.url}/events` });
    expect(read.body.webhook.secret).toBeUndefined();
    // Another partner does not learn the app exists.
    expect((await otherPartner.get(`/api/v1/partner/apps/${appId}/webhook`)).status).toBe(404);
    expect((await otherPartner.put(`/api/v1/partner/apps/${appId}/webhook`, { target: `${receiver.url}/stolen` })).status).toBe(404);
  });

  it('delivers status and grant changes signed, lists them with their attempts, and sends one again', async () => {
    const { ctx } = harness();
    const rotated = await partner.put(`/api/v1/partner/apps/${appId}/webhook`, { target: `${receiver.url}/events`, rotateSecret: true });
    const secret = rotated.body.webhook.secret as string;
    expect(secret).toMatch(/^whsec_/);

    expect((await operator.post(`/api/v1/operator/apps/${appId}/suspend`, { reason: 'Checking the purpose' })).status).toBe(200);
    await ctx.db.transaction().execute((trx) =>
      replaceGrants(trx, ctx, {
        clientId,
        apiCode: 'students',
        targets: ['480001'],
        actor: { id: null, label: 'test', kind: 'system', name: 'Test' },
        action: 'grants.replaced',
        reason: 'Pilot',
      } as never),
    );
    const got = await eventually(() => {
      const r = receiver.on('/events');
      expect(r).toHaveLength(2);
      return r;
    });
    for (const r of got) expect(verifyStandardWebhook(secret, r.headers, r.body)).toBe(true);
    const bodies = got.map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.type).sort()).toEqual(['app.status_changed', 'grants.changed']);
    const status = bodies.find((b) => b.type === 'app.status_changed');
    expect(status.data).toMatchObject({ appId, from: 'approved', to: 'suspended', reason: 'Checking the purpose' });
    const grants = bodies.find((b) => b.type === 'grants.changed');
    expect(grants.data).toMatchObject({
      appId,
      change: 'replaced',
      added: [{ apiCode: 'students', institutionNumber: '480001', accessGroupId: null }],
      removed: [],
    });

    const list = await eventually(async () => {
      const l = await partner.get(`/api/v1/partner/apps/${appId}/webhook-deliveries`);
      expect(l.body.data.map((d: { status: string }) => d.status)).toEqual(['delivered', 'delivered']);
      return l.body.data;
    });
    expect(list[0].attemptLog[0]).toMatchObject({ statusCode: 200, error: null, target: `${receiver.url}/events` });
    expect(new Set(list.map((d: { id: string }) => d.id))).toEqual(new Set(got.map((r) => r.headers['webhook-id'])));

    // Send again: a new message id, the same body, signed.
    const replay = await partner.post(`/api/v1/partner/apps/${appId}/webhook-deliveries/${list[0].id}/replay`, {});
    expect(replay.status).toBe(202);
    const again = await eventually(() => {
      const r = receiver.on('/events');
      expect(r).toHaveLength(3);
      return r[2]!;
    });
    expect(again.headers['webhook-id']).toBe(replay.body.id);
    expect(again.body).toBe(got.find((r) => r.headers['webhook-id'] === list[0].id)!.body);
    expect(verifyStandardWebhook(secret, again.headers, again.body)).toBe(true);
    expect((await otherPartner.post(`/api/v1/partner/apps/${appId}/webhook-deliveries/${list[0].id}/replay`, {})).status).toBe(404);
    expect((await partner.post(`/api/v1/partner/apps/${appId}/webhook-deliveries/not-an-id/replay`, {})).status).toBe(400);
  });

  it('sends nothing once the endpoint is removed', async () => {
    const { ctx } = harness();
    expect((await partner.delete(`/api/v1/partner/apps/${appId}/webhook`)).status).toBe(204);
    const before = receiver.on('/events').length;
    const count = async () => (await ctx.db.selectFrom('webhook_deliveries').select('id').where('app_id', '=', appId).execute()).length;
    const deliveries = await count();
    expect((await operator.post(`/api/v1/operator/apps/${appId}/reapprove`, { notes: 'fine' })).status).toBe(200);
    expect(await count()).toBe(deliveries);
    expect(receiver.on('/events').length).toBe(before);
  });

  it('refuses a loopback endpoint in production', async () => {
    const { ctx } = harness();
    ctx.config.NODE_ENV = 'production';
    try {
      for (const target of [`${receiver.url}/events`, 'https://127.0.0.1/hook', 'https://localhost/hook', 'https://[::1]/hook', 'https://169.254.169.254/']) {
        const res = await partner.put(`/api/v1/partner/apps/${appId}/webhook`, { target });
        expect(res.status, target).toBe(400);
        expect(res.body.code, target).toBe('invalid_target');
      }
    } finally {
      ctx.config.NODE_ENV = 'test';
    }
  });
});
