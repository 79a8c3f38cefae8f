/**
 * The demo's attendance (issue 17): the demo app reads, under its grant of the Attendance API at GO!
 * Atheneum Hof van Nassau (001057), the last weeks' attendance per lesson, absences with their
 * reasons and attendance summed per activity — all at 001057, only of its pupils — and nothing of a
 * school it holds no such grant for.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { DEMO_CLIENT, seedDemo } from '../../src/seed/demo.ts';
import { Ss12000Client } from './support.ts';

const harness = useHarness();

describe('the demo attendance', () => {
  it('shows the demo app attendance, absences with reasons and sums at 001057 only', async () => {
    const { ctx, url } = harness();
    await seedDemo(ctx);
    const c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, DEMO_CLIENT.clientId, DEMO_CLIENT.secret, 'basic');
    const unit = await ctx.db.selectFrom('ss12000_organisations').select('id').where('organisation_code', '=', '001057').executeTakeFirstOrThrow();
    const { items } = await c.crawl('/attendances?expandReferenceNames=true', 1000);
    expect(items.length).toBeGreaterThan(100);
    const pupils = await ctx.db
      .selectFrom('ss12000_person_relations')
      .select('person_id')
      .where('organisation_id', '=', unit.id)
      .where('kind', '=', 'enrolment')
      .execute();
    const atUnit = new Set(pupils.map((p) => p.person_id));
    for (const a of items) expect(atUnit.has(a.student.id), `${a.id}: a pupil of 001057`).toBe(true);
    // Some lessons were missed with a reason given (the app holds the absences category).
    expect(items.some((a) => a.validAbsenceMinutes > 0 && a.absenceReason)).toBe(true);
    const absences = await c.crawl('/absences', 200);
    expect(absences.items.length).toBeGreaterThan(0);
    expect(absences.items.every((a) => a.organisation.id === unit.id)).toBe(true);
    // The week before the harness's today (Sunday 22 November 2026), summed per activity and pupil.
    const sums = await c.crawl('/aggregatedAttendance?startDate=2026-11-16&endDate=2026-11-20', 500);
    expect(sums.items.length).toBeGreaterThan(10);
    for (const s of sums.items) expect(s.offeredSum).toBeGreaterThanOrEqual(s.attendanceSum);
  }, 120_000);
});
