import type { AppContext, Queryable } from '../../context.ts';
import { checkThrottledPassword } from '../../auth/throttle.ts';
import { verifyPassword } from '../../auth/passwords.ts';
import { conflict, notFound } from '../../http/errors.ts';
import { newId } from '../../lib/ids.ts';
import { recordAudit } from '../audit/record.ts';
import { queuePartnerEvent } from '../webhooks/delivery.ts';
import { recipientLanguage } from '../../mail/recipients.ts';
// The same sub the app got in the ID token at sign-in (one implementation for both).
import { endUserAuditActor, pairwiseSub } from './pairwise.ts';

/**
 * Checks an end user's password sign-in (end_user_accounts), throttled per account and per IP with
 * the same database throttle as staff sign-in, so every process counts the same failures. The IP
 * key is shared with staff sign-in on purpose: one budget per address for guessing any password.
 * Returns the person id; an unknown login, a wrong password and an account without a password
 * (upstream sign-in only) all look the same: 401 `invalid_credentials`.
 */
export async function checkEndUserPassword(ctx: AppContext, login: string, password: string, ip: string): Promise<string> {
  const normalized = login.trim().toLowerCase();
  return checkThrottledPassword(ctx, { accountKey: `person:${normalized}`, ip, password, wrongMessage: 'The user name or password is wrong.' }, async () => {
    const account = await ctx.db.selectFrom('end_user_accounts').select(['person_id', 'password_hash']).where('login', '=', normalized).executeTakeFirst();
    return account && { id: account.person_id, passwordHash: account.password_hash };
  });
}

/**
 * Whether `login` and `password` are an end user's (a pupil's, guardian's or staff member's school
 * account), without counting a failure: the staff sign-in asks after it has refused them, to point
 * the person to My connected apps instead of saying the password is wrong. One password check
 * whether or not the login exists, so the answer's timing does not tell who has an account.
 */
export async function endUserCredentialsMatch(ctx: AppContext, login: string, password: string): Promise<boolean> {
  const account = await ctx.db.selectFrom('end_user_accounts').select('password_hash').where('login', '=', login.trim().toLowerCase()).executeTakeFirst();
  return verifyPassword(account?.password_hash ?? null, password);
}

/** Appends a partner event (read through the partner API, later delivered as a signed webhook). */
export async function recordPartnerEvent(
  trx: Queryable,
  event: { partnerId: string; appId: string | null; type: string; data: Record<string, unknown>; at: Date },
): Promise<string> {
  const id = newId();
  await trx
    .insertInto('partner_events')
    .values({ id, partner_id: event.partnerId, app_id: event.appId, type: event.type, data: JSON.stringify(event.data), created_at: event.at })
    .execute();
  return id;
}

const consentNotFound = () => notFound('consent_not_found', 'No such consent among yours.');

/**
 * The person withdraws one of their consents. One transaction: the consent is marked withdrawn,
 * every oidc-provider record of its Grant is deleted (refresh tokens, authorization codes, opaque
 * userinfo access tokens, the Grant itself — so the next refresh fails with invalid_grant and
 * userinfo with invalid_token), the audit row, the partner event `consent.withdrawn` and the mail to
 * the app's contact are written. The data API's access tokens are JWTs and are not stored: the
 * bearer check refuses them because it resolves the consent live on every request.
 * Another person's consent is 404, as an unknown one (its existence is not revealed).
 */
export async function withdrawConsent(ctx: AppContext, personId: string, consentId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    // Locked so that two withdrawals (two tabs) cannot both write an event and a mail.
    const consent = await trx
      .selectFrom('end_user_consents')
      .selectAll()
      .where('id', '=', consentId)
      .where('person_id', '=', personId)
      .forUpdate()
      .executeTakeFirst();
    if (!consent) throw consentNotFound();
    if (consent.withdrawn_at) throw conflict('consent_withdrawn', 'This consent was withdrawn already.');
    const app = await trx
      .selectFrom('clients as cl')
      .innerJoin('apps as a', 'a.id', 'cl.app_id')
      .innerJoin('partners as p', 'p.id', 'a.partner_id')
      .innerJoin('institutions as i', (join) => join.on('i.number', '=', consent.institution_number))
      .select(['a.id', 'a.name', 'a.contact_email', 'p.id as partner_id', 'p.name as partner_name', 'i.name as institution_name'])
      .where('cl.id', '=', consent.client_id)
      .executeTakeFirstOrThrow();

    await trx.updateTable('end_user_consents').set({ withdrawn_at: now }).where('id', '=', consent.id).execute();
    let revoked = 0;
    if (consent.oidc_grant_id) {
      const grantId = consent.oidc_grant_id;
      const deleted = await trx
        .deleteFrom('oidc_payloads')
        .where((eb) => eb.or([eb('grant_id', '=', grantId), eb.and([eb('type', '=', 'Grant'), eb('id', '=', grantId)])]))
        .executeTakeFirst();
      revoked = Number(deleted.numDeletedRows);
    }

    const sub = await pairwiseSub(trx, app.partner_id, personId);
    // The partner reads this row in its app log: the person by the sub it knows (endUserAuditActor).
    await recordAudit(trx, now, await endUserAuditActor(trx, app.partner_id, personId), {
      action: 'consent.withdrawn',
      subjectType: 'end_user_consent',
      subjectId: consent.id,
      partnerId: app.partner_id,
      appId: app.id,
      clientId: consent.client_id,
      institutionNumbers: [consent.institution_number],
      before: { role: consent.role, apiCode: consent.api_code, scopes: consent.scopes, dataCategories: consent.data_categories, withdrawnAt: null },
      after: { withdrawnAt: now.toISOString(), revokedOidcRecords: revoked },
    });
    await recordPartnerEvent(trx, {
      partnerId: app.partner_id,
      appId: app.id,
      type: 'consent.withdrawn',
      data: { sub, institution: consent.institution_number, appId: app.id, at: now.toISOString() },
      at: now,
    });
    // The same event as a signed webhook, where the partner configured an endpoint for the app.
    await queuePartnerEvent(trx, ctx, {
      appId: app.id,
      type: 'consent.withdrawn',
      data: { sub, institution: consent.institution_number, appId: app.id, at: now.toISOString() },
    });
    await ctx.mail.enqueue(trx, {
      to: app.contact_email,
      language: await recipientLanguage(trx, app.contact_email),
      template: 'consent_withdrawn',
      params: {
        appName: app.name,
        partnerName: app.partner_name,
        institution: `${consent.institution_number} ${app.institution_name}`,
        role: consent.role,
        at: now,
        eventsUrl: `${ctx.config.PUBLIC_URL}/api/v1/partner/apps/${app.id}/events`,
      },
    });
  });
}
