import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql, type Insertable } from 'kysely';
import { PREPARED } from '../../db/prepared.ts';
import { jsonRows } from '../../db/json-rows.ts';
import type { AppContext } from '../../context.ts';
import { workScope } from '../../lib/work-scope.ts';
import type { EntityType } from './schemas.ts';
import { dataCategories, fieldsOfCategory, type DataCategory } from './release.ts';
import { ATTENDANCE_API, GRADES_API, TIMETABLE_API, type Scope } from './scope.ts';
import type { ReleasedGroup, Ss12000AccessLogTable } from './tables.ts';

/**
 * The access log of the SS 12000 API (DOMAIN §2): one row per request, committed before its
 * response leaves, saying per institution which records of which entity type were released under
 * which API and with which data categories.
 */

type Api = 'students' | 'staff' | typeof TIMETABLE_API | typeof ATTENDANCE_API | typeof GRADES_API;

/** What a read hands to the log: per released record the school units it was released through (null: bound to none). */
export interface ReleasedRecords {
  /** The entity type, or `deletedEntities` (ids of deleted records, bound to no unit). */
  entity: EntityType | 'deletedEntities';
  units: (string[] | null)[];
}

/** The category every released record carries, approved or not: the fields every reader gets. */
const BASE = 'identity';

/**
 * The data categories a record of each entity type can carry beyond `identity` (the fields every
 * reader gets), from the release policy — the same declaration the purpose register reads: persons
 * all the person categories, placements `guardians` (their owners), the others none.
 */
const CARRIED = new Map<string, Set<DataCategory>>();
for (const c of dataCategories) {
  if (c === BASE) continue;
  for (const { entity } of fieldsOfCategory(c)) CARRIED.set(entity, (CARRIED.get(entity) ?? new Set()).add(c));
}

/**
 * Under which API, and with which data categories, one record of `entity` released through school
 * unit `unit` counts. The one place that decides it, so the daily aggregate and the per-person
 * disclosure report (GDPR Art. 15) tell the same story:
 *  - duties are staff data; placements and study plans student data: they count under that API only;
 *  - persons count under the API of the role that released them (the read tags each unit with it:
 *    a student at a unit granted under both APIs counts under the students API only);
 *  - groups, activities and organisations count under every API granted at the unit: a group there
 *    releases memberships (students API) and assignment roles (staff API), and is a lesson's group
 *    (timetable API);
 *  - rooms, resources, school unit offerings and calendar events are timetable data: they count
 *    under the timetable API only (a lesson's exceptions are part of its record);
 *  - attendances, absences and attendance events (and aggregated attendance, credited as
 *    attendances) count under the attendance API only, with its `absences` category where the
 *    record carries it (an absence always; an attendance when its reason was released);
 *  - grades count under the grades API only, with the `grades` category when approved (the scope
 *    shows grades only then); organisations, groups and activities at a grades unit count under it too;
 *  - categories: `identity` (what every reader gets), plus those approved for the API that a record
 *    of the entity type can carry at all (release policy: persons their categories, placements
 *    `guardians`); `guardians` only when the scope releases guardians. Fields a protected person
 *    never releases are still named: the element says what its records may carry, not each record;
 *  - syllabuses and programmes are bound to no institution (unit null): institution and api null.
 */
