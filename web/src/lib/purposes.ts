// The one implementation of "a text in the reader's language, else another given one" is the
// server's (src/lib/purposes.ts); the web app uses the very same function, so a screen never picks
// another text than the API or a mail does.
import { PURPOSE_LANGUAGES, purposeIn, readerLanguage, textIn, type TextLanguage, type Texts } from '../../../src/lib/purposes.ts';

export { PURPOSE_LANGUAGES, readerLanguage, textIn };
export type PurposeLanguage = TextLanguage;
export type Purposes = Texts;

/**
 * A purpose in the reader's language where the partner gave it, else in another given language
 * (English first); `fallback` (the server's single text) when no map is there.
 */
export function purposeFor(purposes: Purposes | undefined, language: string, fallback = ''): string {
  return purposeIn(purposes, language).text || fallback;
}
