import type { Language } from '../db/schema.ts';
import { renderMail, type MailContent, type MailFrame, type RenderedMail } from './render.ts';
import type { MailTemplateName, MailTemplates, OutgoingMail } from './service.ts';
import { en } from './i18n/en.ts';
import { nl } from './i18n/nl.ts';
import { fr } from './i18n/fr.ts';
import { sv } from './i18n/sv.ts';

/** Formatting in the recipient's locale and the deployment's time zone. */
export interface Formatters {
  /** Date and time with the zone, e.g. "22 November 2026 at 11:00 CET". */
  dateTime(date: Date): string;
  /** An API's name in the mail's language (`MailFrame.apiNames`), else `name` (the catalog's). */
  api(code: string | undefined, name: string): string;
}

/** One language: the frame around every mail and one function per template. */
export interface Translation {
  frame: MailFrame;
  templates: { [T in MailTemplateName]: (params: MailTemplates[T], f: Formatters) => MailContent };
}

export const translations: Record<Language, Translation> = { en, nl, fr, sv };

/** Renders `mail` in its language; `timeZone` is the deployment's TZ. */
export function renderTemplate(mail: OutgoingMail, timeZone: string): RenderedMail {
  const translation = translations[mail.language] ?? translations.en;
  const dateTime = new Intl.DateTimeFormat(translation.frame.locale, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  });
  const f: Formatters = { dateTime: (date) => dateTime.format(date), api: (code, name) => (code && translation.frame.apiNames[code]) || name };
  const template = translation.templates[mail.template] as (params: unknown, f: Formatters) => MailContent;
  return renderMail(template(mail.params, f), translation.frame);
}

/** Every template name, e.g. for validating a filter. */
export const MAIL_TEMPLATE_NAMES = Object.keys(en.templates) as [MailTemplateName, ...MailTemplateName[]];
