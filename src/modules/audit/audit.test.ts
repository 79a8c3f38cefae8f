import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from '../../../test/support/harness.ts';
import { insertAdminRight, insertUser } from '../../seed/builders.ts';
import { buildWorld, PASSWORD, SCHOOLS, sessionsOf, type World } from '../school/test-world.ts';

const harness = useHarness();
let world: World;
const as = sessionsOf(harness);

const OP = 'op@informat.example';
const ANNA = 'anna@school.example';
const OTTO = 'otto@school.example';
const PAULA = 'paula@partner-a.example';
const BERT = 'bert@partner-b.example';

async function readAll(c: TestClient, query = '', limit = 2) {
  const seen: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const res: any = await c.get(`/api/v1/audit-log?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    seen.push(...res.body.data);
    cursor = res.body.nextCursor;
    if (!cursor) return seen;
  }
  throw new Error('paging did not end');
}

beforeAll(async () => {
  world = await buildWorld(harness().ctx.db);
  const clock = harness().clock;
  // A small history, one change per minute.
  clock.set('2026-11-22T09:00:00Z');
  // Anna (Nassau, Klim Op, Zonnebloem) and Otto (Vlinder) both grant the planner more schools.
  expect(
    (
      await (
        await as(ANNA)
      ).put(`/api/v1/school/apps/${world.apps.planner}/api-access/students`, {
        institutionNumbers: [SCHOOLS.nassau, SCHOOLS.klimop],
        reason: 'Klim Op joins',
      })
    ).status,
  ).toBe(200);
  clock.advance(60_000);
  const olaf = await insertUser(harness().ctx.db, {
    email: 'olaf@school.example',
    password: PASSWORD,
    displayName: 'Olaf Both',
    kind: 'school',
    userManagementAccess: true,
  });
  // Olaf holds rights on Klim Op and Vlinder: he shares Klim Op with Anna, Vlinder with Otto.
  await insertAdminRight(harness().ctx.db, { userId: olaf, right: 'iLeerlingen', institutionNumber: SCHOOLS.klimop, schoolYear: 2026 });
  await insertAdminRight(harness().ctx.db, { userId: olaf, right: 'iLeerlingen', institutionNumber: SCHOOLS.vlinder, schoolYear: 2026 });
  expect(
    (
      await (
        await as('olaf@school.example')
      ).put(`/api/v1/school/apps/${world.apps.planner}/api-access/students`, {
        institutionNumbers: [SCHOOLS.klimop],
        confirmRemoval: true,
        reason: 'Vlinder stops',
      })
    ).status,
  ).toBe(200);
  clock.advance(60_000);
  expect((await (await as(OP)).post(`/api/v1/operator/apps/${world.apps.submitted}/approve`, { notes: 'fine' })).status).toBe(200);
  clock.advance(60_000);
  expect((await (await as(OP)).post(`/api/v1/operator/apps/${world.apps.suspended}/archive`, { reason: 'gone' })).status).toBe(200);
});

describe('GET /audit-log', () => {
  it('refuses anonymous callers and SIS users without user management', async () => {
    expect((await harness().client().get('/api/v1/audit-log')).status).toBe(401);
    const tom = await (await as('tom@school.example')).get('/api/v1/audit-log');
    expect(tom.status).toBe(403);
    expect(tom.body.code).toBe('no_access');
  });

  it('gives the operator everything, newest first, in keyset pages without gaps or repeats', async () => {
    const op = await as(OP);
    const all = await readAll(op, '', 200);
    const paged = await readAll(op, '', 2);
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    const ids = paged.map((e) => BigInt(e.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! < ids[i - 1]!).toBe(true);
    expect(all.map((e) => e.action).slice(0, 4)).toEqual(['app.archived', 'app.approved', 'grants.replaced', 'grants.replaced']);
    const bad = await op.get('/api/v1/audit-log?cursor=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('querystring.cursor');
    expect((await op.get('/api/v1/audit-log?limit=1000')).body.field).toBe('querystring.limit');
  });

  it('filters by action, app, partner, institution, actor and time', async () => {
    const op = await as(OP);
    const actions = async (q: string) => (await readAll(op, q, 50)).map((e) => e.action);
    expect(await actions('&action=grants.replaced')).toEqual(['grants.replaced', 'grants.replaced']);
    expect(await actions('&action=app.*')).toEqual(['app.archived', 'app.approved']);
    expect(await actions(`&appId=${world.apps.submitted}`)).toEqual(['app.approved']);
    expect(await actions(`&partnerId=${world.partners.partnerA}`)).toEqual(['grants.replaced', 'grants.replaced']);
    expect(await actions(`&institution=${SCHOOLS.vlinder}`)).toEqual(['grants.replaced']);
    expect(await actions(`&actor=${world.users.operator}`)).toEqual(['app.archived', 'app.approved']);
    expect(await actions('&actor=anna%40school')).toEqual(['grants.replaced']);
    expect(await actions('&from=2026-11-22T09:01:00Z&to=2026-11-22T09:03:00Z')).toEqual(['app.approved', 'grants.replaced']);
    const bad = await op.get('/api/v1/audit-log?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('querystring.from');
    // Inputs the database cannot take are refused up front, never a 500.
    expect((await op.get('/api/v1/audit-log?to=-271821-04-20T00:00:00Z')).body).toMatchObject({ status: 400, field: 'querystring.to' });
    expect((await op.get('/api/v1/audit-log?actor=%00')).body).toMatchObject({ status: 400, field: 'querystring.actor' });
  });

  it('gives a partner member the entries of its own partner only', async () => {
    const paula = await readAll(await as(PAULA), '', 50);
    expect(paula.length).toBe(2);
    for (const e of paula) expect(e.partnerId).toBe(world.partners.partnerA);
    const bert = await readAll(await as(BERT), '', 50);
    expect(bert.map((e) => e.action)).toEqual(['app.archived', 'app.approved']);
    // Filtering on another partner does not widen the view.
    expect(await readAll(await as(BERT), `&partnerId=${world.partners.partnerA}`, 50)).toEqual([]);
    const noProfile = await insertUser(harness().ctx.db, { email: 'solo@x.example', password: PASSWORD, displayName: 'Solo', kind: 'partner' });
    expect(noProfile).toBeTruthy();
    const solo = await (await as('solo@x.example')).get('/api/v1/audit-log');
    expect(solo.status).toBe(403);
    expect(solo.body.code).toBe('partner_profile_missing');
  });

  it('gives a school admin the entries touching their institutions, with other schools blanked out', async () => {
    const anna = await readAll(await as(ANNA), '', 50);
    // Her own change and the archiving of an app granted on Nassau; not Olaf's change, which
    // touched only Vlinder, nor the approval of an app without grants.
    expect(anna.map((e) => e.reason)).toEqual(['gone', 'Klim Op joins']);
    const otto = await readAll(await as(OTTO), '', 50);
    expect(otto.map((e) => e.reason)).toEqual(['Vlinder stops']);
    const entry = otto[0];
    // Olaf's before/after set included Klim Op, which is not Otto's: it is not shown to him.
    expect(entry.institutionNumbers).toEqual([SCHOOLS.vlinder]);
    expect(entry.before).toEqual({ apiCode: 'students', institutionNumbers: [SCHOOLS.vlinder] });
    expect(entry.after).toEqual({ apiCode: 'students', institutionNumbers: [] });
    expect(JSON.stringify(otto)).not.toContain(SCHOOLS.klimop);
    // The operator sees the whole of it.
    const full = (await readAll(await as(OP), '&actor=olaf', 50))[0];
    expect(full.before).toEqual({ apiCode: 'students', institutionNumbers: [SCHOOLS.klimop, SCHOOLS.vlinder] });
  });
});
