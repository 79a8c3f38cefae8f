import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { forbidden, notFound } from '../../http/errors.ts';
import { findPartner, listPartnerMembers, partnerIdOfUser } from './queries.ts';
import { presentProfile } from './presenters.ts';
import { profileBody, profileSchema } from './schemas.ts';
import { saveProfile } from './service.ts';

/** The partner profile of the signed-in partner member. */
export default async function partnersRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  const load = async (partnerId: string) => {
    const partner = await findPartner(ctx.db, partnerId);
    if (!partner) throw notFound('partner_profile_not_found', 'You have not created your partner profile yet.');
    return presentProfile(partner, await listPartnerMembers(ctx.db, partnerId));
  };

  app.get(
    '/partner/profile',
    {
      config: { access: 'partner' },
      schema: {
        tags: ['partner'],
        summary: 'The partner profile of the signed-in member (404 partner_profile_not_found until it is created)',
        response: { 200: profileSchema, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      if (request.actor.kind !== 'partner') throw forbidden('partner_only', 'Only partner members can do this.');
      // Read live rather than from the session join: the profile may have been created a moment ago.
      const partnerId = await partnerIdOfUser(ctx.db, request.actor.user.id);
      if (!partnerId) throw notFound('partner_profile_not_found', 'You have not created your partner profile yet.');
      return load(partnerId);
    },
  );

  app.put(
    '/partner/profile',
    {
      config: { access: 'partner' },
      schema: {
        tags: ['partner'],
        summary: 'Create the partner profile (201; you become its member) or update it (200)',
        body: profileBody,
        response: { 200: profileSchema, 201: profileSchema, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { partnerId, created } = await saveProfile(ctx, request.actor, request.body);
      return reply.status(created ? 201 : 200).send(await load(partnerId));
    },
  );
}