export function releaseTerms(scope: Scope, entity: ReleasedRecords['entity'], unit: string | null): { api: Api | null; categories: string[] }[] {
  if (unit === null) return [{ api: null, categories: [BASE] }];
  const apis: Api[] = [];
  const { studentUnits, staffUnits, timetableUnits, attendanceUnits, gradesUnits } = unitSets(scope);
  const student = studentUnits.has(unit);
  const staff = staffUnits.has(unit);
  const timetable = timetableUnits.has(unit);
  const attendance = attendanceUnits.has(unit);
  const grades = gradesUnits.has(unit);
  if (ATTENDANCE_ENTITIES.has(entity)) {
    if (attendance) apis.push(ATTENDANCE_API);
  } else if (entity === 'grades') {
    if (grades) apis.push(GRADES_API);
  } else if (TIMETABLE_ENTITIES.has(entity)) {
    if (timetable) apis.push(TIMETABLE_API);
  } else if (entity === 'duties') {
    if (staff) apis.push('staff');
  } else if (entity === 'placements' || entity === 'studyplans') {
    if (student) apis.push('students');
  } else {
    if (student) apis.push('students');
    if (staff) apis.push('staff');
    if (timetable && entity !== 'persons') apis.push(TIMETABLE_API);
    if (attendance && entity !== 'persons') apis.push(ATTENDANCE_API);
    if (grades && entity !== 'persons') apis.push(GRADES_API);
  }
  return apis.map((api) => ({ api, categories: categoriesOf(scope, entity, api) }));
}

/** Entity types of the timetable API. */
const TIMETABLE_ENTITIES = new Set<ReleasedRecords['entity']>(['rooms', 'resources', 'schoolUnitOfferings', 'calendarEvents']);

/** Entity types of the attendance API. */
const ATTENDANCE_ENTITIES = new Set<ReleasedRecords['entity']>(['attendances', 'absences', 'attendanceEvents', 'attendanceSchedules']);

const sets = new WeakMap<
  Scope,
  { studentUnits: Set<string>; staffUnits: Set<string>; timetableUnits: Set<string>; attendanceUnits: Set<string>; gradesUnits: Set<string> }
>();
function unitSets(scope: Scope) {
  let known = sets.get(scope);
  if (!known)
    sets.set(
      scope,
      (known = {
        studentUnits: new Set(scope.studentUnits),
        staffUnits: new Set(scope.staffUnits),
        // Scopes built by hand (tests) may predate the timetable.
        timetableUnits: new Set(scope.timetableUnits ?? []),
        attendanceUnits: new Set(scope.attendanceUnits ?? []),
        gradesUnits: new Set(scope.gradesUnits ?? []),
      }),
    );
  return known;
}

function categoriesOf(scope: Scope, entity: ReleasedRecords['entity'], api: Api): string[] {
  const carried = CARRIED.get(entity);
  if (!carried) return [BASE];
  if (api === TIMETABLE_API) return [BASE];
  if (api === GRADES_API) return entity === 'grades' ? [BASE, ...[...carried].filter((c) => scope.gradesCategories?.has(c)).sort()] : [BASE];
  const approved =
    api === ATTENDANCE_API ? (scope.attendanceCategories ?? new Set<string>()) : api === 'students' ? scope.studentCategories : scope.staffCategories;
  return [BASE, ...[...carried].filter((c) => approved.has(c) && (c !== 'guardians' || scope.guardians)).sort()];
}

/**
 * Records released through `_embedded` (expand) are credited too, as elements of their own entity
 * type: an embedded person is that person's data released, whatever endpoint carried it. Each is
 * credited at its own unit where its JSON names one (a duty's `dutyAt`, a placement's `placedAt`, a
 * group's `organisation`), a person at the units of the record that embeds it (the child of a
 * placement at the placement's unit, a duty's person at the duty's), a syllabus at none. A group's
 * `assignmentRoles` are part of the group record (staff data of a group counted under the staff API).
 */
