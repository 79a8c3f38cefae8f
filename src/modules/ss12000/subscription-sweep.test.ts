/**
 * Expired subscriptions and orphaned change rows, through the real server, database, pg-boss workers
 * and a real receiver: an expired subscription hears nothing; the sweep keeps it for its grace period
 * (the client still lists and may renew it) and then deletes it with an audit row; change rows that no
 * live subscription reads are deleted, those one does are kept.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from '../../../test/ss12000/support.ts';
import { startReceiver, type Receiver } from '../../../test/support/webhook-receiver.ts';
import { jobsOf } from '../../../test/jobs/support.ts';
import { generateWorld, type World } from '../../generator/index.ts';
import { ingestBatch } from './ingest.ts';
import { SUBSCRIPTION_SWEEP_JOB, sweepSubscriptions } from './subscription-sweep.ts';

const harness = useHarness();
const NUMBERS = ['490001', '490002'];
const loader = { id: null, label: 'test', kind: 'system' as const };
const DAY = 86_400_000;
let world: World;
let receiver: Receiver;
let early: Ss12000Client;
let earlyApp: { appId: string; clientId: string };
let late: Ss12000Client;

const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 20_000, interval: 50 });

beforeAll(async () => {
  const { ctx, url } = harness();
  receiver = await startReceiver();
  world = generateWorld({ seed: 91, schools: 2, students: 16, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, loader);
  const make = async () => {
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    return { app, client: new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret) };
  };
  let made = await make();
  early = made.client;
  earlyApp = made.app;
  made = await make();
  late = made.client;
}, 120_000);

afterAll(async () => {
  await receiver?.close();
});

const changeRows = () => harness().ctx.db.selectFrom('ss12000_entity_changes').select(['entity_type', 'changed_at']).orderBy('id').execute();
const subscriptionIds = async () => (await harness().ctx.db.selectFrom('ss12000_subscriptions').select('id').execute()).map((r) => r.id).sort();

/** A student of the world, renamed and loaded again as a SIS would. */
async function renameSomeone(givenName: string) {
  const person = world.persons.find((p) => (p.enrolments ?? []).length > 0)!;
  await ingestBatch(harness().ctx, { upsert: { persons: [{ ...person, givenName }] } as never }, loader);
}

