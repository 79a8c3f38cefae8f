import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from '../support/harness.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { sql } from 'kysely';
import { insertUser } from '../../src/seed/builders.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

const harness = useHarness();
const NUMBERS = ['320001', '320002', '320003'];
let world: World;
let operator: TestClient;

const reader = async (numbers: string[]) => {
  const { ctx, url } = harness();
  const app = await createApp(ctx, { students: ['identity', 'guardians'], staff: ['identity'] });
  await grantAll(ctx, app.clientId, 'students', numbers);
  await grantAll(ctx, app.clientId, 'staff', numbers);
  return new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
};
const count = async (table: 'ss12000_persons' | 'ss12000_groups' | 'ss12000_organisations' | 'ss12000_person_relations') =>
  Number(
    (
      await harness()
        .ctx.db.selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  const { ctx } = harness();
  world = generateWorld({ seed: 11, schools: 3, students: 90, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await insertUser(ctx.db, { email: 'operator@sis.example', password: 'correct horse battery', displayName: 'Olle Operatör', kind: 'operator' });
  operator = harness().client();
  expect((await operator.login('operator@sis.example', 'correct horse battery')).status).toBe(200);
}, 60_000);

describe('SS 12000 ingestion', () => {
  it('loads a batch, and loading it again changes nothing (no new meta.modified)', async () => {
    const first = await operator.post('/api/v1/ingestion/batch', { upsert: world });
    expect(first.status).toBe(200);
    expect(first.body.created.persons).toBe(world.persons.length);
    expect(first.body.noChange).toBe(false);
    const c = await reader(NUMBERS);
    const before = (await c.crawl('/persons', 1000)).items;
    harness().clock.advance(60_000);
    const again = await operator.post('/api/v1/ingestion/batch', { upsert: world });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ noChange: true, created: { persons: 0 }, updated: { persons: 0 }, unchanged: { persons: world.persons.length } });
    const after = (await c.crawl('/persons', 1000)).items;
    expect(after.map((p) => p.meta)).toEqual(before.map((p) => p.meta));
  });

  it('bumps meta.modified of the changed entity only', async () => {
    const c = await reader(NUMBERS);
    const since = harness().clock.now().toISOString();
    harness().clock.advance(60_000);
    const student = world.persons.find((p) => p.enrolments?.length)!;
    const changed = { ...student, givenName: 'Åsa-Märta' };
    const res = await operator.post('/api/v1/ingestion/batch', {
      upsert: { persons: [changed, ...world.persons.slice(0, 5).filter((p) => p.id !== student.id)] },
    });
    expect(res.body.updated.persons).toBe(1);
    const modified = await c.crawl(`/persons?meta.modified.after=${encodeURIComponent(since)}`);
    expect(modified.items.map((p) => p.id)).toEqual([student.id]);
    expect(modified.items[0].givenName).toBe('Åsa-Märta');
    expect(modified.items[0].meta.modified).toBe(harness().clock.now().toISOString());
    expect(Date.parse(modified.items[0].meta.created)).toBeLessThan(Date.parse(modified.items[0].meta.modified));
    await operator.post('/api/v1/ingestion/batch', { upsert: { persons: [student] } });
  });

  it('rejects a batch with bad records by index and field, and keeps none of it', async () => {
    const organisations = await count('ss12000_organisations');
    const persons = await count('ss12000_persons');
    const groups = await count('ss12000_groups');
    const fresh = generateWorld({ seed: 99, schools: 1, students: 5, today: '2026-11-22' });
    const good = fresh.persons[0]!;
    const pupil = fresh.persons.find((p) => p.enrolments?.length)!;
    const res = await operator.post('/api/v1/ingestion/batch', {
      upsert: {
        organisations: fresh.organisations,
        persons: [
          good,
          { ...fresh.persons[1], sex: 'Pojke' },
          { ...fresh.persons[2], givenName: undefined },
          { ...fresh.persons[3], birthDate: '2015-02-30' },
          { ...pupil, responsibles: [], enrolments: [{ ...pupil.enrolments![0]!, enroledAt: { id: '6f1c1d8e-2a0b-4c59-9b0e-7d3c2a1b0f9e' } }] },
        ],
        groups: fresh.groups.slice(0, 1),
      },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('invalid_batch');
    const byIndex = Object.fromEntries(res.body.errors.map((e: { index: number; field: string; code: string }) => [`${e.index}`, [e.field, e.code]]));
    expect(byIndex['1']).toEqual(['upsert.persons.1.sex', 'invalid_enum']);
    expect(byIndex['2']).toEqual(['upsert.persons.2.givenName', 'invalid_type']);
    expect(byIndex['3']).toEqual(['upsert.persons.3.birthDate', 'invalid_format']);
    expect(byIndex['4']).toEqual(['upsert.persons.4.enrolments.0.enroledAt.id', 'unknown_reference']);
    expect(res.body.errors.some((e: { index: number }) => e.index === 0)).toBe(false);
    expect(await count('ss12000_persons')).toBe(persons);
    expect(await count('ss12000_groups')).toBe(groups);
    expect(await count('ss12000_organisations')).toBe(organisations);
  });

  it('refuses a batch whose last record refers to nothing, after storing the rest, and keeps none of it', async () => {
    // The load stores each stretch while it parses the next and checks references last: a bad
    // reference at the very end must still undo everything the load wrote before it.
    const before = await Promise.all((['ss12000_organisations', 'ss12000_persons', 'ss12000_person_relations', 'ss12000_groups'] as const).map(count));
    const fresh = generateWorld({ seed: 98, schools: 2, students: 40, today: '2026-11-22' });
    const groups = fresh.groups.map((g, i) => (i === fresh.groups.length - 1 ? { ...g, organisation: { id: '0b9e7f4c-3c1d-4e8a-9f2b-6a5d4c3b2a10' } } : g));
    const res = await operator.post('/api/v1/ingestion/batch', { upsert: { organisations: fresh.organisations, persons: fresh.persons, groups } });
    expect(res.status).toBe(400);
    expect(res.body.problemCount).toBe(1);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ index: groups.length - 1, field: `upsert.groups.${groups.length - 1}.organisation.id`, code: 'unknown_reference' }),
    ]);
    expect(await Promise.all((['ss12000_organisations', 'ss12000_persons', 'ss12000_person_relations', 'ss12000_groups'] as const).map(count))).toEqual(before);
  });

  describe('a record sent again exactly as stored is not validated again (issue 16), and nothing changes for the loader', () => {
    it('still reports members the schemas do not know, on every load', async () => {
      const person = { ...world.persons[0]!, lockerCode: 'B-17' };
      const load = () => operator.post('/api/v1/ingestion/batch', { upsert: { persons: [person] } });
      for (let i = 0; i < 3; i++) {
        const res = await load();
        expect(res.status).toBe(200);
        expect(res.body.unknownMembers).toEqual({ persons: { lockerCode: 1 } });
        expect(res.body.unchanged.persons).toBe(1);
      }
    });

    it('names a bad record by its index in the batch as sent, with stored records before it', async () => {
      const [a, b, c] = world.persons;
      const res = await operator.post('/api/v1/ingestion/batch', { upsert: { persons: [a, b, { ...c, sex: 'Pojke' }] } });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['upsert.persons.2.sex']);
    });

    it('refuses a record twice in one batch, even when it is stored as sent', async () => {
      const res = await operator.post('/api/v1/ingestion/batch', { upsert: { persons: [world.persons[1], world.persons[1]] } });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ index: 1, code: 'duplicate_id' });
    });

    it('refuses deleting what a stored record sent again refers to', async () => {
      const group = world.groups[0]!;
      const res = await operator.post('/api/v1/ingestion/batch', { upsert: { groups: [group] }, delete: { organisations: [group.organisation.id] } });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ field: 'upsert.groups.0.organisation.id', code: 'unknown_reference' });
    });

    it('takes a record sent with its members in another order as the one stored', async () => {
      const person = world.persons[4]!;
      const reordered = Object.fromEntries(Object.entries(person).reverse());
      for (let i = 0; i < 2; i++) {
        const res = await operator.post('/api/v1/ingestion/batch', { upsert: { persons: [reordered] } });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ noChange: true, unchanged: { persons: 1 } });
      }
    });
  });

  it('records deletions for /deletedEntities, only for apps that could see the entity', async () => {
    const unit = world.organisations.find((o) => o.organisationCode === NUMBERS[0])!;
    const seeing = await reader([NUMBERS[0]!]);
    const elsewhere = await reader([NUMBERS[1]!]);
    const since = harness().clock.now().toISOString();
    harness().clock.advance(1000);
    const student = world.persons.find((p) => p.enrolments?.some((e) => e.enroledAt.id === unit.id))!;
    const activity = world.activities.find((a) => a.organisation.id === unit.id)!;
    const res = await operator.post('/api/v1/ingestion/batch', { delete: { persons: [student.id], activities: [activity.id] } });
    expect(res.status).toBe(200);
    expect(res.body.deleted).toMatchObject({ persons: 1, activities: 1 });
    const seen = await seeing.get(`/deletedEntities?after=${encodeURIComponent(since)}`);
    expect(seen.status).toBe(200);
    expect(seen.body.data.persons).toEqual([student.id]);
    expect(seen.body.data.activitites).toEqual([activity.id]);
    const onlyPersons = await seeing.get(`/deletedEntities?after=${encodeURIComponent(since)}&entities=Person`);
    expect(Object.keys(onlyPersons.body.data)).toEqual(['persons']);
    const other = await elsewhere.get(`/deletedEntities?after=${encodeURIComponent(since)}`);
    expect(other.body.data.persons).toEqual([]);
    expect((await seeing.get(`/persons/${student.id}`)).status).toBe(404);
    // Deleting again is a no-op; loading it back brings it back.
    const again = await operator.post('/api/v1/ingestion/batch', { delete: { persons: [student.id] } });
    expect(again.body).toMatchObject({ noChange: true, deleted: { persons: 0 } });
    await operator.post('/api/v1/ingestion/batch', { upsert: { persons: [student], activities: [activity] } });
    expect((await seeing.get(`/persons/${student.id}`)).status).toBe(200);
  });

  it("lets the operator set an app's rate limit, on record, and restore the default", async () => {
    const { ctx, url } = harness();
    const app = await createApp(ctx, { students: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[0]!]);
    const c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
    expect((await c.get('/organisations')).headers.get('ratelimit-limit')).toBe('1200');
    const set = await operator.put(`/api/v1/operator/apps/${app.appId}/rate-limit`, { requestsPerMinute: 2, reason: 'Nightly crawl hurt the school' });
    expect(set.body).toEqual({ appId: app.appId, requestsPerMinute: 2, isDefault: false });
    // One request was made in this minute before; the second is the last one allowed.
    expect((await c.get('/organisations')).status).toBe(200);
    const next = await c.get('/organisations');
    expect([next.status, next.headers.get('ratelimit-limit')]).toEqual([429, '2']);
    const audit = await ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'app.rate_limit_set').where('app_id', '=', app.appId).execute();
    expect(audit.map((a) => [a.reason, a.after])).toEqual([['Nightly crawl hurt the school', { requestsPerMinute: 2 }]]);
    await operator.put(`/api/v1/operator/apps/${app.appId}/rate-limit`, { requestsPerMinute: null });
    expect((await c.get('/organisations')).status).toBe(200);
    expect((await operator.put(`/api/v1/operator/apps/${app.appId}/rate-limit`, { requestsPerMinute: 0 })).status).toBe(400);
    expect((await operator.put('/api/v1/operator/apps/6f1c1d8e-2a0b-4c59-9b0e-7d3c2a1b0f9e/rate-limit', { requestsPerMinute: 5 })).status).toBe(404);
  });

  it('a refusal by the database mid-load is reported as its cause, and nothing of the batch is kept', async () => {
    const { ctx } = harness();
    // Past one block of stored digests (5,000 records), so that the refused insert has the next
    // block's read queued behind it (src/db/overlap.ts): the read must not hide the cause.
    const persons = Array.from({ length: 5200 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      givenName: i === 4900 ? 'Refused' : `Pupil${i}`,
      familyName: 'Bulk',
    }));
    const before = await count('ss12000_persons');
    await sql`ALTER TABLE ss12000_persons ADD CONSTRAINT test_refused_name CHECK (given_name <> 'Refused') NOT VALID`.execute(ctx.db);
    try {
      await expect(ingestBatch(ctx, { upsert: { persons } } as never, { id: null, label: 'test', kind: 'system' })).rejects.toThrow(/test_refused_name/);
    } finally {
      await sql`ALTER TABLE ss12000_persons DROP CONSTRAINT test_refused_name`.execute(ctx.db);
    }
    expect(await count('ss12000_persons')).toBe(before);
  }, 60_000);

  it('is for the operator only', async () => {
    const { ctx } = harness();
    await insertUser(ctx.db, { email: 'partner@example.test', password: 'correct horse battery', displayName: 'P', kind: 'partner' });
    const partner = harness().client();
    await partner.login('partner@example.test', 'correct horse battery');
    expect((await partner.post('/api/v1/ingestion/batch', { upsert: {} })).status).toBe(403);
    expect((await harness().client().post('/api/v1/ingestion/batch', { upsert: {} })).status).toBe(401);
  });
});
