import type { Queryable } from '../context.ts';
import type { Language } from '../db/schema.ts';

/**
 * The language to write to an address in: that of the user with this e-mail, else `fallback`.
 * Lives with the mail (not with a module) so that every module that mails can use it without
 * importing another module.
 */
export async function recipientLanguage(db: Queryable, email: string, fallback: Language = 'en'): Promise<Language> {
  const user = await db.selectFrom('users').select('language').where('email', '=', email.toLowerCase()).executeTakeFirst();
  return user?.language ?? fallback;
}
