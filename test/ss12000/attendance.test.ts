/**
 * Attendance in the SS 12000 API (issue 17), fixed cases on the real server: what the attendance API
 * releases of a pupil (only where the students API releases the pupil at the same school, never a
 * pupil with protected identity), every filter and lookup key finding nothing beyond that, absences
 * only with their own data category (which also releases a lesson's absence reason), aggregated
 * attendance summing exactly that, its required window and paging, deletions, and the access log.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { disclosureLines } from '../../src/modules/disclosures/queries.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client, twoSchools } from './support.ts';

const harness = useHarness();
const A = '370101';
const B = '370102';
const who = { id: null, label: 'test', kind: 'system' as const };
const unitA = randomUUID();
const unitB = randomUUID();
const [ella, sam, noor, lisa, tove] = Array.from({ length: 5 }, () => randomUUID()) as [string, string, string, string, string];
const [group7A, group8B, act7A, act8B] = Array.from({ length: 4 }, () => randomUUID()) as [string, string, string, string];
const [l1, l2, l3] = Array.from({ length: 3 }, () => randomUUID()) as [string, string, string];
/** Attendance records: ella at l1 and (absent, with a reason) l2; sam (protected) and lisa (secrecy marking) at l1; noor at l3 (B) and, not enrolled at A, at l1. */
const att = {
  ellaL1: randomUUID(),
  ellaL2: randomUUID(),
  samL1: randomUUID(),
  lisaL1: randomUUID(),
  noorL3: randomUUID(),
  noorL1: randomUUID(),
};
const abs = { ella: randomUUID(), sam: randomUUID(), noor: randomUUID(), ellaNoUnit: randomUUID() };
const checkin = { ella: randomUUID(), sam: randomUUID(), noor: randomUUID() };
/** Preschool placements at A (mio; sam, protected) and B (noor), each with its attendance schedule. */
const [mio, placeMio, placeSam, placeNoor] = Array.from({ length: 4 }, () => randomUUID()) as [string, string, string, string];
const sched = { mio: randomUUID(), sam: randomUUID(), noor: randomUUID() };
const schedule = (id: string, placement: string) => ({
  id,
  placement: { id: placement },
  numberOfWeeks: 1,
  startDate: '2026-08-18',
  state: [{ state: 'Godkänt', registeredAt: '2026-08-10T09:00:00+02:00', registeredBy: { id: tove } }],
  scheduleEntries: [{ weekOffset: 0, dayOfWeek: 'Måndag', startTime: '07:30', endTime: '16:00' }],
});
let full: Ss12000Client;
let fullClientId: string;
let fullAppId: string;
let noAbsences: Ss12000Client;
let studentsOnly: Ss12000Client;

const enrolledAt = (unit: string) => [{ enroledAt: { id: unit }, schoolType: 'GR', startDate: '2026-08-18' }];
const lesson = (id: string, activity: string, day: number) => ({
  id,
  activity: { id: activity },
  startTime: `2026-11-${16 + day}T08:15:00+01:00`,
  endTime: `2026-11-${16 + day}T09:05:00+01:00`,
  teachingLengthStudent: 50,
});
const attendance = (id: string, pupil: string, event: string, extra: Record<string, unknown> = { attendanceMinutes: 50 }) => ({
  id,
  calendarEvent: { id: event },
  student: { id: pupil },
  reporter: { id: tove },
  isReported: true,
  ...extra,
});
const absence = (id: string, pupil: string, unit: string | null, type = 'Anmäld frånvaro') => ({
  id,
  startTime: '2026-11-17T00:00:00+01:00',
  endTime: '2026-11-17T23:59:00+01:00',
  type,
  student: { id: pupil },
  registeredBy: { id: tove },
  ...(unit ? { organisation: { id: unit } } : {}),
});
const ids = (items: { id: string }[]) => items.map((i) => i.id).sort();

