import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import type { AppContext } from '../../context.ts';
import type { EndUserRole } from '../../db/schema.ts';
import { conflict } from '../../http/errors.ts';
import { newId } from '../../lib/ids.ts';
import { recordAudit } from '../../modules/audit/record.ts';
import { accountIdOf, endUserAuditActor } from '../accounts.ts';
import { DATA_SCOPE, SIGNIN_SCOPES, asksForData, dataApiResource } from '../../modules/access/tokens/urls.ts';
import { API_OF_ROLE, categoriesOf, type ConsentCategory } from './eligibility.ts';

/** The scopes of the provider's `scopes` configuration, `data` included (see grantFor). */
const PROVIDER_SCOPES = new Set<string>(SIGNIN_SCOPES);

/** The claims each scope releases (mirrors the provider's `claims` configuration). */
const CLAIMS_OF_SCOPE: Record<string, string[]> = {
  openid: ['sub', 'school', 'roles'],
  profile: ['name', 'given_name', 'family_name'],
  email: ['email'],
};

/**
 * The scopes the app asked for in this authorization request that Schoolgate knows. `resource=<data
 * API>` without the `data` scope asks for the data API all the same (RFC 8707), so it counts as
 * `data`: the consent records data access as that scope either way.
 */
export function requestedScopes(ctx: Pick<AppContext, 'config'>, interaction: Interaction): string[] {
  const asked = new Set(
    String(interaction.params.scope ?? '')
      .split(' ')
      .filter(Boolean),
  );
  if (asksForData(interaction.params, dataApiResource(ctx.config))) asked.add(DATA_SCOPE);
  return SIGNIN_SCOPES.filter((s) => asked.has(s));
}

/** What the consent screen shows, and whether the live consent already covers it. */
export interface ConsentQuestion {
  scopes: string[];
  claims: string[];
  /** The data categories of the role's API; empty unless the request asks for the data API. */
  categories: ConsentCategory[];
  /** The request asks for the data API (scope `data` or its resource). */
  asksData: boolean;
  /** Scopes and categories new since the live consent; empty on a first consent. */
  added: string[];
  /** The live consent covers scopes and categories (and the request did not insist with prompt=consent). */
  covered: boolean;
  live: { id: string; scopes: string[]; data_categories: string[]; oidc_grant_id: string | null; api_code: string } | undefined;
}

/** The consent question for this person × client × school, against the live consent row. */
export async function consentQuestion(
  ctx: AppContext,
  interaction: Interaction,
  personId: string,
  institution: string,
  role: EndUserRole,
): Promise<ConsentQuestion> {
  const clientId = interaction.params.client_id;
  const scopes = requestedScopes(ctx, interaction);
  const asksData = scopes.includes(DATA_SCOPE);
  // Without the data API the app reads no school data, so the person is not asked about any.
  const categories = asksData ? await categoriesOf(ctx.db, clientId, API_OF_ROLE[role]) : [];
  const live = await ctx.db
    .selectFrom('end_user_consents')
    .select(['id', 'scopes', 'data_categories', 'oidc_grant_id', 'api_code'])
    .where('person_id', '=', personId)
    .where('client_id', '=', clientId)
    .where('institution_number', '=', institution)
    .where('withdrawn_at', 'is', null)
    .executeTakeFirst();
  const added = live
    ? [
        ...scopes.filter((s) => !live.scopes.includes(s)),
        ...categories.filter((c) => live.api_code !== c.apiCode || !live.data_categories.includes(c.category)).map((c) => c.category),
      ]
    : [];
  const forced = String(interaction.params.prompt ?? '')
    .split(' ')
    .includes('consent');
  return {
    scopes,
    claims: [...new Set(scopes.flatMap((s) => CLAIMS_OF_SCOPE[s] ?? []))],
    categories,
    asksData,
    added,
    covered: Boolean(live) && added.length === 0 && !forced,
    live,
  };
}

/**
 * The oidc-provider Grant of a consent: the consent's own Grant when it still exists (so that
 * withdrawal, which revokes by grant id, reaches every token issued under it), else a new one.
 * Holds the consented OpenID scopes and the data scope of the data API.
 */
async function grantFor(
  ctx: AppContext,
  provider: Provider,
  existingId: string | null,
  accountId: string,
  clientId: string,
  scopes: string[],
): Promise<string> {
  const found = existingId ? await provider.Grant.find(existingId) : undefined;
  const grant = found && found.accountId === accountId && found.clientId === clientId ? found : new provider.Grant({ accountId, clientId });
  // `data` is in the provider's `scopes` (so discovery advertises it), which makes oidc-provider treat
  // it as an OpenID scope too: its consent check (op_scopes_missing) wants it among the Grant's OpenID
  // scopes, or the resume prompts again and the browser loops back to the sign-in page. The data
  // API's token takes it from the resource scope.
  const providerScopes = scopes.filter((s) => PROVIDER_SCOPES.has(s));
  if (providerScopes.length) grant.addOIDCScope(providerScopes.join(' '));
  // The data API only for a consent to it: otherwise the code names no resource and the access token
  // is the opaque userinfo one.
  if (scopes.includes(DATA_SCOPE)) grant.addResourceScope(dataApiResource(ctx.config), DATA_SCOPE);
  return grant.save();
}

