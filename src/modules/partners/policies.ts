import type { Actor } from '../../auth/actor.ts';
import { forbidden } from '../../http/errors.ts';

/**
 * The partner the signed-in member acts for. Routes with access `partner_member` already guarantee
 * it; this narrows the type and keeps a misconfigured route from acting for nobody.
 */
export function partnerOf(actor: Actor): string {
  if (actor.kind !== 'partner') throw forbidden('partner_only', 'Only partner members can do this.');
  if (!actor.partnerId) throw forbidden('partner_profile_missing', 'Create your partner profile first.');
  return actor.partnerId;
}
