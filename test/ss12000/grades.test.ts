/**
 * Grades in the SS 12000 API (issue 17), end to end on the real server: ingestion (validation,
 * references, idempotence), the spec's filters, sort keys, paging, single reads and lookups, the
 * grades API's grant with its sensitive category as what releases them, a pupil's grades only at a
 * school where the pupil is enrolled and never under protected identity (read live), deletions, and
 * the access log naming the grades API and the category.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';
import { insertAdminRight, insertUser } from '../../src/seed/builders.ts';
import { currentSchoolYear } from '../../src/lib/school-year.ts';

const harness = useHarness();
const A = '380001';
const B = '380002';
const who = { id: null, label: 'test', kind: 'system' as const };
const unitA = randomUUID();
const unitB = randomUUID();
const group = randomUUID();
const course = randomUUID();
const ella = randomUUID();
const omar = randomUUID();
const hidden = randomUUID();
const teacher = randomUUID();
const other = randomUUID();
const enrolled = (unit: string) => [{ enroledAt: { id: unit }, schoolType: 'GY', startDate: '2026-08-18' }];
const person = (id: string, givenName: string, extra: Record<string, unknown> = {}) => ({ id, givenName, familyName: 'Berg', ...extra });
const gradeIds = Array.from({ length: 6 }, () => randomUUID());
/** A grade of `student` at `unit`, registered on the given day of November 2026. */
const grade = (id: string, student: string, unit: string, day: number, extra: Record<string, unknown> = {}) => ({
  id,
  student: { id: student },
  organisation: { id: unit },
  registeredBy: { id: teacher },
  gradingTeacher: { id: day % 2 ? teacher : other },
  group: { id: group },
  registeredDate: `2026-11-${String(day).padStart(2, '0')}`,
  gradeValue: 'C',
  finalGrade: false,
  adaptedStudyPlan: 'Ingen',
  semester: 'HT',
  year: 2026,
  syllabus: { id: course },
  ...extra,
});

let grades: Ss12000Client;
let gradesClientId: string;
let withoutCategory: Ss12000Client;
let studentsOnly: Ss12000Client;
let gradesB: Ss12000Client;

beforeAll(async () => {
  const { ctx, url } = harness();
  await ensureInstitutions(ctx, [A, B]);
  const result = await ingestBatch(
    ctx,
    {
      upsert: {
        organisations: [
          { id: unitA, displayName: 'Gymnasium A', organisationType: 'Skolenhet', organisationCode: A },
          { id: unitB, displayName: 'Gymnasium B', organisationType: 'Skolenhet', organisationCode: B },
        ],
        syllabuses: [{ id: course, schoolType: 'GY', subjectName: 'Matematik', courseName: 'Matematik 1c', official: true }],
        persons: [
          person(ella, 'Ella', { enrolments: enrolled(unitA) }),
          person(omar, 'Omar', { enrolments: enrolled(unitB) }),
          person(hidden, 'Saga', { enrolments: enrolled(unitA), securityMarking: 'Skyddad folkbokföring' }),
          person(teacher, 'Karin'),
          person(other, 'Nils'),
        ],
        groups: [{ id: group, displayName: 'MA1c NA26', startDate: '2026-08-18', groupType: 'Undervisning', organisation: { id: unitA } }],
        grades: [
          grade(gradeIds[0]!, ella, unitA, 3, { gradeValue: 'B', remark: 'Kompletterad uppgift.' }),
          grade(gradeIds[1]!, ella, unitA, 10),
          grade(gradeIds[2]!, ella, unitA, 17, { finalGrade: true, gradeValue: 'A' }),
          // Registered at A for a pupil enrolled at B only: not hers to show at A.
          grade(gradeIds[3]!, omar, unitA, 12),
          grade(gradeIds[4]!, omar, unitB, 12),
          grade(gradeIds[5]!, hidden, unitA, 20),
        ],
      },
    },
    who,
  );
  expect(result.created).toMatchObject({ grades: 6 });
  const make = async (categories: Record<string, string[]>, grants: Record<string, string[]>) => {
    const app = await createApp(ctx, categories);
    for (const [api, numbers] of Object.entries(grants)) await grantAll(ctx, app.clientId, api, numbers);
    return { client: new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret), clientId: app.clientId };
  };
  const g = await make({ grades: ['identity', 'grades'] }, { grades: [A] });
  grades = g.client;
  gradesClientId = g.clientId;
  withoutCategory = (await make({ grades: ['identity'] }, { grades: [A, B] })).client;
  studentsOnly = (await make({ students: ['identity'] }, { students: [A, B] })).client;
  gradesB = (await make({ grades: ['identity', 'grades'] }, { grades: [B] })).client;
}, 60_000);

