import { sql } from 'kysely';
import type { AppContext, Queryable } from '../../context.ts';
import type { ActorKind } from '../../db/schema.ts';
import { generateWorld, type World } from '../../generator/index.ts';
import { conflict } from '../../http/errors.ts';
import { localDate } from '../../lib/school-year.ts';
import { grantSandbox, revokeSandboxGrants } from '../access/grants.ts';
import { recordAudit, systemActor } from '../audit/record.ts';
import { ingestBatch } from '../ss12000/ingest.ts';
import { entityTypes } from '../ss12000/schemas.ts';

/**
 * The developer sandbox (issue 14): one institution with generated SS 12000 data that every approved
 * app is granted at once, so a partner builds and tests before any school grants anything.
 *
 * It is an ordinary `institutions` row flagged `sandbox` (migration 0061): grants, `grant_reach`,
 * `ss12000_authorize`, the rate limit and the access log treat it like any school, so what a partner
 * sees in the sandbox is what it will see at a school. Every list and count of real schools leaves
 * it out (the school back-office through the admin's scope, the operator's person search); the
 * partner's pages and the client's own grants say `sandbox`.
 */
export const SANDBOX_INSTITUTION = { number: '999999', name: 'Sandbox School (generated data)', town: 'Sandbox' } as const;

/**
 * The generated school: one unit, a few classes, pupils with guardians, staff — and the school life
 * a partner reads through the timetable, attendance and grades APIs (issue 17): the school year's
 * timetable, attendance and absences of the weeks before the sandbox was made, and the year's grades.
 * Deterministic for a given day.
 */
const SANDBOX_WORLD = { seed: 14_014, schools: 1, students: 36 } as const;

/** The weeks of attendance before the day the sandbox is made (the demo world reports four too). */
const SANDBOX_ATTENDANCE_WEEKS = 4;

/** The lessons kept around that day: the weeks with attendance and two weeks ahead, not the whole year. */
const SANDBOX_LESSON_WINDOW = { weeksBefore: SANDBOX_ATTENDANCE_WEEKS, weeksAfter: 2 } as const;

/** Serializes creation and removal across processes (two servers starting at once). */
const SANDBOX_LOCK = 7_140_061;

type AuditWho = { id: string | null; label: string; kind: ActorKind };

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The sandbox's generated world as of `today` (YYYY-MM-DD in the deployment's time zone
 * `timeZone`). Its people, groups and activities do not depend on the day; its lessons, attendance
 * and grades do (the school year running, the weeks before), so the sandbox is loaded — and removed
 * — as of the day it was made (`developer_sandbox.changed_at`). Of the year's timetable only the
 * lessons from `SANDBOX_LESSON_WINDOW.weeksBefore` weeks before that day to `weeksAfter` weeks after
 * are kept (every reported lesson among them): a few hundred lessons instead of some six thousand.
 */
export function sandboxWorld(today: string, timeZone: string): World {
  const world = generateWorld({
    ...SANDBOX_WORLD,
    institutionNumbers: [SANDBOX_INSTITUTION.number],
    today,
    timetable: { timeZone },
    attendance: { weeks: SANDBOX_ATTENDANCE_WEEKS },
    grades: true,
  });
  const todayMs = Date.parse(`${today}T00:00:00Z`);
  const from = isoDay(todayMs - SANDBOX_LESSON_WINDOW.weeksBefore * 7 * DAY_MS);
  const to = isoDay(todayMs + SANDBOX_LESSON_WINDOW.weeksAfter * 7 * DAY_MS);
  // A lesson's local date is the first ten characters of its start (written with its offset).
  const reported = new Set((world.attendances ?? []).map((a) => a.calendarEvent.id));
  world.calendarEvents = (world.calendarEvents ?? []).filter((e) => reported.has(e.id) || (e.startTime.slice(0, 10) >= from && e.startTime.slice(0, 10) < to));
  return world;
}

/** The day (in `timeZone`) whose world the sandbox holds: the day it was made; today when it is made now. */
async function sandboxDay(db: Queryable, now: Date, timeZone: string): Promise<string> {
  const state = await db.selectFrom('developer_sandbox').select(['changed_at', 'removed_at']).executeTakeFirst();
  return localDate(state && !state.removed_at ? state.changed_at : now, timeZone);
}

