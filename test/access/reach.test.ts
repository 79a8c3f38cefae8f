/**
 * What a grant reaches (src/modules/access/reach.ts over the view `grant_reach`): the institution it
 * names, or the members of the access group it names, read live — and every reader of reach (the SS
 * 12000 API, the sign-in's school picker) follows a member leaving the group on its next request.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { grantReach, reachedInstitutions, reachedUnits } from '../../src/modules/access/reach.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { pickerInstitutions } from '../../src/oidc/interactions/eligibility.ts';
import { insertAccessGroup, insertGrant } from '../../src/seed/builders.ts';
import { useHarness } from '../support/harness.ts';
import { createApp, ensureInstitutions, Ss12000Client } from '../ss12000/support.ts';

const harness = useHarness();
const NUMBERS = ['380001', '380002', '380003'];
const [DIRECT, MEMBER, LEAVER] = NUMBERS as [string, string, string];
const SYSTEM = { id: null, label: 'test loader', kind: 'system' as const };
let world: World;

beforeAll(async () => {
  const { ctx } = harness();
  world = generateWorld({ seed: 38, schools: 3, students: 30, institutionNumbers: NUMBERS, today: new Date().toISOString().slice(0, 10) });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, SYSTEM);
}, 120_000);

/** An app granted the students API on DIRECT directly and on an access group of MEMBER and LEAVER. */
async function grantedApp() {
  const { ctx } = harness();
  const app = await createApp(ctx, { students: ['identity'] });
  const groupId = await insertAccessGroup(ctx.db, { name: `Group ${Math.random()}`, institutionNumbers: [MEMBER, LEAVER] });
  const direct = await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'students', institutionNumber: DIRECT });
  const viaGroup = await insertGrant(ctx.db, { clientId: app.clientId, apiCode: 'students', accessGroupId: groupId });
  return { app, groupId, direct, viaGroup };
}

describe('what a grant reaches', () => {
  it('is the institution a grant names, and each member of the access group a grant names', async () => {
    const { ctx } = harness();
    const { app, groupId, direct, viaGroup } = await grantedApp();
    const rows = await grantReach(ctx.db)
      .select(['r.grant_id', 'r.app_id', 'r.api_code', 'r.institution_number', 'r.access_group_id'])
      .where('r.client_id', '=', app.clientId)
      .orderBy('r.institution_number')
      .execute();
    expect(rows).toEqual([
      { grant_id: direct, app_id: app.appId, api_code: 'students', institution_number: DIRECT, access_group_id: null },
      { grant_id: viaGroup, app_id: app.appId, api_code: 'students', institution_number: MEMBER, access_group_id: groupId },
      { grant_id: viaGroup, app_id: app.appId, api_code: 'students', institution_number: LEAVER, access_group_id: groupId },
    ]);
    expect(await reachedInstitutions(ctx.db, app.clientId, ['staff'])).toEqual([]);
    const unitOf = new Map(world.organisations.filter((o) => o.organisationType === 'Skolenhet').map((o) => [o.organisationCode!, o.id]));
    expect(await reachedUnits(ctx.db, app.clientId)).toEqual(NUMBERS.map((n) => ({ apiCode: 'students', institutionNumber: n, unitId: unitOf.get(n) })));
  });

  it('stops reaching an institution that leaves the access group, from the next request on', async () => {
    const { ctx } = harness();
    const { app, groupId } = await grantedApp();
    const c = new Ss12000Client(`${harness().url}/ss12000/v2.0`, `${harness().url}/oidc/token`, app.clientId, app.secret);
    const codes = async () => {
      const res = await c.get('/organisations?limit=1000');
      expect(res.status).toBe(200);
      return res.body.data.map((o: { organisationCode: string }) => o.organisationCode).sort();
    };
    const picked = async () => (await pickerInstitutions(ctx.db, app.clientId, '')).map((i) => i.number).sort();
    expect(await codes()).toEqual(NUMBERS);
    expect(await picked()).toEqual(NUMBERS);

    await ctx.db.deleteFrom('access_group_institutions').where('access_group_id', '=', groupId).where('institution_number', '=', LEAVER).execute();

    expect(await reachedInstitutions(ctx.db, app.clientId)).toEqual([
      { institutionNumber: DIRECT, apiCode: 'students' },
      { institutionNumber: MEMBER, apiCode: 'students' },
    ]);
    expect(await codes()).toEqual([DIRECT, MEMBER]);
    expect(await picked()).toEqual([DIRECT, MEMBER]);
  });
});
