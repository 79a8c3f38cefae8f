/**
 * Admin rights are the API catalog's (issue 15): with the Magister-like example catalog a SIS imports
 * Magister's rights, and a school admin holding them grants its APIs through the school back-office —
 * per institution and per access group. A right the catalog does not name, or one held on the other
 * kind of target, is refused naming the row, and nothing is written.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../../test/support/harness.ts';
import { currentSchoolYear } from '../../lib/school-year.ts';
import { insertAccessGroup, insertApp, insertClient, insertInstitution, insertPartner } from '../../seed/builders.ts';
import { ImportError, importRights, importUsers } from '../sis/import.ts';

const MAGISTER = resolve(import.meta.dirname, '..', '..', '..', 'docs/catalog/magister.yaml');
const PASSWORD = 'magister admin password';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ CATALOG_FILE: MAGISTER });
}, 180_000);
afterAll(async () => {
  await h?.stop();
});

describe('admin rights from the Magister-like catalog', () => {
  it('imports its rights; the admin grants its APIs per school and per access group; unknown rights are refused', async () => {
    const { ctx } = h;
    const year = currentSchoolYear(h.clock.now(), { start: ctx.config.SCHOOL_YEAR_START, timeZone: ctx.config.TZ });
    const school = await insertInstitution(ctx.db, { number: '710001', name: 'Het Baken' });
    const board = await insertAccessGroup(ctx.db, { name: 'Stichting Baken', institutionNumbers: [school] });
    await importUsers(ctx, [{ sisUserId: 'mg-1', email: 'beheer@baken.example', displayName: 'Mies Beheer', userManagementAccess: true, password: PASSWORD }]);
    await importRights(ctx, [
      { sisUserId: 'mg-1', moduleRight: 'CijferBeheer', institutionNumber: school, schoolYear: year },
      { sisUserId: 'mg-1', moduleRight: 'FinancieelBeheer', accessGroupId: board, schoolYear: year },
    ]);

    const partnerId = await insertPartner(ctx.db, { name: 'Cijferapp BV', contactEmail: 'team@cijferapp.example' });
    const appId = await insertApp(ctx.db, {
      partnerId,
      name: 'Cijferapp',
      status: 'approved',
      apis: [
        { apiCode: 'grades', dataCategories: ['identity', 'grades'], purpose: 'Show pupils their marks' },
        { apiCode: 'contributions', dataCategories: ['identity', 'payments'], purpose: 'Remind parents of contributions' },
        { apiCode: 'attendance', dataCategories: ['identity', 'absences'], purpose: 'Warn mentors of absences' },
      ],
    });
    const { clientId } = await insertClient(ctx.db, { appId, name: 'Cijferapp client' });

    const admin = h.client();
    expect((await admin.login('beheer@baken.example', PASSWORD)).status).toBe(200);
    const grades = await admin.put(`/api/v1/school/apps/${appId}/api-access/grades`, { institutionNumbers: [school] });
    expect(grades.status, JSON.stringify(grades.body)).toBe(200);
    expect(grades.body.added.map((t: { institutionNumber: string }) => t.institutionNumber)).toEqual([school]);
    const contributions = await admin.put(`/api/v1/school/apps/${appId}/api-access/contributions`, { accessGroupIds: [board] });
    expect(contributions.status, JSON.stringify(contributions.body)).toBe(200);
    // Absences need AbsentieRegistratie, which the admin does not hold: refused, naming the right.
    const absences = await admin.put(`/api/v1/school/apps/${appId}/api-access/attendance`, { institutionNumbers: [school] });
    expect(absences.status).toBe(403);
    expect(absences.body.requiredRights).toEqual(['AbsentieRegistratie']);

    const grants = await ctx.db
      .selectFrom('grants')
      .select(['api_code', 'institution_number', 'access_group_id'])
      .where('client_id', '=', clientId)
      .orderBy('api_code')
      .execute();
    expect(grants).toEqual([
      { api_code: 'contributions', institution_number: null, access_group_id: board },
      { api_code: 'grades', institution_number: school, access_group_id: null },
    ]);

    // Informat's right is no right of this catalog; Magister's access-group right on a school is refused too.
    const held = () => ctx.db.selectFrom('admin_rights').select(['module_right']).orderBy('module_right').execute();
    const before = await held();
    const refused = await importRights(ctx, [
      { sisUserId: 'mg-1', moduleRight: 'iBasis', institutionNumber: school, schoolYear: year },
      { sisUserId: 'mg-1', moduleRight: 'FinancieelBeheer', institutionNumber: school, schoolYear: year },
      { sisUserId: 'mg-1', moduleRight: 'CijferBeheer', accessGroupId: board, schoolYear: year },
    ]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ImportError);
    expect((refused as ImportError).problems.map((p) => `${p.where}, ${p.field}: ${p.message}`)).toEqual([
      'row 1, moduleRight: "iBasis" is not an admin right of the API catalog; its rights are: AbsentieRegistratie, Applicatiebeheer, CijferBeheer, FinancieelBeheer, LeerlingAdministratie, PersoneelsAdministratie, Roosterbeheer',
      'row 2, moduleRight: "FinancieelBeheer" grants the API contributions, granted per access group: give accessGroupId, not institutionNumber',
      'row 3, moduleRight: "CijferBeheer" grants the API grades, granted per institution: give institutionNumber, not accessGroupId',
    ]);
    expect(await held()).toEqual(before);
  }, 120_000);
});