const EMBEDDED: Record<string, { entity: EntityType; unit: (item: any) => string | null | undefined }> = {
  duties: { entity: 'duties', unit: (d) => d?.dutyAt?.id },
  teachers: { entity: 'duties', unit: (d) => d?.dutyAt?.id },
  placements: { entity: 'placements', unit: (p) => p?.placedAt?.id },
  ownedPlacements: { entity: 'placements', unit: (p) => p?.placedAt?.id },
  groups: { entity: 'groups', unit: (g) => g?.organisation?.id },
  groupMemberships: { entity: 'groups', unit: (m) => m?.group?.organisation?.id },
  syllabus: { entity: 'syllabuses', unit: () => null },
  activity: { entity: 'activities', unit: (a) => a?.organisation?.id },
  child: { entity: 'persons', unit: () => undefined },
  owners: { entity: 'persons', unit: () => undefined },
  person: { entity: 'persons', unit: () => undefined },
  responsibleFor: { entity: 'persons', unit: () => undefined },
  // An attendance event's group and the person who registered it (issue 17).
  group: { entity: 'groups', unit: (g) => g?.organisation?.id },
  registeredBy: { entity: 'persons', unit: () => undefined },
  // A lesson's attendance records, at the lesson's unit.
  attendance: { entity: 'attendances', unit: () => undefined },
  // An aggregated attendance's pupil.
  student: { entity: 'persons', unit: () => undefined },
};

/**
 * The records of one answer: the presented rows with their units, and — when the answer has
 * expands (`items` is then the JSON text of each item, in the rows' order) — what each embeds.
 */
export function releasedOf(entity: EntityType, units: (string[] | null)[], items?: string[]): ReleasedRecords[] {
  const out: ReleasedRecords[] = [{ entity, units }];
  if (!items) return out;
  const byEntity = new Map<ReleasedRecords['entity'], (string[] | null)[]>();
  items.forEach((text, i) => {
    const embedded = (JSON.parse(text) as { _embedded?: Record<string, unknown> })._embedded;
    if (!embedded) return;
    for (const [key, value] of Object.entries(embedded)) {
      const how = EMBEDDED[key];
      if (!how) continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        // References in stored bodies may be upper case; the scope's unit ids are not.
        const unit = how.unit(item)?.toLowerCase();
        const list = byEntity.get(how.entity) ?? [];
        list.push(unit === undefined ? units[i]! : unit === null ? null : [unit]);
        byEntity.set(how.entity, list);
      }
    }
  });
  for (const [embeddedEntity, list] of byEntity) out.push({ entity: embeddedEntity, units: list });
  return out;
}

/**
 * Per scope, what `releaseTerms` says for each (entity, unit, API tag): worked out once per scope and
 * reused by every request that shares it (a scope lives as long as its client's cached inputs), so
 * a page of a hundred records costs a hundred map look-ups, not a hundred term computations.
 */
type Terms = {
  institution: string | null;
  api: Api | null;
  categories: string[];
  /** The key of its group in `tally`, and of the record's institution and API there (worked out once, not per record). */
  group: string;
  seen: string;
}[];
/** Per scope, per entity type, per tagged unit (two levels: no key string built per record). */
const termsCache = new WeakMap<Scope, Map<ReleasedRecords['entity'], Map<string | null, Terms>>>();

function termsOf(scope: Scope, entity: ReleasedRecords['entity'], tagged: string | null) {
  let byEntity = termsCache.get(scope);
  if (!byEntity) termsCache.set(scope, (byEntity = new Map()));
  let cache = byEntity.get(entity);
  if (!cache) byEntity.set(entity, (cache = new Map()));
  let terms = cache.get(tagged);
  if (!terms) {
    // A person's unit says which API's role released them (`students:<id>`, see present.ts unitsSql).
    const colon = tagged?.indexOf(':') ?? -1;
    const only = colon > 0 ? (tagged!.slice(0, colon) as Api) : undefined;
    const unit = colon > 0 ? tagged!.slice(colon + 1) : tagged;
    const institution = unit === null ? null : scope.unitInstitutions?.get(unit);
    terms =
      institution === undefined
        ? []
        : releaseTerms(scope, entity, unit)
            .filter((t) => !only || t.api === only)
            .map((t) => ({
              institution,
              api: t.api,
              categories: t.categories,
              group: `${t.api}|${entity}|${institution === null ? 'unbound' : ''}`,
              seen: `${institution}|${t.api}`,
            }));
    cache.set(tagged, terms);
  }
  return terms;
}