/** The sandbox institution if it exists. */
export async function findSandbox(db: Queryable) {
  return db.selectFrom('institutions').select(['number', 'name']).where('sandbox', '=', true).executeTakeFirst();
}

/** What the operator's page shows: the sandbox (with how many apps and grants it has) or when it was removed. */
export async function sandboxStatus(db: Queryable) {
  const sandbox = await findSandbox(db);
  const state = await db.selectFrom('developer_sandbox').select(['removed_at']).executeTakeFirst();
  const counts = sandbox
    ? await db
        .selectFrom('grants')
        .select([sql<string>`count(*)`.as('grants'), sql<string>`count(DISTINCT client_id)`.as('clients')])
        .where('institution_number', '=', sandbox.number)
        .executeTakeFirstOrThrow()
    : { grants: '0', clients: '0' };
  return {
    sandbox: sandbox ? { institutionNumber: sandbox.number, name: sandbox.name, grants: Number(counts.grants), clients: Number(counts.clients) } : null,
    removedAt: state?.removed_at ?? null,
  };
}

/**
 * Grants the sandbox to one approved app's client, for each API the app was approved for that is
 * granted per institution; nothing when there is no sandbox. In the approval's transaction.
 */
export async function grantSandboxToApp(trx: Queryable, at: Date, input: { appId: string; clientId: string; actor: AuditWho }): Promise<string[]> {
  const sandbox = await findSandbox(trx);
  if (!sandbox) return [];
  const apiCodes = (await trx.selectFrom('app_api_requests').select('api_code').where('app_id', '=', input.appId).execute()).map((r) => r.api_code);
  return grantSandbox(trx, at, { clientId: input.clientId, institutionNumber: sandbox.number, apiCodes, actor: input.actor });
}

/**
 * Creates the sandbox unless it exists: loads its generated data (idempotent: an unchanged batch
 * writes nothing), then in one transaction adds the institution, marks it wanted, records the audit
 * row and grants it to every approved app that has a client. `reason` tells start from the operator.
 *
 * @throws 409 `sandbox_number_taken` when a real institution has the sandbox's number.
 */
