/**
 * The README's first-minute timetable: the demo app reads this week's lessons at GO! Atheneum Hof van
 * Nassau (001057) through the SS 12000 API, under its grant of the Timetable API — school days only,
 * at school hours of the deployment's time zone — and nothing at a school it holds no such grant for.
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { DEMO_CLIENT, seedDemo } from '../../src/seed/demo.ts';
import { Ss12000Client } from './support.ts';

const harness = useHarness();

/** Weekday and wall-clock time of a moment in a time zone, read independently of the generator. */
function local(moment: string, timeZone: string): { weekday: string; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(moment))
      .map((p) => [p.type, p.value]),
  );
  return { weekday: parts.weekday!, time: `${parts.hour}:${parts.minute}` };
}

describe('the demo timetable', () => {
  it("shows the demo app a week's lessons at 001057 on school days, at school hours, in time order", async () => {
    const { ctx, url } = harness();
    await seedDemo(ctx);
    const c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, DEMO_CLIENT.clientId, DEMO_CLIENT.secret, 'basic');
    // The harness's today is Sunday 22 November 2026: the week before it, Monday to Saturday morning.
    const week = 'startTime.onOrAfter=2026-11-16T00:00:00%2B01:00&startTime.onOrBefore=2026-11-21T00:00:00%2B01:00';
    const { items } = await c.crawl(`/calendarEvents?${week}&sortkey=StartTimeAsc&expandReferenceNames=true`, 200);
    expect(items.length).toBeGreaterThan(20);
    const times = items.map((e) => Date.parse(e.startTime));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const unit = await ctx.db.selectFrom('ss12000_organisations').select('id').where('organisation_code', '=', '001057').executeTakeFirstOrThrow();
    const activities = await ctx.db.selectFrom('ss12000_activities').select(['id', 'organisation_id']).execute();
    const unitOf = new Map(activities.map((a) => [a.id, a.organisation_id]));
    for (const e of items) {
      expect(unitOf.get(e.activity.id), e.id).toBe(unit.id);
      expect(e.activity.displayName).toBeTruthy();
      const { weekday, time } = local(e.startTime, ctx.config.TZ);
      expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], e.startTime).toContain(weekday);
      expect(time >= '08:00' && time <= '16:00', `${e.startTime} is ${time} in ${ctx.config.TZ}`).toBe(true);
    }
    // Every day of the week has lessons (no holiday that week).
    expect(new Set(items.map((e) => local(e.startTime, ctx.config.TZ).weekday)).size).toBe(5);
    // The rooms it names are 001057's.
    const rooms = await c.crawl('/rooms', 100);
    expect(rooms.items.length).toBeGreaterThan(1);
    const roomIds = new Set(rooms.items.map((r) => r.id));
    for (const e of items) for (const r of e.rooms ?? []) expect(roomIds.has(r.id)).toBe(true);
    expect(rooms.items.every((r) => r.owner.id === unit.id)).toBe(true);
  }, 120_000);
});