beforeAll(async () => {
  const world = twoSchools({ A, B, unitA, unitB, group7A, group8B, act7A, act8B }, { '7A': [ella, sam, lisa], '8B': [noor] });
  const { ctx, url } = harness();
  await ensureInstitutions(ctx, [A, B]);
  await ingestBatch(
    ctx,
    {
      upsert: {
        ...world,
        persons: [
          { id: ella, givenName: 'Ella', familyName: 'Berg', enrolments: enrolledAt(unitA) },
          { id: sam, givenName: 'Sam', familyName: 'Dold', securityMarking: 'Skyddad folkbokföring', enrolments: enrolledAt(unitA) },
          { id: noor, givenName: 'Noor', familyName: 'Ek', enrolments: enrolledAt(unitB) },
          { id: lisa, givenName: 'Lisa', familyName: 'Sekret', securityMarking: 'Sekretessmarkering', enrolments: enrolledAt(unitA) },
          { id: tove, givenName: 'Tove', familyName: 'Lärare' },
          { id: mio, givenName: 'Mio', familyName: 'Liten' },
        ],
        placements: [
          { id: placeMio, placedAt: { id: unitA }, child: { id: mio }, group: { id: group7A }, schoolType: 'FS', startDate: '2026-08-18' },
          { id: placeSam, placedAt: { id: unitA }, child: { id: sam }, schoolType: 'FS', startDate: '2026-08-18' },
          { id: placeNoor, placedAt: { id: unitB }, child: { id: noor }, schoolType: 'FS', startDate: '2026-08-18' },
        ],
        attendanceSchedules: [schedule(sched.mio, placeMio), schedule(sched.sam, placeSam), schedule(sched.noor, placeNoor)],
        calendarEvents: [lesson(l1, act7A, 0), lesson(l2, act7A, 1), lesson(l3, act8B, 0)],
        attendances: [
          attendance(att.ellaL1, ella, l1),
          attendance(att.ellaL2, ella, l2, { attendanceMinutes: 0, validAbsenceMinutes: 50, absenceReason: 'Sjukdom' }),
          attendance(att.samL1, sam, l1),
          attendance(att.lisaL1, lisa, l1, { attendanceMinutes: 40, invalidAbsenceMinutes: 10 }),
          attendance(att.noorL3, noor, l3),
          attendance(att.noorL1, noor, l1),
        ],
        absences: [
          absence(abs.ella, ella, unitA),
          absence(abs.sam, sam, unitA),
          absence(abs.noor, noor, unitB, 'Beviljad ledighet'),
          absence(abs.ellaNoUnit, ella, null),
        ],
        attendanceEvents: [
          { id: checkin.ella, time: '2026-11-16T07:40:00+01:00', eventType: 'In', person: { id: ella }, group: { id: group7A }, registeredBy: { id: tove } },
          { id: checkin.sam, time: '2026-11-16T07:41:00+01:00', eventType: 'In', person: { id: sam }, group: { id: group7A } },
          { id: checkin.noor, time: '2026-11-16T07:42:00+01:00', eventType: 'In', person: { id: noor }, group: { id: group8B } },
        ],
      },
    },
    who,
  );
  const client = async (categories: Record<string, string[]>, grants: Record<string, string[]>) => {
    const app = await createApp(ctx, categories);
    for (const [api, numbers] of Object.entries(grants)) await grantAll(ctx, app.clientId, api, numbers);
    return { c: new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret), clientId: app.clientId, appId: app.appId };
  };
  // The students API at A only; the attendance API at A and B.
  const f = await client({ students: ['identity'], attendance: ['identity', 'absences'] }, { students: [A], attendance: [A, B] });
  full = f.c;
  fullClientId = f.clientId;
  fullAppId = f.appId;
  noAbsences = (await client({ students: ['identity'], attendance: ['identity'] }, { students: [A], attendance: [A] })).c;
  studentsOnly = (await client({ students: ['identity'] }, { students: [A, B] })).c;
});

