/**
 * Subscriptions of the SS 12000 data API and their signed notifications, through the real server, a
 * real database, real tokens, the real pg-boss workers and a real HTTP receiver on 127.0.0.1. The
 * signatures are verified by the receiver's own Standard Webhooks implementation
 * (test/support/webhook-receiver.ts), never by the server's signer; who may hear of which person is
 * worked out from the generated world (`allowed`), not from the server's scope code.
 */
import fc from 'fast-check';
import { beforeAll, afterAll, describe, expect, it, vi } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { allowed, createApp, ensureInstitutions, grantAll, Ss12000Client } from '../../../test/ss12000/support.ts';
import { insertGrant } from '../../seed/builders.ts';
import { startReceiver, verifyStandardWebhook, type Receiver } from '../../../test/support/webhook-receiver.ts';
import { jobsOf } from '../../../test/jobs/support.ts';
import { generateWorld, type World } from '../../generator/index.ts';
import { ingestBatch } from '../ss12000/ingest.ts';
import { WEBHOOK_DELIVERY_JOB } from '../webhooks/delivery.ts';

const harness = useHarness();
const NUMBERS = ['470001', '470002', '470003'];
const [A, B, C] = NUMBERS as [string, string, string];
const loader = { id: null, label: 'test', kind: 'system' as const };
let world: World;
let receiver: Receiver;
/** Granted the students API at A only. */
let clientA: Ss12000Client;
let appA: { appId: string; clientId: string };
/** Granted the students API at C only. */
let clientC: Ss12000Client;
/** Granted at B; another client, for the "another client's subscription" cases. */
let clientB: Ss12000Client;

const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 20_000, interval: 50 });

beforeAll(async () => {
  const { ctx, url } = harness();
  receiver = await startReceiver();
  world = generateWorld({ seed: 73, schools: 3, students: 24, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, loader);
  const make = async (number: string) => {
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', [number]);
    return { app, client: new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret) };
  };
  let made = await make(A);
  clientA = made.client;
  appA = made.app;
  made = await make(B);
  clientB = made.client;
  made = await make(C);
  clientC = made.client;
}, 120_000);

afterAll(async () => {
  await receiver?.close();
});

