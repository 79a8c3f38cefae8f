import { sql } from 'kysely';
import type { Queryable } from '../../context.ts';
import type { PersonClaim } from './tables.ts';

/** The claim names looked up in the upstream's ID token (then userinfo) for each configured claim. */
export const CLAIM_NAMES: Record<PersonClaim, string[]> = {
  eppn: ['eppn', 'eduPersonPrincipalName'],
  email: ['email'],
  civic_no: ['civic_no', 'personal_identity_number', 'personnummer'],
};

/**
 * The value of the configured claim in a set of claims, normalised as the SS 12000 store holds it,
 * or undefined. An e-mail address the upstream says is not verified does not identify anyone.
 */
export function claimValue(claim: PersonClaim, claims: Record<string, unknown>): string | undefined {
  if (claim === 'email' && claims.email_verified === false) return undefined;
  for (const name of CLAIM_NAMES[claim]) {
    const raw = claims[name];
    if (typeof raw !== 'string' || !raw.trim()) continue;
    const value = raw.trim();
    if (claim === 'email') return value.toLowerCase();
    if (claim === 'civic_no') {
      // The store holds 12 digits; upstreams often write YYYYMMDD-NNNN. A 10-digit number leaves the
      // century open, so it is not guessed.
      const digits = value.replace(/[-+ ]/g, '');
      return /^\d{12}$/.test(digits) ? digits : undefined;
    }
    return value;
  }
  return undefined;
}

/**
 * The people of the SS 12000 store the claim value names, preferring those with a relation to the
 * chosen school when several match (the same address on a guardian and a staff record, say).
 * Returns the one person, or undefined when none or still more than one match: an ambiguous claim
 * must not sign anyone in.
 */
export async function findPersonByClaim(db: Queryable, claim: PersonClaim, value: string, institutionNumber: string): Promise<string | undefined> {
  let query = db.selectFrom('ss12000_persons as p').select('p.id');
  if (claim === 'eppn') query = query.where(sql<boolean>`p.eppns @> ARRAY[${value}]::text[]`);
  else if (claim === 'email') query = query.where(sql<boolean>`ss12000_person_emails(p.body) @> ARRAY[${value}]::text[]`);
  else query = query.where('p.civic_no', '=', value);
  const rows = await query
    .select(
      sql<boolean>`EXISTS (
        SELECT 1 FROM ss12000_person_relations r JOIN ss12000_organisations o ON o.id = r.organisation_id
         WHERE r.person_id = p.id AND o.organisation_type = 'Skolenhet' AND o.organisation_code = ${institutionNumber})`.as('at_school'),
    )
    .limit(20)
    .execute();
  if (rows.length === 1) return rows[0]!.id;
  const atSchool = rows.filter((r) => r.at_school);
  return atSchool.length === 1 ? atSchool[0]!.id : undefined;
}
