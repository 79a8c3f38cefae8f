/**
 * The SS 12000 writes (issue 17, point 4) on the real server and database: POST/DELETE
 * /attendances, /attendanceEvents, /attendanceSchedule and POST /absences, only for a client whose
 * app asked for the attendance API read-write, was approved so, and holds a read-write grant at the
 * institution of the school unit the record is at (derived from the store). The expectations are
 * written from the issue and the spec, not from writes.ts: what a client may write, what it is told
 * when it may not (never more than a read would tell it), and that the record, the change row, the
 * audit row and the access-log row are committed together or not at all.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { restoreGrants, suspendGrants } from '../../src/modules/access/grants.ts';
import { insertApp, insertClient, insertGrant, insertPartner } from '../../src/seed/builders.ts';
import type { AccessLevel } from '../../src/db/schema.ts';
import { ensureInstitutions, Ss12000Client, twoSchools } from './support.ts';

const harness = useHarness();
const A = '371101';
const B = '371102';
const who = { id: null, label: 'test', kind: 'system' as const };
const unitA = randomUUID();
const unitB = randomUUID();
const [ella, sam, noor, tove, mio] = Array.from({ length: 5 }, () => randomUUID()) as [string, string, string, string, string];
const [group7A, group8B, act7A, act8B, dutyTove] = Array.from({ length: 5 }, () => randomUUID()) as [string, string, string, string, string];
const [l1, l3, placeMio, placeSam] = Array.from({ length: 4 }, () => randomUUID()) as [string, string, string, string];
const enrolledAt = (unit: string) => [{ enroledAt: { id: unit }, schoolType: 'GR', startDate: '2026-08-18' }];

/** Bodies as a client sends them (the spec's request bodies: no id, no meta). */
const attendanceBody = (pupil = ella, lesson = l1, extra: Record<string, unknown> = {}) => ({
  calendarEvent: { id: lesson },
  student: { id: pupil },
  reporter: { id: tove },
  isReported: true,
  attendanceMinutes: 45,
  ...extra,
});
const eventBody = (pupil = ella, group = group7A) => ({ time: '2026-11-23T07:40:00+01:00', eventType: 'In', person: { id: pupil }, group: { id: group } });
const scheduleBody = (placement = placeMio) => ({
  placement: { id: placement },
  numberOfWeeks: 1,
  startDate: '2026-11-23',
  state: [{ state: 'Begärt', registeredAt: '2026-11-20T09:00:00+01:00' }],
  scheduleEntries: [{ weekOffset: 0, dayOfWeek: 'Tisdag', startTime: '07:30', endTime: '15:00' }],
});
const absenceBody = (pupil = ella, unit = unitA) => ({
  startTime: '2026-11-24T00:00:00+01:00',
  endTime: '2026-11-24T23:59:00+01:00',
  type: 'Anmäld frånvaro',
  student: { id: pupil },
  organisation: { id: unit },
});

interface Writer {
  c: Ss12000Client;
  clientId: string;
  appId: string;
}
let writer: Writer;
let url: string;

/** An approved app asking for these APIs at these levels, with grants at these levels per institution. */
async function makeClient(apis: { api: string; categories: string[]; level: AccessLevel; grants: Record<string, AccessLevel> }[]): Promise<Writer> {
  const { ctx } = harness();
  const partnerId = await insertPartner(ctx.db, { name: `Writer ${randomUUID().slice(0, 6)}`, contactEmail: 'w@example.test' });
  const appId = await insertApp(ctx.db, {
    partnerId,
    name: 'Närvaroappen',
    status: 'approved',
    apis: apis.map((a) => ({ apiCode: a.api, dataCategories: a.categories, purpose: 'Registering attendance', accessLevel: a.level })),
  });
  const { clientId, secret } = await insertClient(ctx.db, { appId, name: 'Närvaroappen client' });
  for (const a of apis)
    for (const [institutionNumber, accessLevel] of Object.entries(a.grants))
      await insertGrant(ctx.db, { clientId, apiCode: a.api, institutionNumber, accessLevel });
  return { c: new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, clientId, secret), clientId, appId };
}