/** A raw request to the data API with a client's token (for bodies that are not JSON objects). */
async function raw(client: Ss12000Client, method: string, path: string, body?: string, contentType = 'application/json') {
  const token = await client.fetchToken();
  const res = await fetch(`${client.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    body,
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const subscribe = (client: Ss12000Client, body: unknown) => client.request('POST', '/subscriptions', body);

/** A person of the world whose every relation is at unit `number`'s school and none at the others. */
function personOnlyAt(number: string): World['persons'][number] {
  const inside = allowed(world, { students: [number], staff: [number] }, true).persons;
  const others = NUMBERS.filter((n) => n !== number);
  const elsewhere = allowed(world, { students: others, staff: others }, true).persons;
  const person = world.persons.find((p) => inside.has(p.id) && !elsewhere.has(p.id) && (p.enrolments ?? []).length > 0);
  if (!person) throw new Error(`the world has no person only at ${number}`);
  return person;
}

/** Loads a changed copy of a person (a new given name), as a SIS would. */
async function renamePerson(person: World['persons'][number], givenName: string) {
  const { ctx } = harness();
  await ingestBatch(ctx, { upsert: { persons: [{ ...person, givenName }] } as never }, loader);
}

/** Waits until every load's changes have been fanned out (the fan-out job deletes them). */
async function fannedOut() {
  const { ctx } = harness();
  await eventually(async () => {
    const left = await ctx.db.selectFrom('ss12000_entity_changes').select('id').execute();
    expect(left).toEqual([]);
  });
}

const deliveriesOf = (subscriptionId: string) =>
  harness().ctx.db.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', subscriptionId).orderBy('created_at').execute();
const attemptsOf = (deliveryId: string) =>
  harness().ctx.db.selectFrom('webhook_delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute();

describe('POST/GET/PATCH/DELETE /subscriptions', () => {
  it('creates a subscription with a signing secret shown once, lists it, renews it and deletes it', async () => {
    const { clock } = harness();
    const created = await subscribe(clientA, {
      name: 'Roster sync',
      resourceTypes: [{ resource: 'Person' }, 'Group', { resource: 'Person' }],
      target: `${receiver.url}/crud`,
    });
    expect(created.status).toBe(201);
    const sub = created.body;
    expect(sub).toMatchObject({ name: 'Roster sync', resourceTypes: [{ resource: 'Person' }, { resource: 'Group' }], target: `${receiver.url}/crud` });
    expect(sub.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Date.parse(sub.expires)).toBe(clock.now().getTime() + 30 * 86_400_000);

    const list = await clientA.get('/subscriptions');
    expect(list.status).toBe(200);
    expect(list.body.data).toContainEqual({ id: sub.id, expires: sub.expires, name: 'Roster sync', resourceTypes: sub.resourceTypes, target: sub.target });
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    const one = await clientA.get(`/subscriptions/${sub.id}`);
    expect(one.status).toBe(200);
    expect(one.body.secret).toBeUndefined();

    // Another client does not see it, cannot renew it, cannot delete it.
    expect((await clientB.get(`/subscriptions/${sub.id}`)).status).toBe(404);
    expect((await clientB.request('PATCH', `/subscriptions/${sub.id}`)).status).toBe(404);
    expect((await clientB.request('DELETE', `/subscriptions/${sub.id}`)).status).toBe(404);
    expect((await clientB.get('/subscriptions')).body.data.map((s: { id: string }) => s.id)).not.toContain(sub.id);

    clock.advance(5 * 86_400_000);
    const renewed = await clientA.request('PATCH', `/subscriptions/${sub.id}`);
    expect(renewed.status).toBe(200);
    expect(Date.parse(renewed.body.expires)).toBe(clock.now().getTime() + 30 * 86_400_000);

    expect((await clientA.request('DELETE', `/subscriptions/${sub.id}`)).status).toBe(204);
    expect((await clientA.get(`/subscriptions/${sub.id}`)).status).toBe(404);
    const audit = await harness().ctx.db.selectFrom('audit_log').select('action').where('subject_id', '=', sub.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['subscription.created', 'subscription.renewed', 'subscription.deleted']);
  });

  it('pages the list with limit and pageToken', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await subscribe(clientB, { name: `Page ${i}`, resourceTypes: ['Person'], target: `${receiver.url}/page` })).body.id);
    const first = await clientB.get('/subscriptions?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.pageToken).toEqual(expect.any(String));
    const second = await clientB.get(`/subscriptions?limit=2&pageToken=${encodeURIComponent(first.body.pageToken)}`);
    expect([...first.body.data, ...second.body.data].map((s: { id: string }) => s.id).sort()).toEqual([...ids].sort());
    expect(second.body.pageToken).toBeUndefined();
    for (const id of ids) await clientB.request('DELETE', `/subscriptions/${id}`);
  });

  it('refuses bad input with a 400 in the data API shape, naming the member', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ resourceTypes: ['Person'], target: `${receiver.url}/x` }, 'invalid_body', /^name is required/],
      [{ name: 'x', target: `${receiver.url}/x` }, 'invalid_body', /^resourceTypes is required/],
      [{ name: 'x', resourceTypes: [], target: `${receiver.url}/x` }, 'invalid_body', /resourceTypes/],
      [{ name: 'x', resourceTypes: ['Pupil'], target: `${receiver.url}/x` }, 'invalid_body', /^resourceTypes\.0/],
      [{ name: 'x', resourceTypes: [{ resource: 'Person', extra: 1 }], target: `${receiver.url}/x` }, 'invalid_body', /^resourceTypes\.0/],
      [{ name: 'x', resourceTypes: ['Person'], target: `${receiver.url}/x`, secret: 'mine' }, 'invalid_body', /^secret is not a member/],
      [{ name: 'a\u0000b', resourceTypes: ['Person'], target: `${receiver.url}/x` }, 'invalid_body', /^name/],
      [{ name: 'x'.repeat(201), resourceTypes: ['Person'], target: `${receiver.url}/x` }, 'invalid_body', /^name/],
      [{ name: 'x', resourceTypes: ['Person'], target: 'ftp://example.org/hook' }, 'invalid_target', /^target: must be an https URL/],
      [{ name: 'x', resourceTypes: ['Person'], target: 'not a url' }, 'invalid_target', /^target: must be an absolute URL/],
      [{ name: 'x', resourceTypes: ['Person'], target: 'http://user:pw@127.0.0.1/x' }, 'invalid_target', /user name or password/],
      [{ name: 'x', resourceTypes: ['Person'], target: `${receiver.url}/x\u0000` }, 'invalid_body', /^target/],
      [['Person'], 'invalid_body', /JSON object/],
    ];
    for (const [body, code, message] of cases) {
      const res = await subscribe(clientA, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code, JSON.stringify(body)).toBe(code);
      expect(res.body.message, JSON.stringify(body)).toMatch(message);
      expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'requestId']);
    }
    const broken = await raw(clientA, 'POST', '/subscriptions', '{"name": "\\x"}');
    expect(broken.status).toBe(400);
    const huge = await raw(
      clientA,
      'POST',
      '/subscriptions',
      JSON.stringify({ name: 'x'.repeat(20_000), resourceTypes: ['Person'], target: 'http://127.0.0.1/' }),
    );
    expect(huge.status).toBe(413);
    expect((await clientA.get('/subscriptions/not-a-uuid')).body.code).toBe('invalid_id');
    expect((await clientA.get('/subscriptions?sort=name')).body).toMatchObject({ code: 'unknown_parameter' });
    expect((await clientA.get('/subscriptions?limit=0')).status).toBe(400);
    expect((await clientA.get('/subscriptions?pageToken=abc')).body).toMatchObject({ code: 'invalid_page_token' });
    expect((await clientA.get('/subscriptions')).body.data).toEqual([]);
  });
});

describe('signed notifications', () => {
  it('tells a subscriber of a change within its grants, signed, with nothing but the spec notice', async () => {
    const { ctx } = harness();
    const sub = (await subscribe(clientA, { name: 'People at A', resourceTypes: ['Person', 'Group'], target: `${receiver.url}/a` })).body;
    const person = personOnlyAt(A);
    await renamePerson(person, 'Notified');

    const [request] = await eventually(() => {
      const got = receiver.on('/a');
      expect(got).toHaveLength(1);
      return got;
    });
    // Verified with the receiver's own implementation of Standard Webhooks.
    expect(verifyStandardWebhook(sub.secret, request!.headers, request!.body)).toBe(true);
    expect(verifyStandardWebhook(sub.secret, request!.headers, request!.body.replace('Person', 'Group'))).toBe(false);
    expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, request!.headers, request!.body)).toBe(false);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['webhook-timestamp']).toBe(String(Math.floor(ctx.clock.now().getTime() / 1000)));
    // The spec's notice: which types changed, whether there are deletions. No id, no name.
    expect(JSON.parse(request!.body)).toEqual({ modifiedEntites: ['Person'], deletedEntities: false });
    expect(request!.body).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(request!.body).not.toContain('Notified');

    // The receiver has the request before the worker has its answer on record: wait for the record.
    const [delivery] = await eventually(async () => {
      const rows = await deliveriesOf(sub.id);
      expect(rows[0]).toMatchObject({ id: request!.headers['webhook-id'], status: 'delivered', attempts: 1, app_id: appA.appId });
      return rows;
    });
    const [attempt] = await attemptsOf(delivery!.id);
    expect(attempt).toMatchObject({ status_code: 200, error: null, target: `${receiver.url}/a` });
    expect(attempt!.duration_ms).toBeGreaterThanOrEqual(0);
    // Retried for more than a day: the queue's policy travelled with the job.
    const [job] = await jobsOf(harness()).jobsWithData(WEBHOOK_DELIVERY_JOB, { id: delivery!.id });
    expect(job!.retryLimit).toBe(30);

    // A deletion within reach: deletedEntities, and the type is not listed as modified.
    const group = world.groups.find(
      (g) =>
        g.organisation.id ===
        allowed(world, { students: [A], staff: [] }, false)
          .S.values()
          .next().value,
    )!;
    await ingestBatch(ctx, { delete: { groups: [group.id] } } as never, loader);
    const second = await eventually(() => {
      const got = receiver.on('/a');
      expect(got).toHaveLength(2);
      return got[1]!;
    });
    expect(JSON.parse(second.body)).toEqual({ modifiedEntites: [], deletedEntities: true });
    expect(verifyStandardWebhook(sub.secret, second.headers, second.body)).toBe(true);
    expect(second.headers['webhook-id']).not.toBe(request!.headers['webhook-id']);
    await clientA.request('DELETE', `/subscriptions/${sub.id}`);
  });

  it('never tells a subscriber of an entity outside its grants', async () => {
    const subA = (await subscribe(clientA, { name: 'A only', resourceTypes: ['Person'], target: `${receiver.url}/outside-a` })).body;
    const subC = (await subscribe(clientC, { name: 'C only', resourceTypes: ['Person'], target: `${receiver.url}/outside-c` })).body;
    // Someone only at C changes: C's subscriber hears of it (the change is real), A's does not.
    await renamePerson(personOnlyAt(C), 'Elsewhere');
    await eventually(() => expect(receiver.on('/outside-c')).toHaveLength(1));
    await fannedOut();
    expect(await deliveriesOf(subA.id)).toEqual([]);
    expect(receiver.on('/outside-a')).toEqual([]);
    // A type the subscription does not name: nothing either.
    const { ctx } = harness();
    const orgA = world.organisations.find((o) => o.organisationCode === A)!;
    await ingestBatch(ctx, { upsert: { organisations: [{ ...orgA, displayName: 'Renamed school' }] } as never }, loader);
    await fannedOut();
    expect(await deliveriesOf(subA.id)).toEqual([]);
    for (const s of [subA, subC]) await (s === subA ? clientA : clientC).request('DELETE', `/subscriptions/${s.id}`);
  });

  it('retries after a 500 with the same id and a fresh signature, logging every attempt', async () => {
    await jobsOf(harness()).setQueuePolicy(WEBHOOK_DELIVERY_JOB, { retryLimit: 4, retryDelay: 1, retryBackoff: true, retryDelayMax: 2 });
    const sub = (await subscribe(clientA, { name: 'Flaky', resourceTypes: ['Person'], target: `${receiver.url}/flaky` })).body;
    receiver.answer('/flaky', 500, 503);
    await renamePerson(personOnlyAt(A), 'Retried');
    const got = await eventually(() => {
      const r = receiver.on('/flaky');
      expect(r).toHaveLength(3);
      return r;
    });
    expect(got.map((r) => r.answered)).toEqual([500, 503, 200]);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const r of got) expect(verifyStandardWebhook(sub.secret, r.headers, r.body)).toBe(true);
    const [delivery] = await eventually(async () => {
      const d = await deliveriesOf(sub.id);
      expect(d[0]?.status).toBe('delivered');
      return d;
    });
    expect(delivery!.attempts).toBe(3);
    const attempts = await attemptsOf(delivery!.id);
    expect(attempts.map((a) => [a.status_code, a.error])).toEqual([
      [500, 'the receiver answered 500'],
      [503, 'the receiver answered 503'],
      [200, null],
    ]);
    await clientA.request('DELETE', `/subscriptions/${sub.id}`);
  });

  it('sends nothing more once the grant is revoked between the change and the delivery', async () => {
    const { ctx } = harness();
    await jobsOf(harness()).setQueuePolicy(WEBHOOK_DELIVERY_JOB, { retryLimit: 4, retryDelay: 1, retryBackoff: false });
    const sub = (await subscribe(clientA, { name: 'Revoked', resourceTypes: ['Person'], target: `${receiver.url}/revoked` })).body;
    // The receiver is down at first, so the notice is still pending when the grant goes.
    receiver.answer('/revoked', 500, 500, 500);
    await renamePerson(personOnlyAt(A), 'Revoked');
    await eventually(() => expect(receiver.on('/revoked').length).toBeGreaterThanOrEqual(1));
    await ctx.db.deleteFrom('grants').where('client_id', '=', clientA.clientId).execute();
    const [delivery] = await eventually(async () => {
      const d = await deliveriesOf(sub.id);
      expect(d[0]?.status).toBe('withheld');
      return d;
    });
    const attempts = await attemptsOf(delivery!.id);
    expect(attempts.at(-1)).toMatchObject({
      status_code: null,
      error: expect.stringContaining("none of the changed entities is within the subscriber's grants"),
    });
    // Every request the receiver got was answered 500: no notice reached it after the grant went.
    expect(receiver.on('/revoked').every((r) => r.answered === 500)).toBe(true);
    expect(receiver.on('/revoked').length).toBe(attempts.length - 1);

    // And a later change of the same person creates no notice at all.
    await renamePerson(personOnlyAt(A), 'After revocation');
    await fannedOut();
    expect(await deliveriesOf(sub.id)).toHaveLength(1);
    await grantAll(ctx, clientA.clientId, 'students', [A]);
    await clientA.request('DELETE', `/subscriptions/${sub.id}`);
  });
});

describe('who is told (property)', () => {
  it('a subscriber is told of a load exactly when a changed person is one its grants reach', async () => {
    const { ctx, url } = harness();
    const app = await createApp(ctx, { students: ['identity'], staff: ['identity'] });
    const client = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
    const sub = (await subscribe(client, { name: 'Property', resourceTypes: ['Person'], target: `${receiver.url}/property` })).body;
    const persons = world.persons;
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(NUMBERS),
        fc.subarray(NUMBERS),
        fc.uniqueArray(fc.integer({ min: 0, max: persons.length - 1 }), { minLength: 1, maxLength: 4 }),
        async (students, staff, changed) => {
          round++;
          await ctx.db.deleteFrom('grants').where('client_id', '=', app.clientId).execute();
          for (const n of students) await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'students', institutionNumber: n });
          for (const n of staff) await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'staff', institutionNumber: n });
          const before = (await deliveriesOf(sub.id)).length;
          const people = changed.map((i) => ({ ...persons[i]!, givenName: `Round ${round} ${i}` }));
          await ingestBatch(ctx, { upsert: { persons: people } } as never, loader);
          await fannedOut();
          const told = (await deliveriesOf(sub.id)).length - before;
          // The oracle: the generated world read as DOMAIN.md says (no guardians: the app has no such category).
          const reach = allowed(world, { students, staff }, false).persons;
          expect(told).toBe(people.some((p) => reach.has(p.id)) ? 1 : 0);
        },
      ),
      { numRuns: 15 },
    );
    await ctx.db.deleteFrom('ss12000_subscriptions').where('id', '=', sub.id).execute();
  }, 120_000);
});

describe('targets in production', () => {
  it('refuses http and every private, loopback or link-local address, and checks again at delivery', async () => {
    const { ctx } = harness();
    await jobsOf(harness()).setQueuePolicy(WEBHOOK_DELIVERY_JOB, { retryLimit: 0, retryDelay: 1, retryBackoff: false });
    // Stored while the deployment allowed loopback (development), then the deployment is production.
    const port = new URL(receiver.url).port;
    const sub = (await subscribe(clientA, { name: 'Loopback', resourceTypes: ['Person'], target: `https://localhost:${port}/ssrf` })).body;
    expect(sub.id).toEqual(expect.any(String));
    ctx.config.NODE_ENV = 'production';
    try {
      for (const target of [
        `${receiver.url}/ssrf`,
        'https://127.0.0.1/hook',
        'https://localhost/hook',
        'https://[::1]/hook',
        'https://169.254.169.254/latest/meta-data',
        'https://10.1.2.3/hook',
        'https://192.168.0.10/hook',
        'https://172.20.0.1/hook',
        'https://[fd00::1]/hook',
        'https://[::ffff:127.0.0.1]/hook',
        'https://[fe80::1]/hook',
        'https://0.0.0.0/hook',
      ]) {
        const res = await subscribe(clientA, { name: 'x', resourceTypes: ['Person'], target });
        expect(res.status, target).toBe(400);
        expect(res.body.code, target).toBe('invalid_target');
      }
      await renamePerson(personOnlyAt(A), 'Production');
      const [delivery] = await eventually(async () => {
        const d = await deliveriesOf(sub.id);
        expect(d[0]?.status).toBe('failed');
        return d;
      });
      const [attempt] = await attemptsOf(delivery!.id);
      // The name resolves to the machine itself: refused before any connection.
      expect(attempt!.error).toMatch(/^target refused: (127\.0\.0\.1|::1) is not a public address/);
      expect(attempt!.status_code).toBeNull();
      expect(receiver.on('/ssrf')).toEqual([]);
    } finally {
      ctx.config.NODE_ENV = 'test';
    }
    await clientA.request('DELETE', `/subscriptions/${sub.id}`);
  });
});
