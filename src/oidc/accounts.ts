import { createHmac, randomBytes } from 'node:crypto';
import type { AppContext, Queryable } from '../context.ts';

/**
 * End-user accounts as oidc-provider sees them. An account id is `<personId>:<institutionNumber>`:
 * a person signs in to an app AT one school (the grant, the role and the consent are per school), so
 * the provider's session, Grant and tokens are per person × school. The `sub` the app sees is
 * pairwise and depends on the person only (see `pairwiseSub`).
 */

/** Builds an account id from a person and the school chosen at sign-in. */
export const accountIdOf = (personId: string, institutionNumber: string): string => `${personId}:${institutionNumber}`;

/** Splits an account id; undefined for anything that is not ours. */
export function parseAccountId(accountId: string): { personId: string; institutionNumber: string } | undefined {
  const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(.+)$/i.exec(accountId);
  return m ? { personId: m[1]!.toLowerCase(), institutionNumber: m[2]! } : undefined;
}

const SALT_NAME = 'pairwise_salt';
/** Salt per database: it never changes once made, so a process may keep it. */
const saltCache = new WeakMap<object, string>();

/**
 * The instance-wide pairwise salt from `instance_secrets`, created on first use. INSERT … ON CONFLICT
 * DO NOTHING then a read, so two processes starting together agree on one value.
 */
export async function pairwiseSalt(db: Queryable): Promise<string> {
  const cached = saltCache.get(db);
  if (cached) return cached;
  await db
    .insertInto('instance_secrets')
    .values({ name: SALT_NAME, value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('instance_secrets').select('value').where('name', '=', SALT_NAME).executeTakeFirstOrThrow();
  saltCache.set(db, row.value);
  return row.value;
}

/**
 * The `sub` a partner's apps see for a person: HMAC-SHA256(salt, partnerId + ':' + personId),
 * base64url. The same for every app of one partner, different between partners, so two partners
 * cannot correlate a student; the salt keeps it from being recomputed outside Schoolgate.
 */
export async function pairwiseSub(db: Queryable, partnerId: string, personId: string): Promise<string> {
  const salt = await pairwiseSalt(db);
  return createHmac('sha256', salt).update(`${partnerId}:${personId}`).digest('base64url');
}

/**
 * The audit actor of an end user's own act (consent given or updated, consent withdrawn), as the
 * partner may see it: partners read their apps' audit rows, so the person is named only by the
 * pairwise `sub` that partner already knows — never by name (which they may not have consented to
 * share) nor by Schoolgate's person id. The operator finds the person through the consent (subject).
 */
export async function endUserAuditActor(db: Queryable, partnerId: string, personId: string): Promise<{ id: null; label: string; kind: 'person' }> {
  return { id: null, label: `End user ${await pairwiseSub(db, partnerId, personId)}`, kind: 'person' };
}

/**
 * The sector identifier URI of a partner's clients. oidc-provider derives the pairwise sector from
 * the host of `sector_identifier_uri`; naming the partner there makes the sector the partner. The
 * URI is never fetched (`sectorIdentifierUriValidate` returns false): `.invalid` guarantees it
 * resolves nowhere.
 */
export const sectorUriOf = (partnerId: string): string => `https://${partnerId}.partners.schoolgate.invalid/`;

/** The partner id of a sector host made by `sectorUriOf`, or undefined. */
export function partnerOfSector(sector: string | undefined): string | undefined {
  const m = /^([0-9a-f-]{36})\.partners\.schoolgate\.invalid$/i.exec(sector ?? '');
  return m?.[1];
}

/** The claims oidc-provider may hand out for an account, before filtering by consented scopes. */
export interface AccountClaims {
  sub: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  email?: string;
  school?: { number: string; name: string };
  roles?: string[];
}

/**
 * The claims of an account for one client: the person's names, e-mail, the school chosen and the
 * role from the live consent (person × client × school). Undefined when the person is gone.
 */
export async function accountClaims(ctx: Pick<AppContext, 'db'>, accountId: string, clientId: string | undefined): Promise<AccountClaims | undefined> {
  const parsed = parseAccountId(accountId);
  if (!parsed) return undefined;
  const person = await ctx.db
    .selectFrom('ss12000_persons')
    .select(['given_name', 'family_name', 'display_name', 'body'])
    .where('id', '=', parsed.personId)
    .executeTakeFirst();
  if (!person) return undefined;
  const institution = await ctx.db.selectFrom('institutions').select(['number', 'name']).where('number', '=', parsed.institutionNumber).executeTakeFirst();
  const consent = clientId
    ? await ctx.db
        .selectFrom('end_user_consents')
        .select('role')
        .where('person_id', '=', parsed.personId)
        .where('client_id', '=', clientId)
        .where('institution_number', '=', parsed.institutionNumber)
        .where('withdrawn_at', 'is', null)
        .executeTakeFirst()
    : undefined;
  const emails = (person.body as { emails?: { value?: string }[] }).emails ?? [];
  const account = await ctx.db.selectFrom('end_user_accounts').select('login').where('person_id', '=', parsed.personId).executeTakeFirst();
  const email = emails.find((e) => e.value)?.value ?? (account?.login.includes('@') ? account.login : undefined);
  return {
    sub: accountId,
    name: person.display_name,
    given_name: person.given_name,
    family_name: person.family_name,
    ...(email ? { email } : {}),
    ...(institution ? { school: { number: institution.number, name: institution.name } } : {}),
    roles: consent ? [consent.role] : [],
  };
}
