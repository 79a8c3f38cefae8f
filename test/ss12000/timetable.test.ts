/**
 * The timetable of the SS 12000 API (issue 17), end to end on the real server: ingestion of rooms,
 * resources, offerings and lessons (validation, references, idempotence, a lesson following its
 * activity to another unit), the lessons' required startTime window and paging in time order, the
 * timetable API's grant as what releases them, deletions, and the access log naming that API.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

const harness = useHarness();
const A = '370001';
const B = '370002';
const who = { id: null, label: 'test', kind: 'system' as const };
const unitA = randomUUID();
const unitB = randomUUID();
const group = randomUUID();
const activity = randomUUID();
const roomA = randomUUID();
const resourceA = randomUUID();
const pupil = randomUUID();
const lessons = Array.from({ length: 7 }, () => randomUUID());
let timetable: Ss12000Client;
let studentsOnly: Ss12000Client;
let timetableB: Ss12000Client;
let timetableClientId: string;

const WEEK = 'startTime.onOrAfter=2026-11-16T00:00:00%2B01:00&startTime.onOrBefore=2026-11-22T23:59:59%2B01:00';
/** A lesson of the activity on a day of the week of 16 November 2026, at 08:15 Stockholm time. */
const lesson = (id: string, day: number, extra: Record<string, unknown> = {}) => ({
  id,
  activity: { id: activity },
  startTime: `2026-11-${16 + day}T08:15:00+01:00`,
  endTime: `2026-11-${16 + day}T09:05:00+01:00`,
  rooms: [{ id: roomA }],
  ...extra,
});

beforeAll(async () => {
  const { ctx, url } = harness();
  await ensureInstitutions(ctx, [A, B]);
  const result = await ingestBatch(
    ctx,
    {
      upsert: {
        organisations: [
          { id: unitA, displayName: 'Skola A', organisationType: 'Skolenhet', organisationCode: A },
          { id: unitB, displayName: 'Skola B', organisationType: 'Skolenhet', organisationCode: B },
        ],
        persons: [{ id: pupil, givenName: 'Ella', familyName: 'Berg' }],
        groups: [
          {
            id: group,
            displayName: '7A',
            startDate: '2026-08-18',
            groupType: 'Klass',
            organisation: { id: unitA },
            groupMemberships: [{ person: { id: pupil } }],
          },
        ],
        activities: [
          {
            id: activity,
            displayName: 'Matematik 7A',
            calendarEventsRequired: true,
            startDate: '2026-08-18',
            groups: [{ id: group }],
            organisation: { id: unitA },
          },
        ],
        rooms: [{ id: roomA, displayName: 'Sal 101', seats: 30, owner: { id: unitA } }],
        resources: [{ id: resourceA, displayName: 'Projektor', owner: { id: unitA } }],
        schoolUnitOfferings: [{ id: randomUUID(), startDate: '2026-08-18', offeredAt: { id: unitA }, offeredSyllabuses: [] }],
        calendarEvents: [
          ...lessons.slice(0, 6).map((id, i) => lesson(id, i % 5)),
          // Outside the week.
          lesson(lessons[6]!, 14, { resources: [{ id: resourceA }], studentExceptions: [{ student: { id: pupil }, participates: false }] }),
        ],
      },
    },
    who,
  );
  expect(result.created).toMatchObject({ rooms: 1, resources: 1, schoolUnitOfferings: 1, calendarEvents: 7 });
  const make = async (grants: Record<string, string[]>) => {
    const app = await createApp(ctx, Object.fromEntries(Object.keys(grants).map((api) => [api, ['identity']])));
    for (const [api, numbers] of Object.entries(grants)) await grantAll(ctx, app.clientId, api, numbers);
    return { client: new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret), clientId: app.clientId };
  };
  const t = await make({ timetable: [A] });
  timetable = t.client;
  timetableClientId = t.clientId;
  studentsOnly = (await make({ students: [A, B] })).client;
  timetableB = (await make({ timetable: [B] })).client;
}, 60_000);