describe('attendances', () => {
  it('releases a pupil’s attendance only where the students API releases the pupil there, never a protected pupil’s', async () => {
    const res = await full.get('/attendances');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // Not sam (protected identity), not noor at B (no students API there), not noor at A (not a pupil of A).
    expect(ids(res.body.data)).toEqual([att.ellaL1, att.ellaL2, att.lisaL1].sort());
    expect((await full.get(`/attendances/${att.samL1}`)).status).toBe(404);
    expect((await full.get(`/attendances/${att.noorL3}`)).status).toBe(404);
    expect((await full.get(`/attendances/${att.noorL1}`)).status).toBe(404);
    const one = await full.get(`/attendances/${att.ellaL1}?expandReferenceNames=true`);
    expect(one.body).toMatchObject({
      id: att.ellaL1,
      calendarEvent: { id: l1 },
      student: { id: ella, displayName: 'Ella Berg' },
      isReported: true,
      attendanceMinutes: 50,
    });
  });

  it('finds nothing more through any filter or lookup key', async () => {
    const empty = async (path: string) => {
      const res = await full.get(path);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.data, path).toEqual([]);
    };
    await empty(`/attendances?student=${sam}`);
    await empty(`/attendances?student=${noor}`);
    await empty(`/attendances?calendarEvent=${l3}`);
    await empty(`/attendances?organisation=${unitB}`);
    expect(ids((await full.get(`/attendances?calendarEvent=${l1}`)).body.data)).toEqual([att.ellaL1, att.lisaL1].sort());
    expect(ids((await full.get(`/attendances?organisation=${unitA}&student=${ella}`)).body.data)).toEqual([att.ellaL1, att.ellaL2].sort());
    for (const body of [{ students: [sam, noor] }, { calendareEvents: [l3] }, { activities: [act8B] }, { ids: [att.samL1, att.noorL1, att.noorL3] }]) {
      const res = await full.request('POST', '/attendances/lookup', body);
      expect(res.status).toBe(200);
      expect(res.body, JSON.stringify(body)).toEqual([]);
    }
    expect(ids((await full.request('POST', '/attendances/lookup', { activities: [act7A] })).body)).toEqual([att.ellaL1, att.ellaL2, att.lisaL1].sort());
  });

  it('gives the reason of an absence only with the absences category', async () => {
    expect((await full.get(`/attendances/${att.ellaL2}`)).body).toMatchObject({ validAbsenceMinutes: 50, absenceReason: 'Sjukdom' });
    const without = await noAbsences.get(`/attendances/${att.ellaL2}`);
    expect(without.status).toBe(200);
    expect(without.body.validAbsenceMinutes).toBe(50);
    expect(without.body).not.toHaveProperty('absenceReason');
  });

  it('gives nothing to an app without the attendance API', async () => {
    expect((await studentsOnly.get('/attendances')).body.data).toEqual([]);
    expect((await studentsOnly.get('/absences')).body.data).toEqual([]);
    expect((await studentsOnly.get('/attendanceEvents')).body.data).toEqual([]);
    expect((await studentsOnly.get('/aggregatedAttendance?startDate=2026-11-16&endDate=2026-11-20')).body.data).toEqual([]);
  });
});

describe('a lesson’s attendance (expand=attendance of /calendarEvents)', () => {
  it('embeds only the records /attendances releases', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity'], timetable: ['identity'], attendance: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', [A]);
    await grantAll(ctx, app.clientId, 'timetable', [A, B]);
    await grantAll(ctx, app.clientId, 'attendance', [A]);
    const c = new Ss12000Client(`${harness().url}/ss12000/v2.0`, `${harness().url}/oidc/token`, app.clientId, app.secret);
    const res = await c.get('/calendarEvents?startTime.onOrAfter=2026-11-16T00:00:00Z&startTime.onOrBefore=2026-11-21T00:00:00Z&expand=attendance');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const byLesson = Object.fromEntries(res.body.data.map((e: any) => [e.id, ids(e._embedded?.attendance ?? [])]));
    // Not sam's (protected) nor noor's (not a pupil of A) at l1; nothing at B, where the attendance API is not granted.
    expect(byLesson).toEqual({ [l1]: [att.ellaL1, att.lisaL1].sort(), [l2]: [att.ellaL2], [l3]: [] });
  });
});

