import { z } from 'zod';
import { languageSchema, timestamp } from '../../http/common-schemas.ts';
import { MAIL_TEMPLATE_NAMES } from '../../mail/templates.ts';

export const mailboxQuery = z.object({
  to: z.string().trim().min(1).max(254).optional().describe('Only mail to this address (case-insensitive)'),
  template: z.enum(MAIL_TEMPLATE_NAMES).optional().describe('Only mail of this template'),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Most mails to return (1–200, default 50)'),
});

export const mailboxEntrySchema = z
  .object({
    id: z.uuid(),
    to: z.string(),
    language: languageSchema,
    template: z.string(),
    subject: z.string(),
    text: z.string(),
    html: z.string(),
    links: z.array(z.string()).describe('Absolute links in the mail, in order (e.g. the confirmation link)'),
    status: z.enum(['pending', 'sent', 'kept', 'failed']).describe("'kept': not delivered because SMTP_URL is not set"),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: timestamp,
    sentAt: timestamp.nullable(),
  })
  .meta({ id: 'MailboxEntry' });
