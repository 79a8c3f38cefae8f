/**
 * Consent scoping of the timetable (issue 17) as a property: random units, groups with members,
 * teachers, activities and their lessons (with pupils' and teachers' exceptions), rooms, resources and
 * offerings; random grants of the students, staff and timetable APIs per unit; random requests
 * (crawls, single reads, lookups, the student/teacher/organisation filters, expand=activity). What
 * the API returns must be exactly what the policy allows.
 *
 * The oracle is written here from DOMAIN.md and the SS 12000 data model, never from the server's
 * release policy: a lesson, room, resource or offering is seen only at a unit granted under the
 * timetable API; the pupils a lesson names (its studentExceptions) are student data, shown only where
 * the students API is granted at that unit too, the teachers it names (teacherExceptions) staff data,
 * shown only where the staff API is; filters by pupil or teacher find lessons only through what the
 * reader may see; an embedded activity shows its teachers only at staff-granted units.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

const harness = useHarness();
let codeSeq = 600000 + Math.floor(Math.random() * 100000);
const WINDOW = 'startTime.onOrAfter=2026-11-16T00:00:00Z&startTime.onOrBefore=2026-11-21T00:00:00Z';

interface Shape {
  units: number;
  persons: number;
  groups: { unit: number; members: number[] }[];
  duties: { unit: number; person: number }[];
  activities: { group: number; teachers: number[] }[];
  events: { activity: number; day: number; absent: number[]; substitute: number[]; room: boolean }[];
  studentGrants: number[];
  staffGrants: number[];
  timetableGrants: number[];
}

const shapeArb = fc.record({ units: fc.integer({ min: 1, max: 3 }), persons: fc.integer({ min: 2, max: 8 }) }).chain(({ units, persons }) => {
  const unit = fc.integer({ min: 0, max: units - 1 });
  const unitIndices = Array.from({ length: units }, (_, i) => i);
  const person = fc.integer({ min: 0, max: persons - 1 });
  return fc.record({
    units: fc.constant(units),
    persons: fc.constant(persons),
    groups: fc.array(fc.record({ unit, members: fc.uniqueArray(person, { maxLength: 4 }) }), { minLength: 1, maxLength: 4 }),
    duties: fc.array(fc.record({ unit, person }), { maxLength: 4 }),
    activities: fc.array(fc.record({ group: fc.nat(), teachers: fc.uniqueArray(fc.nat({ max: 3 }), { maxLength: 2 }) }), { minLength: 1, maxLength: 4 }),
    events: fc.array(
      fc.record({
        activity: fc.nat(),
        day: fc.integer({ min: 0, max: 4 }),
        absent: fc.uniqueArray(person, { maxLength: 2 }),
        substitute: fc.uniqueArray(fc.nat({ max: 3 }), { maxLength: 1 }),
        room: fc.boolean(),
      }),
      { maxLength: 8 },
    ),
    studentGrants: fc.subarray(unitIndices),
    staffGrants: fc.subarray(unitIndices),
    timetableGrants: fc.subarray(unitIndices),
  });
});

const requestArb = fc.oneof(
  fc.record({
    kind: fc.constant('crawl' as const),
    endpoint: fc.constantFrom('rooms', 'resources', 'schoolUnitOfferings', 'calendarEvents'),
    limit: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ kind: fc.constant('one' as const), endpoint: fc.constantFrom('rooms', 'resources', 'schoolUnitOfferings', 'calendarEvents'), seed: fc.nat() }),
  fc.record({ kind: fc.constant('lookup' as const), by: fc.constantFrom('ids', 'activities', 'student', 'teacher'), seed: fc.nat() }),
  fc.record({ kind: fc.constant('filter' as const), by: fc.constantFrom('student', 'teacher', 'organisation', 'activity', 'group'), seed: fc.nat() }),
  fc.record({ kind: fc.constant('expand' as const) }),
);

function build(shape: Shape) {
  const codes = Array.from({ length: shape.units }, () => String(codeSeq++));
  const owner = { id: randomUUID(), displayName: 'Huvudman', organisationType: 'Huvudman' as const };
  const units = codes.map((code, i) => ({
    id: randomUUID(),
    displayName: `Enhet ${i}`,
    organisationType: 'Skolenhet' as const,
    organisationCode: code,
    parentOrganisation: { id: owner.id },
  }));
  const syllabus = { id: randomUUID(), schoolType: 'GR' as const, subjectName: 'Matematik', official: true };
  const persons = Array.from({ length: shape.persons }, (_, i) => ({ id: randomUUID(), givenName: `Elev${i}`, familyName: 'Test' }));
  const groups = shape.groups.map((g, i) => ({
    id: randomUUID(),
    displayName: `Klass ${i}`,
    startDate: '2026-08-18',
    groupType: 'Klass' as const,
    organisation: { id: units[g.unit]!.id },
    groupMemberships: g.members.map((m) => ({ person: { id: persons[m]!.id } })),
  }));
  const duties = shape.duties.map((d) => ({
    id: randomUUID(),
    person: { id: persons[d.person]!.id },
    dutyAt: { id: units[d.unit]!.id },
    dutyRole: 'Lärare' as const,
    startDate: '2020-08-01',
  }));
  const activities = shape.activities.map((a, i) => {
    const group = groups[a.group % groups.length]!;
    return {
      id: randomUUID(),
      displayName: `Matematik ${i}`,
      calendarEventsRequired: true,
      startDate: '2026-08-18',
      groups: [{ id: group.id }],
      teachers: a.teachers.filter((t) => t < duties.length).map((t) => ({ duty: { id: duties[t]!.id } })),
      syllabus: { id: syllabus.id },
      organisation: { id: group.organisation.id },
    };
  });
  const rooms = units.map((u, i) => ({ id: randomUUID(), displayName: `Sal ${i}`, seats: 30, owner: { id: u.id } }));
  const resources = units.map((u, i) => ({ id: randomUUID(), displayName: `Projektor ${i}`, owner: { id: u.id } }));
  const schoolUnitOfferings = units.map((u) => ({
    id: randomUUID(),
    startDate: '2026-08-18',
    offeredAt: { id: u.id },
    offeredSyllabuses: [{ id: syllabus.id }],
  }));
  const calendarEvents = shape.events.map((e, i) => {
    const activity = activities[e.activity % activities.length]!;
    const unit = units.find((u) => u.id === activity.organisation.id)!;
    const unitDuties = duties.filter((d) => d.dutyAt.id === unit.id);
    return {
      id: randomUUID(),
      activity: { id: activity.id },
      startTime: `2026-11-${16 + e.day}T0${8 + (i % 2)}:15:00+01:00`,
      endTime: `2026-11-${16 + e.day}T0${8 + (i % 2)}:55:00+01:00`,
      ...(e.absent.length ? { studentExceptions: e.absent.map((p) => ({ student: { id: persons[p]!.id }, participates: false })) } : {}),
      ...(e.substitute.length && unitDuties.length
        ? { teacherExceptions: e.substitute.map((d) => ({ duty: { id: unitDuties[d % unitDuties.length]!.id }, participates: true })) }
        : {}),
      ...(e.room ? { rooms: [{ id: rooms[units.indexOf(unit)]!.id }] } : {}),
    };
  });
  return {
    codes,
    organisations: [owner, ...units],
    units,
    persons,
    groups,
    duties,
    activities,
    syllabuses: [syllabus],
    rooms,
    resources,
    schoolUnitOfferings,
    calendarEvents,
  };
}

type Built = ReturnType<typeof build>;

/** The policy, from DOMAIN.md: independent of the server's declarations. */
function policy(w: Built, shape: Shape) {
  const unitId = (i: number) => w.units[i]!.id;
  const S = new Set(shape.studentGrants.map(unitId));
  const T = new Set(shape.staffGrants.map(unitId));
  const TT = new Set(shape.timetableGrants.map(unitId));
  const activityUnit = new Map(w.activities.map((a) => [a.id, a.organisation.id]));
  const eventUnit = (e: Built['calendarEvents'][number]) => activityUnit.get(e.activity.id)!;
  const visible = {
    rooms: new Set(w.rooms.filter((r) => TT.has(r.owner.id)).map((r) => r.id)),
    resources: new Set(w.resources.filter((r) => TT.has(r.owner.id)).map((r) => r.id)),
    schoolUnitOfferings: new Set(w.schoolUnitOfferings.filter((o) => TT.has(o.offeredAt.id)).map((o) => o.id)),
    calendarEvents: new Set(w.calendarEvents.filter((e) => TT.has(eventUnit(e))).map((e) => e.id)),
  } as Record<string, Set<string>>;
  const groupOf = new Map(w.activities.map((a) => [a.id, w.groups.find((g) => g.id === a.groups[0]!.id)!]));
  return {
    S,
    T,
    TT,
    visible,
    eventUnit,
    /** Lessons a `student` filter may find: at units granted under both the timetable and the students API. */
    byStudent(personId: string) {
      return new Set(
        w.calendarEvents
          .filter((e) => TT.has(eventUnit(e)) && S.has(eventUnit(e)))
          .filter(
            (e) =>
              (e.studentExceptions ?? []).some((x) => x.student.id === personId) ||
              groupOf.get(e.activity.id)!.groupMemberships.some((m) => m.person.id === personId),
          )
          .map((e) => e.id),
      );
    },
    /** Lessons a `teacher` filter may find: at units granted under both the timetable and the staff API. */
    byTeacher(dutyId: string) {
      const activity = new Map(w.activities.map((a) => [a.id, a]));
      return new Set(
        w.calendarEvents
          .filter((e) => TT.has(eventUnit(e)) && T.has(eventUnit(e)))
          .filter(
            (e) =>
              (e.teacherExceptions ?? []).some((x) => x.duty.id === dutyId) || (activity.get(e.activity.id)!.teachers ?? []).some((t) => t.duty.id === dutyId),
          )
          .map((e) => e.id),
      );
    },
  };
}