describe('expired subscriptions', () => {
  let expiredId = '';
  let liveId = '';

  it('are not notified: no change is recorded for them, and a load another subscription hears of sends them nothing', async () => {
    const { clock } = harness();
    const created = await early.request('POST', '/subscriptions', { name: 'Short-lived', resourceTypes: ['Person'], target: `${receiver.url}/expired` });
    expect(created.status).toBe(201);
    expiredId = created.body.id;
    clock.advance(30 * DAY + 1000); // 30 days is a subscription's life: it has just expired
    await early.fetchToken();
    await late.fetchToken();

    // No live subscription: the load records nothing at all.
    await renameSomeone('Expiredia');
    expect(await changeRows()).toEqual([]);

    // A live subscription of another client: the load is fanned out, the expired one gets nothing.
    const live = await late.request('POST', '/subscriptions', { name: 'Live', resourceTypes: ['Person'], target: `${receiver.url}/live` });
    expect(live.status).toBe(201);
    liveId = live.body.id;
    await renameSomeone('Livia');
    await eventually(() => expect(receiver.on('/live')).toHaveLength(1));
    await eventually(async () => expect(await changeRows()).toEqual([]));
    const toExpired = await harness().ctx.db.selectFrom('webhook_deliveries').select('id').where('subscription_id', '=', expiredId).execute();
    expect(toExpired).toEqual([]);
    expect(receiver.on('/expired')).toEqual([]);
  });

  it('are kept for the grace period (listed, renewable), then deleted by the sweep with an audit row', async () => {
    const { ctx, clock } = harness();
    clock.advance(6 * DAY); // 6 days after expiry: within the grace period
    await early.fetchToken();
    expect(await sweepSubscriptions(ctx)).toMatchObject({ subscriptionsDeleted: 0 });
    const listed = await early.get('/subscriptions');
    expect(listed.body.data.map((s: { id: string }) => s.id)).toEqual([expiredId]);

    clock.advance(DAY); // 7 days and a second after expiry
    expect(await sweepSubscriptions(ctx)).toMatchObject({ subscriptionsDeleted: 1 });
    expect(await subscriptionIds()).toEqual([liveId]);
    await early.fetchToken();
    expect((await early.get(`/subscriptions/${expiredId}`)).status).toBe(404);
    expect((await late.get(`/subscriptions/${liveId}`)).status).toBe(200);
    const audit = await ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'subscription.expired').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ subject_type: 'subscription', subject_id: expiredId, client_id: earlyApp.clientId, app_id: earlyApp.appId });
    expect(audit[0]!.before).toMatchObject({ name: 'Short-lived', resourceTypes: ['Person'], target: `${receiver.url}/expired` });
    // A second sweep finds nothing more to delete or audit.
    expect(await sweepSubscriptions(ctx)).toEqual({ subscriptionsDeleted: 0, changesDeleted: 0 });
    expect(await ctx.db.selectFrom('audit_log').select('id').where('action', '=', 'subscription.expired').execute()).toHaveLength(1);
  });

  it('a renewed subscription is not deleted', async () => {
    const { ctx, clock } = harness();
    const created = await early.request('POST', '/subscriptions', { name: 'Renewed', resourceTypes: ['Group'], target: `${receiver.url}/renewed` });
    clock.advance(31 * DAY);
    await early.fetchToken();
    await late.fetchToken();
    expect((await early.request('PATCH', `/subscriptions/${created.body.id}`)).status).toBe(200);
    expect((await late.request('PATCH', `/subscriptions/${liveId}`)).status).toBe(200);
    clock.advance(8 * DAY);
    await sweepSubscriptions(ctx);
    expect(await subscriptionIds()).toEqual([created.body.id, liveId].sort());
  });
});

describe('orphaned change rows', () => {
  it('deletes the rows no live subscription reads and keeps the rest', async () => {
    const { ctx, clock } = harness();
    // Live now: 'Live' (Person) and 'Renewed' (Group); nobody subscribes to Activity.
    const now = clock.now();
    const row = (entityType: string, changedAt: Date) => ({
      load_id: randomUUID(),
      entity_type: entityType,
      entity_id: randomUUID(),
      deleted: false,
      changed_at: changedAt,
    });
    await ctx.db
      .insertInto('ss12000_entity_changes')
      .values([
        row('persons', now),
        row('groups', new Date(now.getTime() - 3_600_000)),
        row('activities', now),
        row('persons', new Date(now.getTime() - 25 * 3_600_000)),
      ])
      .execute();
    expect(await sweepSubscriptions(ctx)).toEqual({ subscriptionsDeleted: 0, changesDeleted: 2 });
    expect((await changeRows()).map((r) => r.entity_type)).toEqual(['persons', 'groups']);

    // Once every subscription is gone, nothing is needed any more.
    await ctx.db.deleteFrom('ss12000_subscriptions').execute();
    expect(await sweepSubscriptions(ctx)).toEqual({ subscriptionsDeleted: 0, changesDeleted: 2 });
    expect(await changeRows()).toEqual([]);
  });

  it('runs as an hourly pg-boss job', async () => {
    const h = harness();
    expect(await jobsOf(h).schedules()).toContainEqual({ name: SUBSCRIPTION_SWEEP_JOB, cron: '23 * * * *' });
    const jobId = await h.ctx.db.transaction().execute((trx) => h.ctx.jobs.sendInTransaction(trx, SUBSCRIPTION_SWEEP_JOB, {}));
    const job = await eventually(async () => {
      const j = await jobsOf(h).job(SUBSCRIPTION_SWEEP_JOB, jobId!);
      expect(j?.state).toBe('completed');
      return j!;
    });
    expect(job.output).toEqual({ result: { subscriptionsDeleted: 0, changesDeleted: 0 } });
  }, 60_000);
});
