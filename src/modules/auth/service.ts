import type { AppContext } from '../../context.ts';
import { hashPassword, passwordProblem } from '../../auth/passwords.ts';
import { checkThrottledPassword } from '../../auth/throttle.ts';
import { badRequest, conflict, gone, invalidField } from '../../http/errors.ts';
import { newId, randomToken, sha256 } from '../../lib/ids.ts';
import { recordAudit } from '../audit/record.ts';
import type { Language } from '../../db/schema.ts';

const CONFIRMATION_TTL_MS = 48 * 3_600_000;

/**
 * A partner member signs up: the account exists at once but can act only after the e-mail is
 * confirmed through the link mailed here. An address that has an account already gets the same
 * answer (nobody learns who has an account); its owner is mailed that somebody tried.
 */
export async function signUpPartnerMember(ctx: AppContext, input: { email: string; password: string; displayName: string; language: Language }): Promise<void> {
  const problem = passwordProblem(input.password);
  if (problem) throw invalidField('body.password', 'weak_password', problem);
  // Hashed whether or not the address is taken, so both answers take as long.
  const passwordHash = await hashPassword(input.password);
  const userId = newId();
  const token = randomToken();
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('users').select(['id', 'language', 'display_name']).where('email', '=', input.email).executeTakeFirst();
    if (existing) {
      await ctx.mail.enqueue(trx, {
        to: input.email,
        language: existing.language,
        template: 'signup_existing_account',
        params: { displayName: existing.display_name, signInUrl: `${ctx.config.PUBLIC_URL}/login` },
      });
      return;
    }
    await trx
      .insertInto('users')
      .values({
        id: userId,
        email: input.email,
        password_hash: passwordHash,
        display_name: input.displayName,
        kind: 'partner',
        language: input.language,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await trx
      .insertInto('email_confirmations')
      .values({ token_hash: sha256(token), user_id: userId, created_at: now, expires_at: new Date(now.getTime() + CONFIRMATION_TTL_MS) })
      .execute();
    await recordAudit(
      trx,
      now,
      { id: userId, label: `${input.displayName} <${input.email}>`, kind: 'partner' },
      {
        action: 'user.signed_up',
        subjectType: 'user',
        subjectId: userId,
        after: { email: input.email, displayName: input.displayName },
      },
    );
    await ctx.mail.enqueue(trx, {
      to: input.email,
      language: input.language,
      template: 'email_confirmation',
      params: { displayName: input.displayName, confirmUrl: `${ctx.config.PUBLIC_URL}/confirm-email?token=${token}` },
    });
  });
}

/** Confirms an e-mail address with the token from the mail; single use, expires after 48 hours. */
export async function confirmEmail(ctx: AppContext, token: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('email_confirmations').selectAll().where('token_hash', '=', sha256(token)).forUpdate().executeTakeFirst();
    if (!row) throw badRequest('confirmation_invalid', 'This confirmation link is not valid.', { field: 'body.token' });
    if (row.used_at) throw conflict('confirmation_used', 'This confirmation link was used already.');
    if (row.expires_at <= now) throw gone('confirmation_expired', 'This confirmation link has expired; sign up again.');
    await trx.updateTable('email_confirmations').set({ used_at: now }).where('token_hash', '=', row.token_hash).execute();
    await trx.updateTable('users').set({ email_verified_at: now, updated_at: now }).where('id', '=', row.user_id).execute();
    await recordAudit(
      trx,
      now,
      { id: row.user_id, label: row.user_id, kind: 'partner' },
      {
        action: 'user.email_confirmed',
        subjectType: 'user',
        subjectId: row.user_id,
      },
    );
  });
}

/**
 * Checks a password sign-in, throttled per account and per IP across all processes. Returns the
 * user id; every failure looks the same to the caller.
 */
export async function checkSignIn(ctx: AppContext, email: string, password: string, ip: string): Promise<string> {
  return checkThrottledPassword(ctx, { accountKey: `account:${email}`, ip, password, wrongMessage: 'The e-mail address or password is wrong.' }, async () => {
    const user = await ctx.db.selectFrom('users').select(['id', 'password_hash']).where('email', '=', email).executeTakeFirst();
    return user && { id: user.id, passwordHash: user.password_hash };
  });
}
