import { createHash, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { AppContext, Queryable } from '../../context.ts';
import { ApiError } from '../../http/errors.ts';
import type { ZodApp } from '../../http/types.ts';
import { STUDENT_KINDS } from '../access/literals.ts';
import { authorizeApiWrite } from '../access/write-access.ts';
import { recordAudit } from '../audit/record.ts';
import { accessRow, releasedOf } from './access-log.ts';
import { noChanges, recordEntityChanges } from './changes.ts';
import { endpointByType } from './endpoints.ts';
import { canonical } from './ingest.ts';
import { columnsOf, referencesOf, tableOf } from './model.ts';
import { findVisible, present } from './read.ts';
import { releaseParts, releasePolicy } from './release.ts';
import { inputSchemas } from './schemas.ts';
import { ATTENDANCE_API, type Scope } from './scope.ts';
import type { WrittenRecord } from './tables.ts';

/**
 * The writes of SS 12000 v2.1 (issue 17, point 4): `POST`/`DELETE` on `/attendances`,
 * `/attendanceEvents` and `/attendanceSchedule`, `POST` on `/absences`, for a client whose grant
 * says read-write.
 *
 * - **Which API.** All four entities are the catalog API `attendance` (the catalog's "Närvaro":
 *   attendance per lesson, check-ins, schedules, and with its category `absences` absences and
 *   leave), so every write asks `authorizeApiWrite(trx, client, 'attendance', institution)`.
 * - **Which institution.** Derived from the store, never from the body's claim alone: an attendance
 *   is at its lesson's school unit (the lesson's activity's), a check-in at its group's, a schedule at
 *   its placement's, an absence at the school unit it names — a unit of the store, where the pupil is
 *   a student. The institution is that unit's organisation code, read live in the write's transaction.
 * - **Nothing revealed.** A write answers only what the client could read: a lesson, group, placement
 *   or school unit it cannot see under the attendance API is refused exactly like an unknown one
 *   (400 `unknown_reference`), a pupil it may not read there exactly like one who is not a student
 *   there (400 `student_not_enrolled`) — which covers a pupil with protected identity: the release
 *   policy never serves their attendance to any client, so a write about them is refused, and with
 *   the same answer as for an unknown pupil, so the refusal does not tell that they exist. A DELETE of
 *   a record the client cannot read is a 404, like an unknown id. Only where the client can read does
 *   a missing read-write grant show as 403 `write_not_granted`.
 * - **Read back.** The answer is the stored record as the read path presents it (`findVisible`,
 *   `present`): a write that the client could not read back is refused (403 `write_not_readable`), so
 *   a write never releases more than a read would.
 * - **One transaction.** The record, its change row (for `/deletedEntities`, `meta.modified` and the
 *   subscriptions), the audit row and the access-log row (with what was written, migration 0079) are
 *   committed together before the answer; a refusal rolls all of them back, and the refusal is then
 *   logged like a refused read (status, nothing released or written).
 * - **Ids.** `id` and `meta` are read-only in the spec: the server assigns the id and the times; sent
 *   values are ignored (a client may post back an object it read). Any other unknown member is a 400.
 */

/** The catalog API that governs every write of this file. */
export const WRITE_API = ATTENDANCE_API;

type WriteType = 'attendances' | 'absences' | 'attendanceEvents' | 'attendanceSchedules';

interface WriteDef {
  type: WriteType;
  /** The spec's path (the schedules' is singular). */
  path: string;
  deletable: boolean;
}

/** The write operations of the spec, per entity. */
export const writeDefs: readonly WriteDef[] = [
  { type: 'attendances', path: 'attendances', deletable: true },
  { type: 'attendanceEvents', path: 'attendanceEvents', deletable: true },
  { type: 'attendanceSchedules', path: 'attendanceSchedule', deletable: true },
  { type: 'absences', path: 'absences', deletable: false },
];

/** A write body is one record: far below this. */
export const WRITE_BODY_LIMIT = 64 * 1024;
/** Deeper than any record of these entities (a schedule's state entry's reference is 4 levels). */
const MAX_DEPTH = 8;
/** A NUL, or a surrogate without its pair (what jsonb cannot hold). */
// eslint-disable-next-line no-control-regex -- the NUL is exactly what is looked for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A refusal naming the field it is about (sent as a member `field` beside the spec's `code` and `message`). */
const refuse = (status: number, code: string, message: string, field?: string) => new ApiError(status, code, message, field ? { field } : {});

/** Checks every string of the body (no NUL, well-formed UTF-16) and its depth; throws a 400 naming the place. */
function checkValues(value: unknown, path: string[], depth: number): void {
  if (depth > MAX_DEPTH) throw refuse(400, 'invalid_body', `The body is nested deeper than ${MAX_DEPTH} levels.`, path.join('.'));
  if (typeof value === 'string') {
    // PostgreSQL's jsonb holds neither a NUL nor a lone surrogate: refused here, never a 500 there.
    if (UNSTORABLE.test(value))
      throw refuse(400, 'invalid_value', `${path.join('.') || 'the body'} holds a NUL character or a lone surrogate.`, path.join('.'));
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkValues(v, [...path, String(i)], depth + 1));
    return;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (UNSTORABLE.test(k)) throw refuse(400, 'unknown_field', 'A member name holds a NUL character or a lone surrogate.', path.join('.'));
      checkValues(v, [...path, k], depth + 1);
    }
  }
}

