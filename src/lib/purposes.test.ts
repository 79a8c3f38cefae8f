import { describe, expect, it } from 'vitest';
import { purposeIn, readerLanguage, textIn } from './purposes.ts';
import { purposeFor } from '../../web/src/lib/purposes.ts';

describe('a text in the reader’s language (issue 14, point 4)', () => {
  it("takes the reader's own language, else English, else Dutch, French, Swedish", () => {
    expect(textIn({ en: 'E', nl: 'N', fr: 'F', sv: 'S' }, 'fr')).toEqual({ text: 'F', language: 'fr' });
    expect(textIn({ en: 'E', nl: 'N' }, 'sv')).toEqual({ text: 'E', language: 'en' });
    expect(textIn({ sv: 'S', nl: 'N' }, 'fr')).toEqual({ text: 'N', language: 'nl' });
    expect(textIn({ sv: 'S', fr: 'F' }, 'en')).toEqual({ text: 'F', language: 'fr' });
    // An empty text is no text.
    expect(textIn({ nl: '', sv: 'S' }, 'nl')).toEqual({ text: 'S', language: 'sv' });
    expect(textIn({}, 'nl')).toEqual({ text: '', language: 'nl' });
    expect(textIn(null, 'nl')).toEqual({ text: '', language: 'nl' });
  });

  it('reads a browser language as its first two letters, and any other as English', () => {
    expect(readerLanguage('nl-BE')).toBe('nl');
    expect(readerLanguage('SV')).toBe('sv');
    expect(readerLanguage('de')).toBe('en');
    expect(readerLanguage(undefined)).toBe('en');
    expect(purposeIn({ en: 'E', nl: 'N' }, 'nl-BE').text).toBe('N');
  });

  it('is the very function the web app uses', () => {
    for (const [texts, reader] of [
      [{ en: 'E', nl: 'N' }, 'nl'],
      [{ sv: 'S', fr: 'F' }, 'en-GB'],
      [{ nl: 'N' }, 'de'],
    ] as const) {
      expect(purposeFor(texts, reader)).toBe(purposeIn(texts, reader).text);
    }
    // The web's fallback is the server's single text, for an answer without the map.
    expect(purposeFor(undefined, 'nl', 'one text')).toBe('one text');
  });
});
