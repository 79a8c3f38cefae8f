/**
 * The README's first-minute grades: the demo app takes the pupil of the first grade it may read, then
 * that pupil's grades, newest first — all at GO! Atheneum Hof van Nassau (001057), where it holds its
 * Grades grant, each with the grade itself (the category Grades is approved), and none elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { DEMO_CLIENT, seedDemo } from '../../src/seed/demo.ts';
import { Ss12000Client } from './support.ts';

const harness = useHarness();

describe('the demo grades', () => {
  it("shows the demo app a pupil's grades at 001057 only, with their values, newest first", async () => {
    const { ctx, url } = harness();
    await seedDemo(ctx);
    const c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, DEMO_CLIENT.clientId, DEMO_CLIENT.secret, 'basic');
    const first = await c.get('/grades?limit=1');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(1);
    const pupil = first.body.data[0].student.id as string;
    const res = await c.get(`/grades?student=${pupil}&sortkey=registeredDateDesc&expandReferenceNames=true`);
    expect(res.status).toBe(200);
    const grades = res.body.data as { organisation: { id: string }; gradeValue: string; registeredDate: string; syllabus: { displayName?: string } }[];
    expect(grades.length).toBeGreaterThan(1);
    const unit = await ctx.db.selectFrom('ss12000_organisations').select('id').where('organisation_code', '=', '001057').executeTakeFirstOrThrow();
    for (const g of grades) {
      expect(g.organisation.id).toBe(unit.id);
      expect(g.gradeValue).toMatch(/\S/);
      expect(g.syllabus.displayName).toBeTruthy();
    }
    const dates = grades.map((g) => g.registeredDate);
    expect(dates).toEqual([...dates].sort().reverse());
    // The world has grades at other schools too; the demo app sees none of them.
    const elsewhere = await ctx.db.selectFrom('ss12000_grades').select('id').where('organisation_id', '<>', unit.id).limit(1).executeTakeFirst();
    expect(elsewhere).toBeDefined();
    expect((await c.get(`/grades/${elsewhere!.id}`)).status).toBe(404);

    // The public purpose register names the Grades API of the app, with what the category Grades releases.
    const register = await harness().client().get('/api/v1/public/register?language=en');
    expect(register.status).toBe(200);
    const entry = register.body.data.find((e: { app: { name: string } }) => e.app.name === 'StudyPlanner Pro');
    const gradesApi = entry.apis.find((a: { code: string }) => a.code === 'grades');
    expect(gradesApi.dataCategories).toEqual(['identity', 'grades']);
    expect(gradesApi.releases.grades).toEqual(expect.arrayContaining(['grades.gradeValue', 'grades.finalGrade']));
  }, 120_000);
});
