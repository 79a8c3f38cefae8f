/**
 * Sign-in through a school board's own OpenID Connect provider ("upstream"). The operator
 * configures one per school board (see src/modules/identity-providers); the sign-in page offers it
 * for every school unit under that board. This file is what the interaction code of src/oidc asks:
 * which login methods a chosen school offers.
 */
import { sql, type Selectable } from 'kysely';
import type { Queryable } from '../../context.ts';
import type { PersonClaim, UpstreamIdentityProvidersTable } from './tables.ts';

/** An upstream provider as the sign-in flow needs it (secret included: it is presented upstream). */
export interface UpstreamProvider {
  id: string;
  boardOrganisationId: string;
  displayName: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  personClaim: PersonClaim;
  passwordAllowed: boolean;
  updatedAt: Date;
}

/**
 * The school board (organisation of type 'Huvudman') above the school unit whose organisation code
 * is `institutionNumber`, following parent_id (Skolenhet → Skola → Huvudman, or any depth), or
 * undefined when the school has no SS 12000 organisation or no board above it.
 */
export async function boardOf(db: Queryable, institutionNumber: string): Promise<string | undefined> {
  const row = await sql<{ id: string }>`
    WITH RECURSIVE up (id, parent_id, organisation_type, depth) AS (
      SELECT id, parent_id, organisation_type, 0 FROM ss12000_organisations
       WHERE organisation_type = 'Skolenhet' AND organisation_code = ${institutionNumber}
      UNION ALL
      SELECT o.id, o.parent_id, o.organisation_type, up.depth + 1
        FROM ss12000_organisations o JOIN up ON o.id = up.parent_id
       -- A cycle in imported data must not loop forever.
       WHERE up.organisation_type <> 'Huvudman' AND up.depth < 16
    )
    SELECT id FROM up WHERE organisation_type = 'Huvudman' ORDER BY depth LIMIT 1`.execute(db);
  return row.rows[0]?.id;
}

/** The upstream provider configured for the board of a school, or undefined. */
export async function providerForInstitution(db: Queryable, institutionNumber: string): Promise<UpstreamProvider | undefined> {
  const board = await boardOf(db, institutionNumber);
  if (!board) return undefined;
  const row = await db.selectFrom('upstream_identity_providers').selectAll().where('board_organisation_id', '=', board).executeTakeFirst();
  return row ? toProvider(row) : undefined;
}

/** An upstream provider by id, or undefined. */
export async function providerById(db: Queryable, id: string): Promise<UpstreamProvider | undefined> {
  const row = await db.selectFrom('upstream_identity_providers').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toProvider(row) : undefined;
}

function toProvider(row: Selectable<UpstreamIdentityProvidersTable>): UpstreamProvider {
  return {
    id: row.id,
    boardOrganisationId: row.board_organisation_id,
    displayName: row.display_name,
    issuer: row.issuer,
    clientId: row.client_id,
    clientSecret: row.client_secret,
    personClaim: row.person_claim,
    passwordAllowed: row.password_allowed,
    updatedAt: row.updated_at,
  };
}

/** The path of the "Sign in with <board IdP>" button of one interaction. */
export const upstreamStartPath = (uid: string): string => `/signin/${encodeURIComponent(uid)}/upstream`;