export async function createSandbox(ctx: AppContext, who: AuditWho, options: { atStart?: boolean } = {}): Promise<{ created: boolean }> {
  const now = ctx.clock.now();
  if (options.atStart) {
    const state = await ctx.db.selectFrom('developer_sandbox').select('removed_at').executeTakeFirst();
    if (state?.removed_at) return { created: false };
    if (await findSandbox(ctx.db)) {
      await completeSandboxData(ctx, who);
      return { created: false };
    }
  }
  const taken = await ctx.db.selectFrom('institutions').select(['sandbox']).where('number', '=', SANDBOX_INSTITUTION.number).executeTakeFirst();
  if (taken && !taken.sandbox) {
    throw conflict('sandbox_number_taken', `Institution ${SANDBOX_INSTITUTION.number} is a real school; the sandbox cannot use its number.`);
  }
  if (!taken) {
    // The data first (its own transaction): until the institution row exists no grant can reach it.
    await ingestBatch(ctx, { upsert: { ...sandboxWorld(localDate(now, ctx.config.TZ), ctx.config.TZ) } }, who);
  }
  return ctx.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${SANDBOX_LOCK})`.execute(trx);
    if (await findSandbox(trx)) return { created: false };
    await trx
      .insertInto('institutions')
      .values({ ...SANDBOX_INSTITUTION, active_from_year: 2000, active_until_year: null, sandbox: true })
      .execute();
    await trx
      .insertInto('developer_sandbox')
      .values({ singleton: true, removed_at: null, removed_by: null, changed_at: now })
      .onConflict((oc) => oc.column('singleton').doUpdateSet({ removed_at: null, removed_by: null, changed_at: now }))
      .execute();
    await recordAudit(trx, now, who, {
      action: 'sandbox.created',
      subjectType: 'institution',
      subjectId: SANDBOX_INSTITUTION.number,
      institutionNumbers: [SANDBOX_INSTITUTION.number],
      reason: options.atStart ? 'Created at start' : null,
      after: { institutionNumber: SANDBOX_INSTITUTION.number, name: SANDBOX_INSTITUTION.name },
    });
    const approved = await trx
      .selectFrom('apps as a')
      .innerJoin('clients as c', 'c.app_id', 'a.id')
      .select(['a.id as app_id', 'c.id as client_id'])
      .where('a.status', '=', 'approved')
      .orderBy('a.id')
      .execute();
    for (const a of approved) await grantSandboxToApp(trx, now, { appId: a.app_id, clientId: a.client_id, actor: who });
    return { created: true };
  });
}

/**
 * The operator removes the sandbox: in one transaction every sandbox grant goes (each client's audit
 * row says so, and its next request no longer reaches the sandbox), the institution row goes, the
 * removal is remembered (the server does not create it again at start) and audited. Then its
 * generated data is deleted from the store (a second, idempotent load: ids are deterministic).
 * Without a sandbox it only remembers the removal (idempotent: 0 grants removed).
 */
export async function removeSandbox(ctx: AppContext, who: AuditWho & { id: string }, reason: string | null): Promise<{ removedGrants: number }> {
  const now = ctx.clock.now();
  let day = localDate(now, ctx.config.TZ);
  const removedGrants = await ctx.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${SANDBOX_LOCK})`.execute(trx);
    const sandbox = await findSandbox(trx);
    // Its data is the world of the day it was made: read before the removal overwrites that day.
    day = await sandboxDay(trx, now, ctx.config.TZ);
    const remember = () =>
      trx
        .insertInto('developer_sandbox')
        .values({ singleton: true, removed_at: now, removed_by: who.id, changed_at: now })
        .onConflict((oc) => oc.column('singleton').doUpdateSet({ removed_at: now, removed_by: who.id, changed_at: now }))
        .execute();
    if (!sandbox) {
      // Nothing to remove; the operator's "no sandbox" still holds from now on (not created at start).
      const state = await trx.selectFrom('developer_sandbox').select('removed_at').executeTakeFirst();
      if (!state?.removed_at) await remember();
      return 0;
    }
    const removed = await revokeSandboxGrants(trx, now, { institutionNumber: sandbox.number, actor: who, reason });
    await trx.deleteFrom('institutions').where('number', '=', sandbox.number).where('sandbox', '=', true).execute();
    await remember();
    await recordAudit(trx, now, who, {
      action: 'sandbox.removed',
      subjectType: 'institution',
      subjectId: sandbox.number,
      institutionNumbers: [sandbox.number],
      reason,
      before: { institutionNumber: sandbox.number, name: sandbox.name, grants: removed },
    });
    return removed;
  });
  const world = sandboxWorld(day, ctx.config.TZ);
  const present = new Set(
    (
      await ctx.db
        .selectFrom('ss12000_organisations')
        .select('id')
        .where(
          'id',
          'in',
          world.organisations.map((o) => o.id),
        )
        .execute()
    ).map((r) => r.id),
  );
  if (present.size) {
    // A collection the sandbox world does not generate is absent.
    const ids = Object.fromEntries(entityTypes.map((t) => [t, ((world[t] ?? []) as { id: string }[]).map((r) => r.id)]));
    await ingestBatch(ctx, { delete: ids }, who);
  }
  return { removedGrants };
}

/**
 * A sandbox made before it held school life (timetable, attendance, grades — issue 17) gets them at
 * the next start: the world of the day it was made is loaded again (what is there already is
 * unchanged and writes nothing). Nothing to do when its first grade is in the store.
 */
async function completeSandboxData(ctx: AppContext, who: AuditWho): Promise<void> {
  const world = sandboxWorld(await sandboxDay(ctx.db, ctx.clock.now(), ctx.config.TZ), ctx.config.TZ);
  const first = world.grades?.[0];
  if (!first) return;
  if (await ctx.db.selectFrom('ss12000_grades').select('id').where('id', '=', first.id).executeTakeFirst()) return;
  await ingestBatch(ctx, { upsert: { ...world } }, who);
}

/** The server's start: creates the sandbox unless the operator removed it (or SANDBOX=off). */
export async function ensureSandboxAtStart(ctx: AppContext): Promise<void> {
  await createSandbox(ctx, systemActor, { atStart: true });
}