const students = (grants: Record<string, AccessLevel>) => ({ api: 'students', categories: ['identity'], level: 'read' as AccessLevel, grants });
const attendanceApi = (grants: Record<string, AccessLevel>, categories = ['identity', 'absences']) => ({
  api: 'attendance',
  categories,
  level: 'read_write' as AccessLevel,
  grants,
});

const stored = async (table: string, id: string) =>
  Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE id = ${id}::uuid`.execute(harness().ctx.db)).rows[0]!.n);
const auditOf = (clientId: string) =>
  harness()
    .ctx.db.selectFrom('audit_log')
    .select(['action', 'subject_id', 'institution_numbers', 'app_id'])
    .where('client_id', '=', clientId)
    .where('action', 'in', ['ss12000.record_written', 'ss12000.record_deleted'])
    .orderBy('id')
    .execute();
const logOf = (requestId: string | null) =>
  harness()
    .ctx.db.selectFrom('ss12000_access_log')
    .select(['status', 'method', 'endpoint', 'institution_numbers', 'written', 'record_count'])
    .where('request_id', '=', requestId)
    .execute();

beforeAll(async () => {
  const world = twoSchools({ A, B, unitA, unitB, group7A, group8B, act7A, act8B }, { '7A': [ella], '8B': [noor] });
  const h = harness();
  url = h.url;
  await ensureInstitutions(h.ctx, [A, B]);
  await ingestBatch(
    h.ctx,
    {
      upsert: {
        ...world,
        persons: [
          { id: ella, givenName: 'Ella', familyName: 'Berg', enrolments: enrolledAt(unitA) },
          { id: sam, givenName: 'Sam', familyName: 'Dold', securityMarking: 'Skyddad folkbokföring', enrolments: enrolledAt(unitA) },
          { id: noor, givenName: 'Noor', familyName: 'Ek', enrolments: enrolledAt(unitB) },
          { id: tove, givenName: 'Tove', familyName: 'Lärare' },
          { id: mio, givenName: 'Mio', familyName: 'Liten' },
        ],
        duties: [{ id: dutyTove, person: { id: tove }, dutyAt: { id: unitA }, dutyRole: 'Lärare', startDate: '2026-08-01' }],
        placements: [
          { id: placeMio, placedAt: { id: unitA }, child: { id: mio }, group: { id: group7A }, schoolType: 'FS', startDate: '2026-08-18' },
          { id: placeSam, placedAt: { id: unitA }, child: { id: sam }, schoolType: 'FS', startDate: '2026-08-18' },
        ],
        calendarEvents: [
          { id: l1, activity: { id: act7A }, startTime: '2026-11-23T08:15:00+01:00', endTime: '2026-11-23T09:05:00+01:00' },
          { id: l3, activity: { id: act8B }, startTime: '2026-11-23T08:15:00+01:00', endTime: '2026-11-23T09:05:00+01:00' },
        ],
      },
    },
    who,
  );
  // Read-write at A; read only at B (so B's records are visible to it, but not writable).
  writer = await makeClient([students({ [A]: 'read', [B]: 'read' }), attendanceApi({ [A]: 'read_write', [B]: 'read' })]);
});

describe('writes with a read-write grant', () => {
  it('creates each entity, answers it as a read would, and it reads back; audited and in the access log with what was written', async () => {
    const cases = [
      {
        path: '/attendances',
        body: attendanceBody(),
        table: 'ss12000_attendances',
        expect: { calendarEvent: { id: l1 }, student: { id: ella }, attendanceMinutes: 45 },
      },
      {
        path: '/attendanceEvents',
        body: eventBody(),
        table: 'ss12000_attendance_events',
        expect: { eventType: 'In', person: { id: ella }, group: { id: group7A } },
      },
      { path: '/attendanceSchedule', body: scheduleBody(), table: 'ss12000_attendance_schedules', expect: { placement: { id: placeMio }, numberOfWeeks: 1 } },
      {
        path: '/absences',
        body: absenceBody(),
        table: 'ss12000_absences',
        expect: { type: 'Anmäld frånvaro', student: { id: ella }, organisation: { id: unitA } },
      },
    ];
    for (const k of cases) {
      const res = await writer.c.request('POST', k.path, {
        ...k.body,
        id: randomUUID(),
        meta: { created: '2000-01-01T00:00:00Z', modified: '2000-01-01T00:00:00Z' },
      });
      expect(res.status, `${k.path}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body).toMatchObject(k.expect);
      // The id is the server's (read-only in the spec), and so are the times.
      expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.meta.created).toBe(res.body.meta.modified);
      expect(res.body.meta.created.startsWith('2000')).toBe(false);
      expect(await stored(k.table, res.body.id)).toBe(1);
      const read = await writer.c.get(`${k.path}/${res.body.id}`);
      expect(read.status, k.path).toBe(200);
      expect(read.body).toEqual(res.body);
      // A delta read (meta.modified.after) finds it: the write is a change like a load's.
      const since = new Date(Date.parse(res.body.meta.modified) - 1000).toISOString();
      const delta = await writer.c.crawl(`${k.path}?meta.modified.after=${encodeURIComponent(since)}`);
      expect(delta.items.map((i) => i.id)).toContain(res.body.id);
      const log = await logOf(res.headers.get('x-request-id'));
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ status: 200, method: 'POST', endpoint: k.path, institution_numbers: [A], record_count: 1 });
      expect(log[0]!.written).toMatchObject({ operation: 'create', id: res.body.id, institution: A, record: { id: res.body.id, ...k.expect } });
    }
    const audit = await auditOf(writer.clientId);
    expect(audit.map((a) => [a.action, a.institution_numbers, a.app_id])).toEqual(cases.map(() => ['ss12000.record_written', [A], writer.appId]));
  });

  it('deletes attendances, check-ins and schedules: gone from reads, listed in /deletedEntities, audited and logged', async () => {
    const since = new Date(harness().ctx.clock.now().getTime() - 1000).toISOString();
    const made = [
      ['/attendances', 'attendances', (await writer.c.request('POST', '/attendances', attendanceBody())).body.id],
      ['/attendanceEvents', 'attendanceEvents', (await writer.c.request('POST', '/attendanceEvents', eventBody())).body.id],
      ['/attendanceSchedule', 'attendanceSchedules', (await writer.c.request('POST', '/attendanceSchedule', scheduleBody())).body.id],
    ] as const;
    for (const [path, , id] of made) {
      const res = await writer.c.request('DELETE', `${path}/${id}`);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(204);
      expect(res.body).toBeUndefined();
      expect((await writer.c.get(`${path}/${id}`)).status).toBe(404);
      // Deleted once: a second DELETE is an unknown id.
      expect((await writer.c.request('DELETE', `${path}/${id}`)).status).toBe(404);
      const log = await logOf(res.headers.get('x-request-id'));
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ status: 204, method: 'DELETE', institution_numbers: [A], written: { operation: 'delete', id, institution: A } });
    }
    const deleted = await writer.c.get(`/deletedEntities?after=${encodeURIComponent(since)}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    for (const [, key, id] of made) expect(deleted.body.data[key] ?? [], key).toContain(id);
    const audit = await auditOf(writer.clientId);
    expect(audit.filter((a) => a.action === 'ss12000.record_deleted').map((a) => a.subject_id)).toEqual(
      expect.arrayContaining(made.map(([, key, id]) => `${key}/${id}`)),
    );
  });

  it('tells a live subscriber: the change row, written in the same transaction, becomes its notification', async () => {
    const sub = await writer.c.request('POST', '/subscriptions', {
      name: 'Writes',
      resourceTypes: [{ resource: 'Attendance' }],
      target: 'http://127.0.0.1:9/hook',
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    const res = await writer.c.request('POST', '/attendances', attendanceBody());
    expect(res.status).toBe(200);
    // The fan-out job reads the change rows the write committed (and removes them once notified).
    let payloads: unknown[] = [];
    for (let i = 0; i < 100 && !payloads.length; i++) {
      payloads = (await harness().ctx.db.selectFrom('webhook_deliveries').select('payload').where('subscription_id', '=', sub.body.id).execute()).map(
        (d) => d.payload,
      );
      if (!payloads.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(payloads).toEqual([expect.objectContaining({ modifiedEntites: ['Attendance'] })]);
    await writer.c.request('DELETE', `/subscriptions/${sub.body.id}`);
  });
});

describe('refused writes', () => {
  it('a read-only grant: 403 write_not_granted, nothing stored, audited or logged as written', async () => {
    const reader = await makeClient([students({ [A]: 'read' }), { ...attendanceApi({ [A]: 'read' }) }]);
    const before = await harness()
      .ctx.db.selectFrom('ss12000_attendances')
      .select((e) => e.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    for (const [path, body] of [
      ['/attendances', attendanceBody()],
      ['/attendanceEvents', eventBody()],
      ['/attendanceSchedule', scheduleBody()],
      ['/absences', absenceBody()],
    ] as const) {
      const res = await reader.c.request('POST', path, body);
      expect([res.status, res.body.code], path).toEqual([403, 'write_not_granted']);
      expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'requestId']);
      const log = await logOf(res.headers.get('x-request-id'));
      expect(log.map((l) => [l.status, l.written])).toEqual([[403, null]]);
    }
    const after = await harness()
      .ctx.db.selectFrom('ss12000_attendances')
      .select((e) => e.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect(await auditOf(reader.clientId)).toEqual([]);
    // Its DELETE of a record it can read: 403, and the record stays.
    const mine = (await writer.c.request('POST', '/attendances', attendanceBody())).body.id;
    expect((await reader.c.request('DELETE', `/attendances/${mine}`)).body.code).toBe('write_not_granted');
    expect(await stored('ss12000_attendances', mine)).toBe(1);
  });

  it('asked for read only (though a grant says read-write): refused', async () => {
    const c = await makeClient([students({ [A]: 'read' }), { ...attendanceApi({ [A]: 'read_write' }), level: 'read' }]);
    expect((await c.c.request('POST', '/attendances', attendanceBody())).body.code).toBe('write_not_granted');
  });

  it('a school the client has no grant at: answered like an unknown lesson, group, placement or unit; its records like unknown ids', async () => {
    const other = await makeClient([students({ [B]: 'read' }), attendanceApi({ [B]: 'read_write' })]);
    const pairs = [
      ['/attendances', attendanceBody(ella, l1), attendanceBody(ella, randomUUID())],
      ['/attendanceEvents', eventBody(ella, group7A), eventBody(ella, randomUUID())],
      ['/attendanceSchedule', scheduleBody(placeMio), scheduleBody(randomUUID())],
      ['/absences', absenceBody(ella, unitA), absenceBody(ella, randomUUID())],
    ] as const;
    for (const [path, atA, unknown] of pairs) {
      const a = await other.c.request('POST', path, atA);
      const u = await other.c.request('POST', path, unknown);
      expect([a.status, a.body.code], path).toEqual([400, 'unknown_reference']);
      expect([a.status, a.body.code, a.body.message, a.body.field]).toEqual([u.status, u.body.code, u.body.message, u.body.field]);
    }
    const atA = (await writer.c.request('POST', '/attendances', attendanceBody())).body.id;
    const d = await other.c.request('DELETE', `/attendances/${atA}`);
    const n = await other.c.request('DELETE', `/attendances/${randomUUID()}`);
    expect([d.status, d.body.code, d.body.message]).toEqual([404, 'not_found', n.body.message]);
    expect(n.status).toBe(404);
    expect(await stored('ss12000_attendances', atA)).toBe(1);
    // The writer reads B but may not write there: 403 (it can see the lesson, so nothing is revealed).
    const atB = await writer.c.request('POST', '/attendances', attendanceBody(noor, l3));
    expect([atB.status, atB.body.code]).toEqual([403, 'write_not_granted']);
  });

  it('follows the live grant: switched off, lowered, removed, and the app suspended, each stops the next write', async () => {
    const { ctx } = harness();
    const w = await makeClient([students({ [A]: 'read' }), attendanceApi({ [A]: 'read_write' })]);
    const post = () => w.c.request('POST', '/attendances', attendanceBody());
    expect((await post()).status).toBe(200);
    const actor = { id: null, label: 'test', kind: 'system' as const, name: 'test' };
    const within = new Map([['attendance', [A]]]);
    await ctx.db.transaction().execute((trx) => suspendGrants(trx, ctx, { clientId: w.clientId, within, actor, reason: null }));
    const off = await post();
    expect(off.status, JSON.stringify(off.body)).toBeGreaterThanOrEqual(400);
    expect(off.status).toBeLessThan(500);
    await ctx.db.transaction().execute((trx) => restoreGrants(trx, ctx, { clientId: w.clientId, within, actor, reason: null }));
    expect((await post()).status).toBe(200);
    await ctx.db.updateTable('grants').set({ access_level: 'read' }).where('client_id', '=', w.clientId).where('api_code', '=', 'attendance').execute();
    expect((await post()).body.code).toBe('write_not_granted');
    await ctx.db.updateTable('grants').set({ access_level: 'read_write' }).where('client_id', '=', w.clientId).where('api_code', '=', 'attendance').execute();
    expect((await post()).status).toBe(200);
    await ctx.db.updateTable('apps').set({ status: 'suspended' }).where('id', '=', w.appId).execute();
    const suspended = await post();
    expect([401, 403]).toContain(suspended.status);
    await ctx.db.updateTable('apps').set({ status: 'approved' }).where('id', '=', w.appId).execute();
    expect((await post()).status).toBe(200);
    await ctx.db.deleteFrom('grants').where('client_id', '=', w.clientId).where('api_code', '=', 'attendance').execute();
    const removed = await post();
    expect(removed.status).toBe(400);
    expect(removed.body.code).toBe('unknown_reference');
    expect((await auditOf(w.clientId)).length).toBe(4);
  });

  it('a pupil who is not a student at the unit, one with protected identity and an unknown person get the same answer', async () => {
    const answers = [];
    for (const pupil of [noor, sam, randomUUID()]) {
      const res = await writer.c.request('POST', '/attendances', attendanceBody(pupil));
      answers.push([res.status, res.body.code, res.body.message, res.body.field]);
    }
    expect(answers[0]).toEqual([400, 'student_not_enrolled', expect.any(String), 'student.id']);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    for (const [path, body] of [
      ['/attendanceEvents', eventBody(noor)],
      ['/absences', absenceBody(sam)],
      ['/attendanceSchedule', scheduleBody(placeSam)],
    ] as const) {
      const res = await writer.c.request('POST', path, body);
      expect([res.status, res.body.code], path).toEqual([400, 'student_not_enrolled']);
    }
    // A reporter the store does not hold at the unit.
    const res = await writer.c.request('POST', '/attendances', attendanceBody(ella, l1, { reporter: { id: randomUUID() } }));
    expect([res.status, res.body.code, res.body.field]).toEqual([400, 'unknown_reference', 'reporter.id']);
  });

  it('absences, and an absence reason, only with the absences category', async () => {
    const w = await makeClient([students({ [A]: 'read' }), attendanceApi({ [A]: 'read_write' }, ['identity'])]);
    expect((await w.c.request('POST', '/absences', absenceBody())).body.code).toBe('category_not_approved');
    const reason = await w.c.request('POST', '/attendances', attendanceBody(ella, l1, { absenceReason: 'Sjuk' }));
    expect([reason.status, reason.body.code, reason.body.field]).toEqual([403, 'category_not_approved', 'absenceReason']);
    expect((await w.c.request('POST', '/attendances', attendanceBody())).status).toBe(200);
  });

  it('bad input is a 400 (or 413/415) in the spec’s shape naming the field, never a 500', async () => {
    const raw = async (method: string, path: string, body: string, type = 'application/json') => {
      await writer.c.fetchToken();
      const token = (writer.c as unknown as { token: string }).token;
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(body ? { 'content-type': type } : {}) };
      const res = await fetch(`${url}/ss12000/v2.0${path}`, { method, headers, body: body || undefined });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    const cases: [string, Awaited<ReturnType<typeof raw>>, number, string, string?][] = [
      ['not JSON', await raw('POST', '/attendances', '{"calendarEvent":'), 400, 'bad_request'],
      ['an array', await raw('POST', '/attendances', JSON.stringify([attendanceBody()])), 400, 'invalid_body'],
      ['null', await raw('POST', '/attendances', 'null'), 400, 'invalid_body'],
      [
        'NUL in a string',
        await raw('POST', '/attendances', JSON.stringify(attendanceBody(ella, l1, { absenceReason: 'a\u0000b' }))),
        400,
        'invalid_value',
        'absenceReason',
      ],
      ['a lone surrogate', await raw('POST', '/attendances', '{"absenceReason":"\\ud800x"}'), 400, 'invalid_value', 'absenceReason'],
      [
        'an unknown member',
        await raw('POST', '/attendances', JSON.stringify(attendanceBody(ella, l1, { lockerCode: '12' }))),
        400,
        'unknown_field',
        'lockerCode',
      ],
      [
        'an unknown nested member',
        await raw('POST', '/attendances', JSON.stringify({ ...attendanceBody(), student: { id: ella, nickname: 'E' } })),
        400,
        'unknown_field',
        'student.nickname',
      ],
      ['an invalid UUID', await raw('POST', '/attendances', JSON.stringify(attendanceBody('not-a-uuid'))), 400, 'invalid_body', 'student.id'],
      ['a wrong type', await raw('POST', '/attendances', JSON.stringify(attendanceBody(ella, l1, { isReported: 'yes' }))), 400, 'invalid_body', 'isReported'],
      ['a missing member', await raw('POST', '/attendanceEvents', JSON.stringify({ ...eventBody(), group: undefined })), 400, 'invalid_body', 'group'],
      ['a bad enum', await raw('POST', '/absences', JSON.stringify({ ...absenceBody(), type: 'Skolk' })), 400, 'invalid_body', 'type'],
      [
        'an absence without a unit',
        await raw('POST', '/absences', JSON.stringify({ ...absenceBody(), organisation: undefined })),
        400,
        'invalid_body',
        'organisation',
      ],
      [
        'end before start',
        await raw('POST', '/absences', JSON.stringify({ ...absenceBody(), endTime: '2026-11-23T00:00:00+01:00' })),
        400,
        'invalid_body',
        'endTime',
      ],
      ['deep nesting', await raw('POST', '/attendances', `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`), 400, 'invalid_body'],
      ['a huge body', await raw('POST', '/attendances', JSON.stringify(attendanceBody(ella, l1, { absenceReason: 'x'.repeat(100_000) }))), 413, 'bad_request'],
      ['text, not JSON', await raw('POST', '/attendances', 'calendarEvent=1', 'text/plain'), 400, 'invalid_body'],
      ['a form', await raw('POST', '/attendances', 'calendarEvent=1', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type'],
      ['a DELETE of a bad id', await raw('DELETE', '/attendances/not-a-uuid', ''), 400, 'invalid_id', 'id'],
    ];
    const failures = cases
      .filter(
        ([, res, status, code, field]) =>
          res.status !== status || res.body?.code !== code || (field && res.body.field !== field) || typeof res.body?.message !== 'string',
      )
      .map(([name, res]) => `${name}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    expect(failures).toEqual([]);
  });

  it('a write that fails after the record is stored leaves no record, no audit row and no written access-log row', async () => {
    const { ctx } = harness();
    // The access-log insert of one marked write fails: what the transaction wrote before it must go too.
    await sql`CREATE OR REPLACE FUNCTION h21_refuse_log() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.written->'record'->>'absenceReason' = 'FAIL-LOG' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`.execute(ctx.db);
    await sql`CREATE TRIGGER h21_refuse_log BEFORE INSERT ON ss12000_access_log FOR EACH ROW EXECUTE FUNCTION h21_refuse_log()`.execute(ctx.db);
    try {
      const auditBefore = (await auditOf(writer.clientId)).length;
      const countBefore = Number(
        (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ss12000_attendances WHERE body->>'absenceReason' = 'FAIL-LOG'`.execute(ctx.db)).rows[0]!.n,
      );
      const res = await writer.c.request('POST', '/attendances', attendanceBody(ella, l1, { absenceReason: 'FAIL-LOG' }));
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('internal_error');
      const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ss12000_attendances WHERE body->>'absenceReason' = 'FAIL-LOG'`.execute(ctx.db);
      expect(after.rows[0]!.n).toBe(countBefore);
      expect((await auditOf(writer.clientId)).length).toBe(auditBefore);
      expect((await logOf(res.headers.get('x-request-id'))).filter((l) => l.written !== null)).toEqual([]);
    } finally {
      await sql`DROP TRIGGER h21_refuse_log ON ss12000_access_log`.execute(ctx.db);
      await sql`DROP FUNCTION h21_refuse_log()`.execute(ctx.db);
    }
  });
});
