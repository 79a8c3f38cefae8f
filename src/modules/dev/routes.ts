import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { ZodApp } from '../../http/types.ts';
import { errors } from '../../http/common-schemas.ts';
import { presentMail } from './presenters.ts';
import { listMailbox } from './queries.ts';
import { mailboxEntrySchema, mailboxQuery } from './schemas.ts';

/** Development helpers for the operator; the `dev` gate refuses them in production. */
export default async function devRoutes(app: ZodApp, ctx: AppContext): Promise<void> {
  app.get(
    '/dev/mailbox',
    {
      config: { access: 'dev' },
      schema: {
        tags: ['dev'],
        summary: 'Mail in the outbox, newest first (operator only, never in production)',
        description:
          'Every mail Schoolgate wrote, with its links, so that a developer (or a test) can follow a confirmation ' +
          "or invitation link without an SMTP server. Without SMTP_URL mails are 'kept' here and not delivered.",
        querystring: mailboxQuery,
        response: { 200: z.object({ data: z.array(mailboxEntrySchema) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => ({ data: (await listMailbox(ctx.db, request.query)).map(presentMail) }),
  );
}