describe('absences', () => {
  it('are released only with the absences category, at units where the pupil may be seen, never a protected pupil’s or one bound to no unit', async () => {
    const res = await full.get('/absences');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(ids(res.body.data)).toEqual([abs.ella]);
    expect(res.body.data[0]).toMatchObject({ type: 'Anmäld frånvaro', student: { id: ella }, organisation: { id: unitA }, registeredBy: { id: tove } });
    expect((await noAbsences.get('/absences')).body.data).toEqual([]);
    expect((await noAbsences.get(`/absences/${abs.ella}`)).status).toBe(404);
    expect((await full.get(`/absences/${abs.sam}`)).status).toBe(404);
    expect((await full.request('POST', '/absences/lookup', { ids: Object.values(abs) })).body.map((a: { id: string }) => a.id)).toEqual([abs.ella]);
  });

  it('finds nothing more through its filters', async () => {
    const found = async (q: string) => ids((await full.get(`/absences?${q}`)).body.data);
    expect(await found(`student=${sam}`)).toEqual([]);
    expect(await found(`student=${noor}`)).toEqual([]);
    expect(await found(`organisation=${unitB}`)).toEqual([]);
    expect(await found(`type=${encodeURIComponent('Beviljad ledighet')}`)).toEqual([]);
    expect(await found(`registeredBy=${tove}`)).toEqual([abs.ella]);
    expect(await found(`type=${encodeURIComponent('Anmäld frånvaro')}&organisation=${unitA}`)).toEqual([abs.ella]);
    expect(await found('startTime.onOrAfter=2026-11-18T00:00:00Z')).toEqual([]);
    expect(await found('startTime.onOrBefore=2026-11-18T00:00:00Z&endTime.onOrAfter=2026-11-17T12:00:00Z&sortkey=StartTimeDesc')).toEqual([abs.ella]);
    expect((await full.get('/absences?type=Sjuk')).status).toBe(400);
  });

  it('are in the access log under the attendance API with the absences category, for the institution', async () => {
    await full.get('/absences');
    const parts = await sql<{ part: { institution: string; api: string; entity: string; records: number; categories: string[] } }>`
      SELECT p AS part FROM ss12000_access_log l CROSS JOIN LATERAL ss12000_access_log_parts(l.released::jsonb) p
       WHERE l.client_id = ${fullClientId} AND l.endpoint = '/absences' ORDER BY l.id DESC LIMIT 1`.execute(harness().ctx.db);
    expect(parts.rows[0]!.part).toMatchObject({ institution: A, api: 'attendance', entity: 'absences', records: 1 });
    expect(parts.rows[0]!.part.categories).toContain('absences');
  });
});

describe('the per-person disclosure report', () => {
  it('names the attendance API and the absences category for a pupil of the school', async () => {
    await full.get('/absences');
    const { ctx } = harness();
    const lines = await disclosureLines(ctx.db, { personId: ella, institutions: [A], from: '2000-01-01', to: '2100-01-01', timeZone: ctx.config.TZ });
    const attendance = lines.filter((l) => l.api === 'attendance' && l.institution === A);
    expect(attendance.length).toBeGreaterThan(0);
    expect(attendance.map((l) => l.category)).toContain('absences');
  });
});

describe('the public purpose register', () => {
  it('says what the Attendance API and its absences category release to an approved app', async () => {
    const res = await harness().client().get('/api/v1/public/register?language=en');
    expect(res.status).toBe(200);
    const entry = res.body.data.find((e: { app: { id: string } }) => e.app.id === fullAppId);
    const attendance = entry.apis.find((a: { code: string }) => a.code === 'attendance');
    expect(attendance.dataCategories).toEqual(['identity', 'absences']);
    expect(attendance.releases.absences).toEqual(expect.arrayContaining(['absences.type', 'absences.startTime', 'attendances.absenceReason']));
  });
});