/**
 * What a request released as stored (`ReleasedGroup`, migration 0052): per API × entity type, the
 * records per institution and the categories; the institutions; the total.
 */
export function tally(scope: Scope, released: ReleasedRecords[]): { groups: ReleasedGroup[]; institutions: string[]; total: number } {
  const groups = new Map<string, ReleasedGroup>();
  const institutions = new Set<string>();
  let total = 0;
  const credit = (entity: ReleasedRecords['entity'], t: Terms[number], records: number) => {
    let group = groups.get(t.group);
    if (!group) {
      group =
        t.institution === null
          ? { api: null, entity, categories: t.categories, records: 0 }
          : { api: t.api, entity, categories: t.categories, institutions: {} };
      groups.set(t.group, group);
    }
    if (t.institution === null) group.records! += records;
    else {
      group.institutions![t.institution] = (group.institutions![t.institution] ?? 0) + records;
      institutions.add(t.institution);
    }
  };
  for (const { entity, units } of released) {
    // Records released through one unit (most: every record of a page of lessons) are counted per
    // unit first and credited once per unit, not looked up record by record.
    const singles = new Map<string | null, number>();
    for (const list of units) {
      total++;
      if (list === null || list.length <= 1) {
        if (list?.length === 0) continue;
        const tagged = list === null ? null : list[0]!;
        const records = singles.get(tagged);
        if (records === undefined) {
          // Its groups made now, so that they come in the order of the records, as for the others.
          for (const t of termsOf(scope, entity, tagged)) credit(entity, t, 0);
          singles.set(tagged, 1);
        } else singles.set(tagged, records + 1);
        continue;
      }
      // A record counts once per institution and API, though it may be seen at several units of it.
      const seen = new Set<string>();
      for (const tagged of list) {
        for (const t of termsOf(scope, entity, tagged)) {
          if (seen.has(t.seen)) continue;
          seen.add(t.seen);
          credit(entity, t, 1);
        }
      }
    }
    for (const [tagged, records] of singles) {
      for (const t of termsOf(scope, entity, tagged)) credit(entity, t, records);
    }
  }
  return { groups: [...groups.values()], institutions: [...institutions].sort(), total };
}

type AccessRow = Insertable<Ss12000AccessLogTable>;

/** At most this many rows go in one INSERT (12 parameters each, far below PostgreSQL's 65,535). */
const MAX_BATCH = 1000;

interface Batch {
  rows: AccessRow[];
  committed: Promise<void>;
  settle: (error?: unknown) => void;
}

/** Per process: batches waiting for the INSERT in flight, and whether one is. */
const writers = new WeakMap<AppContext, { queue: Batch[]; writing: boolean }>();

function newBatch(): Batch {
  let settle!: Batch['settle'];
  const committed = new Promise<void>((ok, fail) => (settle = (error) => (error === undefined ? ok() : fail(error))));
  return { rows: [], committed, settle };
}

/**
 * Commits one access-log row; resolves once it is in the database. Group commit: with no INSERT in
 * flight the row is written at once (no timer, so no added latency at low load); otherwise it joins
 * the rows waiting for the one in flight and they go together in the next multi-row INSERT (few
 * statements under load). Rejects when that INSERT fails: the caller must then not release the data.
 */
export function commitAccess(ctx: AppContext, row: AccessRow): Promise<void> {
  let writer = writers.get(ctx);
  if (!writer) writers.set(ctx, (writer = { queue: [], writing: false }));
  let batch = writer.queue.at(-1);
  if (!batch || batch.rows.length >= MAX_BATCH) writer.queue.push((batch = newBatch()));
  batch.rows.push(row);
  // Outside the request that happens to start it: the writer works for the requests of every row
  // it commits, so its lines name them all (below), not this one.
  if (!writer.writing) workScope.exit(() => void drain(ctx, writer));
  return batch.committed;
}

