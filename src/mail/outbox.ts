import type { AppContext } from '../context.ts';
import { newId } from '../lib/ids.ts';
import type { MailService } from './service.ts';

/** Outbox mail service (being built: templates are placeholders, nothing is delivered yet). */
export function createMailService(ctx: AppContext): MailService {
  return {
    async enqueue(trx, mail) {
      const id = newId();
      await trx
        .insertInto('mail_outbox')
        .values({
          id,
          to_address: mail.to,
          language: mail.language,
          template: mail.template,
          subject: mail.template,
          body_text: JSON.stringify(mail.params),
          body_html: JSON.stringify(mail.params),
          status: ctx.config.SMTP_URL ? 'pending' : 'kept',
        })
        .execute();
      return id;
    },
  };
}
