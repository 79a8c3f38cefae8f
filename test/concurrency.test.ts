import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type TestClient } from './support/harness.ts';
import { insertAdminRight, insertApp, insertClient, insertInstitution, insertPartner, insertUser } from '../src/seed/builders.ts';

/**
 * Two school admins saving the same app's grants at the same moment: every save lands, in some
 * order, with its own audit row, and the audit rows chain (each one's "before" is the previous one's
 * "after"), so no update and no audit row is lost. Runs on PGlite and, with TEST_DATABASE_URL, on
 * PostgreSQL, where the requests really overlap in separate connections.
 */
const harness = useHarness();
const PASSWORD = 'concurrency password';
const SCHOOLS = ['100001', '100002', '100003', '100004'];
const ONLY_A = '100005';
const ONLY_B = '100006';
let appId: string;
let clientId: string;
let admins: TestClient[];
/** Each admin's own invitation: an invitation opens the app only for its addressee. */
const INVITATIONS = new Map<TestClient, string>();

beforeAll(async () => {
  const db = harness().ctx.db;
  for (const n of [...SCHOOLS, ONLY_A, ONLY_B]) await insertInstitution(db, { number: n, name: `School ${n}` });
  const a = await insertUser(db, { email: 'a@school.example', password: PASSWORD, displayName: 'Admin A', kind: 'school', userManagementAccess: true });
  const b = await insertUser(db, { email: 'b@school.example', password: PASSWORD, displayName: 'Admin B', kind: 'school', userManagementAccess: true });
  for (const userId of [a, b]) {
    for (const n of SCHOOLS) await insertAdminRight(db, { userId, right: 'iLeerlingen', institutionNumber: n, schoolYear: 2026 });
  }
  await insertAdminRight(db, { userId: a, right: 'iBasis', institutionNumber: ONLY_A, schoolYear: 2026 });
  await insertAdminRight(db, { userId: b, right: 'iBasis', institutionNumber: ONLY_B, schoolYear: 2026 });
  const partnerId = await insertPartner(db, { name: 'Racers', contactEmail: 'race@partner.example' });
  appId = await insertApp(db, {
    partnerId,
    name: 'RaceApp',
    status: 'approved',
    contactEmail: 'raceapp@partner.example',
    apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Testing races' }],
  });
  clientId = (await insertClient(db, { appId, name: 'RaceApp' })).clientId;
  // The app has no grants yet: the admins reach it through the partner's invitations.
  admins = [];
  for (const email of ['a@school.example', 'b@school.example']) {
    const token = `race-invitation-${email}`;
    await db
      .insertInto('invitations')
      .values({ id: crypto.randomUUID(), app_id: appId, email, token, expires_at: new Date('2026-12-31T00:00:00Z') })
      .execute();
    const c = harness().client();
    expect((await c.login(email, PASSWORD)).status).toBe(200);
    admins.push(c);
    INVITATIONS.set(c, token);
  }
});

const granted = async () =>
  (await harness().ctx.db.selectFrom('grants').select('institution_number').where('client_id', '=', clientId).where('api_code', '=', 'students').execute())
    .map((g) => g.institution_number!)
    .sort();

const auditRows = () =>
  harness()
    .ctx.db.selectFrom('audit_log')
    .select(['id', 'actor_label', 'before', 'after', 'institution_numbers'])
    .where('action', '=', 'grants.replaced')
    .where('client_id', '=', clientId)
    .orderBy('id')
    .execute();

const mailCount = async () =>
  (await harness().ctx.db.selectFrom('mail_outbox').select('id').where('to_address', '=', 'raceapp@partner.example').execute()).length;

const save = (admin: TestClient, institutionNumbers: string[], reason: string) =>
  admin.put(`/api/v1/school/apps/${appId}/api-access/students?invitation=${INVITATIONS.get(admin)}`, { institutionNumbers, confirmRemoval: true, reason });

describe('two admins editing the same app at once', () => {
  it('lands both disjoint additions, each with its audit row', async () => {
    const [ra, rb] = await Promise.all([save(admins[0]!, [ONLY_A], 'A adds'), save(admins[1]!, [ONLY_B], 'B adds')]);
    expect(ra.status).toBe(200);
    expect(rb.status).toBe(200);
    expect(await granted()).toEqual([ONLY_A, ONLY_B]);
    const rows = await auditRows();
    expect(rows.map((r) => r.institution_numbers).sort()).toEqual([[ONLY_A], [ONLY_B]]);
  });

  it('grants the same school once when both add it at once: one change, one audit row, no error', async () => {
    const before = (await auditRows()).length;
    // Each admin keeps the school only they hold a right on; both add the first shared school.
    const results = await Promise.all([save(admins[0]!, [SCHOOLS[0]!, ONLY_A], 'same'), save(admins[1]!, [SCHOOLS[0]!, ONLY_B], 'same')]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(results.map((r) => r.body.changed).sort()).toEqual([false, true]);
    expect(await granted()).toEqual([SCHOOLS[0]!, ONLY_A, ONLY_B].sort());
    expect((await auditRows()).length).toBe(before + 1);
  });

  it('never loses an update or an audit row under many overlapping saves', async () => {
    // Deterministic pseudo-random subsets of the shared schools.
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    const subset = () => SCHOOLS.filter(() => next() % 2 === 0);
    const rowsBefore = (await auditRows()).length;
    const mailsBefore = await mailCount();
    let changed = 0;
    for (let round = 0; round < 6; round++) {
      const requests = Array.from({ length: 6 }, (_, i) => save(admins[i % 2]!, [...subset(), i % 2 ? ONLY_B : ONLY_A], `round ${round} request ${i}`));
      const results = await Promise.all(requests);
      for (const r of results) {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        if (r.body.changed) changed++;
      }
    }
    const rows = (await auditRows()).slice(rowsBefore);
    // One audit row and one mail per effective change, none for a save that changed nothing.
    expect(rows.length).toBe(changed);
    expect(await mailCount()).toBe(mailsBefore + changed);
    expect(changed).toBeGreaterThan(0);
    // The rows chain: each save saw the result of the one before it (diff computed under the lock).
    const shared = (doc: unknown) => ((doc as { institutionNumbers: string[] }).institutionNumbers ?? []).filter((n) => SCHOOLS.includes(n));
    for (let i = 1; i < rows.length; i++) {
      expect(shared(rows[i]!.before), `row ${i}`).toEqual(shared(rows[i - 1]!.after));
    }
    // The last row describes what is granted now; the schools outside both admins' shared scope stayed.
    const now = await granted();
    expect(now.filter((n) => SCHOOLS.includes(n))).toEqual(shared(rows.at(-1)!.after));
    expect(now).toEqual(expect.arrayContaining([ONLY_A, ONLY_B]));
  });
});
