import type { AppContext } from '../context.ts';
import { newId } from '../lib/ids.ts';
import { MAIL_DELIVERY_JOB } from './delivery.ts';
import type { MailService } from './service.ts';
import { renderTemplate } from './templates.ts';

/**
 * The outbox mail service. `enqueue` renders the template in the recipient's language, writes the
 * row in the caller's transaction and, when SMTP is configured, queues the delivery job in that
 * same transaction: a change that rolls back leaves neither a mail nor a job behind. Without
 * SMTP_URL the row is 'kept' and can be read in the dev mailbox.
 */
export function createMailService(ctx: AppContext): MailService {
  return {
    async enqueue(trx, mail) {
      const rendered = renderTemplate(mail, ctx.config.TZ);
      const id = newId();
      const deliver = Boolean(ctx.config.SMTP_URL);
      // created_at keeps the database's now() (real write time): readers order mail by it across
      // changes even when a test clock stands still; `seq` orders within one change.
      await trx
        .insertInto('mail_outbox')
        .values({
          id,
          to_address: mail.to.trim(),
          language: mail.language,
          template: mail.template,
          subject: rendered.subject,
          body_text: rendered.text,
          body_html: rendered.html,
          status: deliver ? 'pending' : 'kept',
        })
        .execute();
      // The job carries only the id: the row is the truth, and a retried job re-reads it.
      if (deliver) await ctx.jobs.sendInTransaction(trx, MAIL_DELIVERY_JOB, { id });
      return id;
    },
  };
}
