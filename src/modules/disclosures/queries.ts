import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';
import { GRANT_ACTIONS } from '../audit/queries.ts';
import { INVOICE_ENTITY } from '../invoices/release.ts';
import { GRADES_API } from '../ss12000/scope.ts';

/** How a person relates to a school unit, by relation kind (ss12000_person_relations.kind). */
export type PersonRole = 'student' | 'guardian' | 'staff';

/** The role a relation kind gives: enrolments, placements of the child and memberships are a student's. */
const ROLE_SQL = sql`CASE WHEN r.kind = 'duty' THEN 'staff'
  WHEN r.kind IN ('enrolment', 'placement.child', 'groupMembership') THEN 'student' ELSE 'guardian' END`;

/**
 * Entity types of the SS 12000 facade whose released records carry data about a person in a role:
 * persons themselves; a group's memberships (students, and staff in staff groups); a placement's
 * child and owners; a student's study plans; duties and an activity's teachers (staff). An entity
 * type not named here nor in NO_PERSON_DATA counts for every role, so that a new endpoint is
 * over-reported rather than hidden.
 */
export const PERSON_ENTITIES: Record<PersonRole, string[]> = {
  student: ['persons', 'groups', 'placements', 'studyplans'],
  guardian: ['persons', 'placements'],
  staff: ['persons', 'duties', 'activities', 'groups'],
};
/** Entity types of the attendance API: each record is one pupil's (their attendance, absences, check-ins). */
export const ATTENDANCE_ENTITIES = ['attendances', 'absences', 'attendanceEvents', 'attendanceSchedules'];
/** Entity types that never carry person data. */
export const NO_PERSON_DATA = ['organisations', 'syllabuses', 'programmes'];
const KNOWN = [...new Set([...Object.values(PERSON_ENTITIES).flat(), ...NO_PERSON_DATA, ...ATTENDANCE_ENTITIES])];

/** Leaves out the developer sandbox's generated people (`o`: the relation's organisation): no school's, not a real person. */
const NOT_SANDBOX = sql`NOT EXISTS (SELECT 1 FROM institutions sb WHERE sb.number = o.organisation_code AND sb.sandbox)`;

/**
 * The invoices naming the person as their pupil or their debtor (by SS 12000 person id, where the
 * invoicing module knows it), with the role that gives: the pupil's is a student's, the debtor's a
 * guardian's unless the debtor is the adult pupil. Read through the expression indexes of migration 0075.
 */
const INVOICE_PARTIES = (personId: string) => sql`
  SELECT iv.institution_number, iv.access_group_id, 'student' AS role FROM invoices iv
   WHERE iv.body->'student'->>'personId' = ${personId}::text
  UNION ALL
  SELECT iv.institution_number, iv.access_group_id, CASE iv.body->'debtor'->>'kind' WHEN 'student' THEN 'student' ELSE 'guardian' END
    FROM invoices iv
   WHERE iv.body->'debtor'->>'personId' = ${personId}::text`;

/** The person's relations to school units that are institutions, optionally only at `institutions`. */
export async function relationsOfPerson(db: Queryable, personId: string, institutions: string[] | null) {
  const result = await sql<{ institution: string; name: string; role: PersonRole; start_date: string | null; end_date: string | null }>`
    SELECT DISTINCT o.organisation_code AS institution, coalesce(i.name, o.display_name) AS name, ${ROLE_SQL} AS role,
           r.start_date::text AS start_date, r.end_date::text AS end_date
    FROM ss12000_person_relations r
    JOIN ss12000_organisations o ON o.id = r.organisation_id
    LEFT JOIN institutions i ON i.number = o.organisation_code
    WHERE r.person_id = ${personId}::uuid AND o.organisation_code IS NOT NULL AND ${NOT_SANDBOX}
      AND (${institutions}::text[] IS NULL OR o.organisation_code = ANY(${institutions}::text[]))
    UNION
    -- A stay at a boarding school (the boarders API, src/modules/boarders/) is the person's record there too.
    SELECT b.institution_number, i.name, 'student', b.start_date::text, b.end_date::text
    FROM boarders b JOIN institutions i ON i.number = b.institution_number
    WHERE b.person_id = ${personId}::uuid AND NOT i.sandbox
      AND (${institutions}::text[] IS NULL OR b.institution_number = ANY(${institutions}::text[]))
    UNION
    -- An invoice (the invoices API, src/modules/invoices/) is a record of its pupil and of its debtor
    -- (a guardian, or the adult pupil) at the pupil's institution.
    SELECT v.institution_number, i.name, v.role, NULL, NULL
    FROM (${INVOICE_PARTIES(personId)}) v JOIN institutions i ON i.number = v.institution_number
    WHERE NOT i.sandbox AND (${institutions}::text[] IS NULL OR v.institution_number = ANY(${institutions}::text[]))`.execute(db);
  return result.rows;
}

