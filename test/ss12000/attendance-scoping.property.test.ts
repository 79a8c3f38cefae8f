/**
 * Consent scoping of attendance (issue 17) as a property: random units, pupils (enrolled at some of
 * them, some with protected identity or a secrecy marking), groups, activities and lessons, each
 * pupil's attendance at lessons (at their own school or, as a trap, at one they are not enrolled at),
 * absences (with and without a unit), check-ins, preschool placements with their attendance schedules; random grants of the students and attendance APIs per
 * unit, with and without the `absences` category; random requests (crawls, single reads, lookups,
 * every filter, aggregated attendance). What the API returns must be exactly what the policy allows.
 *
 * The oracle is written here from DOMAIN.md and issue 17, never from the server's release policy: a
 * pupil's attendance record (attendance at a lesson, absence, check-in) is released only at a unit
 * granted under the attendance API where the pupil is enrolled and the students API is granted too
 * or placed (the pupil's data may be seen there), never for a pupil with protected identity (`Skyddad
 * folkbokföring`: the record tells where and when the pupil is); absences only with the `absences`
 * category, which also releases the reason given in a lesson's attendance; an absence naming no unit
 * is bound to none and released to nobody. Aggregated attendance sums exactly the released records.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

const harness = useHarness();
let codeSeq = 700000 + Math.floor(Math.random() * 90000);
const MARKINGS = ['Ingen', 'Skyddad folkbokföring', 'Sekretessmarkering'] as const;
const ENDPOINTS = ['attendances', 'absences', 'attendanceEvents', 'attendanceSchedule'] as const;

interface Shape {
  units: number;
  pupils: { enrolled: number[]; marking: number }[];
  groups: { unit: number; members: number[] }[];
  events: { group: number; day: number }[];
  attendances: { event: number; pupil: number; minutes: number; reason: boolean }[];
  absences: { pupil: number; unit: number | null; leave: boolean; day: number; by: number | null }[];
  checkins: { pupil: number; group: number; day: number }[];
  placements: { pupil: number; unit: number; group: boolean }[];
  studentGrants: number[];
  attendanceGrants: number[];
  absencesApproved: boolean;
}

const shapeArb = fc.record({ units: fc.integer({ min: 1, max: 3 }), pupils: fc.integer({ min: 1, max: 6 }) }).chain(({ units, pupils }) => {
  const unit = fc.integer({ min: 0, max: units - 1 });
  const unitIndices = Array.from({ length: units }, (_, i) => i);
  // Most units granted and most pupils enrolled somewhere, so that most runs release records to leak.
  const mostly = fc.array(fc.constantFrom(true, true, true, false), { minLength: units, maxLength: units }).map((b) => unitIndices.filter((i) => b[i]));
  const pupil = fc.integer({ min: 0, max: pupils - 1 });
  return fc.record({
    units: fc.constant(units),
    pupils: fc.array(fc.record({ enrolled: mostly, marking: fc.integer({ min: 0, max: 2 }) }), { minLength: pupils, maxLength: pupils }),
    groups: fc.array(fc.record({ unit, members: fc.uniqueArray(pupil, { maxLength: 4 }) }), { minLength: 1, maxLength: 3 }),
    events: fc.array(fc.record({ group: fc.nat(), day: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 5 }),
    attendances: fc.array(fc.record({ event: fc.nat(), pupil, minutes: fc.integer({ min: 0, max: 50 }), reason: fc.boolean() }), {
      minLength: 2,
      maxLength: 12,
    }),
    absences: fc.array(
      fc.record({
        pupil,
        unit: fc.option(unit, { nil: null, freq: 5 }),
        leave: fc.boolean(),
        day: fc.integer({ min: 0, max: 4 }),
        by: fc.option(pupil, { nil: null }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    checkins: fc.array(fc.record({ pupil, group: fc.nat(), day: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 5 }),
    placements: fc.array(fc.record({ pupil, unit, group: fc.boolean() }), { minLength: 1, maxLength: 3 }),
    studentGrants: mostly,
    attendanceGrants: mostly,
    absencesApproved: fc.constantFrom(true, true, false),
  });
});

const requestArb = fc.oneof(
  fc.record({ kind: fc.constant('crawl' as const), endpoint: fc.constantFrom(...ENDPOINTS), limit: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('one' as const), endpoint: fc.constantFrom(...ENDPOINTS), seed: fc.nat() }),
  fc.record({
    kind: fc.constant('lookup' as const),
    by: fc.constantFrom(
      'attendances.ids',
      'attendances.students',
      'attendances.calendareEvents',
      'attendances.activities',
      'absences.ids',
      'attendanceEvents.person',
      'attendanceEvents.group',
      'attendanceSchedule.placement',
    ),
    seed: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('filter' as const),
    by: fc.constantFrom(
      'attendances.student',
      'attendances.calendarEvent',
      'attendances.organisation',
      'absences.student',
      'absences.organisation',
      'absences.registeredBy',
      'absences.type',
      'absences.startTime.onOrAfter',
      'attendanceEvents.person',
      'attendanceEvents.group',
      'attendanceSchedule.placement',
      'attendanceSchedule.group',
    ),
    seed: fc.nat(),
  }),
  fc.record({ kind: fc.constant('aggregated' as const), names: fc.boolean(), limit: fc.integer({ min: 1, max: 3 }) }),
);

const day = (d: number) => `2026-11-${16 + d}`;
const uuid = (): string => randomUUID();

function build(shape: Shape) {
  const codes = Array.from({ length: shape.units }, () => String(codeSeq++));
  const owner = { id: uuid(), displayName: 'Huvudman', organisationType: 'Huvudman' as const };
  const units = codes.map((code, i) => ({
    id: uuid(),
    displayName: `Enhet ${i}`,
    organisationType: 'Skolenhet' as const,
    organisationCode: code,
    parentOrganisation: { id: owner.id },
  }));
  const persons = shape.pupils.map((p, i) => ({
    id: uuid(),
    givenName: `Elev${i}`,
    familyName: 'Test',
    securityMarking: MARKINGS[p.marking]!,
    enrolments: p.enrolled.map((u) => ({ enroledAt: { id: units[u]!.id }, schoolType: 'GR' as const, startDate: '2026-08-18' })),
  }));
  const groups = shape.groups.map((g, i) => ({
    id: uuid(),
    displayName: `Klass ${i}`,
    startDate: '2026-08-18',
    groupType: 'Klass' as const,
    schoolType: 'GR' as const,
    organisation: { id: units[g.unit]!.id },
    groupMemberships: g.members.map((m) => ({ person: { id: persons[m]!.id } })),
  }));
  const activities = groups.map((g, i) => ({
    id: uuid(),
    displayName: `Matematik ${i}`,
    calendarEventsRequired: true,
    startDate: '2026-08-18',
    groups: [{ id: g.id }],
    organisation: { id: g.organisation.id },
  }));
  const calendarEvents = shape.events.map((e, i) => ({
    id: uuid(),
    activity: { id: activities[e.group % activities.length]!.id },
    startTime: `${day(e.day)}T0${8 + (i % 2)}:15:00+01:00`,
    endTime: `${day(e.day)}T0${8 + (i % 2)}:55:00+01:00`,
  }));
  const seen = new Set<string>();
  const attendances = shape.attendances
    .filter((a) => {
      // One record per pupil and lesson, as a school's register has it.
      const key = `${a.event % calendarEvents.length}:${a.pupil}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((a) => ({
      id: uuid(),
      calendarEvent: { id: calendarEvents[a.event % calendarEvents.length]!.id },
      student: { id: persons[a.pupil]!.id },
      isReported: true,
      attendanceMinutes: a.minutes,
      ...(a.minutes < 40 ? { validAbsenceMinutes: 40 - a.minutes } : {}),
      ...(a.reason ? { absenceReason: 'Sjukdom' } : {}),
    }));
  const absences = shape.absences.map((a) => ({
    id: uuid(),
    startTime: `${day(a.day)}T00:00:00+01:00`,
    endTime: `${day(a.day)}T23:59:00+01:00`,
    type: a.leave ? ('Beviljad ledighet' as const) : ('Anmäld frånvaro' as const),
    student: { id: persons[a.pupil]!.id },
    ...(a.unit === null ? {} : { organisation: { id: units[a.unit]!.id } }),
    ...(a.by === null ? {} : { registeredBy: { id: persons[a.by]!.id } }),
  }));
  const attendanceEvents = shape.checkins.map((c) => ({
    id: uuid(),
    time: `${day(c.day)}T07:45:00+01:00`,
    eventType: 'In' as const,
    person: { id: persons[c.pupil]!.id },
    group: { id: groups[c.group % groups.length]!.id },
  }));
  const placements = shape.placements.map((p) => {
    const group = groups.find((g) => g.organisation.id === units[p.unit]!.id);
    return {
      id: uuid(),
      placedAt: { id: units[p.unit]!.id },
      child: { id: persons[p.pupil]!.id },
      schoolType: 'FS' as const,
      startDate: '2026-08-18',
      ...(p.group && group ? { group: { id: group.id } } : {}),
    };
  });
  const attendanceSchedules = placements.map((p) => ({
    id: uuid(),
    placement: { id: p.id },
    numberOfWeeks: 1,
    startDate: '2026-08-18',
    state: [{ state: 'Godkänt' as const, registeredAt: '2026-08-10T09:00:00+02:00' }],
    scheduleEntries: [{ weekOffset: 0, dayOfWeek: 'Måndag' as const, startTime: '07:30', endTime: '16:00' }],
  }));
  return {
    codes,
    units,
    organisations: [owner, ...units],
    persons,
    groups,
    placements,
    activities,
    calendarEvents,
    attendances,
    absences,
    attendanceEvents,
    attendanceSchedules,
  };
}

type Built = ReturnType<typeof build>;

/** The policy, from DOMAIN.md and issue 17: independent of the server's declarations. */
function policy(w: Built, shape: Shape) {
  const unitId = (i: number) => w.units[i]!.id;
  const S = new Set<string>(shape.studentGrants.map(unitId));
  const A = new Set<string>(shape.attendanceGrants.map(unitId));
  const person = new Map<string, Built['persons'][number]>(w.persons.map((p) => [p.id, p]));
  /** A pupil's record at `unit` may be released: both APIs granted there, enrolled there, not protected. */
  const pupilAt = (pupilId: string, unit: string | undefined) => {
    const p = person.get(pupilId);
    if (!p || !unit) return false;
    const pupilThere = p.enrolments.some((e) => e.enroledAt.id === unit) || w.placements.some((x) => x.child.id === pupilId && x.placedAt.id === unit);
    return S.has(unit) && A.has(unit) && pupilThere && p.securityMarking !== 'Skyddad folkbokföring';
  };
  const eventUnit = new Map(w.calendarEvents.map((e) => [e.id, w.activities.find((a) => a.id === e.activity.id)!.organisation.id]));
  const eventActivity = new Map(w.calendarEvents.map((e) => [e.id, e.activity.id]));
  const groupUnit = new Map(w.groups.map((g) => [g.id, g.organisation.id]));
  const placement = new Map(w.placements.map((p) => [p.id, p]));
  const visible = {
    attendances: new Set(w.attendances.filter((a) => pupilAt(a.student.id, eventUnit.get(a.calendarEvent.id))).map((a) => a.id)),
    absences: new Set(shape.absencesApproved ? w.absences.filter((a) => pupilAt(a.student.id, a.organisation?.id)).map((a) => a.id) : []),
    attendanceEvents: new Set(w.attendanceEvents.filter((e) => pupilAt(e.person.id, groupUnit.get(e.group.id))).map((e) => e.id)),
    attendanceSchedule: new Set(
      w.attendanceSchedules.filter((s) => pupilAt(placement.get(s.placement.id)!.child.id, placement.get(s.placement.id)!.placedAt.id)).map((s) => s.id),
    ),
  } as Record<string, Set<string>>;
  // Records the grants would release but for the pupil's protected identity (the property's non-vacuity).
  const shielded = w.attendances.filter((a) => {
    const unit = eventUnit.get(a.calendarEvent.id)!;
    const p = person.get(a.student.id)!;
    return S.has(unit) && A.has(unit) && p.securityMarking === 'Skyddad folkbokföring' && p.enrolments.some((e) => e.enroledAt.id === unit);
  }).length;
  return { visible, eventUnit, eventActivity, groupUnit, placement, shielded, absencesApproved: shape.absencesApproved };
}

