import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { currentSchoolYear } from '../../lib/school-year.ts';
import { insertAccessGroup, insertAdminRight, insertApp, insertClient, insertInstitution, insertPartner, insertUser } from '../../seed/builders.ts';
import { TestClock } from '../../lib/clock.ts';
import { insertGrants, replaceGrants, restoreGrants, suspendGrants } from '../access/grants.ts';

/**
 * The chart numbers from a world built by hand (the harness's deployment time zone is
 * Europe/Brussels, UTC+1 in November): reads recorded on two days for three apps at three
 * institutions, one of which (C) the school admin holds no right on. Every expected number below
 * is counted from the rows as written here, not from the code's own query.
 */
const harness = useHarness();
const PASSWORD = 'correct horse battery';
const [A, B, C] = ['410001', '410002', '410003'] as const;
let X: string; // partner 1's app
let Y: string; // partner 1's app
let Z: string; // partner 2's app

beforeAll(async () => {
  const { ctx } = harness();
  for (const [number, name] of [
    [A, 'Alfa'],
    [B, 'Bravo'],
    [C, 'Charlie'],
  ] as const)
    await insertInstitution(ctx.db, { number, name });
  const apis = [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Homework' }];
  const anna = await insertUser(ctx.db, { email: 'anna@p1.example', password: PASSWORD, displayName: 'Anna', kind: 'partner' });
  const p1 = await insertPartner(ctx.db, { name: 'P1', contactEmail: 'info@p1.example', memberUserIds: [anna] });
  const bo = await insertUser(ctx.db, { email: 'bo@p2.example', password: PASSWORD, displayName: 'Bo', kind: 'partner' });
  const p2 = await insertPartner(ctx.db, { name: 'P2', contactEmail: 'info@p2.example', memberUserIds: [bo] });
  X = await insertApp(ctx.db, { partnerId: p1, name: 'Xylo', status: 'approved', apis });
  Y = await insertApp(ctx.db, { partnerId: p1, name: 'Yak', status: 'approved', apis });
  Z = await insertApp(ctx.db, { partnerId: p2, name: 'Zebra', status: 'suspended', apis });
  await insertApp(ctx.db, { partnerId: p2, name: 'Draft one', status: 'draft', apis });
  await insertApp(ctx.db, { partnerId: p2, name: 'Draft two', status: 'draft', apis });
  await insertApp(ctx.db, { partnerId: p1, name: 'Waiting', status: 'submitted', apis });

  // The admin holds a right on A directly and on B through an access group (invoicing); none on C.
  const year = currentSchoolYear(ctx.clock.now(), { start: ctx.config.SCHOOL_YEAR_START, timeZone: ctx.config.TZ });
  const admin = await insertUser(ctx.db, { email: 'rektor@ab.example', password: PASSWORD, displayName: 'Rektor', kind: 'school', userManagementAccess: true });
  await insertAdminRight(ctx.db, { userId: admin, right: 'iBasis', institutionNumber: A, schoolYear: year });
  const group = await insertAccessGroup(ctx.db, { name: 'Bravo group', institutionNumbers: [B] });
  await insertAdminRight(ctx.db, { userId: admin, right: 'invoicing_admin', accessGroupId: group, schoolYear: year });
  await insertUser(ctx.db, { email: 'teacher@ab.example', password: PASSWORD, displayName: 'Teacher', kind: 'school', userManagementAccess: false });
  await insertUser(ctx.db, { email: 'olle@sis.example', password: PASSWORD, displayName: 'Olle', kind: 'operator' });

  const persons = (institutions: Record<string, number>) => [{ api: 'students', entity: 'persons', categories: ['identity'], institutions }];
  const log = (app: string, partner: string, at: string, status: number, recordCount: number, released: unknown[], institutionNumbers: string[]) => ({
    at: new Date(at),
    client_id: null,
    app_id: app,
    partner_id: partner,
    method: 'GET',
    endpoint: '/persons',
    status,
    record_count: recordCount,
    institution_numbers: institutionNumbers,
    released: JSON.stringify(released),
  });
  await ctx.db
    .insertInto('ss12000_access_log')
    .values([
      // 2026-11-09 23:59 in Brussels: the day before the window.
      log(X, p1, '2026-11-09T22:59:00Z', 200, 8, persons({ [A]: 8 }), [A]),
      // 2026-11-10.
      log(X, p1, '2026-11-10T09:00:00Z', 200, 5, persons({ [A]: 3, [C]: 2 }), [A, C]),
      log(X, p1, '2026-11-10T22:30:00Z', 200, 4, persons({ [B]: 4 }), [B]), // 23:30 local
      // 2026-11-12 (the first one is still 11 November in UTC).
      log(X, p1, '2026-11-11T23:30:00Z', 200, 1, persons({ [A]: 1 }), [A]),
      log(Y, p1, '2026-11-12T10:00:00Z', 200, 7, persons({ [C]: 7 }), [C]),
      log(
        Y,
        p1,
        '2026-11-12T11:00:00Z',
        200,
        4,
        [
          { api: 'students', entity: 'persons', categories: ['identity'], institutions: { [A]: 2 } },
          { api: 'staff', entity: 'duties', categories: ['identity'], institutions: { [A]: 1, [B]: 1 } },
        ],
        [A, B],
      ),
      log(Y, p1, '2026-11-12T12:00:00Z', 403, 0, [], []), // a refusal is not a read
      log(Z, p2, '2026-11-12T13:00:00Z', 200, 6, persons({ [B]: 6 }), [B]),
      log(X, p1, '2026-11-12T14:00:00Z', 200, 2, [{ api: null, entity: 'syllabuses', categories: ['identity'], records: 2 }], []),
      // 2026-11-13 01:30 in Brussels: the day after.
      log(X, p1, '2026-11-13T00:30:00Z', 200, 9, persons({ [A]: 9 }), [A]),
    ])
    .execute();

  // Grants in force: one given before the window, one on the 11th (local), two on the 12th, one after.
  let sandbox = await ctx.db.selectFrom('institutions').select('number').where('sandbox', '=', true).executeTakeFirst();
  if (!sandbox) {
    await insertInstitution(ctx.db, { number: '499999', name: 'Sandbox' });
    await ctx.db.updateTable('institutions').set({ sandbox: true }).where('number', '=', '499999').execute();
    sandbox = { number: '499999' };
  }
  const cx = (await insertClient(ctx.db, { appId: X, name: 'Xylo' })).clientId;
  const cy = (await insertClient(ctx.db, { appId: Y, name: 'Yak' })).clientId;
  const give = (client: string, apiCode: string, institutionNumber: string, at: string) =>
    insertGrants(ctx.db, client, [{ apiCode, institutionNumber, accessGroupId: null }], { grantedBy: null, reason: null, at: new Date(at) });
  await give(cx, 'students', A, '2026-11-01T10:00:00Z');
  await give(cx, 'students', B, '2026-11-10T23:30:00Z'); // 11 November, 00:30 local
  await give(cy, 'students', C, '2026-11-12T08:00:00Z');
  await give(cy, 'students', A, '2026-11-12T09:00:00Z');
  await give(cy, 'staff', A, '2026-11-20T09:00:00Z');
  await give(cx, 'students', sandbox.number, '2026-11-11T09:00:00Z'); // the sandbox is no school's
  // And grants no longer in force, through the services with their own clocks: Yak's students grant
  // at Bravo given on the 10th (11:00 local) and removed on the 12th (16:00 local); Xylo's at Alfa
  // (given 1 November) switched off on the 10th (13:00 local) and on again on the 11th (13:00 local).
  await give(cy, 'students', B, '2026-11-10T10:00:00Z');
  const at = (iso: string) => ({ clock: new TestClock(new Date(iso)), mail: ctx.mail, jobs: ctx.jobs });
  const actor = { id: null, label: 'Test', kind: 'system' as const, name: 'Test' };
  const within = new Map([['students', [A]]]);
  await ctx.db.transaction().execute((trx) => suspendGrants(trx, at('2026-11-10T12:00:00Z'), { clientId: cx, within, actor, reason: 'Paused' }));
  await ctx.db.transaction().execute((trx) => restoreGrants(trx, at('2026-11-11T12:00:00Z'), { clientId: cx, within, actor, reason: null }));
  await ctx.db.transaction().execute((trx) =>
    replaceGrants(trx, at('2026-11-12T15:00:00Z'), {
      clientId: cy,
      apiCode: 'students',
      targets: [A, C],
      actor,
      reason: 'Not Bravo',
      action: 'grants.replaced',
      notify: false,
    }),
  );
}, 60_000);

const signIn = async (email: string) => {
  const client = harness().client();
  expect((await client.login(email, PASSWORD)).status).toBe(200);
  return client;
};

type Reads = {
  timeZone: string;
  from: string;
  to: string;
  apps: { id: string; name: string }[];
  data: { day: string; appId: string | null; requests: number; records: number }[];
};
const WINDOW = 'from=2026-11-10&to=2026-11-12';
const rows = (body: Reads) => body.data.map((d) => [d.day, d.appId, d.requests, d.records]);

describe('GET /api/v1/stats/reads', () => {
  it('gives the operator every app, by day in the deployment time zone, answered reads only', async () => {
    const res = await (await signIn('olle@sis.example')).get(`/api/v1/stats/reads?${WINDOW}`);
    expect(res.status).toBe(200);
    const body = res.body as Reads;
    expect([body.timeZone, body.from, body.to]).toEqual(['Europe/Brussels', '2026-11-10', '2026-11-12']);
    expect(rows(body).sort()).toEqual(
      [
        ['2026-11-10', X, 2, 9],
        ['2026-11-12', X, 2, 3],
        ['2026-11-12', Y, 2, 11],
        ['2026-11-12', Z, 1, 6],
      ].sort(),
    );
    expect(body.apps).toEqual([
      { id: X, name: 'Xylo' },
      { id: Y, name: 'Yak' },
      { id: Z, name: 'Zebra' },
    ]);
  });

  it('gives a partner its own apps only, and 404 for another partner’s app', async () => {
    const p1 = await signIn('anna@p1.example');
    expect(rows((await p1.get(`/api/v1/stats/reads?${WINDOW}`)).body).sort()).toEqual(
      [
        ['2026-11-10', X, 2, 9],
        ['2026-11-12', X, 2, 3],
        ['2026-11-12', Y, 2, 11],
      ].sort(),
    );
    expect(rows((await p1.get(`/api/v1/stats/reads?${WINDOW}&appId=${Y}`)).body)).toEqual([['2026-11-12', Y, 2, 11]]);
    const p2 = await signIn('bo@p2.example');
    expect(rows((await p2.get(`/api/v1/stats/reads?${WINDOW}`)).body)).toEqual([['2026-11-12', Z, 1, 6]]);
    const other = await p2.get(`/api/v1/stats/reads?${WINDOW}&appId=${X}`);
    expect([other.status, other.body.code]).toEqual([404, 'app_not_found']);
  });

  it('gives a school admin only reads that released records of their institutions, counting those records', async () => {
    const admin = await signIn('rektor@ab.example');
    const res = await admin.get(`/api/v1/stats/reads?${WINDOW}`);
    expect(res.status).toBe(200);
    expect(rows(res.body).sort()).toEqual(
      [
        ['2026-11-10', X, 2, 7],
        ['2026-11-12', X, 1, 1],
        ['2026-11-12', Y, 1, 4],
        ['2026-11-12', Z, 1, 6],
      ].sort(),
    );
    expect(rows((await admin.get(`/api/v1/stats/reads?${WINDOW}&appId=${Y}`)).body)).toEqual([['2026-11-12', Y, 1, 4]]);
    const teacher = await (await signIn('teacher@ab.example')).get(`/api/v1/stats/reads?${WINDOW}`);
    expect([teacher.status, teacher.body.code]).toEqual([403, 'no_access']);
  });

  it('defaults to the last 30 days, today included', async () => {
    // The harness clock stands at 2026-11-22 11:00 in Brussels.
    const res = await (await signIn('olle@sis.example')).get('/api/v1/stats/reads');
    expect([res.body.from, res.body.to]).toEqual(['2026-10-24', '2026-11-22']);
    // Everything written but the read refused.
    expect((res.body as Reads).data.reduce((n, d) => n + d.requests, 0)).toBe(9);
    const week = await (await signIn('olle@sis.example')).get('/api/v1/stats/reads?days=3&to=2026-11-12');
    expect([week.body.from, week.body.to, rows(week.body).length]).toEqual(['2026-11-10', '2026-11-12', 4]);
  });

  it('answers bad windows with 400 and a stable code', async () => {
    const op = await signIn('olle@sis.example');
    const cases: [string, string][] = [
      ['from=2026-11-12&to=2026-11-10', 'date_range_inverted'],
      ['from=2025-11-10&to=2026-11-11', 'date_range_too_long'],
      ['from=2026-11-31', 'validation_failed'],
      ['to=yesterday', 'validation_failed'],
      [`appId=not-a-uuid`, 'validation_failed'],
      ['days=0', 'validation_failed'],
      ['days=367', 'validation_failed'],
      ['from=2026-11-01&days=7', 'date_range_ambiguous'],
    ];
    for (const [query, code] of cases) {
      const res = await op.get(`/api/v1/stats/reads?${query}`);
      expect([query, res.status, res.headers.get('content-type'), res.body.code]).toEqual([
        query,
        400,
        expect.stringContaining('application/problem+json'),
        code,
      ]);
    }
    // 366 days is allowed.
    expect((await op.get('/api/v1/stats/reads?from=2025-11-11&to=2026-11-11')).status).toBe(200);
    const unknown = await op.get(`/api/v1/stats/reads?${WINDOW}&appId=00000000-0000-4000-8000-000000000000`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'app_not_found']);
  });
});