/**
 * The live consent covers the request: refresh its Grant (re-created if it expired) and return its id.
 * No audit row: nothing the person agreed to changed.
 */
export async function reuseConsent(ctx: AppContext, provider: Provider, question: ConsentQuestion, accountId: string, clientId: string): Promise<string> {
  const live = question.live!;
  const grantId = await grantFor(ctx, provider, live.oidc_grant_id, accountId, clientId, live.scopes);
  if (grantId !== live.oidc_grant_id) {
    await ctx.db.updateTable('end_user_consents').set({ oidc_grant_id: grantId }).where('id', '=', live.id).execute();
  }
  return grantId;
}

/**
 * "Allow": stores the consent (one live row per person × client × school; a changed set updates
 * scopes, categories and updated_at) with its audit row in one transaction, after saving the Grant
 * it names. Returns the Grant id.
 */
export async function storeConsent(
  ctx: AppContext,
  provider: Provider,
  question: ConsentQuestion,
  who: { personId: string },
  clientId: string,
  institution: string,
  role: EndUserRole,
): Promise<{ grantId: string; consentId: string }> {
  const accountId = accountIdOf(who.personId, institution);
  const scopes = [...new Set([...(question.live?.scopes ?? []), ...question.scopes])];
  const apiCode = API_OF_ROLE[role];
  // A request without the data API neither grants nor takes back data categories: the live ones stay.
  const categories = question.asksData
    ? question.categories.map((c) => c.category)
    : question.live && question.live.api_code === apiCode
      ? question.live.data_categories
      : [];
  // oidc-provider saves Grants through its adapter (its own connection); saved first, so the consent
  // row never names a Grant that does not exist. A failed transaction leaves an unused Grant behind.
  const grantId = await grantFor(ctx, provider, question.live?.oidc_grant_id ?? null, accountId, clientId, scopes);
  const app = await ctx.db
    .selectFrom('clients as c')
    .innerJoin('apps as a', 'a.id', 'c.app_id')
    .select(['a.id as app_id', 'a.partner_id'])
    .where('c.id', '=', clientId)
    .executeTakeFirstOrThrow();
  const now = ctx.clock.now();
  const consentId = await ctx.db.transaction().execute(async (trx) => {
    const live = await trx
      .selectFrom('end_user_consents')
      .selectAll()
      .where('person_id', '=', who.personId)
      .where('client_id', '=', clientId)
      .where('institution_number', '=', institution)
      .where('withdrawn_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    const after = { role, apiCode, scopes, dataCategories: categories, oidcGrantId: grantId };
    let id: string;
    if (live) {
      id = live.id;
      await trx
        .updateTable('end_user_consents')
        .set({ role, api_code: apiCode, scopes, data_categories: categories, oidc_grant_id: grantId, updated_at: now })
        .where('id', '=', id)
        .execute();
    } else {
      id = newId();
      // Two "Allow"s of the same person racing: the partial unique index lets one win; the other is told.
      const inserted = await trx
        .insertInto('end_user_consents')
        .values({
          id,
          person_id: who.personId,
          client_id: clientId,
          institution_number: institution,
          role,
          api_code: apiCode,
          scopes,
          data_categories: categories,
          oidc_grant_id: grantId,
          consented_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['person_id', 'client_id', 'institution_number']).where('withdrawn_at', 'is', null).doNothing())
        .executeTakeFirst();
      if (!inserted.numInsertedOrUpdatedRows) {
        throw conflict('consent_in_progress', 'This consent was just given in another window. Start the sign-in again from the app.');
      }
    }
    // The partner reads this row in its app log: the person by the sub it knows, as at withdrawal.
    await recordAudit(trx, now, await endUserAuditActor(trx, app.partner_id, who.personId), {
      action: live ? 'end_user_consent.updated' : 'end_user_consent.given',
      subjectType: 'end_user_consent',
      subjectId: id,
      partnerId: app.partner_id,
      appId: app.app_id,
      clientId,
      institutionNumbers: [institution],
      before: live
        ? { role: live.role, apiCode: live.api_code, scopes: live.scopes, dataCategories: live.data_categories, oidcGrantId: live.oidc_grant_id }
        : undefined,
      after,
    });
    return id;
  });
  return { grantId, consentId };
}
