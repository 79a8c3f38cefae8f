import type { AppContext } from '../../context.ts';
import type { Actor } from '../../auth/actor.ts';
import { forbidden } from '../../http/errors.ts';
import { newId } from '../../lib/ids.ts';
import { auditActor, recordAudit } from '../audit/record.ts';
import { profileSnapshot } from './presenters.ts';
import type { ProfileInput } from './schemas.ts';

/**
 * Creates the partner profile of the signed-in member (who becomes its first member) or, when the
 * member already belongs to a partner, updates that partner. Returns the partner id and whether it
 * was created.
 */
export async function saveProfile(ctx: AppContext, actor: Actor, input: ProfileInput): Promise<{ partnerId: string; created: boolean }> {
  if (actor.kind !== 'partner') throw forbidden('partner_only', 'Only partner members can do this.');
  const now = ctx.clock.now();
  const who = auditActor(actor);
  const values = {
    name: input.name,
    description: input.description,
    website: input.website,
    contact_email: input.contactEmail,
    public: input.public,
  };
  return ctx.db.transaction().execute(async (trx) => {
    // Lock the member's own row so two first saves at once cannot create two partners.
    await trx.selectFrom('users').select('id').where('id', '=', actor.user.id).forUpdate().executeTakeFirstOrThrow();
    const membership = await trx.selectFrom('partner_members').select('partner_id').where('user_id', '=', actor.user.id).executeTakeFirst();
    if (!membership) {
      const partnerId = newId();
      await trx
        .insertInto('partners')
        .values({ id: partnerId, ...values, created_at: now, updated_at: now })
        .execute();
      await trx.insertInto('partner_members').values({ partner_id: partnerId, user_id: actor.user.id, created_at: now }).execute();
      await recordAudit(trx, now, who, {
        action: 'partner.created',
        subjectType: 'partner',
        subjectId: partnerId,
        partnerId,
        after: { ...profileSnapshot(values), firstMember: actor.user.email },
      });
      return { partnerId, created: true };
    }
    const partnerId = membership.partner_id;
    const before = await trx.selectFrom('partners').selectAll().where('id', '=', partnerId).forUpdate().executeTakeFirstOrThrow();
    await trx
      .updateTable('partners')
      .set({ ...values, updated_at: now })
      .where('id', '=', partnerId)
      .execute();
    await recordAudit(trx, now, who, {
      action: 'partner.updated',
      subjectType: 'partner',
      subjectId: partnerId,
      partnerId,
      before: profileSnapshot(before),
      after: profileSnapshot(values),
    });
    return { partnerId, created: false };
  });
}
