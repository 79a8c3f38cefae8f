import type { Queryable } from '../context.ts';
import type { AccessLevel, AppStatus, Language, ModuleRight, Purposes, UserKind, ClientOrigin } from '../db/schema.ts';
import { hashPassword } from '../auth/passwords.ts';
import { newId, randomToken } from '../lib/ids.ts';
import { createClient } from '../modules/access/clients.ts';
import { insertGrants } from '../modules/access/grants.ts';

/**
 * Direct row builders for the demo seed, imports and tests. They bypass the API on purpose (a seed
 * has no actor) and write no audit rows; product flows go through the services instead.
 */

export async function insertUser(
  db: Queryable,
  u: {
    email: string;
    password?: string | null;
    displayName: string;
    kind: UserKind;
    language?: Language;
    userManagementAccess?: boolean;
    emailVerified?: boolean;
    sisUserId?: string | null;
    id?: string;
  },
): Promise<string> {
  const id = u.id ?? newId();
  await db
    .insertInto('users')
    .values({
      id,
      email: u.email.toLowerCase(),
      password_hash: u.password ? await hashPassword(u.password) : null,
      display_name: u.displayName,
      kind: u.kind,
      language: u.language ?? 'en',
      user_management_access: u.userManagementAccess ?? false,
      email_verified_at: u.emailVerified === false ? null : new Date(),
      sis_user_id: u.sisUserId ?? null,
    })
    .execute();
  return id;
}

export async function insertPartner(
  db: Queryable,
  p: { name: string; contactEmail: string; memberUserIds?: string[]; description?: string; website?: string; public?: boolean; id?: string },
): Promise<string> {
  const id = p.id ?? newId();
  await db
    .insertInto('partners')
    .values({
      id,
      name: p.name,
      contact_email: p.contactEmail,
      description: p.description ?? '',
      website: p.website ?? null,
      public: p.public ?? true,
    })
    .execute();
  for (const userId of p.memberUserIds ?? []) {
    await db.insertInto('partner_members').values({ partner_id: id, user_id: userId }).execute();
  }
  return id;
}

export interface ApiRequestInput {
  apiCode: string;
  dataCategories: string[];
  /** One purpose, stored as English unless `purposes` says otherwise. */
  purpose?: string;
  /** The purpose per language (migration 0059); wins over `purpose`. */
  purposes?: Purposes;
  /** read (default) or read_write (migration 0077). */
  accessLevel?: AccessLevel;
}

export async function insertApp(
  db: Queryable,
  a: {
    partnerId: string;
    name: string;
    status?: AppStatus;
    contactEmail?: string;
    description?: string;
    apis: ApiRequestInput[];
    redirectUris?: string[];
    approvedBy?: string | null;
    id?: string;
  },
): Promise<string> {
  const id = a.id ?? newId();
  const now = new Date();
  const status = a.status ?? 'draft';
  await db
    .insertInto('apps')
    .values({
      id,
      partner_id: a.partnerId,
      name: a.name,
      description: a.description ?? `${a.name} uses school data.`,
      contact_email: a.contactEmail ?? 'apps@example.org',
      status,
      redirect_uris: a.redirectUris ?? [],
      submitted_at: status === 'draft' ? null : now,
      approved_at: ['approved', 'suspended'].includes(status) ? now : null,
      approved_by: a.approvedBy ?? null,
      accreditation_notes: ['approved', 'suspended'].includes(status) ? 'Seeded' : null,
    })
    .execute();
  for (const r of a.apis) {
    const purposes = r.purposes ?? { en: r.purpose ?? '' };
    await db
      .insertInto('app_api_requests')
      .values({ app_id: id, api_code: r.apiCode, data_categories: r.dataCategories, purposes: JSON.stringify(purposes), access_level: r.accessLevel ?? 'read' })
      .execute();
  }
  return id;
}

/**
 * A client (app or legacy) with one live secret; returns the raw secret (shown once in real flows).
 * Made by `createClient`, the one path that creates clients; a legacy client given an app is one the
 * partner has linked already.
 */
export async function insertClient(
  db: Queryable,
  c: { appId: string | null; name: string; origin?: ClientOrigin; id?: string; secret?: string },
): Promise<{ clientId: string; secret: string }> {
  const secret = c.secret ?? randomToken();
  const origin = c.origin ?? (c.appId ? 'app' : 'legacy');
  const { clientId } =
    origin === 'app'
      ? await createClient(db, null, { origin, appId: c.appId!, name: c.name, id: c.id, secret })
      : await createClient(db, null, { origin, name: c.name, id: c.id, secret });
  if (origin !== 'app' && c.appId) await db.updateTable('clients').set({ app_id: c.appId }).where('id', '=', clientId).execute();
  return { clientId, secret };
}

export async function insertInstitution(
  db: Queryable,
  i: { number: string; name: string; town?: string; activeFromYear?: number; activeUntilYear?: number | null },
): Promise<string> {
  await db
    .insertInto('institutions')
    .values({
      number: i.number,
      name: i.name,
      town: i.town ?? null,
      active_from_year: i.activeFromYear ?? 2000,
      active_until_year: i.activeUntilYear ?? null,
    })
    .execute();
  return i.number;
}

export async function insertAccessGroup(db: Queryable, g: { name: string; institutionNumbers: string[]; id?: string }): Promise<string> {
  const id = g.id ?? newId();
  await db.insertInto('access_groups').values({ id, name: g.name }).execute();
  for (const n of g.institutionNumbers) {
    await db.insertInto('access_group_institutions').values({ access_group_id: id, institution_number: n }).execute();
  }
  return id;
}

export async function insertAdminRight(
  db: Queryable,
  r: { userId: string; right: ModuleRight; institutionNumber?: string; accessGroupId?: string; schoolYear: number },
): Promise<void> {
  await db
    .insertInto('admin_rights')
    .values({
      user_id: r.userId,
      module_right: r.right,
      institution_number: r.institutionNumber ?? null,
      access_group_id: r.accessGroupId ?? null,
      school_year: r.schoolYear,
    })
    .execute();
}

/** A grant row as it is, without audit or mail (see `insertGrants` in src/modules/access/grants.ts). */
export async function insertGrant(
  db: Queryable,
  g: {
    clientId: string;
    apiCode: string;
    institutionNumber?: string;
    accessGroupId?: string;
    grantedBy?: string | null;
    reason?: string;
    accessLevel?: AccessLevel;
  },
): Promise<string> {
  const [id] = await insertGrants(
    db,
    g.clientId,
    [{ apiCode: g.apiCode, institutionNumber: g.institutionNumber ?? null, accessGroupId: g.accessGroupId ?? null }],
    { grantedBy: g.grantedBy ?? null, reason: g.reason ?? null, accessLevel: g.accessLevel },
  );
  return id!;
}

/**
 * An end-user sign-in account for a person of the SS 12000 store (student, guardian, staff). The
 * login is stored lower-cased (the table's CHECK); no password means upstream sign-in only.
 */
export async function insertEndUserAccount(
  db: Queryable,
  a: { personId: string; login: string; password?: string | null; language?: Language },
): Promise<string> {
  await db
    .insertInto('end_user_accounts')
    .values({
      person_id: a.personId,
      login: a.login.toLowerCase(),
      password_hash: a.password ? await hashPassword(a.password) : null,
      language: a.language ?? 'en',
    })
    .execute();
  return a.personId;
}
