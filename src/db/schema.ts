import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { DB as GeneratedDB } from './generated.ts';
import type { Ss12000Tables } from '../modules/ss12000/tables.ts';
import type { PreEnrolmentTables } from '../modules/pre-enrolments/tables.ts';
import type { BoarderTables } from '../modules/boarders/tables.ts';
import type { InvoiceTables } from '../modules/invoices/tables.ts';
import type { ReadoutTables } from '../readout/tables.ts';
import type { EndUserTables } from '../modules/end-users/tables.ts';
import type { UpstreamTables } from '../oidc/upstream/tables.ts';

/**
 * Kysely's view of the tables in `migrations/`: the types generated from the migrated schema
 * (`generated.ts`, `npm run db:types`) with the hand-tuned column types below layered on top (unions
 * of allowed values, JSON bodies, what may be written). A column needs a hand-tuned type only when the
 * generated one is too loose; every other column comes from generated.ts. A hand-tuned table or
 * column the schema no longer has fails the type check (see the end of this file).
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type TimestampNullable = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json = ColumnType<unknown, string | undefined | null, string | null>;

export type UserKind = 'operator' | 'partner' | 'school';
export type Language = 'en' | 'nl' | 'fr' | 'sv';
export type AppStatus = 'draft' | 'submitted' | 'approved' | 'rejected' | 'suspended' | 'archived';
/**
 * An admin right of the SIS: any right the deployment's API catalog names (`apis.required_rights`,
 * e.g. Informat's iBasis or Magister's LeerlingAdministratie); the SIS rights import checks it
 * against the catalog (migration 0066).
 */
export type ModuleRight = string;
export type GrantTarget = 'institution' | 'access_group';
/** confidential: holds a secret; public (SPA, mobile): PKCE only, no secret, no client credentials. */
export type AppClientType = 'confidential' | 'public';
/** The role an end user signs in with at a school; students and guardians fall under the students API. */
export type EndUserRole = 'student' | 'guardian' | 'staff';

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string | null;
  display_name: string;
  kind: UserKind;
  language: ColumnType<Language, Language | undefined, Language>;
  email_verified_at: TimestampNullable;
  user_management_access: ColumnType<boolean, boolean | undefined, boolean>;
  sis_user_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: Timestamp;
  locked_until: TimestampNullable;
}

export interface EmailConfirmationsTable {
  token_hash: string;
  user_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: TimestampNullable;
}

