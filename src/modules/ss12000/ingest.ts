import { createHash, hash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { AppContext, Queryable } from '../../context.ts';
import type { ActorKind } from '../../db/schema.ts';
import { Overlap } from '../../db/overlap.ts';
import { ApiError } from '../../http/errors.ts';
import { recordAudit } from '../audit/record.ts';
import { entityTypes, inputSchemas, type EntityType, type IngestionBatch } from './schemas.ts';
import { releaseParts } from './release.ts';
import { noChanges, recordEntityChanges } from './changes.ts';
import { GUARDIAN_KINDS, STAFF_KINDS, STUDENT_KINDS, columnsOf, referencesOf, relationsOf, stripReferenceNames, tableOf, type Relation } from './model.ts';
import { jsonRows } from '../../db/json-rows.ts';

/** One problem with one record of a batch. */
export interface IngestionProblem {
  /** Collection, e.g. `persons`. */
  entity: EntityType;
  /** Index of the record in its collection (of `upsert` or `delete`). */
  index: number;
  /** Dotted path from the batch root, e.g. `upsert.persons.3.enrolments.0.enroledAt.id`. */
  field: string;
  code: string;
  message: string;
}

/** Counts per collection of what a batch did. */
export interface IngestionResult {
  created: Partial<Record<EntityType, number>>;
  updated: Partial<Record<EntityType, number>>;
  unchanged: Partial<Record<EntityType, number>>;
  deleted: Partial<Record<EntityType, number>>;
  /** True when nothing in the store changed (the batch had been loaded before). */
  noChange: boolean;
  /**
   * Members the SS 12000 schemas do not know, per collection and path (`enrolments[].lockerCode`),
   * with how many records had them. They are dropped, not stored: the release policy could not say
   * what they release, so they would never be served; the loader learns which of its data is left out.
   */
  unknownMembers: Partial<Record<EntityType, Record<string, number>>>;
}

const MAX_REPORTED = 200;
const CHUNK = 500;
/** Records whose stored digests are read in one statement. */
const DIGEST_CHUNK = 5000;
/** Advisory lock held by a load's transaction: one load at a time (see `ingestBatch`). */
const INGEST_LOCK = 727364;

/**
 * Canonical JSON: keys sorted so that the digest does not depend on the SIS's key order. Every
 * record of a load goes through it (also the unchanged ones, to compare digests), so it builds one
 * string rather than arrays of pieces; the text is the same as it always was (stored digests).
 */
export function canonical(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + (canonical(value[i]) ?? '');
    return `${out}]`;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    // Records of one kind share their members: their sorted order is worked out once per shape.
    // (A shape is the keys in their order, with their count; keys holding the separator are not cached.)
    const shape = `${keys.length}:${keys.join('\u0000')}`;
    let order = sortedKeys.get(shape);
    if (!order) {
      order = [...keys].sort().map((k) => [k, `${JSON.stringify(k)}:`] as const);
      if (sortedKeys.size < 10_000 && !keys.some((k) => k.includes('\u0000'))) sortedKeys.set(shape, order);
    }
    let out = '{';
    for (const [k, quoted] of order) {
      const v = record[k];
      if (v === undefined) continue;
      out += (out.length > 1 ? ',' : '') + quoted + canonical(v);
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}
const sortedKeys = new Map<string, (readonly [string, string])[]>();

/** The SIS's own `meta` is not ours to keep: created/modified are what Schoolgate observed. */
function stripMeta(record: unknown): unknown {
  if (record && typeof record === 'object' && !Array.isArray(record) && 'meta' in record) {
    const { meta: _meta, ...rest } = record as Record<string, unknown>;
    return rest;
  }
  return record;
}

interface Parsed {
  type: EntityType;
  records: Record<string, any>[];
  /** Paths of members the schema dropped, with their counts. */
  unknown: Record<string, number>;
  /** Per record id, the raw digest to store with it (none for a record with members the schemas do not know). */
  rawHashes: Map<string, string>;
}

/**
 * Adds to `out` the paths of members of `raw` that parsing dropped (`parsed` is what the schema
 * kept); says whether there was any.
 */
function droppedMembers(raw: unknown, parsed: unknown, path: string, out: Record<string, number>): boolean {
  let found = false;
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    raw.forEach((r, i) => (found = droppedMembers(r, parsed[i], `${path}[]`, out) || found));
    return found;
  }
  if (!raw || typeof raw !== 'object' || !parsed || typeof parsed !== 'object') return false;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const at = path ? `${path}.${key}` : key;
    if (value === undefined) continue;
    if (!(key in (parsed as Record<string, unknown>))) {
      out[at] = (out[at] ?? 0) + 1;
      found = true;
    } else found = droppedMembers(value, (parsed as Record<string, unknown>)[key], at, out) || found;
  }
  return found;
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What the input schemas accept, as a digest: part of every raw digest, so that after an upgrade
 * whose schemas read a record differently, every record takes the full path once (and is stored as
 * the new schemas parse it) instead of being skipped as stored.
 */
let schemasDigest: string | undefined;
function inputSchemasDigest(): string {
  schemasDigest ??= createHash('sha256')
    .update(JSON.stringify(entityTypes.map((type) => z.toJSONSchema(inputSchemas[type], { unrepresentable: 'any', io: 'input' }))))
    .digest('base64url');
  return schemasDigest;
}

/** The digest of a record as the loader sent it: its JSON text without the SIS's `meta`, before any parsing. */
function rawDigest(raw: unknown): string {
  // One-shot `hash` (the same digest as `createHash` fed both parts): no Hash object per record.
  return hash('sha256', inputSchemasDigest() + (JSON.stringify(stripMeta(raw)) ?? ''), 'base64url');
}

/** What a first look at a batch found: the raw records stored exactly as sent, and every raw record's digest. */
interface FirstLook {
  /** Raw records whose digest is the stored `raw_hash` of their id: neither validated nor written again. */
  skip: Set<unknown>;
  /** How many records of each collection that is. */
  skipped: Partial<Record<EntityType, number>>;
  /** The raw digest of every upserted record. */
  digests: Map<unknown, string>;
}

/**
 * The records of `batch` that are stored exactly as sent (issue 16: re-loading an unchanged world
 * costs a comparison of digests, not a validation of every document). Such a record was validated
 * when it was stored, and what it refers to is still stored — except when the batch deletes
 * something, so a batch with deletions is never cut (the full check must see a reference to what
 * it deletes). A collection whose records do not all carry a UUID id, once, is not cut either: the
 * full check reports them.
 */
async function firstLook(db: Queryable, batch: IngestionBatch): Promise<FirstLook> {
  const look: FirstLook = { skip: new Set(), skipped: {}, digests: new Map() };
  const deletes = Object.values(batch.delete ?? {}).some((ids) => ids?.length);
  // First the ids, and the reads of their stored digests sent at once: the database looks them up
  // while this process works out the raw digests (a re-load of the bench world waited ~0.7 s of its
  // 2.9 s for these reads, one after the other).
  const lookups: { type: EntityType; input: unknown[]; ids: string[]; stored: Promise<Map<string, string>> }[] = [];
  for (const type of entityTypes) {
    const input = batch.upsert?.[type] ?? [];
    const ids: string[] = [];
    let cut = !deletes;
    for (const raw of input) {
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === 'string' && UUID_TEXT.test(id)) ids.push(id.toLowerCase());
      else cut = false;
    }
    if (!cut || !input.length || new Set(ids).size !== ids.length) continue;
    const chunks: Promise<{ id: string; raw_hash: string }[]>[] = [];
    for (let i = 0; i < ids.length; i += DIGEST_CHUNK) {
      chunks.push(
        sql<{ id: string; raw_hash: string }>`
          SELECT id, raw_hash FROM ${sql.table(tableOf[type])} WHERE id = ANY(${ids.slice(i, i + DIGEST_CHUNK)}::uuid[]) AND raw_hash IS NOT NULL`
          .execute(db)
          .then((r) => r.rows),
      );
    }
    const stored = Promise.all(chunks).then((parts) => new Map(parts.flat().map((r) => [r.id, r.raw_hash])));
    // Awaited below; a failure meanwhile must not count as unhandled.
    stored.catch(() => undefined);
    lookups.push({ type, input, ids, stored });
  }
  for (const type of entityTypes) for (const raw of batch.upsert?.[type] ?? []) look.digests.set(raw, rawDigest(raw));
  for (const { type, input, ids, stored: reading } of lookups) {
    const stored = await reading;
    let skipped = 0;
    input.forEach((raw, i) => {
      if (stored.get(ids[i]!) !== look.digests.get(raw)) return;
      look.skip.add(raw);
      skipped++;
    });
    if (skipped) look.skipped[type] = skipped;
  }
  return look;
}