describe('GET /api/v1/operator/dashboard', () => {
  it('counts apps by status, grants given and in force per day (also those removed since), and reads per day', async () => {
    const res = await (await signIn('olle@sis.example')).get(`/api/v1/operator/dashboard?${WINDOW}`);
    expect(res.status).toBe(200);
    expect(res.body.appsByStatus).toEqual([
      { status: 'draft', count: 2 },
      { status: 'submitted', count: 1 },
      { status: 'approved', count: 2 },
      { status: 'rejected', count: 0 },
      { status: 'suspended', count: 1 },
      { status: 'archived', count: 0 },
    ]);
    // End of the 10th: Yak at Bravo (given that day); Xylo at Alfa is switched off.
    // End of the 11th: Xylo at Alfa again, Xylo at Bravo (given that day), Yak at Bravo.
    // End of the 12th: Yak at Bravo removed; Yak at Charlie and at Alfa given that day.
    expect(res.body.grants).toEqual([
      { day: '2026-11-10', given: 1, inForce: 1 },
      { day: '2026-11-11', given: 1, inForce: 3 },
      { day: '2026-11-12', given: 2, inForce: 4 },
    ]);
    // Before the switch: Xylo at Alfa only, given on the 1st. After the window: Yak's staff grant on the 20th.
    const early = await (await signIn('olle@sis.example')).get('/api/v1/operator/dashboard?from=2026-11-01&to=2026-11-02');
    expect(early.body.grants).toEqual([
      { day: '2026-11-01', given: 1, inForce: 1 },
      { day: '2026-11-02', given: 0, inForce: 1 },
    ]);
    const late = await (await signIn('olle@sis.example')).get('/api/v1/operator/dashboard?from=2026-11-19&to=2026-11-20');
    expect(late.body.grants).toEqual([
      { day: '2026-11-19', given: 0, inForce: 4 },
      { day: '2026-11-20', given: 1, inForce: 5 },
    ]);
    expect(res.body.reads).toEqual([
      { day: '2026-11-10', requests: 2, records: 9 },
      { day: '2026-11-11', requests: 0, records: 0 },
      { day: '2026-11-12', requests: 5, records: 20 },
    ]);
    const partner = await (await signIn('anna@p1.example')).get(`/api/v1/operator/dashboard?${WINDOW}`);
    expect(partner.status).toBe(403);
    const bad = await (await signIn('olle@sis.example')).get('/api/v1/operator/dashboard?from=2026-11-12&to=2026-11-11');
    expect([bad.status, bad.body.code]).toEqual([400, 'date_range_inverted']);
  });
});
