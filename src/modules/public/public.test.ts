import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertApp, insertPartner } from '../../seed/builders.ts';
import { buildWorld, type World } from '../school/test-world.ts';

const harness = useHarness();
let world: World;
let hiddenPartner: string;

beforeAll(async () => {
  const db = harness().ctx.db;
  world = await buildWorld(db);
  hiddenPartner = await insertPartner(db, { name: 'Quiet Ltd', contactEmail: 'q@quiet.example', public: false });
  await insertApp(db, {
    partnerId: hiddenPartner,
    name: 'Internal Sync',
    status: 'approved',
    apis: [{ apiCode: 'staff', dataCategories: ['identity'], purpose: 'Sync staff to the intranet' }],
  });
  // A public partner with only a draft app is not in the directory.
  await insertPartner(db, { name: 'Not Yet', contactEmail: 'n@notyet.example', public: true });
});

describe('public directory and purpose register', () => {
  it('lists public partners with approved apps, and only those apps', async () => {
    const res = await harness().client().get('/api/v1/public/partners');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      {
        id: world.partners.partnerA,
        name: 'CampusWise',
        description: 'Study planners for secondary schools.',
        website: null,
        apps: [
          {
            id: world.apps.planner,
            name: 'StudyPlanner',
            description: 'StudyPlanner uses school data.',
            apis: [
              { code: 'students', name: 'Students' },
              { code: 'staff', name: 'Staff' },
              { code: 'invoices', name: 'Invoices' },
            ],
          },
        ],
      },
      expect.objectContaining({ id: world.partners.partnerB, name: 'DriesTech', apps: [expect.objectContaining({ name: 'BlueDries' })] }),
    ]);
    const text = JSON.stringify(res.body);
    for (const hidden of ['SleepyApp', 'NewThing', 'Quiet Ltd', 'Not Yet', 'contact@campuswise.example', 'planner@campuswise.example']) {
      expect(text).not.toContain(hidden);
    }
  });

  it('registers per approved app the partner, APIs, data categories, purpose and approval date', async () => {
    const res = await harness().client().get('/api/v1/public/register');
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: any) => `${e.partner.name} / ${e.app.name}`)).toEqual([
      'CampusWise / StudyPlanner',
      'DriesTech / BlueDries',
      'Quiet Ltd / Internal Sync',
    ]);
    expect(res.body.data[0]).toMatchObject({
      partner: { id: world.partners.partnerA, name: 'CampusWise' },
      app: { id: world.apps.planner, name: 'StudyPlanner' },
      apis: [
        { code: 'students', name: 'Students', dataCategories: ['identity', 'birth_date'], purpose: 'Plan homework per class' },
        { code: 'staff', name: 'Staff', dataCategories: ['identity'], purpose: 'Show the teacher of each subject' },
        { code: 'invoices', name: 'Invoices', dataCategories: ['identity', 'invoices'], purpose: 'Show open invoices to parents' },
      ],
    });
    expect(Date.parse(res.body.data[0].approvedAt)).not.toBeNaN();
  });

  it('follows the review at once: a newly approved app appears, a suspended one leaves', async () => {
    const op = harness().client();
    await op.login('op@informat.example', 'a long test password');
    await op.post(`/api/v1/operator/apps/${world.apps.submitted}/approve`, { notes: 'ok' });
    await op.post(`/api/v1/operator/apps/${world.apps.fresh}/suspend`, { reason: 'complaint' });
    const register = await harness().client().get('/api/v1/public/register');
    const names = register.body.data.map((e: any) => e.app.name);
    expect(names).toContain('NewThing');
    expect(names).not.toContain('BlueDries');
    const entry = register.body.data.find((e: any) => e.app.name === 'NewThing');
    expect(entry.apis).toMatchObject([{ code: 'students', name: 'Students', dataCategories: ['identity', 'photo'], purpose: 'Yearbook photos' }]);
    // Each category says what it releases: the photo, and the person's identity without any category-bound field.
    expect(entry.apis[0].releases.photo).toEqual(['persons.photo']);
    expect(entry.apis[0].releases.identity).toEqual(expect.arrayContaining(['persons.givenName', 'persons.familyName', 'persons.eduPersonPrincipalNames']));
    expect(entry.apis[0].releases.identity).not.toContain('persons.civicNo');
    expect(entry.approvedAt).toBe(harness().clock.now().toISOString());
  });
});