/**
 * The validation of one batch, without touching the store: every record against its schema,
 * duplicate ids, and every reference against the batch plus the store (minus what the batch
 * deletes); a 400 lists the bad records by their index in the batch as sent and field. Records in
 * `look.skip` (stored exactly as sent, see `firstLook`) are left out.
 *
 * It runs in the order a load reaches the records: each stretch of a collection parsed on its own
 * (`parse`: schema, duplicate ids, upserted and deleted at once), then, once every collection is
 * read, the references (`finish`), which need every id of the batch. The load stores what parsed
 * while it parses the next stretch (`ingestBatch`): a problem found later still fails the whole
 * batch, since the load is one transaction, and the problems are the same, in the same order, as
 * when everything was checked before anything was stored.
 */
class BatchCheck {
  readonly problems: IngestionProblem[] = [];
  readonly #collections = new Map<EntityType, Parsed & { ids: Set<string> }>();
  readonly #deleting = new Map<EntityType, Set<string>>();
  /** Each parsed record's index in the batch as sent (for the reference problems). */
  readonly #indexOf = new WeakMap<object, number>();

  constructor(
    private readonly batch: IngestionBatch,
    private readonly look: Pick<FirstLook, 'skip' | 'digests'>,
  ) {
    for (const type of entityTypes) {
      this.#deleting.set(type, new Set((batch.delete?.[type] ?? []).map((x) => x.toLowerCase())));
      this.#collections.set(type, { type, records: [], unknown: {}, rawHashes: new Map(), ids: new Set() });
    }
  }

