/**
 * Texts written in several languages — a partner's purposes, the catalog's category names and
 * descriptions — shown in the reader's language. The one implementation of the fallback: the server
 * imports it, and so does the web app (web/src/lib/purposes.ts re-exports it), so every screen, mail
 * and API answer picks the same text. Self-contained on purpose (no imports): the web build
 * compiles it too.
 */

/** The languages a text may be written in, in fallback order after the reader's own. */
export const PURPOSE_LANGUAGES = ['en', 'nl', 'fr', 'sv'] as const;
/** One of PURPOSE_LANGUAGES. */
export type TextLanguage = (typeof PURPOSE_LANGUAGES)[number];
/** A text per language; any may be missing. */
export type Texts = Partial<Record<TextLanguage, string>>;

/** The reader's language among PURPOSE_LANGUAGES ('nl-BE' → 'nl'); English for any other. */
export function readerLanguage(language: string | null | undefined): TextLanguage {
  const own = (language ?? '').slice(0, 2).toLowerCase();
  return (PURPOSE_LANGUAGES as readonly string[]).includes(own) ? (own as TextLanguage) : 'en';
}

/**
 * A text in the reader's language where it was given, else in another given language (English
 * first, then nl, fr, sv): `language` says which one the text is in, so a screen can mark a
 * fallback. An empty text and a missing one are the same. No text at all: `text` is ''.
 */
export function textIn(texts: Texts | null | undefined, reader: string): { text: string; language: TextLanguage } {
  const own = readerLanguage(reader);
  for (const language of [own, ...PURPOSE_LANGUAGES]) {
    const text = texts?.[language];
    if (typeof text === 'string' && text.length > 0) return { text, language };
  }
  return { text: '', language: own };
}

/** A partner's purpose in the reader's language (see textIn: the same rules). */
export const purposeIn = (purposes: Texts | null | undefined, reader: string): { text: string; language: TextLanguage } => textIn(purposes, reader);