/** The first member of `raw` that parsing dropped (the schemas do not know it), as a dotted path. */
function unknownMember(raw: unknown, parsed: unknown, path: string[]): string | undefined {
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    for (let i = 0; i < raw.length; i++) {
      const found = unknownMember(raw[i], parsed[i], [...path, String(i)]);
      if (found) return found;
    }
    return undefined;
  }
  if (!raw || typeof raw !== 'object' || !parsed || typeof parsed !== 'object') return undefined;
  for (const [k, v] of Object.entries(raw)) {
    if (!(k in parsed)) return [...path, k].join('.');
    const found = unknownMember(v, (parsed as Record<string, unknown>)[k], [...path, k]);
    if (found) return found;
  }
  return undefined;
}

/**
 * The body of a POST as the record to store, with a new id: the entity's own schema (the one
 * ingestion validates with), read-only `id` and `meta` ignored, no unknown member, references as ids
 * only (the store names them; a client's `displayName` or `securityMarking` in a reference is not
 * its to say). Throws 400 `invalid_body` / `unknown_field` / `invalid_value` naming the field.
 */
export function parseWriteBody(type: WriteType, body: unknown): Record<string, any> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw refuse(400, 'invalid_body', 'The body must be one JSON object.');
  checkValues(body, [], 0);
  const { id: _id, meta: _meta, ...rest } = body as Record<string, unknown>;
  const raw = { ...rest, id: randomUUID() };
  const result = inputSchemas[type].safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join('.');
    throw refuse(400, 'invalid_body', `${field || 'the body'}: ${issue.message}`, field);
  }
  const record = result.data as Record<string, any>;
  const unknown = unknownMember(raw, record, []);
  if (unknown) throw refuse(400, 'unknown_field', `${unknown} is not a member of ${type} in SS 12000 v2.1.`, unknown);
  for (const ref of referencesOf(type, record)) {
    const target = ref.path.reduce<any>((o, k) => o?.[k], record);
    target.id = String(target.id).toLowerCase();
    delete target.displayName;
    delete target.securityMarking;
  }
  if (type === 'absences' && Date.parse(record.endTime) < Date.parse(record.startTime))
    throw refuse(400, 'invalid_body', 'endTime is before startTime.', 'endTime');
  if (type === 'attendanceSchedules' && record.endDate && record.endDate < record.startDate)
    throw refuse(400, 'invalid_body', 'endDate is before startDate.', 'endDate');
  return record;
}

/** Where a record is, from the store: its school unit and what the typed columns copy from its anchor. */
interface Anchor {
  unit: string;
  /** The pupil the record is about, and the field that names them (the placement's child for a schedule). */
  pupil: string;
  pupilField: string;
  /** Columns copied from the anchor, as ingestion's `syncAttendanceUnits` copies them. */
  copied: Record<string, string | null>;
}

const notAvailable = (field: string, what: string) => refuse(400, 'unknown_reference', `No ${what} with this id is available to this client.`, field);

/**
 * The school unit a new record is at, read from the store, and only if the client can see that unit
 * under the attendance API: otherwise the same refusal as for an id the store does not hold.
 */
