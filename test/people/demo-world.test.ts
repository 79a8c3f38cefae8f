import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { DEMO_BOARD, DEMO_CLIENT, DEMO_INSTITUTIONS, DEMO_PASSWORD, seedDemo } from '../../src/seed/demo.ts';
import { Ss12000Client } from '../ss12000/support.ts';

const harness = useHarness();

/**
 * A Belgian national register number as the population register defines it (written here from the
 * rule, not imported): 11 digits, the last two 97 − (the first nine mod 97), with a 2 in front of
 * the nine for people born from 2000 on.
 */
function validNationalNumber(value: string, birthDate: string): boolean {
  if (!/^\d{11}$/.test(value)) return false;
  if (value.slice(0, 6) !== birthDate.slice(2, 4) + birthDate.slice(5, 7) + birthDate.slice(8, 10)) return false;
  const nine = BigInt((birthDate >= '2000' ? '2' : '') + value.slice(0, 9));
  return 97n - (nine % 97n) === BigInt(value.slice(9));
}

describe('the demo world is one world (issue 14, point 8)', () => {
  it("gives each institution's SS 12000 school unit its name, town and board; its people live there; its grants have a history the school admin reads", async () => {
    const { ctx } = harness();
    await seedDemo(ctx);

    // Each back-office institution is a school unit of the school data with the same name and town.
    const units = await ctx.db
      .selectFrom('ss12000_organisations')
      .select(['organisation_code', 'display_name', 'body', 'parent_id'])
      .where('organisation_type', '=', 'Skolenhet')
      .execute();
    for (const i of DEMO_INSTITUTIONS) {
      const unit = units.find((u) => u.organisation_code === i.number);
      expect(unit, i.number).toBeDefined();
      const body = unit!.body as { displayName: string; address?: { locality: string; postalCode: string; country: string } };
      expect({ number: i.number, name: body.displayName, town: body.address?.locality, postalCode: body.address?.postalCode }).toEqual({
        number: i.number,
        name: i.name,
        town: i.town,
        postalCode: i.postalCode,
      });
    }
    const board = await ctx.db.selectFrom('ss12000_organisations').select('display_name').where('organisation_type', '=', 'Huvudman').execute();
    expect(board.map((b) => b.display_name)).toEqual([DEMO_BOARD.name]);

    // Its people live in the demo's towns (or abroad), with Belgian national numbers; none in Sweden.
    const towns = new Set(DEMO_INSTITUTIONS.map((i) => i.town as string));
    const persons = await ctx.db.selectFrom('ss12000_persons').select(['body']).execute();
    expect(persons.length).toBeGreaterThan(400);
    const wrong: string[] = [];
    for (const { body } of persons) {
      const p = body as {
        givenName: string;
        familyName: string;
        birthDate: string;
        civicNo?: { value: string; nationality?: string };
        addresses?: { locality: string; country: string }[];
      };
      for (const a of p.addresses ?? [])
        if (!towns.has(a.locality) && a.country === 'België') wrong.push(`${p.givenName} ${p.familyName} lives in ${a.locality}`);
      if ((p.addresses ?? []).some((a) => a.country === 'Sverige')) wrong.push(`${p.givenName} ${p.familyName} lives in Sweden`);
      if (!p.civicNo || p.civicNo.nationality !== 'BE' || !validNationalNumber(p.civicNo.value, p.birthDate))
        wrong.push(`${p.givenName} ${p.familyName}: ${p.civicNo?.value}`);
    }
    expect(wrong).toEqual([]);
    // Flemish names: the demo's admins' family names are among its people's.
    const familyNames = new Set(persons.map((p) => (p.body as { familyName: string }).familyName));
    expect(['Peeters', 'Janssens', 'Maes'].filter((n) => familyNames.has(n))).not.toEqual([]);

    // "My connected apps" offers the demo's end users their school (README: choose it, then sign in).
    const schools = await harness().client().get('/api/v1/my/schools?q=Nassau');
    expect(schools.body.items).toEqual([{ number: '001057', name: 'GO! Atheneum Hof van Nassau', town: 'Brugge', password: true, upstream: null }]);

    // The demo's grants were made as a school admin makes them: the school admin's Logs tab and the
    // audit log show who granted what and why.
    const app = await ctx.db.selectFrom('apps').select('id').where('name', '=', 'StudyPlanner Pro').executeTakeFirstOrThrow();
    const lies = harness().client();
    expect((await lies.login('lies.peeters@scholengroep.demo', DEMO_PASSWORD)).status).toBe(200);
    const log = await lies.get(`/api/v1/school/apps/${app.id}/log`);
    expect(log.status).toBe(200);
    // Her own grants of Students, Timetable, Attendance, Grades, Boarders and Pre-enrolments, and Pieter's
    // of Staff at 010025 (one of her institutions too); not An's of Invoices on the access group she holds no right on.
    expect(log.body.data).toHaveLength(7);
    expect(log.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'grants.replaced', actor: 'Lies Peeters <lies.peeters@scholengroep.demo>', reason: 'Demo: homework planning pilot' }),
        expect.objectContaining({
          action: 'grants.replaced',
          actor: 'Lies Peeters <lies.peeters@scholengroep.demo>',
          reason: 'Demo: homework planned around the lessons',
        }),
        expect.objectContaining({
          action: 'grants.replaced',
          actor: 'Lies Peeters <lies.peeters@scholengroep.demo>',
          reason: 'Demo: homework caught up after missed lessons',
        }),
        expect.objectContaining({
          action: 'grants.replaced',
          actor: 'Lies Peeters <lies.peeters@scholengroep.demo>',
          reason: 'Demo: revision planned from the grades',
        }),
        expect.objectContaining({ action: 'grants.replaced', actor: 'Pieter Janssens <pieter.janssens@scholengroep.demo>' }),
        expect.objectContaining({ actor: 'Lies Peeters <lies.peeters@scholengroep.demo>', reason: 'Demo: study hours in the boarding house' }),
        expect.objectContaining({ actor: 'Lies Peeters <lies.peeters@scholengroep.demo>', reason: 'Demo: next year’s intake' }),
      ]),
    );
    const audit = await lies.get(`/api/v1/audit-log?appId=${app.id}&lang=en`);
    expect(audit.status).toBe(200);
    const grants = audit.body.data.filter((e: { action: string }) => e.action === 'grants.replaced');
    expect(grants).toHaveLength(7);
    expect(grants.map((g: { sentence: string }) => g.sentence).join('\n')).toContain('Lies Peeters');
    // Pieter (iPersoneel at 010025) reads what was granted at 010025: the staff grant he made there,
    // and Lies's Boarders grant there (none of 001057's).
    const pieter = harness().client();
    expect((await pieter.login('pieter.janssens@scholengroep.demo', DEMO_PASSWORD)).status).toBe(200);
    const his = await pieter.get(`/api/v1/school/apps/${app.id}/log`);
    expect(his.body.data).toHaveLength(2);
    expect(his.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'grants.replaced', actor: 'Pieter Janssens <pieter.janssens@scholengroep.demo>' }),
        expect.objectContaining({ action: 'grants.replaced', reason: 'Demo: study hours in the boarding house' }),
      ]),
    );

    // Issue 15, point 4: the demo app holds a grant under each API of the default catalog and reads
    // records of each with the README's demo token, only where granted.
    {
      const { url } = harness();
      const as = (base: string) => new Ss12000Client(`${url}${base}`, `${url}/oidc/token`, DEMO_CLIENT.clientId, DEMO_CLIENT.secret, 'basic');
      // Informat's catalog, written out here: Students, Staff, Boarders, Invoices, Pre-enrolments, Timetable,
      // Attendance, Grades.
      const grants = await as('/api/v1').request('GET', '/me/grants');
      expect(grants.status).toBe(200);
      const apis = new Set(grants.body.data.map((g: { api: { code: string } }) => g.api.code));
      expect([...apis].sort()).toEqual(['attendance', 'boarders', 'grades', 'invoices', 'pre_enrolments', 'staff', 'students', 'timetable']);
      // The README's curl examples, one page each: every one answers records.
      const boarders = await as('/boarders/v1').crawl('/boarders', 100);
      const invoices = await as('/invoices/v1').crawl('/invoices', 500);
      const intake = await as('/pre-enrolments/v1').crawl('/preEnrolments', 100);
      const persons = await as('/ss12000/v2.0').request('GET', '/persons?limit=2');
      expect(persons.status).toBe(200);
      expect(persons.body.data).toHaveLength(2);
      expect(boarders.items.length).toBeGreaterThan(0);
      expect(invoices.items.length).toBeGreaterThan(0);
      expect(intake.items.length).toBeGreaterThan(0);
      // Only where granted: boarders of 010025 (not of 011767, the other boarding school), invoices of
      // "Facturatie Brugge" (not of "Facturatie Kust"), pre-enrolments at 001057.
      expect(new Set(boarders.items.map((b) => b.institution.institutionNumber))).toEqual(new Set(['010025']));
      const brugge = await ctx.db.selectFrom('access_groups').select('id').where('name', '=', 'Facturatie Brugge').executeTakeFirstOrThrow();
      expect(new Set(invoices.items.map((i) => i.accessGroup.id))).toEqual(new Set([brugge.id]));
      expect(new Set(intake.items.map((p) => p.institution.institutionNumber))).toEqual(new Set(['001057']));
      // …while the demo world holds the others too, so the scoping above is not an empty world's.
      const stored = await ctx.db
        .selectFrom('boarders')
        .select((eb) => eb.fn.count<string>('id').distinct().as('n'))
        .where('institution_number', '=', '011767')
        .executeTakeFirstOrThrow();
      expect(Number(stored.n)).toBeGreaterThan(0);
      const kust = await ctx.db
        .selectFrom('invoices as i')
        .innerJoin('access_groups as g', 'g.id', 'i.access_group_id')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('g.name', '=', 'Facturatie Kust')
        .executeTakeFirstOrThrow();
      expect(Number(kust.n)).toBeGreaterThan(0);
    }
  }, 120_000);
});