  /** The records of collection `type` parsed so far, their dropped members and raw digests. */
  collection(type: EntityType): Parsed {
    return this.#collections.get(type)!;
  }

  /** Parses records `from` to `to` (exclusive) of collection `type`; returns those that parsed. */
  parse(type: EntityType, from: number, to: number): Record<string, any>[] {
    const input = this.batch.upsert?.[type] ?? [];
    const { records, unknown, rawHashes, ids } = this.#collections.get(type)!;
    const deleting = this.#deleting.get(type)!;
    const parsed: Record<string, any>[] = [];
    for (let index = from; index < to; index++) {
      const raw = input[index];
      if (this.look.skip.has(raw)) continue;
      const result = inputSchemas[type].safeParse(stripMeta(raw));
      if (!result.success) {
        for (const issue of result.error.issues.slice(0, 5)) {
          this.problems.push({
            entity: type,
            index,
            field: ['upsert', type, index, ...issue.path].join('.'),
            code: issue.code === 'invalid_value' ? 'invalid_enum' : issue.code === 'invalid_format' ? 'invalid_format' : issue.code,
            message: issue.message,
          });
        }
        continue;
      }
      const rec = result.data as Record<string, any>;
      const dropped = droppedMembers(stripMeta(raw), rec, '', unknown);
      rec.id = rec.id.toLowerCase();
      const digest = this.look.digests.get(raw);
      if (digest && !dropped) rawHashes.set(rec.id, digest);
      stripReferenceNames(type, rec);
      if (ids.has(rec.id)) {
        this.problems.push({ entity: type, index, field: `upsert.${type}.${index}.id`, code: 'duplicate_id', message: `${rec.id} appears twice in ${type}.` });
        continue;
      }
      if (deleting.has(rec.id)) {
        this.problems.push({
          entity: type,
          index,
          field: `upsert.${type}.${index}.id`,
          code: 'upsert_and_delete',
          message: `${rec.id} is both upserted and deleted.`,
        });
        continue;
      }
      ids.add(rec.id);
      this.#indexOf.set(rec, index);
      records.push(rec);
      parsed.push(rec);
    }
    return parsed;
  }