describe('attendanceEvents', () => {
  it('releases check-ins like attendance, with its filters, lookup keys and expands gated the same way', async () => {
    expect(ids((await full.get('/attendanceEvents')).body.data)).toEqual([checkin.ella]);
    expect((await full.get(`/attendanceEvents?person=${sam}`)).body.data).toEqual([]);
    expect((await full.get(`/attendanceEvents?group=${group8B}`)).body.data).toEqual([]);
    expect((await full.request('POST', '/attendanceEvents/lookup', { person: [sam, noor] })).body).toEqual([]);
    expect((await full.request('POST', '/attendanceEvents/lookup', { group: [group8B] })).body).toEqual([]);
    const expanded = await full.get(`/attendanceEvents/${checkin.ella}?expand=person,group,registeredBy`);
    expect(expanded.status).toBe(200);
    expect(expanded.body._embedded.person).toMatchObject({ id: ella, givenName: 'Ella' });
    expect(expanded.body._embedded.group).toMatchObject({ id: group7A, displayName: '7A' });
    // Tove is no pupil or staff of a granted unit: the persons API does not release her, so she is not embedded.
    expect(expanded.body._embedded.registeredBy).toBeUndefined();
  });
});

describe('attendanceSchedule', () => {
  it('releases a placed child’s schedule like attendance, with its filters and lookup gated the same way', async () => {
    const res = await full.get('/attendanceSchedule?expandReferenceNames=true');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(ids(res.body.data)).toEqual([sched.mio]);
    expect(res.body.data[0]).toMatchObject({ placement: { id: placeMio }, numberOfWeeks: 1, state: [{ state: 'Godkänt' }] });
    expect((await full.get(`/attendanceSchedule/${sched.sam}`)).status).toBe(404);
    expect((await full.get(`/attendanceSchedule?placement=${placeNoor}`)).body.data).toEqual([]);
    expect(ids((await full.get(`/attendanceSchedule?group=${group7A}&startDate.onOrBefore=2026-09-01`)).body.data)).toEqual([sched.mio]);
    expect((await full.get('/attendanceSchedule?startDate.onOrAfter=2026-09-01')).body.data).toEqual([]);
    expect((await full.request('POST', '/attendanceSchedule/lookup', { placement: [placeSam, placeNoor] })).body).toEqual([]);
    expect((await studentsOnly.get('/attendanceSchedule')).body.data).toEqual([]);
  });
});