async function anchorOf(trx: Queryable, scope: Scope, type: WriteType, record: Record<string, any>): Promise<Anchor> {
  const units = new Set(scope.attendanceUnits ?? []);
  const seen = (unit: string | null | undefined): unit is string => !!unit && units.has(unit);
  switch (type) {
    case 'attendances': {
      const lesson = await trx
        .selectFrom('ss12000_calendar_events')
        .select(['organisation_id', 'activity_id'])
        .where('id', '=', record.calendarEvent.id)
        .executeTakeFirst();
      if (!seen(lesson?.organisation_id)) throw notAvailable('calendarEvent.id', 'calendar event');
      return {
        unit: lesson.organisation_id,
        pupil: record.student.id,
        pupilField: 'student.id',
        copied: { organisation_id: lesson.organisation_id, activity_id: lesson.activity_id },
      };
    }
    case 'attendanceEvents': {
      const group = await trx.selectFrom('ss12000_groups').select('organisation_id').where('id', '=', record.group.id).executeTakeFirst();
      if (!seen(group?.organisation_id)) throw notAvailable('group.id', 'group');
      return { unit: group.organisation_id, pupil: record.person.id, pupilField: 'person.id', copied: { organisation_id: group.organisation_id } };
    }
    case 'attendanceSchedules': {
      const placement = await trx
        .selectFrom('ss12000_placements')
        .select(['organisation_id', 'child_id', 'group_id'])
        .where('id', '=', record.placement.id)
        .executeTakeFirst();
      if (!placement || !seen(placement.organisation_id)) throw notAvailable('placement.id', 'placement');
      return {
        unit: placement.organisation_id,
        pupil: placement.child_id,
        pupilField: 'placement.id',
        copied: { organisation_id: placement.organisation_id, student_id: placement.child_id, group_id: placement.group_id },
      };
    }
    case 'absences': {
      // The spec leaves `organisation` optional; a stored absence without one is visible to nobody,
      // so a write must name the school unit it is reported to.
      if (!record.organisation)
        throw refuse(400, 'invalid_body', 'organisation: required for a write (the school unit the absence is reported to).', 'organisation');
      const unit = await trx
        .selectFrom('ss12000_organisations')
        .select('id')
        .where('id', '=', record.organisation.id)
        .where('organisation_type', '=', 'Skolenhet')
        .executeTakeFirst();
      if (!seen(unit?.id)) throw notAvailable('organisation.id', 'school unit');
      return { unit: unit.id, pupil: record.student.id, pupilField: 'student.id', copied: {} };
    }
  }
}

/**
 * Whether `person` is a pupil this client may read at `unit`, as the release policy's `pupilRecord`
 * says for the entity: a student there, the unit granted under the students API too, and not under a
 * marking that withholds the record (protected identity). One answer for every way it is not, so
 * the refusal tells nothing about a person the client cannot read.
 */
async function pupilAvailable(trx: Queryable, scope: Scope, type: WriteType, person: string | null, unit: string): Promise<boolean> {
  if (!person || !scope.studentUnits.includes(unit)) return false;
  const withheld = [...releasePolicy[type].pupilRecord!.withheldUnder];
  const r = await sql<{ ok: boolean }>`
    SELECT EXISTS (SELECT 1 FROM ss12000_person_relations r WHERE r.person_id = ${person}::uuid AND r.kind = ANY(${[...STUDENT_KINDS]}::text[]) AND r.organisation_id = ${unit}::uuid)
       AND EXISTS (SELECT 1 FROM ss12000_persons p WHERE p.id = ${person}::uuid AND (p.security_marking IS NULL OR p.security_marking <> ALL(${withheld}::text[]))) AS ok`.execute(
    trx,
  );
  return !!r.rows[0]?.ok;
}

/**
 * Whether a person named as reporter or registrar is one the store holds with a role at `unit` and
 * without a marking that withholds them: the record would otherwise point at nobody, or at someone the
 * client cannot know. Refused like an unknown person.
 */
