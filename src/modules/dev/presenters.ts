import type { Selectable } from 'kysely';
import type { MailOutboxTable } from '../../db/schema.ts';
import { extractLinks } from '../../mail/render.ts';

export const presentMail = (row: Selectable<MailOutboxTable>) => ({
  id: row.id,
  to: row.to_address,
  language: row.language,
  template: row.template,
  subject: row.subject,
  text: row.body_text,
  html: row.body_html,
  links: extractLinks(row.body_text),
  status: row.status,
  attempts: row.attempts,
  lastError: row.last_error,
  createdAt: row.created_at,
  sentAt: row.sent_at,
});