describe('aggregatedAttendance', () => {
  const week = 'startDate=2026-11-16&endDate=2026-11-20';

  it('sums per activity and pupil exactly the attendance released', async () => {
    const res = await full.get(`/aggregatedAttendance?${week}&expandReferenceNames=true`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const rows = res.body.data.sort((x: any, y: any) => x.student.displayName.localeCompare(y.student.displayName));
    expect(rows).toEqual([
      {
        activity: { id: act7A, displayName: 'Matematik 7A' },
        student: { id: ella, displayName: 'Ella Berg' },
        startDate: '2026-11-16',
        endDate: '2026-11-20',
        attendanceSum: 50,
        validAbsenceSum: 50,
        invalidAbsenceSum: 0,
        otherAttendanceSum: 0,
        reportedSum: 100,
        offeredSum: 100,
      },
      {
        activity: { id: act7A, displayName: 'Matematik 7A' },
        student: { id: lisa, displayName: 'Lisa Sekret' },
        startDate: '2026-11-16',
        endDate: '2026-11-20',
        attendanceSum: 40,
        validAbsenceSum: 0,
        invalidAbsenceSum: 10,
        otherAttendanceSum: 0,
        reportedSum: 50,
        offeredSum: 50,
      },
    ]);
    // A protected pupil's sum is no more there than their records.
    expect((await full.get(`/aggregatedAttendance?${week}&student=${sam}`)).body.data).toEqual([]);
    expect((await full.get(`/aggregatedAttendance?${week}&organisation=${unitB}`)).body.data).toEqual([]);
    expect((await full.get(`/aggregatedAttendance?${week}&schoolType=GY`)).body.data).toEqual([]);
    // Only Tuesday: ella's day away.
    expect((await full.get(`/aggregatedAttendance?startDate=2026-11-17&endDate=2026-11-17&student=${ella}`)).body.data).toMatchObject([
      { attendanceSum: 0, validAbsenceSum: 50, offeredSum: 50 },
    ]);
  });

  it('pages with a token that carries its query, and embeds what the scope shows', async () => {
    const first = await full.get(`/aggregatedAttendance?${week}&limit=1&expand=student,activity`);
    expect(first.body.data).toHaveLength(1);
    expect(first.body.data[0]._embedded.activity.id).toBe(act7A);
    expect(first.body.pageToken).toBeTruthy();
    const token = encodeURIComponent(first.body.pageToken);
    const second = await full.get(`/aggregatedAttendance?pageToken=${token}&${week}`);
    expect(second.status).toBe(200);
    expect(second.body.data).toHaveLength(1);
    expect(second.body.pageToken).toBeUndefined();
    expect(second.body.data[0].student.id).not.toBe(first.body.data[0].student.id);
    expect((await full.get(`/aggregatedAttendance?pageToken=${token}&startDate=2026-11-17`)).body.code).toBe('page_token_with_filters');
    expect((await full.get('/aggregatedAttendance?pageToken=abc')).body.code).toBe('invalid_page_token');
  });

  it('refuses a query without its window, with a reversed one, or with a parameter it does not have', async () => {
    const missing = await full.get('/aggregatedAttendance?startDate=2026-11-16');
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'missing_parameter' });
    expect(missing.body.message).toContain('endDate');
    const reversed = await full.get('/aggregatedAttendance?startDate=2026-11-20&endDate=2026-11-16');
    expect(reversed.status).toBe(400);
    expect(reversed.body.code).toBe('invalid_parameter');
    const unknown = await full.get(`/aggregatedAttendance?${week}&meta.modified.after=2026-01-01T00:00:00Z`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('unknown_parameter');
    expect((await full.get('/aggregatedAttendance?startDate=16-11-2026&endDate=2026-11-20')).status).toBe(400);
  });
});

describe('deletions', () => {
  it('are told to apps granted the attendance API at the unit, and to no other', async () => {
    await ingestBatch(harness().ctx, { delete: { absences: [abs.ella], attendances: [att.ellaL1] } }, who);
    const seen = await full.get('/deletedEntities?after=2000-01-01T00:00:00Z');
    expect(seen.body.data.absences).toEqual([abs.ella]);
    expect(seen.body.data.attendances).toEqual([att.ellaL1]);
    const other = await studentsOnly.get('/deletedEntities?after=2000-01-01T00:00:00Z');
    expect(other.body.data.absences).toEqual([]);
    expect(other.body.data.attendances).toEqual([]);
    expect((await full.get(`/attendances/${att.ellaL1}`)).status).toBe(404);
  });
});

describe('the data API’s OpenAPI', () => {
  it('documents the attendance paths and says what releases a pupil’s record', async () => {
    const res = await harness().client().get('/ss12000/v2.0/openapi.json');
    expect(res.status).toBe(200);
    for (const path of ['/attendances', '/absences', '/attendanceEvents', '/attendanceSchedule', '/aggregatedAttendance'])
      expect(res.body.paths[path]?.get, path).toBeTruthy();
    const agg = res.body.paths['/aggregatedAttendance'].get.parameters;
    expect(agg.filter((p: { required: boolean }) => p.required).map((p: { name: string }) => p.name)).toEqual(['startDate', 'endDate']);
    expect(res.body.components.schemas.Absence['x-pupil-record']).toMatchObject({
      api: 'attendance',
      withheldUnder: ['Skyddad folkbokföring'],
      category: 'absences',
    });
    expect(res.body.components.schemas.Attendance.properties.absenceReason['x-release']).toEqual({
      by: 'rule',
      rule: 'absenceReasonWithAbsences',
      category: 'absences',
    });
  });
});