/** Members of a calendar event that SS 12000 defines (the spec's data model). */
const EVENT_MEMBERS = new Set([
  'meta',
  'id',
  'activity',
  'startTime',
  'endTime',
  'cancelled',
  'teachingLengthTeacher',
  'teachingLengthStudent',
  'comment',
  'studentExceptions',
  'teacherExceptions',
  'rooms',
  'resources',
  '_embedded',
]);

describe('timetable scoping (property)', () => {
  it('returns exactly the lessons, rooms, resources and offerings the policy allows, with the exceptions it allows', async () => {
    const { ctx, url } = harness();
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.array(requestArb, { minLength: 3, maxLength: 7 }), async (shape, requests) => {
        const w = build(shape);
        await ensureInstitutions(ctx, w.codes);
        const { codes: _codes, units: _units, ...upsert } = w;
        await ingestBatch(ctx, { upsert: upsert as never }, { id: null, label: 'property', kind: 'system' });
        const app = await createApp(ctx, { students: ['identity'], staff: ['identity'], timetable: ['identity'] });
        const grant = (api: string, list: number[]) =>
          grantAll(
            ctx,
            app.clientId,
            api,
            list.map((u) => w.codes[u]!),
          );
        await grant('students', shape.studentGrants);
        await grant('staff', shape.staffGrants);
        await grant('timetable', shape.timetableGrants);
        const c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
        const allowed = policy(w, shape);
        const worldIds: Record<string, Set<string>> = {
          rooms: new Set(w.rooms.map((r) => r.id)),
          resources: new Set(w.resources.map((r) => r.id)),
          schoolUnitOfferings: new Set(w.schoolUnitOfferings.map((o) => o.id)),
          calendarEvents: new Set(w.calendarEvents.map((e) => e.id)),
        };
        const eventById = new Map(w.calendarEvents.map((e) => [e.id, e]));
        const activityById = new Map(w.activities.map((a) => [a.id, a]));
        const mine = (endpoint: string, items: { id: string }[]) => new Set(items.map((i) => i.id).filter((id) => worldIds[endpoint]!.has(id)));
        /** One lesson as the policy shows it: its exceptions only where the pupils' or teachers' API is granted. */
        const checkEvent = (item: Record<string, any>) => {
          expect(allowed.visible.calendarEvents!.has(item.id), `calendar event ${item.id} leaked`).toBe(true);
          for (const key of Object.keys(item)) expect(EVENT_MEMBERS.has(key), `member ${key} of event ${item.id}`).toBe(true);
          const e = eventById.get(item.id);
          if (!e) return;
          const unit = allowed.eventUnit(e);
          expect('studentExceptions' in item, `studentExceptions of ${item.id}`).toBe(!!e.studentExceptions && allowed.S.has(unit));
          expect('teacherExceptions' in item, `teacherExceptions of ${item.id}`).toBe(!!e.teacherExceptions && allowed.T.has(unit));
          const embedded = item._embedded?.activity;
          if (embedded) {
            expect(embedded.id).toBe(e.activity.id);
            const a = activityById.get(e.activity.id)!;
            expect('teachers' in embedded, `teachers of the embedded activity ${a.id}`).toBe(allowed.T.has(unit));
          }
        };
        const check = (endpoint: string, item: Record<string, any>) => {
          if (endpoint === 'calendarEvents') checkEvent(item);
          else expect(allowed.visible[endpoint]!.has(item.id), `${endpoint} ${item.id} leaked`).toBe(true);
        };
        const pathOf = (endpoint: string, q = '') =>
          endpoint === 'calendarEvents' ? `/calendarEvents?${WINDOW}${q ? `&${q}` : ''}` : `/${endpoint}${q ? `?${q}` : ''}`;
        for (const r of requests) {
          if (r.kind === 'crawl') {
            const { items } = await c.crawl(pathOf(r.endpoint), r.limit);
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
            let body: Record<string, string[]>;
            let expected: Set<string>;
            if (r.by === 'ids') {
              const ids = w.calendarEvents.map((e) => e.id).filter((_, i) => (r.seed >> i) & 1);
              body = { ids };
              expected = new Set(ids.filter((id) => allowed.visible.calendarEvents!.has(id)));
            } else if (r.by === 'activities') {
              const a = w.activities[r.seed % w.activities.length]!;
              body = { activities: [a.id] };
              expected = new Set(w.calendarEvents.filter((e) => e.activity.id === a.id && allowed.visible.calendarEvents!.has(e.id)).map((e) => e.id));
            } else if (r.by === 'student') {
              const p = w.persons[r.seed % w.persons.length]!;
              body = { student: [p.id] };
              expected = allowed.byStudent(p.id);
            } else {
              if (!w.duties.length) continue;
              const d = w.duties[r.seed % w.duties.length]!;
              body = { teacher: [d.id] };
              expected = allowed.byTeacher(d.id);
            }
            const res = await c.request('POST', '/calendarEvents/lookup', body);
            expect(res.status).toBe(200);
            res.body.forEach(checkEvent);
            expect(mine('calendarEvents', res.body), `lookup by ${r.by}`).toEqual(expected);
          } else if (r.kind === 'filter') {
            let q: string;
            let expected: Set<string>;
            if (r.by === 'student') {
              const p = w.persons[r.seed % w.persons.length]!;
              q = `student=${p.id}`;
              expected = allowed.byStudent(p.id);
            } else if (r.by === 'teacher') {
              if (!w.duties.length) continue;
              const d = w.duties[r.seed % w.duties.length]!;
              q = `teacher=${d.id}`;
              expected = allowed.byTeacher(d.id);
            } else if (r.by === 'organisation') {
              // The board: every lesson below it that the scope shows.
              q = `organisation=${w.organisations[0]!.id}`;
              expected = allowed.visible.calendarEvents!;
            } else if (r.by === 'activity') {
              const a = w.activities[r.seed % w.activities.length]!;
              q = `activity=${a.id}`;
              expected = new Set(w.calendarEvents.filter((e) => e.activity.id === a.id && allowed.visible.calendarEvents!.has(e.id)).map((e) => e.id));
            } else {
              const g = w.groups[r.seed % w.groups.length]!;
              q = `group=${g.id}`;
              expected = new Set(
                w.calendarEvents
                  .filter((e) => activityById.get(e.activity.id)!.groups[0]!.id === g.id && allowed.visible.calendarEvents!.has(e.id))
                  .map((e) => e.id),
              );
            }
            const { items } = await c.crawl(pathOf('calendarEvents', q), 3);
            items.forEach(checkEvent);
            expect(mine('calendarEvents', items), `filter ${q}`).toEqual(expected);
          } else {
            const res = await c.get(`${pathOf('calendarEvents', 'expand=activity&expandReferenceNames=true')}&limit=1000`);
            expect(res.status).toBe(200);
            res.body.data.forEach(checkEvent);
            // Every visible lesson embeds its activity (a lesson's activity is visible wherever the lesson is).
            for (const item of res.body.data) if (eventById.has(item.id)) expect(item._embedded?.activity?.id).toBe(eventById.get(item.id)!.activity.id);
          }
        }
      }),
      { numRuns: 25, seed: Number(process.env.FC_SEED ?? 20261206), endOnFailure: true },
    );
  }, 240_000);
});
