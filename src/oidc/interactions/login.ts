import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Interaction } from 'oidc-provider';
import type { AppContext } from '../../context.ts';
import { ApiError, forbidden } from '../../http/errors.ts';
import { startEndUserSession, type ServerResponseLike } from '../../modules/end-users/session.ts';
import { accountIdOf } from '../accounts.ts';
import { providerOf } from '../provider.ts';
import { consentQuestion, reuseConsent } from './consent.ts';
import { signinRole } from './eligibility.ts';
import { isFinished, progressOf, saveProgress } from './progress.ts';

/** The interaction is unknown, expired or already finished. */
export const interactionGone = () =>
  new ApiError(410, 'interaction_expired', 'This sign-in has expired or was already completed. Go back to the app and start again.');

/** How the person proved who they are, as OpenID Connect's `amr` says it. */
const AMR = { password: ['pwd'], upstream: ['fed'] } as const;

/**
 * Finishes the interaction when the person's live consent already covers what the app asks: the
 * login and the consent's Grant are recorded, so the page only has to send the browser on. Returns
 * whether it did.
 */
export async function finishIfConsented(ctx: AppContext, interaction: Interaction): Promise<boolean> {
  const progress = progressOf(interaction);
  if (!progress.personId || !progress.institution || !progress.role) return false;
  const question = await consentQuestion(ctx, interaction, progress.personId, progress.institution, progress.role);
  if (!question.covered) return false;
  const provider = await providerOf(ctx);
  const accountId = accountIdOf(progress.personId, progress.institution);
  const grantId = await reuseConsent(ctx, provider, question, accountId, interaction.params.client_id);
  await saveProgress(interaction, progress, {
    login: { accountId, amr: [...AMR[progress.method ?? 'password']], remember: false },
    consent: { grantId },
  });
  return true;
}

/**
 * Records that `personId` signed in to the interaction `uid` (by password here, or through the
 * school board's upstream provider): checks the person has a role at the chosen school that the
 * app's grants there cover (403 `role_not_granted` otherwise), stores the login in the interaction,
 * starts the end-user session on Schoolgate (cookie `sg_person`, so "My connected apps" works right
 * after), and finishes the interaction when a live consent covers the request. The caller has
 * verified the person's credentials and owns the browser round trip (the upstream callback
 * redirects to `/signin/<uid>`; the page then reads the state).
 *
 * `req` is unused today; it is in the signature agreed with the upstream helper so that the login
 * may later look at the request (e.g. for the audit of sign-ins) without changing callers.
 */
export async function completeLogin(
  ctx: AppContext,
  _req: IncomingMessage | FastifyRequest,
  res: FastifyReply | ServerResponseLike,
  uid: string,
  personId: string,
  method: 'password' | 'upstream',
): Promise<void> {
  const provider = await providerOf(ctx);
  const interaction = await provider.Interaction.find(uid);
  if (!interaction || isFinished(interaction)) throw interactionGone();
  const progress = progressOf(interaction);
  if (!progress.institution) throw new ApiError(409, 'school_not_chosen', 'Choose the school first.');
  const role = await signinRole(ctx, interaction.params.client_id, personId, progress.institution);
  if (!role) {
    throw forbidden('role_not_granted', 'You are not a student, guardian or staff member of this school for whom the school has granted this app access.');
  }
  await saveProgress(interaction, { ...progress, personId, role, method });
  await startEndUserSession(ctx, res, personId);
  await finishIfConsented(ctx, interaction);
}
