import type { ColumnType } from 'kysely';

/** Which claim of the upstream names the person, and where Schoolgate looks for it. */
export type PersonClaim = 'eppn' | 'email' | 'civic_no';

/** Kysely's view of migration 0042 (upstream_identity_providers). */
export interface UpstreamIdentityProvidersTable {
  id: string;
  board_organisation_id: string;
  display_name: string;
  issuer: string;
  client_id: string;
  /** Plain: it is presented to the upstream's token endpoint. Never leaves through the API. */
  client_secret: string;
  person_claim: PersonClaim;
  password_allowed: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

/** The tables of upstream sign-in, merged into the database interface in src/db/schema.ts. */
export interface UpstreamTables {
  upstream_identity_providers: UpstreamIdentityProvidersTable;
}