async function personAtUnit(trx: Queryable, type: WriteType, person: string, unit: string): Promise<boolean> {
  const withheld = [...releasePolicy[type].pupilRecord!.withheldUnder];
  const r = await sql<{ ok: boolean }>`
    SELECT EXISTS (SELECT 1 FROM ss12000_person_relations r WHERE r.person_id = ${person}::uuid AND r.organisation_id = ${unit}::uuid)
       AND EXISTS (SELECT 1 FROM ss12000_persons p WHERE p.id = ${person}::uuid AND (p.security_marking IS NULL OR p.security_marking <> ALL(${withheld}::text[]))) AS ok`.execute(
    trx,
  );
  return !!r.rows[0]?.ok;
}

/** The institution of a school unit, read live from the store (its organisation code). */
async function institutionOf(trx: Queryable, unit: string): Promise<string> {
  const row = await trx.selectFrom('ss12000_organisations').select('organisation_code').where('id', '=', unit).executeTakeFirst();
  // A unit in the scope is one whose code a grant names (grant_reach); none here means it changed meanwhile.
  if (!row?.organisation_code) throw refuse(403, 'write_not_granted', 'This client may not write through this API at this institution.');
  return row.organisation_code;
}

/** Who wrote, as the audit log names a client. */
const clientActor = (scope: Scope) => ({ id: null, label: `SS 12000 client ${scope.identity.clientId}`, kind: 'client' as const });

/** The refusal for an end user's sign-in token: consent to read one's own data never writes. */
function requireClientToken(scope: Scope): void {
  if (scope.endUser || scope.identity.endUser)
    throw refuse(403, 'write_not_granted', "An end user's sign-in token does not write: writes need the client's own token and a read-write grant.");
}

/** The access-log row of a committed write, written in its transaction (the onSend hook then skips it). */
async function logWrite(
  trx: Queryable,
  ctx: AppContext,
  request: FastifyRequest,
  scope: Scope,
  status: number,
  written: WrittenRecord,
  units: string[] | null,
) {
  const row = accessRow(ctx, request, { scope, released: units ? releasedOf(written.entity, [units]) : [] }, status);
  const institutions = [...new Set([...(row.institution_numbers as string[]), written.institution])].sort();
  await trx
    .insertInto('ss12000_access_log')
    .values({ ...row, institution_numbers: institutions, written: JSON.stringify(written) })
    .execute();
}

/** Sends a refusal in the spec's flat shape, with the field it names when it names one. */
function sendRefusal(reply: FastifyReply, request: FastifyRequest, error: ApiError) {
  const field = typeof error.details.field === 'string' ? { field: error.details.field } : {};
  return reply.status(error.status).send({ code: error.code, message: error.message, ...field, requestId: request.id });
}