export interface PartnersTable {
  id: string;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  website: string | null;
  contact_email: string;
  public: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PartnerMembersTable {
  partner_id: string;
  user_id: string;
  created_at: Timestamp;
}

/** A text in each language of the web app: the catalog's names and descriptions. */
export type LocalizedTexts = Record<'en' | 'nl' | 'fr' | 'sv', string>;
/** A jsonb column holding `LocalizedTexts` (written as JSON text). */
type LocalizedJson = ColumnType<LocalizedTexts, string | undefined, string>;

export interface ApisTable {
  code: string;
  name: string;
  grant_target: GrantTarget;
  required_rights: ModuleRight[];
  data_categories: string[];
  sort_order: number;
  names: LocalizedJson;
  descriptions: LocalizedJson;
  /** The data API of this server serving its records (`DATA_APIS` in src/modules/catalog/file.ts), or null. */
  served_by: string | null;
}

export interface DataCategoriesTable {
  code: string;
  names: LocalizedJson;
  descriptions: LocalizedJson;
  sort_order: number;
}

export interface AppsTable {
  id: string;
  partner_id: string;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  contact_email: string;
  status: ColumnType<AppStatus, AppStatus | undefined, AppStatus>;
  redirect_uris: ColumnType<string[], string[] | undefined, string[]>;
  submitted_at: TimestampNullable;
  approved_at: TimestampNullable;
  approved_by: string | null;
  accreditation_notes: string | null;
  rejection_reason: string | null;
  status_reason: string | null;
  client_type: ColumnType<AppClientType, AppClientType | undefined, AppClientType>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Why an app needs an API's data, per language (at least one given): `{ "en": "...", "nl": "..." }`. */
export type Purposes = Partial<Record<Language, string>>;

export interface AppApiRequestsTable {
  app_id: string;
  api_code: string;
  data_categories: string[];
  /** Written as JSON text, read as the object. */
  purposes: ColumnType<Purposes, string, string>;
  /** Derived from `purposes` (English first): read-only. */
  purpose: ColumnType<string, never, never>;
  /** What the app asks for this API (migration 0077). */
  access_level: ColumnType<AccessLevel, AccessLevel | undefined, AccessLevel>;
}

/** Read, or read and write (the data API's writes): per requested API and per grant (migration 0077). */
export type AccessLevel = 'read' | 'read_write';

/** Where a client comes from: an app's approval, a pre-consent legacy key, or the SIS side's loader. */
export type ClientOrigin = 'app' | 'legacy' | 'ingestion';
/** The origin of an app's client: never 'ingestion' (CHECK clients_ingestion_without_app). */
export type AppClientOrigin = Exclude<ClientOrigin, 'ingestion'>;

export interface ClientsTable {
  id: string;
  app_id: string | null;
  name: string;
  origin: ClientOrigin;
  linked_at: TimestampNullable;
  created_at: Timestamp;
  /** Bumped by triggers whenever what the client's grants reach changes (src/db/live/30_scope_version.sql); bigint, read as a string. */
  scope_version: ColumnType<string, never, never>;
}

export interface ClientSecretsTable {
  id: string;
  client_id: string;
  secret_hash: string;
  hint: string;
  created_at: Timestamp;
  expires_at: TimestampNullable;
  last_used_at: TimestampNullable;
}

export interface InstitutionsTable {
  number: string;
  name: string;
  town: string | null;
  active_from_year: number;
  active_until_year: number | null;
  /** The developer sandbox (migration 0061): generated data, never with real schools. */
  sandbox: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface AccessGroupsTable {
  id: string;
  name: string;
}

export interface AccessGroupInstitutionsTable {
  access_group_id: string;
  institution_number: string;
}

export interface AdminRightsTable {
  id: Generated<string>;
  user_id: string;
  module_right: ModuleRight;
  institution_number: string | null;
  access_group_id: string | null;
  school_year: number;
}

export interface GrantsTable {
  id: string;
  client_id: string;
  api_code: string;
  institution_number: string | null;
  access_group_id: string | null;
  granted_by: string | null;
  granted_at: Timestamp;
  reason: string | null;
  /** What the school granted (migration 0077): read_write only where the app's request asks for it. */
  access_level: ColumnType<AccessLevel, AccessLevel | undefined, AccessLevel>;
}

/**
 * The view `grant_reach` (src/db/live/10_grant_reach.sql): what each grant reaches, one row per
 * (grant, institution). Read through src/modules/access/reach.ts.
 */
export interface GrantReachView {
  grant_id: string;
  client_id: string;
  app_id: string | null;
  api_code: string;
  institution_number: string;
  /** The access group the institution is reached through; NULL when the grant names it directly. */
  access_group_id: string | null;
}

export interface InvitationsTable {
  id: string;
  app_id: string;
  email: string;
  token: string;
  invited_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  mail_id: string | null;
  /** Set by the expiry job when it wrote the invitation.expired audit row (migration 0004). */
  expiry_recorded_at: TimestampNullable;
}

/** 'person': an end user (a person of the SS 12000 store, no `users` row), migration 0041. */
export type ActorKind = 'operator' | 'partner' | 'school' | 'system' | 'client' | 'person';

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor_user_id: string | null;
  actor_label: string;
  actor_kind: ActorKind;
  action: string;
  subject_type: string;
  subject_id: string;
  partner_id: string | null;
  app_id: string | null;
  client_id: string | null;
  institution_numbers: ColumnType<string[], string[] | undefined, string[]>;
  access_group_ids: ColumnType<string[], string[] | undefined, string[]>;
  reason: string | null;
  before: Json;
  after: Json;
}

export type MailStatus = 'pending' | 'sent' | 'kept' | 'failed';

export interface MailOutboxTable {
  id: string;
  to_address: string;
  language: Language;
  template: string;
  subject: string;
  body_text: string;
  body_html: string;
  created_at: Timestamp;
  status: ColumnType<MailStatus, MailStatus | undefined, MailStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  sent_at: TimestampNullable;
  message_id: string | null;
  /** Insertion order, int8 as text (migration 0004). */
  seq: Generated<string>;
}

export interface SigningKeysTable {
  kid: string;
  private_jwk: ColumnType<Record<string, unknown>, string, string>;
  created_at: Timestamp;
  retired_at: TimestampNullable;
}

export interface OidcPayloadsTable {
  id: string;
  type: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  expires_at: TimestampNullable;
  consumed_at: TimestampNullable;
}

export interface EndUserAccountsTable {
  person_id: string;
  login: string;
  password_hash: string | null;
  language: ColumnType<Language, Language | undefined, Language>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface EndUserSessionsTable {
  token_hash: string;
  person_id: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface EndUserConsentsTable {
  id: string;
  person_id: string;
  client_id: string;
  institution_number: string;
  role: EndUserRole;
  api_code: string;
  scopes: string[];
  data_categories: string[];
  oidc_grant_id: string | null;
  consented_at: Timestamp;
  updated_at: Timestamp;
  withdrawn_at: TimestampNullable;
}

export interface InstanceSecretsTable {
  name: string;
  value: string;
  created_at: Timestamp;
}

/** The hand-tuned tables, by table name; layered on the generated ones to make `DB`. */
export interface HandTunedTables extends Ss12000Tables, PreEnrolmentTables, BoarderTables, InvoiceTables, ReadoutTables, UpstreamTables, EndUserTables {
  end_user_accounts: EndUserAccountsTable;
  end_user_sessions: EndUserSessionsTable;
  end_user_consents: EndUserConsentsTable;
  instance_secrets: InstanceSecretsTable;
  users: UsersTable;
  sessions: SessionsTable;
  login_throttle: LoginThrottleTable;
  email_confirmations: EmailConfirmationsTable;
  partners: PartnersTable;
  partner_members: PartnerMembersTable;
  apis: ApisTable;
  data_categories: DataCategoriesTable;
  apps: AppsTable;
  app_api_requests: AppApiRequestsTable;
  clients: ClientsTable;
  client_secrets: ClientSecretsTable;
  institutions: InstitutionsTable;
  access_groups: AccessGroupsTable;
  access_group_institutions: AccessGroupInstitutionsTable;
  admin_rights: AdminRightsTable;
  grants: GrantsTable;
  grant_reach: GrantReachView;
  invitations: InvitationsTable;
  audit_log: AuditLogTable;
  mail_outbox: MailOutboxTable;
  signing_keys: SigningKeysTable;
  oidc_payloads: OidcPayloadsTable;
}

/** Each generated table, with the hand-tuned columns of `HandTunedTables` in place of generated ones. */
type Layered<G, H> = {
  [T in keyof G | keyof H]: T extends keyof H ? (T extends keyof G ? Omit<G[T], keyof H[T]> & H[T] : H[T]) : T extends keyof G ? G[T] : never;
};

/** Every table of the migrated schema, as Kysely sees it. */
export type DB = Layered<GeneratedDB, HandTunedTables>;

// Drift between the hand-tuned types and the migrated schema fails the type check, naming it.
type HandOnlyTables = Exclude<keyof HandTunedTables, keyof GeneratedDB>;
type HandOnlyColumns = {
  [T in keyof HandTunedTables & keyof GeneratedDB]: Exclude<keyof HandTunedTables[T], keyof GeneratedDB[T]> extends infer C extends string
    ? [C] extends [never]
      ? never
      : `${T}.${C}`
    : never;
}[keyof HandTunedTables & keyof GeneratedDB];
export const schemaHasEveryHandTunedTable: [HandOnlyTables] extends [never] ? true : HandOnlyTables = true;
export const schemaHasEveryHandTunedColumn: [HandOnlyColumns] extends [never] ? true : HandOnlyColumns = true;

export type User = Selectable<UsersTable>;
export type App = Selectable<AppsTable>;
export type NewApp = Insertable<AppsTable>;
export type AppUpdate = Updateable<AppsTable>;
export type Partner = Selectable<PartnersTable>;
export type Client = Selectable<ClientsTable>;
export type Grant = Selectable<GrantsTable>;
export type Api = Selectable<ApisTable>;
export type Institution = Selectable<InstitutionsTable>;
