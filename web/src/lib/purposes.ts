/** The languages a partner may write a purpose in, in fallback order after the reader's own. */
export const PURPOSE_LANGUAGES = ['en', 'nl', 'fr', 'sv'] as const;
export type PurposeLanguage = (typeof PURPOSE_LANGUAGES)[number];
export type Purposes = Partial<Record<PurposeLanguage, string>>;

/**
 * A purpose in the reader's language where the partner gave it, else in another given language
 * (English first); `fallback` (the server's single text) when no map is there.
 */
export function purposeFor(purposes: Purposes | undefined, language: string, fallback = ''): string {
  const own = language.slice(0, 2) as PurposeLanguage;
  for (const l of [own, ...PURPOSE_LANGUAGES]) {
    const text = purposes?.[l];
    if (text) return text;
  }
  return fallback;
}