/** The columns a row of the log is written with (`id` is the table's own). */
const COLUMNS = [
  'at',
  'client_id',
  'app_id',
  'partner_id',
  'method',
  'endpoint',
  'institution_numbers',
  'record_count',
  'status',
  'consent_id',
  'request_id',
  'released',
  'written',
] as const satisfies readonly (keyof AccessRow)[];
const COLUMN_LIST = sql.raw(COLUMNS.join(', '));
/** The same, with the table's defaults where a row leaves a column out (a JSON member absent is NULL here). */
const SELECT_LIST = sql.raw(
  COLUMNS.map((c) => (c === 'institution_numbers' ? `coalesce(${c}, '{}')` : c === 'released' ? `coalesce(${c}, '[]')` : c)).join(', '),
);

/**
 * Writes a batch of rows in one statement whose text does not depend on the batch: the rows travel
 * as one JSON array (`jsonRows`, as ingestion writes its rows). A multi-row `INSERT … VALUES` built by the query builder made twelve value nodes per
 * row to compile and a `Date` parameter per row to format, and each batch size was another
 * statement for PostgreSQL to parse, with up to 12,000 parameters; this one is prepared once per
 * connection. Measured in isolation (session 15): 27–31 µs of the server's CPU per row in batches
 * of eight against 42 µs before. `released` and `written` are JSON text already and go in as JSON
 * values.
 */
async function insertRows(ctx: AppContext, rows: AccessRow[]): Promise<void> {
  const json = rows.map((r) => {
    const { released, written, ...rest } = r;
    const tail = `,"released":${released ?? '[]'}${written ? `,"written":${written}` : ''}}`;
    return JSON.stringify(rest).slice(0, -1) + tail;
  });
  await sql`${PREPARED}
    INSERT INTO ss12000_access_log (${COLUMN_LIST})
    SELECT ${SELECT_LIST} FROM ${jsonRows('ss12000_access_log', json)}`.execute(ctx.db);
}

/** What one write of the log took: its INSERT and commit, and the rows (reads) that waited for it. */
export interface AccessLogWrite {
  seconds: number;
  rows: number;
  ok: boolean;
}

const writeListeners = new WeakMap<AppContext, ((write: AccessLogWrite) => void)[]>();

/**
 * Calls `listener` after each write of the access log in this process (the metrics count them), and
 * returns how to stop. Every read waits for the write that carries its row, so these times are part
 * of every read's latency. Called after the reads are let go; a listener that throws is logged and
 * changes nothing for them.
 */
export function onAccessLogWrite(ctx: AppContext, listener: (write: AccessLogWrite) => void): () => void {
  writeListeners.set(ctx, [...(writeListeners.get(ctx) ?? []), listener]);
  return () =>
    writeListeners.set(
      ctx,
      (writeListeners.get(ctx) ?? []).filter((l) => l !== listener),
    );
}

/** A write slower than this is logged as a warning: every read of the batch waited that long. */
const SLOW_WRITE_SECONDS = 0.25;

function reportWrite(ctx: AppContext, write: AccessLogWrite): void {
  for (const listener of writeListeners.get(ctx) ?? []) {
    try {
      listener(write);
    } catch (error) {
      ctx.log.error({ err: error }, 'an access log write listener failed');
    }
  }
  if (write.ok && write.seconds > SLOW_WRITE_SECONDS) {
    ctx.log.warn({ seconds: Number(write.seconds.toFixed(3)), rows: write.rows }, 'slow access log write: its reads waited for it');
  }
}