  /**
   * The references of every parsed record, against the batch and the store (a reference to what
   * the batch deletes is unknown); throws the 400 of every problem found, else returns the parsed
   * collections. Call it once every record is parsed. What the load stored meanwhile does not
   * change the answer: only ids that are not in the batch are looked up in the store.
   */
  async finish(db: Queryable): Promise<Parsed[]> {
    const problems = this.problems;
    const inBatch = (target: EntityType, id: string) => this.#collections.get(target)!.ids.has(id);
    // References: those not to a record of the batch, each looked up once per collection in the store.
    const outside: { type: EntityType; rec: Record<string, any>; ref: ReturnType<typeof referencesOf>[number]; id: string }[] = [];
    const wanted = new Map<EntityType, Set<string>>();
    for (const { type, records } of this.#collections.values()) {
      for (const rec of records) {
        for (const ref of referencesOf(type, rec)) {
          const id = ref.id.toLowerCase();
          if (inBatch(ref.target, id)) continue;
          outside.push({ type, rec, ref, id });
          // A reference to what the batch deletes is unknown whatever the store holds.
          if (this.#deleting.get(ref.target)!.has(id)) continue;
          if (!wanted.has(ref.target)) wanted.set(ref.target, new Set());
          wanted.get(ref.target)!.add(id);
        }
      }
    }
    const existing = new Map<EntityType, Set<string>>();
    for (const [target, ids] of wanted) {
      const found = new Set<string>();
      const list = [...ids];
      for (let i = 0; i < list.length; i += 5000) {
        const rows = await sql<{ id: string }>`SELECT id FROM ${sql.table(tableOf[target])} WHERE id = ANY(${list.slice(i, i + 5000)}::uuid[])`.execute(db);
        for (const r of rows.rows) found.add(r.id);
      }
      existing.set(target, found);
    }
    for (const { type, rec, ref, id } of outside) {
      if (existing.get(ref.target)?.has(id)) continue;
      const index = this.#indexOf.get(rec)!;
      problems.push({
        entity: type,
        index,
        field: ['upsert', type, index, ...ref.path, 'id'].join('.'),
        code: 'unknown_reference',
        message: `No ${ref.target} entity with id ${ref.id}${this.#deleting.get(ref.target)!.has(id) ? ' (deleted in this batch)' : ''}.`,
      });
    }
    if (problems.length) {
      const shown = problems.slice(0, MAX_REPORTED);
      throw new ApiError(400, 'invalid_batch', `${problems.length} problem(s) in the batch; nothing was loaded.`, {
        field: shown[0]!.field,
        problemCount: problems.length,
        errors: shown,
      });
    }
    return entityTypes.map((type) => {
      const { ids: _ids, ...parsed } = this.#collections.get(type)!;
      return parsed;
    });
  }
}

/** Inserts plain rows (objects keyed by column) through `jsonRows`. */
async function insertJsonRows(trx: Queryable, table: string, rows: object[]): Promise<void> {
  if (!rows.length) return;
  const columns = Object.keys(rows[0]!);
  await sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
    SELECT ${sql.join(columns.map((c) => sql.ref(`x.${c}`)))} FROM ${jsonRows(
      table,
      rows.map((r) => JSON.stringify(r)),
    )}`.execute(trx);
}

async function snapshotScope(trx: Queryable, type: EntityType, id: string) {
  const none = {
    student_units: [] as string[],
    staff_units: [] as string[],
    guardian_units: [] as string[],
    timetable_units: [] as string[],
    attendance_units: [] as string[],
    grades_units: [] as string[],
    any_grant: false,
  };
  const one = async (table: string, column: string) => {
    const r = await sql<{ v: string }>`SELECT ${sql.ref(column)} AS v FROM ${sql.table(table)} WHERE id = ${id}`.execute(trx);
    return r.rows[0]?.v;
  };
  switch (type) {
    case 'organisations':
      return { ...none, student_units: [id], staff_units: [id], timetable_units: [id], attendance_units: [id], grades_units: [id] };
    case 'syllabuses':
    case 'programmes':
      return { ...none, any_grant: true };
    case 'placements': {
      const org = await one('ss12000_placements', 'organisation_id');
      return { ...none, student_units: org ? [org] : [] };
    }
    case 'duties': {
      const org = await one('ss12000_duties', 'organisation_id');
      return { ...none, staff_units: org ? [org] : [] };
    }
    case 'groups':
    case 'activities': {
      const org = await one(tableOf[type], 'organisation_id');
      // Seen under the timetable, attendance and grades APIs too (their lessons' activities and groups).
      const at = org ? [org] : [];
      return { ...none, student_units: at, staff_units: at, timetable_units: at, attendance_units: at, grades_units: at };
    }
    case 'rooms':
    case 'resources':
    case 'schoolUnitOfferings':
    case 'calendarEvents': {
      const org = await one(tableOf[type], 'organisation_id');
      return { ...none, timetable_units: org ? [org] : [] };
    }
    case 'attendances':
    case 'absences':
    case 'attendanceEvents':
    case 'attendanceSchedules': {
      const org = await one(tableOf[type], 'organisation_id');
      return { ...none, attendance_units: org ? [org] : [] };
    }
    case 'grades': {
      const org = await one('ss12000_grades', 'organisation_id');
      return { ...none, grades_units: org ? [org] : [] };
    }
    case 'persons':
    case 'studyplans': {
      const personId = type === 'persons' ? id : await one('ss12000_studyplans', 'student_id');
      if (!personId) return none;
      const rels = await trx.selectFrom('ss12000_person_relations').select(['kind', 'organisation_id']).where('person_id', '=', personId).execute();
      const pick = (kinds: string[]) => [...new Set(rels.filter((r) => kinds.includes(r.kind)).map((r) => r.organisation_id))];
      return {
        ...none,
        student_units: pick(STUDENT_KINDS),
        staff_units: type === 'persons' ? pick(STAFF_KINDS) : [],
        guardian_units: type === 'persons' ? pick(GUARDIAN_KINDS) : [],
      };
    }
  }
}

/**
 * Copies each lesson's unit from its activity (`ss12000_calendar_events.organisation_id`, migration
 * 0074): for the lessons stored and the lessons of the activities stored. The body names only the
 * activity; the scope and the student/staff rules read the unit, so it follows the activity's.
 */
async function syncCalendarEventUnits(trx: Queryable, changed: { activities: string[]; calendarEvents: string[] }): Promise<void> {
  if (!changed.activities.length && !changed.calendarEvents.length) return;
  await sql`UPDATE ss12000_calendar_events c SET organisation_id = a.organisation_id
    FROM ss12000_activities a
    WHERE a.id = c.activity_id AND c.organisation_id IS DISTINCT FROM a.organisation_id
      AND (c.id = ANY(${changed.calendarEvents}::uuid[]) OR c.activity_id = ANY(${changed.activities}::uuid[]))`.execute(trx);
}

/**
 * Copies to the attendances this batch touched their lesson's activity and unit, and to the
 * attendance events their group's unit, and to attendance schedules their placement's unit, child and
 * group (the bodies name only the lesson, the group and the placement): for the
 * records stored, and for those whose lesson, activity or group was stored.
 */
async function syncAttendanceUnits(
  trx: Queryable,
  changed: {
    groups: string[];
    activities: string[];
    calendarEvents: string[];
    attendances: string[];
    attendanceEvents: string[];
    placements: string[];
    attendanceSchedules: string[];
  },
): Promise<void> {
  if (changed.activities.length || changed.calendarEvents.length || changed.attendances.length) {
    await sql`UPDATE ss12000_attendances t SET organisation_id = c.organisation_id, activity_id = c.activity_id
      FROM ss12000_calendar_events c
      WHERE c.id = t.calendar_event_id
        AND (t.organisation_id IS DISTINCT FROM c.organisation_id OR t.activity_id IS DISTINCT FROM c.activity_id)
        AND (t.id = ANY(${changed.attendances}::uuid[]) OR c.id = ANY(${changed.calendarEvents}::uuid[]) OR c.activity_id = ANY(${changed.activities}::uuid[]))`.execute(
      trx,
    );
  }
  if (changed.groups.length || changed.attendanceEvents.length) {
    await sql`UPDATE ss12000_attendance_events t SET organisation_id = g.organisation_id
      FROM ss12000_groups g
      WHERE g.id = t.group_id AND t.organisation_id IS DISTINCT FROM g.organisation_id
        AND (t.id = ANY(${changed.attendanceEvents}::uuid[]) OR g.id = ANY(${changed.groups}::uuid[]))`.execute(trx);
  }
  if (changed.placements.length || changed.attendanceSchedules.length) {
    await sql`UPDATE ss12000_attendance_schedules t SET organisation_id = p.organisation_id, student_id = p.child_id, group_id = p.group_id
      FROM ss12000_placements p
      WHERE p.id = t.placement_id
        AND (t.organisation_id IS DISTINCT FROM p.organisation_id OR t.student_id IS DISTINCT FROM p.child_id OR t.group_id IS DISTINCT FROM p.group_id)
        AND (t.id = ANY(${changed.attendanceSchedules}::uuid[]) OR p.id = ANY(${changed.placements}::uuid[]))`.execute(trx);
  }
}

/** Who loads the data, as the audit log names them. */
export interface IngestionActor {
  id: string | null;
  label: string;
  kind: ActorKind;
  /** The ingestion client that sent the batch, if a client did. */
  clientId?: string;
}

/**
 * Loads a batch of SS 12000 data: validates all of it (nothing is kept if any record is bad: what
 * parsed is stored while the rest is parsed, and a problem anywhere rolls the load back), upserting
 * and deleting in one transaction with one audit row. Records identical to what is stored are left alone, so re-running a batch changes nothing and bumps no `meta.modified`. A
 * record sent exactly as it was stored (its raw digest, `firstLook`) is not even validated; one that
 * parses to what is stored is recognised by its digest (sha256 of the canonical body, stored with
 * the row) before anything is sent. So an unchanged batch costs one digest per record and one read
 * of the stored digests.
 */
export async function ingestBatch(ctx: AppContext, batch: IngestionBatch, who: IngestionActor): Promise<IngestionResult> {
  const now = ctx.clock.now();
  const nowText = now.toISOString();
  const result: IngestionResult = { created: {}, updated: {}, unchanged: {}, deleted: {}, noChange: true, unknownMembers: {} };
  // What changed, for the subscribers (recorded in this transaction, see changes.ts).
  const changes = noChanges();
  await ctx.db.transaction().execute(async (trx) => {
    // One load at a time, so that the stored digests compared below are those of every load committed
    // before this one: two loads of the same record end as the later one says, as when every record
    // went to the upsert and waited there for the other's row lock. The first look and the validation
    // run under the lock too, so that what they rely on (records stored as sent, references) stays so.
    await sql`SELECT pg_advisory_xact_lock(${INGEST_LOCK})`.execute(trx);
    const look = await firstLook(trx, batch);
    /** Ids of the records each collection of this batch created or changed. */
    const changedOf = new Map<EntityType, string[]>();
    // The batch is validated as it is stored: each stretch of a collection is parsed while
    // PostgreSQL stores the stretch before (at 5× the bench world, parsing everything first kept
    // PostgreSQL idle for ~20 s of a load). Once a problem is found nothing more is stored, and
    // `check.finish` throws the 400 with every problem, rolling back what was stored (issue 16).
    const check = new BatchCheck(batch, look);
    for (const type of entityTypes) {
      const input = batch.upsert?.[type] ?? [];
      const { records, rawHashes } = check.collection(type);
      const skipped = look.skipped[type] ?? 0;
      const table = tableOf[type];
      let created = 0;
      let updated = 0;
      const changedIds: string[] = [];
      // PostgreSQL stores one chunk while Node parses, hashes and builds the next (src/db/overlap.ts);
      // what each insert returned is counted once the collection is sent.
      const inserts = new Overlap<{ rows: { id: string; inserted: boolean }[] }>();
      let pending: Record<string, any>[] = [];
      for (let from = 0; from < input.length; from += DIGEST_CHUNK) {
        pending.push(...check.parse(type, from, Math.min(input.length, from + DIGEST_CHUNK)));
        if (check.problems.length) continue;
        // Chunks of parsed records (those stored as sent are not parsed), so a re-load that changes
        // a few records reads their digests in few statements.
        if (pending.length < DIGEST_CHUNK && from + DIGEST_CHUNK < input.length) continue;
        if (!pending.length) continue;
        // Only records whose digest differs from the stored one are sent: re-loading what is stored
        // reads one digest per record instead of writing it again (issue 16).
        const slice = pending;
        pending = [];
        const storedQuery = sql<{ id: string; hash: string; raw_hash: string | null }>`
          SELECT id, hash, raw_hash FROM ${sql.table(table)} WHERE id = ANY(${slice.map((rec) => rec.id)}::uuid[])`.execute(trx);
        storedQuery.catch(() => {});
        await new Promise<void>((resolve) => setImmediate(resolve)); // sent before the hashing below
        const block = slice.map((rec) => {
          const body = canonical(rec);
          return { rec, body, hash: hash('sha256', body, 'base64url') };
        });
        // Queued behind this collection's inserts: when one of them failed, its error is the cause
        // (this read then only fails in the aborted transaction).
        const stored = await storedQuery.catch(async (error: unknown) => {
          await inserts.drain();
          throw error;
        });
        const digests = new Map(stored.rows.map((r) => [r.id, r]));
        const sent = block.filter((b) => digests.get(b.rec.id)?.hash !== b.hash);
        // Stored as it parses, but sent in another text (key order, the SIS's meta, a member the
        // schemas drop no longer sent): its raw digest is stored now, so the next load skips it.
        const known = block.filter((b) => {
          const row = digests.get(b.rec.id);
          return row?.hash === b.hash && rawHashes.has(b.rec.id) && row.raw_hash !== rawHashes.get(b.rec.id);
        });
        if (known.length) {
          await sql`UPDATE ${sql.table(table)} AS t SET raw_hash = v.raw_hash
            FROM unnest(${known.map((b) => b.rec.id)}::uuid[], ${known.map((b) => rawHashes.get(b.rec.id)!)}::text[]) AS v(id, raw_hash)
            WHERE t.id = v.id`.execute(trx);
        }
        for (let j = 0; j < sent.length; j += CHUNK) {
          let columns: string[] | undefined;
          const rows = sent.slice(j, j + CHUNK).map(({ rec, body, hash }) => {
            const row = {
              id: rec.id,
              hash,
              raw_hash: rawHashes.get(rec.id) ?? null,
              // As JSON.stringify writes the Date, once per load rather than twice per row.
              created_at: nowText,
              modified_at: nowText,
              ...columnsOf(type, rec),
              // What the release policy lets each reader see, from the parsed record (unknown members dropped).
              ...releaseParts(type, rec),
            };
            columns ??= ['body', ...Object.keys(row)];
            // The canonical body is JSON text already: spliced in, not written again as a string.
            return `{"body":${body},${JSON.stringify(row).slice(1)}`;
          });
          const replaced = columns!.filter((c) => c !== 'id' && c !== 'created_at');
          await inserts.push(
            sql<{ id: string; inserted: boolean }>`
            INSERT INTO ${sql.table(table)} AS t (${sql.join(columns!.map((c) => sql.ref(c)))})
            SELECT ${sql.join(columns!.map((c) => sql.ref(`x.${c}`)))} FROM ${jsonRows(table, rows)}
            ON CONFLICT (id) DO UPDATE SET ${sql.join(replaced.map((c) => sql`${sql.ref(c)} = ${sql.ref(`excluded.${c}`)}`))}
            -- Rows stored before references lost their names (migration 0044) keep the digest of the
            -- named input; comparing the bodies keeps re-running such a batch a no-op.
            WHERE t.hash <> excluded.hash AND t.body <> excluded.body
            RETURNING t.id, (t.xmax = 0) AS inserted`.execute(trx),
          );
        }
      }
      for (const returned of await inserts.drain()) {
        for (const r of returned.rows) {
          changedIds.push(r.id);
          if (r.inserted) created++;
          else updated++;
        }
      }
      // A batch with a problem is not stored further: `check.finish` below refuses it.
      if (check.problems.length) continue;
      if (!records.length) {
        // Every record of the collection was stored as sent.
        if (skipped) {
          result.created[type] = 0;
          result.updated[type] = 0;
          result.unchanged[type] = skipped;
        }
        continue;
      }
      if (changedIds.length) changes.modified.set(type, changedIds);
      changedOf.set(type, changedIds);
      result.created[type] = created;
      result.updated[type] = updated;
      result.unchanged[type] = records.length - created - updated + skipped;
      if (changedIds.length) result.noChange = false;
      if (changedIds.length && ['persons', 'placements', 'duties', 'groups'].includes(type)) {
        const changed = new Set(changedIds);
        for (let i = 0; i < changedIds.length; i += 5000) {
          await trx
            .deleteFrom('ss12000_person_relations')
            .where('source_id', 'in', changedIds.slice(i, i + 5000))
            .execute();
        }
        const relations: Relation[] = [];
        for (const rec of records) if (changed.has(rec.id)) relations.push(...relationsOf(type, rec));
        const relationInserts = new Overlap<unknown>();
        for (let i = 0; i < relations.length; i += 2000)
          await relationInserts.push(insertJsonRows(trx, 'ss12000_person_relations', relations.slice(i, i + 2000)));
        await relationInserts.drain();
      }
      if (changedIds.length && type === 'duties') {
        const changed = new Set(changedIds);
        for (let i = 0; i < changedIds.length; i += 5000) {
          await trx
            .deleteFrom('ss12000_assignment_roles')
            .where('duty_id', 'in', changedIds.slice(i, i + 5000))
            .execute();
        }
        const roles = records
          .filter((d) => changed.has(d.id))
          .flatMap((d) =>
            ((d.assignmentRole ?? []) as { group: { id: string }; assignmentRoleType: string; startDate?: string; endDate?: string }[]).map((a, ordinal) => ({
              duty_id: d.id,
              group_id: a.group.id.toLowerCase(),
              organisation_id: d.dutyAt.id.toLowerCase(),
              assignment_role_type: a.assignmentRoleType,
              start_date: a.startDate ?? null,
              end_date: a.endDate ?? null,
              ordinal,
            })),
          );
        const roleInserts = new Overlap<unknown>();
        for (let i = 0; i < roles.length; i += 2000) await roleInserts.push(insertJsonRows(trx, 'ss12000_assignment_roles', roles.slice(i, i + 2000)));
        await roleInserts.drain();
      }
    }
    // The references, now that every record is parsed; a problem anywhere throws the 400 here.
    for (const p of await check.finish(trx)) if (Object.keys(p.unknown).length) result.unknownMembers[p.type] = p.unknown;
    // A lesson is at its activity's unit: copied for the lessons and activities this batch stored.
    await syncCalendarEventUnits(trx, {
      activities: changedOf.get('activities') ?? [],
      calendarEvents: changedOf.get('calendarEvents') ?? [],
    });
    // An attendance is at its lesson's unit, a check-in at its group's: copied likewise (after the lessons').
    await syncAttendanceUnits(trx, {
      groups: changedOf.get('groups') ?? [],
      activities: changedOf.get('activities') ?? [],
      calendarEvents: changedOf.get('calendarEvents') ?? [],
      attendances: changedOf.get('attendances') ?? [],
      attendanceEvents: changedOf.get('attendanceEvents') ?? [],
      placements: changedOf.get('placements') ?? [],
      attendanceSchedules: changedOf.get('attendanceSchedules') ?? [],
    });
    // Deletions last, referencing collections first so that scope snapshots still see relations.
    for (const type of [...entityTypes].reverse()) {
      const ids = [...new Set((batch.delete?.[type] ?? []).map((x) => x.toLowerCase()))];
      let deleted = 0;
      for (const id of ids) {
        const exists = await sql<{ id: string }>`SELECT id FROM ${sql.table(tableOf[type])} WHERE id = ${id}`.execute(trx);
        if (!exists.rows.length) continue;
        const scope = await snapshotScope(trx, type, id);
        await sql`DELETE FROM ${sql.table(tableOf[type])} WHERE id = ${id}`.execute(trx);
        await trx.deleteFrom('ss12000_person_relations').where('source_id', '=', id).execute();
        if (type === 'duties') await trx.deleteFrom('ss12000_assignment_roles').where('duty_id', '=', id).execute();
        await trx
          .insertInto('ss12000_deleted_entities')
          .values({ entity_type: type, entity_id: id, deleted_at: now, ...scope })
          .execute();
        deleted++;
        if (!changes.deleted.has(type)) changes.deleted.set(type, []);
        changes.deleted.get(type)!.push(id);
      }
      if (ids.length) result.deleted[type] = deleted;
      if (deleted) result.noChange = false;
    }
    await recordEntityChanges(trx, ctx, now, changes);
    if (!result.noChange) {
      await recordAudit(trx, now, who, {
        action: 'ss12000.data_loaded',
        subjectType: 'ss12000',
        subjectId: 'store',
        clientId: who.clientId ?? null,
        after: { created: result.created, updated: result.updated, deleted: result.deleted },
      });
    }
  });
  return result;
}