/** POST: validate, authorize at the store's institution, store, read back, change row, audit, access log. */
async function createRecord(ctx: AppContext, request: FastifyRequest, type: WriteType): Promise<string> {
  const scope = request.ss12000!.scope;
  requireClientToken(scope);
  const record = parseWriteBody(type, request.body);
  const now = ctx.clock.now();
  const text = await ctx.db.transaction().execute(async (trx) => {
    const anchor = await anchorOf(trx, scope, type, record);
    const institution = await institutionOf(trx, anchor.unit);
    // The one rule, live, in this transaction: approved app, read-write request and grant here.
    await authorizeApiWrite(trx, scope.identity.clientId, WRITE_API, institution);
    if (type === 'absences' && !scope.attendanceCategories?.has('absences'))
      throw refuse(403, 'category_not_approved', 'Absences are the data category absences, which this app is not approved for.');
    if (type === 'attendances' && record.absenceReason !== undefined && !scope.attendanceCategories?.has('absences'))
      throw refuse(403, 'category_not_approved', 'An absence reason is the data category absences, which this app is not approved for.', 'absenceReason');
    if (!(await pupilAvailable(trx, scope, type, anchor.pupil, anchor.unit)))
      throw refuse(400, 'student_not_enrolled', 'The pupil is not a student at this school unit available to this client.', anchor.pupilField);
    for (const ref of referencesOf(type, record)) {
      if (ref.target !== 'persons' || ref.path[0] === 'student' || ref.path[0] === 'person') continue;
      if (!(await personAtUnit(trx, type, ref.id, anchor.unit))) throw notAvailable(`${ref.path.join('.')}.id`, 'person');
    }
    const body = canonical(record);
    const table = tableOf[type];
    const row = {
      id: record.id,
      body,
      hash: createHash('sha256').update(body).digest('base64url'),
      raw_hash: null,
      created_at: now,
      modified_at: now,
      ...columnsOf(type, record),
      ...releaseParts(type, record),
      ...anchor.copied,
    };
    const columns = Object.keys(row);
    await sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
      SELECT ${sql.join(columns.map((c) => sql.ref(`x.${c}`)))} FROM json_populate_record(NULL::${sql.table(table)}, ${JSON.stringify({ ...row, body: record })}::json) AS x`.execute(
      trx,
    );
    const def = endpointByType[type];
    const rows = await findVisible(trx, scope, def, [record.id]);
    if (!rows.length) throw refuse(403, 'write_not_readable', 'This client could not read the record back, so it is not written.');
    const [item] = await present(trx, scope, type, rows, { expand: [], expandReferenceNames: false });
    const changes = noChanges();
    changes.modified.set(type, [record.id]);
    await recordEntityChanges(trx, ctx, now, changes);
    await recordAudit(trx, now, clientActor(scope), {
      action: 'ss12000.record_written',
      subjectType: 'ss12000',
      subjectId: `${type}/${record.id}`,
      clientId: scope.identity.clientId,
      appId: scope.identity.appId,
      partnerId: scope.identity.partnerId,
      institutionNumbers: [institution],
      after: { entity: type, id: record.id },
    });
    await logWrite(trx, ctx, request, scope, 200, { operation: 'create', entity: type, id: record.id, institution, record }, rows[0]!.units);
    return item!;
  });
  // Logged in the write's transaction: the onSend hook must not log it again.
  request.ss12000 = undefined;
  return text;
}

/** DELETE: a record the client can read (else 404, like an unknown id), authorized at its institution. */
async function deleteRecord(ctx: AppContext, request: FastifyRequest, type: WriteType, id: string): Promise<void> {
  const scope = request.ss12000!.scope;
  requireClientToken(scope);
  if (!UUID.test(id)) throw refuse(400, 'invalid_id', 'The id must be a UUID.', 'id');
  const lower = id.toLowerCase();
  const now = ctx.clock.now();
  const def = endpointByType[type];
  const gone = () => refuse(404, 'not_found', `No ${def.path} entity with this id is available to this client.`);
  await ctx.db.transaction().execute(async (trx) => {
    const visible = await findVisible(trx, scope, def, [lower]);
    if (!visible.length) throw gone();
    const stored = await sql<{ organisation_id: string }>`SELECT organisation_id FROM ${sql.table(tableOf[type])} WHERE id = ${lower}::uuid FOR UPDATE`.execute(
      trx,
    );
    const unit = stored.rows[0]?.organisation_id;
    if (!unit) throw gone();
    const institution = await institutionOf(trx, unit);
    await authorizeApiWrite(trx, scope.identity.clientId, WRITE_API, institution);
    const deleted = await sql`DELETE FROM ${sql.table(tableOf[type])} WHERE id = ${lower}::uuid`.execute(trx);
    if (!Number(deleted.numAffectedRows ?? 0)) throw gone();
    await trx
      .insertInto('ss12000_deleted_entities')
      .values({ entity_type: type, entity_id: lower, deleted_at: now, attendance_units: [unit] })
      .execute();
    const changes = noChanges();
    changes.deleted.set(type, [lower]);
    await recordEntityChanges(trx, ctx, now, changes);
    await recordAudit(trx, now, clientActor(scope), {
      action: 'ss12000.record_deleted',
      subjectType: 'ss12000',
      subjectId: `${type}/${lower}`,
      clientId: scope.identity.clientId,
      appId: scope.identity.appId,
      partnerId: scope.identity.partnerId,
      institutionNumbers: [institution],
      before: { entity: type, id: lower },
    });
    await logWrite(trx, ctx, request, scope, 204, { operation: 'delete', entity: type, id: lower, institution }, null);
  });
  request.ss12000 = undefined;
}

/**
 * Registers the write routes on the SS 12000 plugin, behind the same bearer guard as the reads (the
 * client's live state, consent and rate count); the write's own authorization runs in its transaction.
 */
export function writeRoutes(api: ZodApp, ctx: AppContext, guard: (r: FastifyRequest, p: FastifyReply) => Promise<void>): void {
  const opts = { schema: { hide: true }, preHandler: guard, bodyLimit: WRITE_BODY_LIMIT, config: { access: 'client' as const } };
  for (const def of writeDefs) {
    api.post(`/${def.path}`, opts, async (request, reply) => {
      try {
        const text = await createRecord(ctx, request, def.type);
        return reply.status(200).type('application/json; charset=utf-8').send(text);
      } catch (error) {
        if (error instanceof ApiError) return sendRefusal(reply, request, error);
        throw error;
      }
    });
    if (!def.deletable) continue;
    api.delete(`/${def.path}/:id`, opts, async (request, reply) => {
      try {
        await deleteRecord(ctx, request, def.type, (request.params as { id: string }).id);
        return reply.status(204).send();
      } catch (error) {
        if (error instanceof ApiError) return sendRefusal(reply, request, error);
        throw error;
      }
    });
  }
}

/** The entities' component names in the facade's OpenAPI (openapi.ts), for the write operations' bodies and answers. */
const writeComponent: Record<WriteType, string> = {
  attendances: 'Attendance',
  absences: 'Absence',
  attendanceEvents: 'AttendanceEvent',
  attendanceSchedules: 'AttendanceSchedule',
};

const writeErrors: Record<number, string> = {
  400: 'A body or id the server cannot use, naming it in `field`: `invalid_body`, `unknown_field`, `invalid_value` (a NUL or lone surrogate), `invalid_id`; `unknown_reference` (a lesson, group, placement, school unit or person that is unknown or not available to this client: one answer for both); `student_not_enrolled` (the pupil is not a student at that school unit available to this client — also a pupil with protected identity, whose records no client reads).',
  401: 'No access token, or one that is not (or no longer) valid.',
  403: '`write_not_granted`: the app is not approved for the attendance API read-write, or no live read-write grant reaches the institution of the school unit the record is at (derived from the store), or an end user’s token; `category_not_approved`: absences and absence reasons need the data category absences; `write_not_readable`: the client could not read the record back. Also the read refusals of the bearer check (app suspended, …).',
  404: 'No record with this id is available to this client (also one outside its grants).',
  413: `The body is larger than ${WRITE_BODY_LIMIT} bytes.`,
  415: 'The body is not JSON.',
  429: 'Too many requests for this client (`rate_limited`); see Retry-After.',
};
const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [s, { description: writeErrors[s], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
  );

/**
 * The write operations for the facade's OpenAPI document, per path (merged into the read paths by
 * openapi.ts). The request body is the entity as read, with `id` and `meta` read-only (ignored when sent):
 * marked so in the entity's component of `schemas`.
 */
export function writeOpenApiPaths(schemas: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of writeDefs) {
    const name = writeComponent[def.type];
    const ref = { $ref: `#/components/schemas/${name}` };
    // `id` and `meta` are read-only, as in the spec: required in answers, not in request bodies (OpenAPI's readOnly).
    const props = (schemas[name] as { properties?: Record<string, Record<string, unknown>> } | undefined)?.properties;
    for (const member of ['id', 'meta']) if (props?.[member]) props[member]!.readOnly = true;
    const body = {
      ...ref,
      description: `A ${name} as the spec describes it. \`id\` and \`meta\` are read-only: the server assigns them and ignores values sent; any other unknown member is refused (\`unknown_field\`).`,
    };
    paths[`/${def.path}`] = {
      post: {
        operationId: `create${name}`,
        summary: `Register a new ${name} (read-write grant of the attendance API at the record's institution)`,
        requestBody: { required: true, content: { 'application/json': { schema: body } } },
        responses: {
          200: { description: 'Created: the record as the client reads it', content: { 'application/json': { schema: ref } } },
          ...errorResponses(400, 401, 403, 413, 415, 429),
        },
      },
    };
    if (def.deletable)
      paths[`/${def.path}/{id}`] = {
        delete: {
          operationId: `delete${name}`,
          summary: `Delete a ${name} (read-write grant of the attendance API at the record's institution)`,
          parameters: [{ name: 'id', in: 'path', required: true, description: 'The record id.', schema: { type: 'string', format: 'uuid' } }],
          responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 404, 429) },
        },
      };
  }
  return paths;
}