async function drain(ctx: AppContext, writer: { queue: Batch[]; writing: boolean }): Promise<void> {
  writer.writing = true;
  try {
    for (let batch = writer.queue.shift(); batch; batch = writer.queue.shift()) {
      const started = performance.now();
      let ok = false;
      try {
        await insertRows(ctx, batch.rows);
        ok = true;
        batch.settle();
      } catch (error) {
        const requestIds = batch.rows.map((r) => r.request_id);
        ctx.log.error({ err: error, rows: batch.rows.length, requestIds }, 'access log write failed; the reads are answered 503');
        batch.settle(error);
      }
      reportWrite(ctx, { seconds: (performance.now() - started) / 1000, rows: batch.rows.length, ok });
    }
  } finally {
    writer.writing = false;
  }
}

/** What the request state of an SS 12000 read holds for the log. */
export interface AccessState {
  scope: Scope;
  /** What the answer releases; empty until a handler sets it (refusals release nothing). */
  released: ReleasedRecords[];
}

/** A path as the log names it: without the facade's prefix, parameters as `{name}` (`/persons/{id}`). */
const logName = (path: string) => path.replace(/^\/ss12000\/v2\.0/, '').replace(/:(\w+)/g, '{$1}');
/** Registered route → its name in the log, worked out once per route (routes are a fixed, small set). */
const endpoints = new Map<string, string>();
function endpointOf(route: string): string {
  let endpoint = endpoints.get(route);
  if (endpoint === undefined) endpoints.set(route, (endpoint = logName(route)));
  return endpoint;
}

/** The access-log row of one answered request (app, endpoint, status, what was released, time). */
export function accessRow(ctx: AppContext, request: FastifyRequest, state: AccessState, status: number): AccessRow {
  const identity = state.scope.identity;
  const route = request.routeOptions.url;
  const endpoint = route ? endpointOf(route) : logName(request.url.split('?')[0]!);
  // A refusal releases nothing, and neither does HEAD (Fastify answers it from the GET route without the body).
  const releases = status < 300 && request.method !== 'HEAD';
  const { groups, institutions, total } = releases ? tally(state.scope, state.released) : { groups: [], institutions: [], total: 0 };
  return {
    at: ctx.clock.now(),
    client_id: identity.clientId,
    app_id: identity.appId,
    partner_id: identity.partnerId,
    method: request.method,
    endpoint,
    institution_numbers: institutions,
    record_count: total,
    status,
    consent_id: identity.endUser?.consentId ?? null,
    request_id: request.id,
    released: JSON.stringify(groups),
  };
}

/**
 * Installs the access log on the SS 12000 API plugin `api`: the request's id (the server's one per
 * request, `requestIdGenerator`: a random UUID unless a trusted proxy sent one), which every answer
 * carries as `X-Request-Id` (`installRequestIdHeader`), is stored with its row; the row
 * of every authorized request — answers and refusals alike — is committed in `onSend`, before the
 * payload is written, so no answered read goes unlogged, even when the process is killed. When the
 * row cannot be committed the answer is replaced by a 503 `access_log_unavailable`.
 */
export function installAccessLog(api: FastifyInstance, ctx: AppContext, state: (request: FastifyRequest) => AccessState | undefined): void {
  api.addHook('onSend', async (request, reply, payload) => {
    const read = state(request);
    if (!read) return payload;
    try {
      const row = accessRow(ctx, request, read, reply.statusCode);
      request.ss12000Logged = { appId: row.app_id ?? null, records: row.record_count };
      await commitAccess(ctx, row);
      return payload;
    } catch {
      return unloggedAnswer(request, reply);
    }
  });
}

/**
 * What a read answers instead when its access-log row could not be committed (the data surfaces'
 * `onSend`): 503 `access_log_unavailable` with `Retry-After`, so that nothing unlogged is released.
 */
export function unloggedAnswer(request: FastifyRequest, reply: FastifyReply): string {
  reply.code(503).header('Retry-After', '1').type('application/json; charset=utf-8');
  return JSON.stringify({
    code: 'access_log_unavailable',
    message: 'The read could not be recorded in the access log, so no data is released. Try again.',
    requestId: request.id,
  });
}
