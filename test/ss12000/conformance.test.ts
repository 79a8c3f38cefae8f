/**
 * Every response of the facade, from a crawl of a generated world (lists with every expand, single
 * reads, lookups, deletedEntities, errors), validates against the facade's own OpenAPI and against
 * the official SS 12000 2.1 OpenAPI, read at test time from the file named by `SS12000_OPENAPI`
 * (it has no open licence: never copied into the repository). Without it that one check is skipped
 * with a line saying what to set; `.ci/run` sets it and fails when the file is missing.
 *
 * The official file's documented defects we allow for:
 *  - /studyplans has no /lookup in the spec; ours is an extension, so it is checked against the
 *    facade's document only;
 *  - the spec's 401 responses have no body schema (it lists only 400/403/404), so 401 bodies are
 *    checked against its `Error` schema directly;
 *  - `nullable`, `example` and other OpenAPI 3.0 keywords are not JSON Schema: ignored (strict off);
 *  - POST /calendarEvents/lookup says it answers an `AttendancesArray`: its items are checked against
 *    the spec's `CalendarEvent`, which the endpoint's own summary and every other calendar event path use;
 *  - `AttendanceSchedule` requires a member `scheduleDays` that it does not define (its entries are
 *    `scheduleEntries`), and types `AttendanceScheduleEntry.endTime` as an integer while describing it
 *    as "15:30" like `startTime`: checked with `scheduleDays` not required and `endTime` a string;
 *    POST /attendanceSchedule/lookup says it answers an `ActivitiesArray`: its items are checked
 *    against the spec's `AttendanceSchedule`;
 *  - `Grade` requires a member `schoolUnit` that its properties do not define (the school unit is its
 *    `organisation`, which we always serve): grades are checked against `Grade` without that one
 *    requirement, every other requirement (`adaptedStudyPlan`, `registeredBy`, …) kept.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';
import { insertApp, insertClient, insertGrant, insertPartner } from '../../src/seed/builders.ts';

const addFormats = addFormatsModule as unknown as (ajv: unknown) => void;
const harness = useHarness();
const NUMBERS = ['330001', '330002', '330003', '330004', '330005', '330006', '330007'];
const OFFICIAL = process.env.SS12000_OPENAPI;
const officialMissing = !OFFICIAL || !existsSync(OFFICIAL);
if (officialMissing) {
  console.warn(
    `SS 12000 conformance against the official OpenAPI SKIPPED: ${OFFICIAL ? `SS12000_OPENAPI=${OFFICIAL} does not exist` : 'SS12000_OPENAPI is not set'}` +
      ' (set it to the path of openapi_ss12000_version2_1_0.yaml, e.g. ../shared/ss12000/ beside the repository).',
  );
}
const ptr = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

let world: World;
let c: Ss12000Client;

interface Captured {
  method: 'get' | 'post' | 'delete';
  template: string;
  status: number;
  body: unknown;
}
const captured: Captured[] = [];
/** Request bodies of the writes (issue 17, point 4), per template, to validate against the spec's request schema. */
const written: { template: string; body: unknown }[] = [];

async function call(method: 'get' | 'post' | 'delete', template: string, path: string, body?: unknown, client = c) {
  const res = await client.request(method.toUpperCase(), path, body);
  captured.push({ method, template, status: res.status, body: res.body });
  return res;
}

