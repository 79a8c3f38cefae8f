import nodemailer, { type Transporter } from 'nodemailer';
import { sql } from 'kysely';
import type { AppContext } from '../context.ts';

/** The delivery job's queue name; its data is `{ id }` of a mail_outbox row. */
export const MAIL_DELIVERY_JOB = 'mail.deliver';

/** What one delivery attempt did. */
export type DeliveryOutcome = 'sent' | 'not_pending' | 'missing';

/** A failed attempt; the job is retried (with backoff) unless it was the last one. */
export class MailDeliveryError extends Error {
  override name = 'MailDeliveryError';
}

const transports = new WeakMap<AppContext, Transporter>();

function transportFor(ctx: AppContext): Transporter {
  let transport = transports.get(ctx);
  if (!transport) {
    if (!ctx.config.SMTP_URL) throw new Error('SMTP_URL is not set');
    // One connection per message (no pool): nothing stays open between mails or after stop().
    transport = nodemailer.createTransport({
      url: ctx.config.SMTP_URL,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
    });
    transports.set(ctx, transport);
  }
  return transport;
}

/** Message-ID domain: the sender's, so receivers (and we) can recognise a resent mail by its id. */
function messageIdDomain(ctx: AppContext): string {
  const fromDomain = /@([A-Za-z0-9.-]+)/.exec(ctx.config.MAIL_FROM)?.[1];
  return fromDomain ?? new URL(ctx.config.PUBLIC_URL).hostname;
}

/**
 * Delivers one outbox row over SMTP. Idempotent: only a 'pending' row is sent, so a job that runs
 * again (a retry, a duplicate, a worker restarted after a crash) never sends a mail that is already
 * 'sent', 'failed' or 'kept'. A failure records `last_error` and rethrows so pg-boss retries; on the
 * final attempt the row becomes 'failed'. (A crash between the SMTP handshake and the UPDATE can
 * still send twice: the mail keeps its Message-ID, so receivers can tell.)
 */
export async function deliverMail(ctx: AppContext, id: string, options: { finalAttempt: boolean }): Promise<DeliveryOutcome> {
  const row = await ctx.db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return 'missing';
  if (row.status !== 'pending') return 'not_pending';
  try {
    const info = await transportFor(ctx).sendMail({
      from: ctx.config.MAIL_FROM,
      to: row.to_address,
      subject: row.subject,
      text: row.body_text,
      html: row.body_html,
      messageId: `<${row.id}@${messageIdDomain(ctx)}>`,
      headers: { 'Auto-Submitted': 'auto-generated', 'Content-Language': row.language },
    });
    await ctx.db
      .updateTable('mail_outbox')
      .set({ status: 'sent', sent_at: ctx.clock.now(), message_id: info.messageId, attempts: sql`attempts + 1`, last_error: null })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
    return 'sent';
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
    await ctx.db
      .updateTable('mail_outbox')
      .set({ attempts: sql`attempts + 1`, last_error: message, ...(options.finalAttempt ? { status: 'failed' as const } : {}) })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
    throw new MailDeliveryError(message, { cause: error });
  }
}