describe('timetable ingestion', () => {
  it('loads the same batch again without a change', async () => {
    const again = await ingestBatch(harness().ctx, { upsert: { rooms: [{ id: roomA, displayName: 'Sal 101', seats: 30, owner: { id: unitA } }] } }, who);
    expect(again.noChange).toBe(true);
  });

  it('refuses a lesson without an offset in its time, or naming a room that does not exist, saying where', async () => {
    const bad = () => ingestBatch(harness().ctx, { upsert: { calendarEvents: [lesson(randomUUID(), 0, { startTime: '2026-11-16 08:15' })] } }, who);
    await expect(bad()).rejects.toMatchObject({ status: 400, code: 'invalid_batch', details: { field: 'upsert.calendarEvents.0.startTime' } });
    const ghost = randomUUID();
    const unknown = () => ingestBatch(harness().ctx, { upsert: { calendarEvents: [lesson(randomUUID(), 0, { rooms: [{ id: ghost }] })] } }, who);
    await expect(unknown()).rejects.toMatchObject({ status: 400, code: 'invalid_batch', details: { field: 'upsert.calendarEvents.0.rooms.0.id' } });
  });
});

describe('GET /calendarEvents', () => {
  it('requires the startTime window the spec requires, naming the missing parameter', async () => {
    const res = await timetable.get('/calendarEvents?startTime.onOrAfter=2026-11-16T00:00:00Z');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'missing_parameter' });
    expect(res.body.message).toContain('startTime.onOrBefore');
  });

  it("pages through a week's lessons in time order, without the one outside the window", async () => {
    const { items, pages } = await timetable.crawl(`/calendarEvents?${WEEK}&sortkey=StartTimeAsc`, 2);
    expect(pages).toBe(3);
    expect(new Set(items.map((e) => e.id))).toEqual(new Set(lessons.slice(0, 6)));
    const times = items.map((e) => Date.parse(e.startTime));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(items[0]).toMatchObject({ activity: { id: activity }, rooms: [{ id: roomA }], endTime: '2026-11-16T09:05:00+01:00' });
  });

  it('takes the natural paging loop: the whole query again with the token, expand included', async () => {
    const query = `${WEEK}&expand=activity&expandReferenceNames=True&limit=${encodeURIComponent(' 4 ')}&sortkey=StartTimeDesc`;
    let res = await timetable.get(`/calendarEvents?${query}`);
    const ids: string[] = [];
    for (;;) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      ids.push(...res.body.data.map((e: { id: string }) => e.id));
      expect(res.body.data.every((e: { _embedded?: { activity?: unknown } }) => e._embedded?.activity)).toBe(true);
      if (!res.body.pageToken) break;
      res = await timetable.get(`/calendarEvents?${query}&pageToken=${encodeURIComponent(res.body.pageToken)}`);
    }
    expect(new Set(ids)).toEqual(new Set(lessons.slice(0, 6)));
    expect(ids).toHaveLength(6);
    // Another window with the token is another query.
    const first = await timetable.get(`/calendarEvents?${query}`);
    const token = encodeURIComponent(first.body.pageToken);
    const other = await timetable.get(`/calendarEvents?pageToken=${token}&startTime.onOrAfter=2026-01-01T00:00:00Z&startTime.onOrBefore=2026-12-31T00:00:00Z`);
    expect(other.status).toBe(400);
    expect(other.body.code).toBe('page_token_with_filters');
  });

  it('names rooms and the activity on expandReferenceNames, and embeds the activity on expand', async () => {
    const res = await timetable.get(`/calendarEvents?${WEEK}&limit=1&expand=activity&expandReferenceNames=true`);
    expect(res.status).toBe(200);
    expect(res.body.data[0]).toMatchObject({
      activity: { id: activity, displayName: 'Matematik 7A' },
      rooms: [{ id: roomA, displayName: 'Sal 101' }],
      _embedded: { activity: { id: activity, displayName: 'Matematik 7A' } },
    });
  });

  it('releases lessons, rooms and resources only under the timetable API at their unit', async () => {
    expect((await studentsOnly.get(`/calendarEvents?${WEEK}`)).body.data).toEqual([]);
    expect((await studentsOnly.get('/rooms')).body.data).toEqual([]);
    expect((await studentsOnly.get(`/calendarEvents/${lessons[0]}`)).status).toBe(404);
    expect((await timetableB.get(`/calendarEvents?${WEEK}`)).body.data).toEqual([]);
    expect((await timetable.get('/rooms')).body.data.map((r: { id: string }) => r.id)).toEqual([roomA]);
    expect((await timetable.get('/resources')).body.data.map((r: { id: string }) => r.id)).toEqual([resourceA]);
    // A pupil named in a lesson is student data: not with the timetable API alone.
    const outside = await timetable.get(`/calendarEvents/${lessons[6]}`);
    expect(outside.status).toBe(200);
    expect(outside.body).not.toHaveProperty('studentExceptions');
    expect(JSON.stringify(outside.body)).not.toContain(pupil);
  });

  it('finds no lesson by a pupil without the students API there: neither through the group nor through studentExceptions', async () => {
    const all = 'startTime.onOrAfter=2026-11-01T00:00:00Z&startTime.onOrBefore=2026-12-31T00:00:00Z';
    const byPupil = await timetable.get(`/calendarEvents?${all}&student=${pupil}`);
    expect(byPupil.status).toBe(200);
    expect(byPupil.body.data).toEqual([]);
    const looked = await timetable.request('POST', '/calendarEvents/lookup', { student: [pupil] });
    expect(looked.body).toEqual([]);
    // The lessons are there, for the activity.
    expect((await timetable.get(`/calendarEvents?${all}&activity=${activity}`)).body.data).toHaveLength(7);
  });

  it('records the read in the access log under the timetable API, for the institution', async () => {
    await timetable.get(`/calendarEvents?${WEEK}&limit=3`);
    const parts = await sql<{ part: { institution: string; api: string; entity: string; records: number } }>`
      SELECT p AS part FROM ss12000_access_log l CROSS JOIN LATERAL ss12000_access_log_parts(l.released::jsonb) p
       WHERE l.client_id = ${timetableClientId} AND l.endpoint = '/calendarEvents' ORDER BY l.id DESC LIMIT 1`.execute(harness().ctx.db);
    expect(parts.rows[0]!.part).toMatchObject({ institution: A, api: 'timetable', entity: 'calendarEvents', records: 3 });
  });

  it('moves a lesson with its activity: the unit follows, and with it who may see the lesson', async () => {
    const { ctx } = harness();
    await ingestBatch(
      ctx,
      {
        upsert: {
          groups: [{ id: group, displayName: '7A', startDate: '2026-08-18', groupType: 'Klass', organisation: { id: unitB } }],
          activities: [
            {
              id: activity,
              displayName: 'Matematik 7A',
              calendarEventsRequired: true,
              startDate: '2026-08-18',
              groups: [{ id: group }],
              organisation: { id: unitB },
            },
          ],
        },
      },
      who,
    );
    expect((await timetable.get(`/calendarEvents/${lessons[0]}`)).status).toBe(404);
    expect((await timetableB.get(`/calendarEvents/${lessons[0]}`)).status).toBe(200);
    await ingestBatch(
      ctx,
      {
        upsert: {
          groups: [
            {
              id: group,
              displayName: '7A',
              startDate: '2026-08-18',
              groupType: 'Klass',
              organisation: { id: unitA },
              groupMemberships: [{ person: { id: pupil } }],
            },
          ],
          activities: [
            {
              id: activity,
              displayName: 'Matematik 7A',
              calendarEventsRequired: true,
              startDate: '2026-08-18',
              groups: [{ id: group }],
              organisation: { id: unitA },
            },
          ],
        },
      },
      who,
    );
    expect((await timetable.get(`/calendarEvents/${lessons[0]}`)).status).toBe(200);
  });

  it('lists a deleted lesson in /deletedEntities for the timetable API at its unit only', async () => {
    await ingestBatch(harness().ctx, { delete: { calendarEvents: [lessons[5]!] } }, who);
    const mine = await timetable.get('/deletedEntities?entities=CalendarEvent');
    expect(mine.body.data.calendarEvents).toContain(lessons[5]);
    const theirs = await studentsOnly.get('/deletedEntities?entities=CalendarEvent');
    expect(theirs.body.data.calendarEvents).not.toContain(lessons[5]);
    expect((await timetable.get(`/calendarEvents/${lessons[5]}`)).status).toBe(404);
  });
});