/** A person of the SS 12000 store. */
export async function findPerson(db: Queryable, personId: string) {
  return db.selectFrom('ss12000_persons').select(['id', 'display_name']).where('id', '=', personId).executeTakeFirst();
}

/**
 * Persons whose name contains `q` and who relate to one of `institutions` (null: any institution,
 * for the operator), with those institutions and roles. At most `limit`, by name.
 */
export async function searchPersons(db: Queryable, q: string, institutions: string[] | null, limit: number) {
  const needle = `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const result = await sql<{ id: string; display_name: string; institutions: { number: string; name: string }[]; roles: PersonRole[] }>`
    WITH hits AS (
      SELECT p.id, p.display_name FROM ss12000_persons p
      WHERE p.search_name LIKE ${needle}
        AND EXISTS (SELECT 1 FROM ss12000_person_relations r JOIN ss12000_organisations o ON o.id = r.organisation_id
                    WHERE r.person_id = p.id AND o.organisation_code IS NOT NULL AND ${NOT_SANDBOX}
                      AND (${institutions}::text[] IS NULL OR o.organisation_code = ANY(${institutions}::text[])))
      ORDER BY p.display_name, p.id
      LIMIT ${limit}
    )
    SELECT h.id, h.display_name,
      (SELECT json_agg(DISTINCT jsonb_build_object('number', o.organisation_code, 'name', coalesce(i.name, o.display_name)))
         FROM ss12000_person_relations r JOIN ss12000_organisations o ON o.id = r.organisation_id
         LEFT JOIN institutions i ON i.number = o.organisation_code
        WHERE r.person_id = h.id AND o.organisation_code IS NOT NULL AND ${NOT_SANDBOX}
          AND (${institutions}::text[] IS NULL OR o.organisation_code = ANY(${institutions}::text[]))) AS institutions,
      (SELECT array_agg(DISTINCT ${ROLE_SQL})
         FROM ss12000_person_relations r JOIN ss12000_organisations o ON o.id = r.organisation_id
        WHERE r.person_id = h.id AND o.organisation_code IS NOT NULL AND ${NOT_SANDBOX}
          AND (${institutions}::text[] IS NULL OR o.organisation_code = ANY(${institutions}::text[]))) AS roles
    FROM hits h ORDER BY h.display_name, h.id`.execute(db);
  return result.rows;
}

/** One aggregate line of the derivation: per app/client, API, institution, basis and category (null: all categories). */
export interface DisclosureLine {
  app_id: string | null;
  client_id: string | null;
  api: string | null;
  institution: string;
  via_consent: boolean;
  category: string | null;
  total?: boolean;
  first_at: Date;
  last_at: Date;
  requests: string | number;
  endpoints: string[] | null;
}

/**
 * The derivation (see the module's routes.ts): access-log rows of the days from … to that released records
 * at one of the person's `institutions`, kept per released part when the person, on that day (in
 * `timeZone`), had a relation at the part's institution in a role the part's API and entity type
 * can release. Cost: the GIN index on institution_numbers picks the rows of the person's
 * institutions, `at` bounds them; relations are a handful of rows per person.
 */
export async function disclosureLines(
  db: Queryable,
  args: { personId: string; institutions: string[]; from: string; to: string; timeZone: string },
): Promise<DisclosureLine[]> {
  if (args.institutions.length === 0) return [];
  const { personId, institutions, from, to, timeZone } = args;
  const entity = sql`(x.part->>'entity')`;
  const roleEntities = (role: PersonRole) => sql`(${entity} = ANY(${PERSON_ENTITIES[role]}::text[]) OR NOT ${entity} = ANY(${KNOWN}::text[]))`;
  const result = await sql<DisclosureLine>`
    WITH rel AS (
      SELECT o.organisation_code AS institution, ${ROLE_SQL} AS role, r.start_date, r.end_date, NULL::text AS access_group
      FROM ss12000_person_relations r JOIN ss12000_organisations o ON o.id = r.organisation_id
      WHERE r.person_id = ${personId}::uuid AND o.organisation_code = ANY(${institutions}::text[])
      UNION ALL
      -- The person's stays at a boarding school: the boarders API releases the stay record itself,
      -- whatever its period (a list serves past and coming stays too), so the dates do not narrow it.
      SELECT b.institution_number, 'boarder', NULL::date, NULL::date, NULL::text
      FROM boarders b
      WHERE b.person_id = ${personId}::uuid AND b.institution_number = ANY(${institutions}::text[])
      UNION ALL
      -- The invoices naming the person (pupil or debtor): the invoices API releases the invoice
      -- itself, whatever its school year, credited to its access group and institution — so a read
      -- of another access group's invoices at the same institution is not this person's.
      SELECT DISTINCT v.institution_number, 'invoice', NULL::date, NULL::date, v.access_group_id::text
      FROM (${INVOICE_PARTIES(personId)}) v
      WHERE v.institution_number = ANY(${institutions}::text[])
    ),
    hit AS (
      SELECT l.id, l.at, l.app_id, l.client_id, l.method, l.endpoint, l.consent_id IS NOT NULL AS via_consent, x.part
      FROM ss12000_access_log l
      CROSS JOIN LATERAL ss12000_access_log_parts(l.released) AS x(part)
      WHERE l.institution_numbers && ${institutions}::text[]
        AND l.at >= (${from}::date::timestamp AT TIME ZONE ${timeZone})
        AND l.at < ((${to}::date + 1)::timestamp AT TIME ZONE ${timeZone})
        AND l.status < 400
        AND x.part->>'institution' = ANY(${institutions}::text[])
        AND coalesce((x.part->>'records')::numeric, 0) > 0
        AND NOT coalesce(${entity} = ANY(${NO_PERSON_DATA}::text[]), false)
        AND EXISTS (
          SELECT 1 FROM rel
          WHERE rel.institution = x.part->>'institution'
            AND (rel.start_date IS NULL OR rel.start_date <= (l.at AT TIME ZONE ${timeZone})::date)
            AND (rel.end_date IS NULL OR rel.end_date >= (l.at AT TIME ZONE ${timeZone})::date)
            AND CASE rel.role
              WHEN 'boarder' THEN x.part->>'api' = 'boarders' AND ${entity} = 'boarders'
              WHEN 'invoice' THEN ${entity} = ${INVOICE_ENTITY} AND x.part->>'accessGroup' = rel.access_group
              WHEN 'student' THEN (coalesce(x.part->>'api', 'students') = 'students' AND ${roleEntities('student')})
                                  -- A pupil's attendance, absences and check-ins (issue 17): released under the attendance API.
                                  OR (x.part->>'api' = 'attendance' AND ${entity} = ANY(${ATTENDANCE_ENTITIES}::text[]))
                                  -- A pupil's grades (issue 17): released under the grades API, student data of their own.
                                  OR (x.part->>'api' = ${GRADES_API} AND ${entity} = 'grades')
              WHEN 'guardian' THEN coalesce(x.part->>'api', 'students') = 'students'
                                   AND coalesce(x.part->'categories', '[]'::jsonb) @> '["guardians"]'::jsonb
                                   AND ${roleEntities('guardian')}
              ELSE coalesce(x.part->>'api', 'staff') = 'staff' AND ${roleEntities('staff')}
            END)
    )
    SELECT h.app_id, h.client_id, h.part->>'api' AS api, h.part->>'institution' AS institution, h.via_consent,
           c.category, GROUPING(c.category) = 1 AS total,
           min(h.at) AS first_at, max(h.at) AS last_at, count(DISTINCT h.id) AS requests,
           CASE WHEN GROUPING(c.category) = 1 THEN array_agg(DISTINCT h.method || ' ' || h.endpoint) END AS endpoints
    FROM hit h
    LEFT JOIN LATERAL jsonb_array_elements_text(
      CASE WHEN jsonb_typeof(h.part->'categories') = 'array' THEN h.part->'categories' ELSE '[]'::jsonb END) AS c(category) ON true
    GROUP BY GROUPING SETS (
      (h.app_id, h.client_id, h.part->>'api', h.part->>'institution', h.via_consent, c.category),
      (h.app_id, h.client_id, h.part->>'api', h.part->>'institution', h.via_consent))
    ORDER BY 1, 3, 4`.execute(db);
  // The category is NULL on the per-(app, API, institution) line of the grouping sets (total), and
  // on a category line of parts that named no category, which is dropped.
  return result.rows
    .filter((r) => r.total || r.category !== null)
    .map(({ total, ...r }) => ({
      ...r,
      first_at: new Date(r.first_at),
      last_at: new Date(r.last_at),
    }));
}

/** Apps and clients by client id, for the report's headings. */
export async function clientsById(db: Queryable, clientIds: string[]) {
  if (clientIds.length === 0)
    return new Map<string, { client_id: string; client_name: string; app_id: string | null; app_name: string | null; partner_name: string | null }>();
  const rows = await db
    .selectFrom('clients as c')
    .leftJoin('apps as a', 'a.id', 'c.app_id')
    .leftJoin('partners as p', 'p.id', 'a.partner_id')
    .select(['c.id as client_id', 'c.name as client_name', 'a.id as app_id', 'a.name as app_name', 'p.name as partner_name'])
    .where('c.id', 'in', clientIds)
    .execute();
  return new Map(rows.map((r) => [r.client_id, r]));
}

/** The grant of one client for one API reaching one institution, as it stands now. */
export interface GrantState {
  target: 'institution' | 'access_group';
  accessGroup: { id: string; name: string } | null;
  grantedAt: Date | null;
  grantedBy: string | null;
  active: boolean;
  revokedAt: Date | null;
  revokedBy: string | null;
}

/**
 * The live grant (directly on the institution, or through an access group holding it), or else the
 * last audited change that removed it: grants are deleted when revoked, so the audit log is where
 * a revocation is kept.
 */
export async function grantState(db: Queryable, clientId: string, apiCode: string, institution: string): Promise<GrantState> {
  const live = await db
    .selectFrom('grants as g')
    .leftJoin('users as u', 'u.id', 'g.granted_by')
    .leftJoin('access_groups as ag', 'ag.id', 'g.access_group_id')
    .select(['g.granted_at', 'u.display_name', 'g.access_group_id', 'ag.name as access_group_name'])
    .where('g.client_id', '=', clientId)
    .where('g.api_code', '=', apiCode)
    .where((eb) =>
      eb.or([
        eb('g.institution_number', '=', institution),
        eb('g.access_group_id', 'in', eb.selectFrom('access_group_institutions').select('access_group_id').where('institution_number', '=', institution)),
      ]),
    )
    .orderBy('g.granted_at', 'asc')
    .executeTakeFirst();
  if (live) {
    return {
      target: live.access_group_id ? 'access_group' : 'institution',
      accessGroup: live.access_group_id ? { id: live.access_group_id, name: live.access_group_name ?? '' } : null,
      grantedAt: new Date(live.granted_at),
      grantedBy: live.display_name ?? null,
      active: true,
      revokedAt: null,
      revokedBy: null,
    };
  }
  const removed = await db
    .selectFrom('audit_log')
    .select(['at', 'actor_label'])
    .where('client_id', '=', clientId)
    .where('action', 'in', GRANT_ACTIONS)
    .where((eb) => eb.or([eb('action', '<>', 'grants.replaced'), eb(sql<string>`after->>'apiCode'`, '=', apiCode)]))
    .where(sql<boolean>`institution_numbers @> ARRAY[${institution}]::text[]`)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return {
    target: 'institution',
    accessGroup: null,
    grantedAt: null,
    grantedBy: null,
    active: false,
    revokedAt: removed ? new Date(removed.at) : null,
    revokedBy: removed?.actor_label ?? null,
  };
}