describe('grades ingestion', () => {
  it('loads the same grade again without a change', async () => {
    const again = await ingestBatch(harness().ctx, { upsert: { grades: [grade(gradeIds[1]!, ella, unitA, 10)] } }, who);
    expect(again.noChange).toBe(true);
  });

  it('refuses a grade without its grade value, or naming a pupil that does not exist, saying where', async () => {
    const { gradeValue: _gone, ...noValue } = grade(randomUUID(), ella, unitA, 5);
    await expect(ingestBatch(harness().ctx, { upsert: { grades: [noValue] } }, who)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_batch',
      details: { field: 'upsert.grades.0.gradeValue' },
    });
    const ghost = randomUUID();
    await expect(ingestBatch(harness().ctx, { upsert: { grades: [grade(randomUUID(), ghost, unitA, 5)] } }, who)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_batch',
      details: { field: 'upsert.grades.0.student.id' },
    });
  });
});

describe('GET /grades', () => {
  it("shows a school's grades only of its own enrolled pupils, never of a pupil with protected identity", async () => {
    const { items } = await grades.crawl('/grades', 2);
    expect(new Set(items.map((g) => g.id))).toEqual(new Set(gradeIds.slice(0, 3)));
    expect((await grades.get(`/grades/${gradeIds[3]}`)).status).toBe(404);
    expect((await grades.get(`/grades/${gradeIds[5]}`)).status).toBe(404);
    expect((await gradesB.get(`/grades/${gradeIds[4]}`)).status).toBe(200);
    expect((await gradesB.get(`/grades/${gradeIds[0]}`)).status).toBe(404);
  });

  it('releases nothing without the grades API and its category Grades', async () => {
    expect((await studentsOnly.get('/grades')).body.data).toEqual([]);
    expect((await withoutCategory.get('/grades')).body.data).toEqual([]);
    expect((await withoutCategory.get(`/grades/${gradeIds[0]}`)).status).toBe(404);
  });

  it('serves the grade as registered, with every member the spec defines', async () => {
    const res = await grades.get(`/grades/${gradeIds[0]}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: gradeIds[0],
      meta: { created: expect.any(String), modified: expect.any(String) },
      student: { id: ella },
      organisation: { id: unitA },
      registeredBy: { id: teacher },
      gradingTeacher: { id: teacher },
      group: { id: group },
      registeredDate: '2026-11-03',
      gradeValue: 'B',
      finalGrade: false,
      adaptedStudyPlan: 'Ingen',
      remark: 'Kompletterad uppgift.',
      semester: 'HT',
      year: 2026,
      syllabus: { id: course },
    });
  });

  it('filters by pupil, teacher, registrar, school unit and registration date, as the spec names them', async () => {
    const ids = async (q: string) => {
      const res = await grades.get(`/grades?${q}`);
      expect(res.status, `${q}: ${JSON.stringify(res.body)}`).toBe(200);
      return new Set(res.body.data.map((g: { id: string }) => g.id));
    };
    expect(await ids(`student=${ella}`)).toEqual(new Set(gradeIds.slice(0, 3)));
    expect(await ids(`student=${omar}`)).toEqual(new Set());
    expect(await ids(`gradingTeacher=${other}`)).toEqual(new Set([gradeIds[1]]));
    expect(await ids(`registeredBy=${teacher}`)).toEqual(new Set(gradeIds.slice(0, 3)));
    expect(await ids(`organisation=${unitB}`)).toEqual(new Set());
    expect(await ids('registeredDate.onOrAfter=2026-11-10&registeredDate.onOrBefore=2026-11-17')).toEqual(new Set([gradeIds[1], gradeIds[2]]));
    const bad = await grades.get('/grades?registeredDate.onOrAfter=10-11-2026');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('registeredDate.onOrAfter');
  });

  it('sorts by registration date both ways, pages with the natural loop, and refuses another sort key', async () => {
    const query = `sortkey=registeredDateDesc&expandReferenceNames=True&limit=${encodeURIComponent(' 2 ')}`;
    let res = await grades.get(`/grades?${query}`);
    const dates: string[] = [];
    for (;;) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      dates.push(...res.body.data.map((g: { registeredDate: string }) => g.registeredDate));
      if (!res.body.pageToken) break;
      res = await grades.get(`/grades?${query}&pageToken=${encodeURIComponent(res.body.pageToken)}`);
    }
    expect(dates).toEqual(['2026-11-17', '2026-11-10', '2026-11-03']);
    const asc = await grades.get('/grades?sortkey=registeredDateAsc');
    expect(asc.body.data.map((g: { registeredDate: string }) => g.registeredDate)).toEqual(['2026-11-03', '2026-11-10', '2026-11-17']);
    const wrong = await grades.get('/grades?sortkey=StartTimeAsc');
    expect(wrong.status).toBe(400);
  });

  it('names the course, the group and the school on expandReferenceNames, and looks grades up by id', async () => {
    const one = await grades.get(`/grades/${gradeIds[2]}?expandReferenceNames=true`);
    expect(one.body).toMatchObject({
      syllabus: { id: course, displayName: 'Matematik 1c' },
      group: { id: group, displayName: 'MA1c NA26' },
      organisation: { id: unitA, displayName: 'Gymnasium A' },
    });
    const looked = await grades.request('POST', '/grades/lookup', { ids: gradeIds });
    expect(looked.status).toBe(200);
    expect(new Set(looked.body.map((g: { id: string }) => g.id))).toEqual(new Set(gradeIds.slice(0, 3)));
  });

  it('withholds a pupil’s grades the moment the pupil gets protected identity, and shows them again when it is lifted', async () => {
    const { ctx } = harness();
    const mark = (securityMarking: string) =>
      ingestBatch(ctx, { upsert: { persons: [person(ella, 'Ella', { enrolments: enrolled(unitA), securityMarking })] } }, who);
    await mark('Skyddad folkbokföring');
    expect((await grades.get('/grades')).body.data).toEqual([]);
    expect((await grades.get(`/grades/${gradeIds[0]}`)).status).toBe(404);
    await mark('Ingen');
    expect((await grades.get('/grades')).body.data).toHaveLength(3);
  });

  it('records the read in the access log under the grades API, with the category Grades, for the institution', async () => {
    await grades.get('/grades?limit=2');
    const parts = await sql<{ part: { institution: string; api: string; entity: string; records: number; categories: string[] } }>`
      SELECT p AS part FROM ss12000_access_log l CROSS JOIN LATERAL ss12000_access_log_parts(l.released::jsonb) p
       WHERE l.client_id = ${gradesClientId} AND l.endpoint = '/grades' ORDER BY l.id DESC LIMIT 1`.execute(harness().ctx.db);
    expect(parts.rows[0]!.part).toMatchObject({ institution: A, api: 'grades', entity: 'grades', records: 2 });
    expect(parts.rows[0]!.part.categories).toEqual(expect.arrayContaining(['identity', 'grades']));
  });

  it("tells the school admin, in the pupil's disclosure report, that the app read grades at the school, with the category Grades", async () => {
    const { ctx, clock } = harness();
    await grades.get(`/grades?student=${ella}`);
    const admin = await insertUser(ctx.db, {
      email: 'grades.admin@skola.example',
      password: 'grades password',
      displayName: 'Admin',
      kind: 'school',
      userManagementAccess: true,
    });
    const year = currentSchoolYear(clock.now(), { start: '09-01', timeZone: 'Europe/Brussels' });
    await insertAdminRight(ctx.db, { userId: admin, right: 'iPuntenboek', institutionNumber: A, schoolYear: year });
    const c = harness().client();
    expect((await c.login('grades.admin@skola.example', 'grades password')).status).toBe(200);
    const res = await c.get(`/api/v1/school/persons/${ella}/disclosures`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const entries = res.body.apps.flatMap((a: { entries: { api: string; categories: { category: string }[] }[] }) => a.entries);
    const graded = entries.find((e: { api: string }) => e.api === 'grades');
    expect(graded, JSON.stringify(res.body)).toBeDefined();
    expect(graded.categories.map((k: { category: string }) => k.category)).toContain('grades');
  });

  it('lists a deleted grade in /deletedEntities for the grades API at its unit only', async () => {
    await ingestBatch(harness().ctx, { delete: { grades: [gradeIds[1]!] } }, who);
    const mine = await grades.get('/deletedEntities?entities=Grade');
    expect(mine.body.data.grades).toContain(gradeIds[1]);
    const theirs = await studentsOnly.get('/deletedEntities?entities=Grade');
    expect(theirs.body.data.grades).not.toContain(gradeIds[1]);
    expect((await grades.get(`/grades/${gradeIds[1]}`)).status).toBe(404);
  });
});
