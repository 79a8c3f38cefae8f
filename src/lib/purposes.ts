import type { Language, Purposes } from '../db/schema.ts';

/** The languages a purpose may be written in, in fallback order after the reader's own. */
export const PURPOSE_LANGUAGES: readonly Language[] = ['en', 'nl', 'fr', 'sv'];

/**
 * A purpose in the reader's language where the partner gave it, else in another given language
 * (English first): `language` says which one the text is in, so a screen can mark a fallback.
 */
export function purposeIn(purposes: Purposes, reader: Language): { text: string; language: Language } {
  for (const language of [reader, ...PURPOSE_LANGUAGES]) {
    const text = purposes[language];
    if (typeof text === 'string' && text.length > 0) return { text, language };
  }
  return { text: '', language: reader };
}
