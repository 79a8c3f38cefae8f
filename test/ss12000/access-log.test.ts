import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { generateWorld } from '../../src/generator/index.ts';
import { currentSchoolYear } from '../../src/lib/school-year.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { insertAdminRight, insertApp, insertClient, insertPartner, insertUser } from '../../src/seed/builders.ts';
import { ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

const harness = useHarness();
const NUMBERS = ['350001', '350002'];
const PASSWORD = 'correct horse battery';
let appId: string;

beforeAll(async () => {
  const { ctx, url } = harness();
  const world = generateWorld({ seed: 9, schools: 2, students: 40, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'test', kind: 'system' });
  const member = await insertUser(ctx.db, { email: 'anna@laxhjalpen.example', password: PASSWORD, displayName: 'Anna', kind: 'partner' });
  const partnerId = await insertPartner(ctx.db, { name: 'Läxhjälpen AB', contactEmail: 'info@laxhjalpen.example', memberUserIds: [member] });
  appId = await insertApp(ctx.db, { partnerId, name: 'Läxhjälpen', status: 'approved', apis: [{ apiCode: 'students', dataCategories: ['identity'], purpose: 'Läxor' }] });
  const client = await insertClient(ctx.db, { appId, name: 'Läxhjälpen' });
  await grantAll(ctx, client.clientId, 'students', NUMBERS);
  const c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, client.clientId, client.secret);
  await c.get('/persons?limit=5');
  await c.get('/persons?limit=5');
  await c.get('/organisations');
  const year = currentSchoolYear(ctx.clock.now(), { start: ctx.config.SCHOOL_YEAR_START, timeZone: ctx.config.TZ });
  const admin = await insertUser(ctx.db, { email: 'rektor@skola.example', password: PASSWORD, displayName: 'Rektor', kind: 'school', userManagementAccess: true });
  await insertAdminRight(ctx.db, { userId: admin, right: 'iBasis', institutionNumber: NUMBERS[0], schoolYear: year });
  await insertUser(ctx.db, { email: 'other@partner.example', password: PASSWORD, displayName: 'Other', kind: 'partner' }).then((id) =>
    insertPartner(ctx.db, { name: 'Other AB', contactEmail: 'o@partner.example', memberUserIds: [id] }),
  );
  // The access log is written after each response: wait until all three rows are there.
  for (let i = 0; i < 100; i++) {
    const n = await ctx.db.selectFrom('ss12000_access_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    if (Number(n.n) >= 3) break;
    await new Promise((r) => setTimeout(r, 20));
  }
}, 60_000);

const login = async (email: string) => {
  const client = harness().client();
  expect((await client.login(email, PASSWORD)).status).toBe(200);
  return client;
};

describe('access log, daily aggregate', () => {
  it('shows the partner its app per institution and endpoint', async () => {
    const res = await (await login('anna@laxhjalpen.example')).get('/api/v1/access-log/daily');
    expect(res.status).toBe(200);
    const persons = res.body.data.filter((r: { endpoint: string }) => r.endpoint === '/persons');
    expect(persons.map((r: { institutionNumber: string }) => r.institutionNumber).sort()).toEqual(NUMBERS);
    expect(persons[0]).toMatchObject({ day: '2026-11-22', appId, requests: 2, records: 10 });
  });

  it('shows a school admin only their institutions, and another partner nothing', async () => {
    const admin = await (await login('rektor@skola.example')).get('/api/v1/access-log/daily');
    expect(admin.status).toBe(200);
    expect(new Set(admin.body.data.map((r: { institutionNumber: string }) => r.institutionNumber))).toEqual(new Set([NUMBERS[0]]));
    const other = await (await login('other@partner.example')).get('/api/v1/access-log/daily');
    expect(other.body.data).toEqual([]);
    expect((await harness().client().get('/api/v1/access-log/daily')).status).toBe(401);
  });
});