beforeAll(async () => {
  const { ctx, url } = harness();
  world = generateWorld({
    seed: 5,
    schools: 7,
    students: 140,
    institutionNumbers: NUMBERS,
    today: '2026-11-22',
    timetable: { timeZone: 'Europe/Stockholm', weeks: 1 },
    // Every lesson of that week took place before today: each has its attendance.
    attendance: {},
    grades: true,
  });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'test', kind: 'system' });
  await ingestBatch(
    ctx,
    {
      delete: {
        persons: [world.persons.find((p) => p.enrolments?.length)!.id],
        activities: [world.activities[0]!.id],
        calendarEvents: [world.calendarEvents!.at(-1)!.id],
        attendances: [world.attendances!.at(-1)!.id],
        grades: [world.grades!.at(-1)!.id],
        rooms: [world.rooms!.find((r) => !world.calendarEvents!.some((e) => e.rooms?.some((x) => x.id === r.id)))?.id ?? world.rooms!.at(-1)!.id],
      },
    },
    { id: null, label: 'test', kind: 'system' },
  );
  const all = ['identity', 'civic_number', 'birth_date', 'sex', 'addresses', 'phone_numbers', 'private_email', 'photo', 'guardians'];
  const app = await createApp(ctx, {
    students: all,
    staff: all,
    timetable: ['identity'],
    attendance: ['identity', 'absences'],
    grades: ['identity', 'grades'],
  });
  await grantAll(ctx, app.clientId, 'students', NUMBERS);
  await grantAll(ctx, app.clientId, 'staff', NUMBERS);
  await grantAll(ctx, app.clientId, 'timetable', NUMBERS);
  await grantAll(ctx, app.clientId, 'attendance', NUMBERS);
  await grantAll(ctx, app.clientId, 'grades', NUMBERS);
  c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret, 'basic');

  const lists: Record<string, string[]> = {
    organisations: ['', 'expandReferenceNames=true'],
    persons: ['expand=duties,responsibleFor,placements,ownedPlacements,groupMemberships&expandReferenceNames=true', ''],
    placements: ['expand=child,owners&expandReferenceNames=true'],
    duties: ['expand=person&expandReferenceNames=true'],
    groups: ['expand=assignmentRoles&expandReferenceNames=true'],
    activities: ['expand=groups,teachers,syllabus&expandReferenceNames=true'],
    syllabuses: [''],
    programmes: [''],
    studyplans: ['expandReferenceNames=true'],
    rooms: ['', 'expandReferenceNames=true&sortkey=DisplayNameAsc'],
    resources: ['expandReferenceNames=true'],
    schoolUnitOfferings: ['expandReferenceNames=true&sortkey=StartDateAsc'],
    calendarEvents: [
      'startTime.onOrAfter=2026-11-16T00:00:00%2B01:00&startTime.onOrBefore=2026-11-21T00:00:00%2B01:00&expand=activity,attendance&expandReferenceNames=true&sortkey=StartTimeAsc',
      'startTime.onOrAfter=2026-11-16T00:00:00Z&startTime.onOrBefore=2026-11-30T00:00:00Z',
    ],
    // Attendance (issue 17): one lesson's and one pupil's records, every absence and check-in.
    attendances: [`calendarEvent=${world.attendances![0]!.calendarEvent.id}&expandReferenceNames=true`, `student=${world.attendances![0]!.student.id}`],
    absences: ['expandReferenceNames=true&sortkey=StartTimeAsc'],
    attendanceEvents: ['expand=person,group,registeredBy&expandReferenceNames=true'],
    attendanceSchedule: ['expandReferenceNames=true', 'startDate.onOrBefore=2026-11-22'],
    grades: ['expandReferenceNames=true&sortkey=registeredDateAsc', 'sortkey=ModifiedDesc'],
  };
  for (const [path, queries] of Object.entries(lists)) {
    for (const q of queries) {
      let res = await call('get', `/${path}`, `/${path}?limit=40${q ? `&${q}` : ''}`);
      if (res.status !== 200) throw new Error(`${path}?${q}: ${res.status} ${JSON.stringify(res.body)}`);
      while (res.body.pageToken) res = await call('get', `/${path}`, `/${path}?pageToken=${encodeURIComponent(res.body.pageToken)}`);
    }
    const first = captured.find((x) => x.template === `/${path}` && (x.body as { data: unknown[] }).data.length);
    const ids = ((first?.body as { data?: { id: string }[] } | undefined)?.data ?? []).slice(0, 5).map((x) => x.id);
    if (ids[0]) await call('get', `/${path}/{id}`, `/${path}/${ids[0]}?expandReferenceNames=true`);
    await call('post', `/${path}/lookup`, `/${path}/lookup`, { ids });
  }
  // Aggregated attendance: a school's week, with every expand, paged; its required window missing.
  const unit = world.organisations.find((o) => o.organisationCode === NUMBERS[0])!.id;
  let agg = await call(
    'get',
    '/aggregatedAttendance',
    `/aggregatedAttendance?startDate=2026-11-16&endDate=2026-11-20&organisation=${unit}&expand=activity,student&expandReferenceNames=true&limit=40`,
  );
  if (agg.status !== 200) throw new Error(`aggregatedAttendance: ${agg.status} ${JSON.stringify(agg.body)}`);
  while (agg.body.pageToken) agg = await call('get', '/aggregatedAttendance', `/aggregatedAttendance?pageToken=${encodeURIComponent(agg.body.pageToken)}`);
  await call('get', '/aggregatedAttendance', '/aggregatedAttendance?startDate=2026-11-16');
  await call('get', '/deletedEntities', '/deletedEntities?after=2000-01-01T00:00:00Z');
  // Subscriptions (issue 17): created, listed and read as the spec's Subscription(s).
  const sub = await call('post', '/subscriptions', '/subscriptions', {
    name: 'Conformance',
    resourceTypes: [{ resource: 'Person' }],
    target: 'http://127.0.0.1:9/hook',
  });
  await call('get', '/subscriptions', '/subscriptions');
  await call('get', '/subscriptions/{id}', `/subscriptions/${(sub.body as { id: string }).id}`);
  await call('get', '/persons', '/persons?sortkey=Nope');
  // The spec's required startTime window, missing.
  await call('get', '/calendarEvents', '/calendarEvents?startTime.onOrAfter=2026-11-16T00:00:00Z');
  await call('get', '/persons/{id}', '/persons/6f1c1d8e-2a0b-4c59-9b0e-7d3c2a1b0f9e');

  // The writes (issue 17, point 4): a client granted the attendance API read-write everywhere posts a
  // record like each one it reads (same lesson, pupil, group, placement, school unit), deletes it, and
  // is refused; the reading client (read grants only) is refused with the spec's 403.
  const partnerId = await insertPartner(ctx.db, { name: 'Conformance writer', contactEmail: 'w@example.test' });
  const writerApp = await insertApp(ctx.db, {
    partnerId,
    name: 'Writer',
    status: 'approved',
    apis: [
      { apiCode: 'students', dataCategories: ['identity'], purpose: 'Attendance' },
      { apiCode: 'attendance', dataCategories: ['identity', 'absences'], purpose: 'Attendance', accessLevel: 'read_write' },
    ],
  });
  const writerClient = await insertClient(ctx.db, { appId: writerApp, name: 'Writer' });
  for (const n of NUMBERS) {
    await insertGrant(ctx.db, { clientId: writerClient.clientId, apiCode: 'students', institutionNumber: n });
    await insertGrant(ctx.db, { clientId: writerClient.clientId, apiCode: 'attendance', institutionNumber: n, accessLevel: 'read_write' });
  }
  const w = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, writerClient.clientId, writerClient.secret);
  const firstRead = (path: string) => {
    const page = captured.find((x) => x.template === `/${path}` && x.status === 200 && (x.body as { data: unknown[] }).data.length);
    const item = (page!.body as { data: Record<string, any>[] }).data[0]!;
    const { id: _id, meta: _meta, _embedded, ...rest } = item;
    // References as ids only (names are the store's), as a client would send them.
    return JSON.parse(JSON.stringify(rest, (k, v) => (k === 'displayName' ? undefined : v))) as Record<string, unknown>;
  };
  for (const [path, deletable] of [
    ['attendances', true],
    ['attendanceEvents', true],
    ['attendanceSchedule', true],
    ['absences', false],
  ] as const) {
    const body = firstRead(path);
    written.push({ template: `/${path}`, body });
    const made = await call('post', `/${path}`, `/${path}`, body, w);
    if (made.status !== 200) throw new Error(`POST /${path}: ${made.status} ${JSON.stringify(made.body)}`);
    await call('post', `/${path}`, `/${path}`, body);
    await call('post', `/${path}`, `/${path}`, { ...body, unknownMember: 1 }, w);
    if (deletable) {
      await call('delete', `/${path}/{id}`, `/${path}/${(made.body as { id: string }).id}`, undefined, w);
      await call('delete', `/${path}/{id}`, `/${path}/${(made.body as { id: string }).id}`, undefined, w);
      await call('delete', `/${path}/{id}`, `/${path}/not-a-uuid`, undefined, w);
    }
  }
}, 120_000);

