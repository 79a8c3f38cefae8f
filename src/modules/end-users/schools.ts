import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Queryable } from '../../context.ts';
import type { DB } from '../../db/schema.ts';

/**
 * Which schools a person can sign in to Schoolgate at ("My connected apps" signs in school first,
 * then with that school's credentials). The one place of that rule: a school (institution) whose
 * school unit is in the SS 12000 store and whose people can prove who they are — some person
 * there holds a Schoolgate password (local credentials), or the school board above it has an
 * upstream identity provider (src/oidc/upstream; a board is found as `boardOf` there does: the
 * nearest `Huvudman` up the organisation tree). With an upstream provider the school signs in
 * there, and by password too unless the operator turned passwords off for that board.
 */

/**
 * Where "My connected apps" sends the browser to sign in at the school board's own provider
 * (served with the upstream round trip, src/oidc/upstream/routes.ts).
 */
export const myUpstreamPath = (number: string): string => `/signin/upstream/my?${new URLSearchParams({ institution: number })}`;

/** A school of the "My connected apps" picker with the ways its people sign in. */
export interface SigninSchool {
  number: string;
  name: string;
  town: string | null;
  /** A Schoolgate password works here. */
  password: boolean;
  /** The school board's own sign-in, when it has one. */
  upstream: { name: string } | null;
}

/**
 * A case-insensitive match of `q` against an institution's name, number or town: the search of
 * every school picker (this one and the app sign-in's, src/oidc/interactions/eligibility.ts).
 */
export function schoolSearch(q: string): (eb: ExpressionBuilder<DB, 'institutions'>) => Expression<SqlBool> {
  const pattern = `%${q
    .trim()
    .toLowerCase()
    .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return (eb) =>
    eb.or([
      eb(eb.fn('lower', ['institutions.name']), 'like', pattern),
      eb(eb.fn('lower', ['institutions.number']), 'like', pattern),
      eb(sql`lower(coalesce(institutions.town, ''))`, 'like', pattern),
    ]);
}

/**
 * The schools people can sign in at, with their ways in; `q` matches name, number or town
 * (case-insensitive), `number` picks one. At most `limit`, sorted by name.
 */
export async function signinSchools(db: Queryable, filter: { q?: string; number?: string }, limit = 20): Promise<SigninSchool[]> {
  const schools = db
    .selectFrom('institutions')
    .select(['institutions.number', 'institutions.name', 'institutions.town'])
    // The board's provider: walk up from the school unit to the nearest Huvudman (at most 16 steps,
    // so a cycle in imported data cannot loop), as src/oidc/upstream/index.ts boardOf does.
    .select(
      sql<{ name: string; passwordAllowed: boolean } | string | null>`(
        WITH RECURSIVE up (id, parent_id, organisation_type, depth) AS (
          SELECT o.id, o.parent_id, o.organisation_type, 0 FROM ss12000_organisations o
           WHERE o.organisation_type = 'Skolenhet' AND o.organisation_code = institutions.number
          UNION ALL
          SELECT o.id, o.parent_id, o.organisation_type, up.depth + 1
            FROM ss12000_organisations o JOIN up ON o.id = up.parent_id
           WHERE up.organisation_type <> 'Huvudman' AND up.depth < 16
        )
        SELECT json_build_object('name', p.display_name, 'passwordAllowed', p.password_allowed)
          FROM up JOIN upstream_identity_providers p ON p.board_organisation_id = up.id
         WHERE up.organisation_type = 'Huvudman'
         ORDER BY up.depth LIMIT 1)`.as('upstream'),
    )
    // Local credentials: somebody of the school unit holds a Schoolgate password.
    .select(
      sql<boolean>`EXISTS (
        SELECT 1 FROM ss12000_organisations o
          JOIN ss12000_person_relations r ON r.organisation_id = o.id
          JOIN end_user_accounts a ON a.person_id = r.person_id
         WHERE o.organisation_type = 'Skolenhet' AND o.organisation_code = institutions.number
           AND a.password_hash IS NOT NULL)`.as('local'),
    )
    .$if(filter.q !== undefined, (qb) => qb.where(schoolSearch(filter.q!)))
    .$if(filter.number !== undefined, (qb) => qb.where('institutions.number', '=', filter.number!));
  const rows = await db
    .selectFrom(schools.as('s'))
    .selectAll()
    .where((eb) => eb.or([eb('s.upstream', 'is not', null), eb('s.local', '=', true)]))
    .orderBy('s.name')
    .orderBy('s.number')
    .limit(limit)
    .execute();
  return rows.map((r) => {
    const upstream = typeof r.upstream === 'string' ? (JSON.parse(r.upstream) as { name: string; passwordAllowed: boolean }) : r.upstream;
    return {
      number: r.number,
      name: r.name,
      town: r.town,
      password: upstream ? upstream.passwordAllowed : true,
      upstream: upstream ? { name: upstream.name } : null,
    };
  });
}

/** One school of the picker, or undefined when nobody can sign in there (or it is unknown). */
export async function signinSchool(db: Queryable, number: string): Promise<SigninSchool | undefined> {
  return (await signinSchools(db, { number }, 1))[0];
}

/** Whether the person has a relation (as student, guardian or staff, at any time) with the school's unit. */
export async function belongsToSchool(db: Queryable, personId: string, number: string): Promise<boolean> {
  const row = await db
    .selectFrom('ss12000_person_relations as r')
    .innerJoin('ss12000_organisations as o', 'o.id', 'r.organisation_id')
    .select('r.person_id')
    .where('r.person_id', '=', personId)
    .where('o.organisation_type', '=', 'Skolenhet')
    .where('o.organisation_code', '=', number)
    .limit(1)
    .executeTakeFirst();
  return Boolean(row);
}
