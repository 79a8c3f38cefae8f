import type { AppContext } from '../context.ts';

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

// The pairwise `sub` and the end user's audit actor belong to the end users' module (the
// "My connected apps" page and the consent withdrawal name people by them too); sign-in uses them.
export { endUserAuditActor, pairwiseSalt, pairwiseSub } from '../modules/end-users/pairwise.ts';

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