/** Members of each entity that SS 12000 v2.1 defines. */
const MEMBERS: Record<string, Set<string>> = {
  attendances: new Set([
    'meta',
    'id',
    'calendarEvent',
    'student',
    'reporter',
    'isReported',
    'attendanceMinutes',
    'validAbsenceMinutes',
    'invalidAbsenceMinutes',
    'otherAttendanceMinutes',
    'absenceReason',
    'reportedTimestamp',
  ]),
  absences: new Set(['meta', 'id', 'startTime', 'endTime', 'type', 'student', 'organisation', 'registeredBy']),
  attendanceEvents: new Set(['meta', 'id', 'time', 'eventType', 'person', 'registeredBy', 'group', '_embedded']),
  attendanceSchedule: new Set(['meta', 'id', 'placement', 'numberOfWeeks', 'startDate', 'endDate', 'temporary', 'state', 'scheduleEntries']),
};

/** What the runs covered: a property that never releases, or never meets a protected pupil, proves nothing. */
const stats = { runs: 0, released: 0, requests: 0, shielded: 0 };

describe('attendance scoping (property)', () => {
  it('returns exactly the attendance, absences and check-ins the policy allows, and sums only those', async () => {
    const { ctx, url } = harness();
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.array(requestArb, { minLength: 3, maxLength: 7 }), async (shape, requests) => {
        const w = build(shape);
        await ensureInstitutions(ctx, w.codes);
        const { codes: _codes, units: _units, ...upsert } = w;
        await ingestBatch(ctx, { upsert: upsert as never }, { id: null, label: 'property', kind: 'system' });
        const app = await createApp(ctx, { students: ['identity'], attendance: shape.absencesApproved ? ['identity', 'absences'] : ['identity'] });
        const grant = (api: string, list: number[]) =>
          grantAll(
            ctx,
            app.clientId,
            api,
            list.map((u) => w.codes[u]!),
          );
        await grant('students', shape.studentGrants);
        await grant('attendance', shape.attendanceGrants);
        const c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
        const allowed = policy(w, shape);
        stats.runs++;
        stats.released += Object.values(allowed.visible).reduce((n, v) => n + v.size, 0);
        stats.requests += requests.length;
        stats.shielded += allowed.shielded;
        const records = {
          attendances: w.attendances,
          absences: w.absences,
          attendanceEvents: w.attendanceEvents,
          attendanceSchedule: w.attendanceSchedules,
        } as Record<string, { id: string }[]>;
        const worldIds = Object.fromEntries(Object.entries(records).map(([k, v]) => [k, new Set(v.map((x) => x.id))])) as Record<string, Set<string>>;
        const attendanceById = new Map(w.attendances.map((a) => [a.id, a]));
        const mine = (endpoint: string, items: { id: string }[]) => new Set(items.map((i) => i.id).filter((id) => worldIds[endpoint]!.has(id)));
        const check = (endpoint: string, item: Record<string, any>) => {
          expect(allowed.visible[endpoint]!.has(item.id), `${endpoint} ${item.id} leaked`).toBe(true);
          for (const key of Object.keys(item)) expect(MEMBERS[endpoint]!.has(key), `member ${key} of ${endpoint} ${item.id}`).toBe(true);
          if (endpoint === 'attendances') {
            const a = attendanceById.get(item.id)!;
            expect('absenceReason' in item, `absenceReason of ${item.id}`).toBe(!!a.absenceReason && allowed.absencesApproved);
          }
        };
        const visibleWhere = (endpoint: string, keep: (x: any) => boolean) =>
          new Set(records[endpoint]!.filter((x) => allowed.visible[endpoint]!.has(x.id) && keep(x)).map((x) => x.id));
        for (const r of requests) {
          if (r.kind === 'crawl') {
            const { items } = await c.crawl(`/${r.endpoint}`, r.limit);
            const ids = items.map((i) => i.id);
            expect(new Set(ids).size, 'no duplicates across pages').toBe(ids.length);
            items.forEach((i) => check(r.endpoint, i));
            expect(mine(r.endpoint, items), `${r.endpoint} of this world`).toEqual(allowed.visible[r.endpoint]);
          } else if (r.kind === 'one') {
            const pool = [...worldIds[r.endpoint]!];
            const id = pool[r.seed % Math.max(1, pool.length)];
            if (!id) continue;
            const res = await c.get(`/${r.endpoint}/${id}`);
            expect(res.status, `${r.endpoint}/${id}`).toBe(allowed.visible[r.endpoint]!.has(id) ? 200 : 404);
            if (res.status === 200) check(r.endpoint, res.body);
          } else if (r.kind === 'lookup') {
            const [endpoint, key] = r.by.split('.') as [string, string];
            let body: Record<string, string[]>;
            let expected: Set<string>;
            if (key === 'ids') {
              const ids = records[endpoint]!.map((x) => x.id).filter((_, i) => (r.seed >> i) & 1);
              body = { ids };
              expected = new Set(ids.filter((id) => allowed.visible[endpoint]!.has(id)));
            } else if (key === 'students') {
              const p = w.persons[r.seed % w.persons.length]!;
              body = { students: [p.id] };
              expected = visibleWhere(endpoint, (a) => a.student.id === p.id);
            } else if (key === 'calendareEvents') {
              const e = w.calendarEvents[r.seed % w.calendarEvents.length]!;
              body = { calendareEvents: [e.id] };
              expected = visibleWhere(endpoint, (a) => a.calendarEvent.id === e.id);
            } else if (key === 'activities') {
              const a = w.activities[r.seed % w.activities.length]!;
              body = { activities: [a.id] };
              expected = visibleWhere(endpoint, (x) => allowed.eventActivity.get(x.calendarEvent.id) === a.id);
            } else if (key === 'placement') {
              if (!w.placements.length) continue;
              const p = w.placements[r.seed % w.placements.length]!;
              body = { placement: [p.id] };
              expected = visibleWhere(endpoint, (x) => x.placement.id === p.id);
            } else if (key === 'person') {
              const p = w.persons[r.seed % w.persons.length]!;
              body = { person: [p.id] };
              expected = visibleWhere(endpoint, (x) => x.person.id === p.id);
            } else {
              const g = w.groups[r.seed % w.groups.length]!;
              body = { group: [g.id] };
              expected = visibleWhere(endpoint, (x) => x.group.id === g.id);
            }
            const res = await c.request('POST', `/${endpoint}/lookup`, body);
            expect(res.status, JSON.stringify(res.body)).toBe(200);
            res.body.forEach((i: Record<string, any>) => check(endpoint, i));
            expect(mine(endpoint, res.body), `lookup ${r.by}`).toEqual(expected);
          } else if (r.kind === 'filter') {
            const [endpoint, ...rest] = r.by.split('.') as [string, ...string[]];
            const name = rest.join('.');
            const p = w.persons[r.seed % w.persons.length]!;
            let q: string;
            let expected: Set<string>;
            if (name === 'student' || name === 'person') {
              q = `${name}=${p.id}`;
              expected = visibleWhere(endpoint, (x) => (x.student ?? x.person).id === p.id);
            } else if (name === 'calendarEvent') {
              const e = w.calendarEvents[r.seed % w.calendarEvents.length]!;
              q = `calendarEvent=${e.id}`;
              expected = visibleWhere(endpoint, (x) => x.calendarEvent.id === e.id);
            } else if (name === 'organisation') {
              // A unit (absences name theirs; attendance is at its lesson's), or the board above them all.
              const target = r.seed % 2 ? w.organisations[0]!.id : w.units[r.seed % w.units.length]!.id;
              q = `organisation=${target}`;
              const unitOf = (x: any) => (endpoint === 'absences' ? x.organisation?.id : allowed.eventUnit.get(x.calendarEvent.id));
              expected = visibleWhere(endpoint, (x) => target === w.organisations[0]!.id || unitOf(x) === target);
            } else if (name === 'registeredBy') {
              q = `registeredBy=${p.id}`;
              expected = visibleWhere(endpoint, (x) => x.registeredBy?.id === p.id);
            } else if (name === 'type') {
              const type = r.seed % 2 ? 'Beviljad ledighet' : 'Anmäld frånvaro';
              q = `type=${encodeURIComponent(type)}`;
              expected = visibleWhere(endpoint, (x) => x.type === type);
            } else if (name === 'startTime.onOrAfter') {
              const from = day(r.seed % 5);
              q = `startTime.onOrAfter=${encodeURIComponent(`${from}T00:00:00+01:00`)}`;
              expected = visibleWhere(endpoint, (x) => x.startTime.slice(0, 10) >= from);
            } else if (name === 'placement') {
              if (!w.placements.length) continue;
              const pl = w.placements[r.seed % w.placements.length]!;
              q = `placement=${pl.id}`;
              expected = visibleWhere(endpoint, (x) => x.placement.id === pl.id);
            } else {
              const g = w.groups[r.seed % w.groups.length]!;
              q = `group=${g.id}`;
              // A check-in names its group; a schedule's group is its placement's.
              const groupOf = (x: any) => (endpoint === 'attendanceSchedule' ? allowed.placement.get(x.placement.id)!.group?.id : x.group.id);
              expected = visibleWhere(endpoint, (x) => groupOf(x) === g.id);
            }
            const { items } = await c.crawl(`/${endpoint}?${q}`, 3);
            items.forEach((i) => check(endpoint, i));
            expect(mine(endpoint, items), `filter ${r.by} ${q}`).toEqual(expected);
          } else {
            // The week, summed per activity and pupil: exactly the released attendance, nothing else.
            const { items } = await c.crawl(
              `/aggregatedAttendance?startDate=2026-11-16&endDate=2026-11-20${r.names ? '&expandReferenceNames=true' : ''}`,
              r.limit,
            );
            const expected = new Map<string, number>();
            for (const a of w.attendances) {
              if (!allowed.visible.attendances!.has(a.id)) continue;
              const key = `${allowed.eventActivity.get(a.calendarEvent.id)}:${a.student.id}`;
              expected.set(key, (expected.get(key) ?? 0) + a.attendanceMinutes);
            }
            const activities = new Set(w.activities.map((a) => a.id));
            const got = new Map(items.filter((i) => activities.has(i.activity.id)).map((i) => [`${i.activity.id}:${i.student.id}`, i.attendanceSum]));
            expect(got, 'aggregated attendance').toEqual(expected);
            for (const i of items) if (activities.has(i.activity.id)) expect(i.offeredSum, 'offered minutes of 40-minute lessons').toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 25, seed: Number(process.env.FC_SEED ?? 20261206), endOnFailure: true },
    );
    expect(stats.released, 'records released over the runs').toBeGreaterThan(25);
    expect(stats.shielded, 'records of protected pupils the grants would otherwise reach').toBeGreaterThan(5);
  }, 240_000);
});
