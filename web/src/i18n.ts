import i18n from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.ts';
import nl from './locales/nl.ts';
import fr from './locales/fr.ts';
import sv from './locales/sv.ts';

export const LANGUAGES = ['en', 'nl', 'fr', 'sv'] as const;
export type Language = (typeof LANGUAGES)[number];

declare global {
  interface Window {
    /** Keys the UI asked for that no resource holds; the e2e suite fails when this is not empty. */
    __i18nMissing?: string[];
  }
}

// Also loaded by unit tests in Node, where there is no window.
const inBrowser = typeof window !== 'undefined';
if (inBrowser) window.__i18nMissing = [];

void i18n
  .use(LanguageDetector)
  .use(initReactI18next)
  .init({
    resources: { en: { translation: en }, nl: { translation: nl }, fr: { translation: fr }, sv: { translation: sv } },
    supportedLngs: LANGUAGES,
    nonExplicitSupportedLngs: true,
    load: 'languageOnly',
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
    detection: { order: ['querystring', 'localStorage', 'navigator'], lookupQuerystring: 'lang', caches: ['localStorage'] },
    // Report every key that is missing in the language shown (not only in the fallback).
    saveMissing: true,
    saveMissingTo: 'current',
    missingKeyHandler: (lngs, _ns, key) => {
      const entry = `${lngs.join(',')}:${key}`;
      if (inBrowser) window.__i18nMissing?.push(entry);
      console.error(`i18n missing key ${entry}`);
    },
    returnNull: false,
  });

if (inBrowser) {
  i18n.on('languageChanged', (lng) => {
    document.documentElement.lang = lng;
  });
  document.documentElement.lang = i18n.resolvedLanguage ?? 'en';
}

export default i18n;