function responseRef(doc: any, method: string, template: string, status: number): string | undefined {
  const op = doc.paths?.[template]?.[method];
  if (!op) return undefined;
  const response = op.responses?.[String(status)] ?? op.responses?.default;
  if (!response?.content?.['application/json']?.schema) return undefined;
  const code = op.responses?.[String(status)] ? String(status) : 'default';
  return `#/paths/${ptr(template)}/${method}/responses/${code}/content/${ptr('application/json')}/schema`;
}

describe('SS 12000 conformance', () => {
  it('crawled a meaningful sample', () => {
    expect(captured.length).toBeGreaterThan(30);
    expect(captured.filter((x) => x.status === 200).length).toBeGreaterThan(25);
    // The timetable's answers are among them, with records (a week of lessons with their activities).
    for (const path of ['/rooms', '/resources', '/schoolUnitOfferings', '/calendarEvents', '/grades']) {
      expect(
        captured.some((x) => x.template === path && x.status === 200 && (x.body as { data: unknown[] }).data.length > 0),
        path,
      ).toBe(true);
    }
    const week = captured.find((x) => x.template === '/calendarEvents' && x.status === 200)!.body as { data: { _embedded?: { activity?: unknown } }[] };
    expect(week.data.some((e) => e._embedded?.activity)).toBe(true);
    const missing = captured.find((x) => x.template === '/calendarEvents' && x.status === 400)!;
    expect(missing.body).toMatchObject({ code: 'missing_parameter' });
    // Attendance's answers too, with records: a lesson's register, absences, check-ins and sums with what they embed.
    for (const path of ['/attendances', '/absences', '/attendanceEvents', '/attendanceSchedule', '/aggregatedAttendance']) {
      expect(
        captured.some((x) => x.template === path && x.status === 200 && (x.body as { data: unknown[] }).data.length > 0),
        path,
      ).toBe(true);
    }
    const sums = captured.find((x) => x.template === '/aggregatedAttendance' && x.status === 200)!.body as { data: { _embedded?: { activity?: unknown } }[] };
    expect(sums.data.some((r) => r._embedded?.activity)).toBe(true);
    expect(captured.find((x) => x.template === '/aggregatedAttendance' && x.status === 400)!.body).toMatchObject({ code: 'missing_parameter' });
    const deleted = captured.find((x) => x.template === '/deletedEntities')!.body as { data: Record<string, string[]> };
    expect(deleted.data.calendarEvents).toEqual([world.calendarEvents!.at(-1)!.id]);
    expect(deleted.data.rooms).toHaveLength(1);
    expect(deleted.data.attendances).toEqual([world.attendances!.at(-1)!.id]);
    expect(deleted.data.grades).toEqual([world.grades!.at(-1)!.id]);
    // Grades come with their content (the category Grades is approved).
    const graded = captured.find((x) => x.template === '/grades' && x.status === 200)!.body as { data: { gradeValue?: string }[] };
    expect(graded.data.every((g) => typeof g.gradeValue === 'string')).toBe(true);
  });

  it("every response validates against the facade's own OpenAPI", async () => {
    const doc = (await (await fetch(`${harness().url}/ss12000/v2.0/openapi.json`)).json()) as any;
    const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(doc, 'facade.json');
    const failures: string[] = [];
    for (const r of captured) {
      if (r.status === 204) {
        // No content: documented as such, and sent without a body.
        expect(doc.paths[r.template]?.[r.method]?.responses?.['204'], `${r.method} ${r.template} 204 is documented`).toBeTruthy();
        expect(r.body).toBeUndefined();
        continue;
      }
      const ref = responseRef(doc, r.method, r.template, r.status);
      expect(ref, `${r.method} ${r.template} ${r.status} is documented`).toBeTruthy();
      const validate = ajv.getSchema(`facade.json${ref}`)!;
      if (!validate(r.body)) failures.push(`${r.method} ${r.template} ${r.status}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(failures).toEqual([]);
  });

  it.skipIf(officialMissing)('every response validates against the official SS 12000 2.1 OpenAPI (SS12000_OPENAPI)', () => {
    const doc = parse(readFileSync(OFFICIAL!, 'utf8'));
    // Documented defects of AttendanceSchedule (see the header).
    const schedule = doc.components.schemas.AttendanceSchedule;
    schedule.required = schedule.required.filter((r: string) => r !== 'scheduleDays');
    doc.components.schemas.AttendanceScheduleEntry.properties.endTime.type = 'string';
    // Documented defect: Grade requires `schoolUnit`, a member it does not define (see the header).
    const gradeSchema = doc.components.schemas.Grade;
    expect(gradeSchema.required).toContain('schoolUnit');
    gradeSchema.required = gradeSchema.required.filter((r: string) => r !== 'schoolUnit');
    const ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(doc, 'official.json');
    const calendarEventsArray = ajv.compile({ type: 'array', items: { $ref: 'official.json#/components/schemas/CalendarEvent' } });
    const schedulesArray = ajv.compile({ type: 'array', items: { $ref: 'official.json#/components/schemas/AttendanceSchedule' } });
    const failures: string[] = [];
    let checked = 0;
    for (const r of captured) {
      // Documented defect: no /studyplans/lookup in the spec (our extension).
      if (r.template === '/studyplans/lookup') continue;
      if (r.status === 204) {
        expect(doc.paths[r.template]?.[r.method]?.responses?.['204'], `${r.method} ${r.template} 204 exists in the spec`).toBeTruthy();
        expect(r.body).toBeUndefined();
        continue;
      }
      const ref = responseRef(doc, r.method, r.template, r.status) ?? (r.status >= 400 ? '#/components/schemas/Error' : undefined);
      expect(ref, `${r.method} ${r.template} ${r.status} exists in the spec`).toBeTruthy();
      // Documented defect: the calendar events' lookup names AttendancesArray; its items are calendar events.
      const validate =
        r.template === '/calendarEvents/lookup' && r.status === 200
          ? calendarEventsArray
          : r.template === '/attendanceSchedule/lookup' && r.status === 200
            ? schedulesArray
            : ajv.getSchema(`official.json${ref}`)!;
      checked++;
      if (!validate(r.body)) failures.push(`${r.method} ${r.template} ${r.status}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(checked).toBeGreaterThan(30);
    expect(failures).toEqual([]);
    // The write bodies sent, against the spec's request body of each POST: its schema with the
    // read-only members (`id`, `meta`) not required, as OpenAPI's readOnly says for requests.
    expect(written.length).toBe(4);
    for (const { template, body } of written) {
      const ref = doc.paths[template].post.requestBody.content['application/json'].schema.$ref as string;
      const name = ref.split('/').at(-1)!;
      const schema = doc.components.schemas[name];
      const readOnly = Object.entries(schema.properties as Record<string, any>)
        .filter(([, p]) => p.readOnly || doc.components.schemas[(p.$ref ?? '').split('/').at(-1)]?.readOnly)
        .map(([k]) => k);
      expect(readOnly).toEqual(expect.arrayContaining(['id', 'meta']));
      const request = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"official.json#/components/'));
      const validate = ajv.compile({ ...request, required: schema.required.filter((r: string) => !readOnly.includes(r)) });
      expect(validate(body), `${template} request body: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });
});
