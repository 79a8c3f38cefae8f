import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listBytes } from './read.ts';

describe('listBytes', () => {
  it('property: is the JSON list of its items, with the page token when there is one', () => {
    // Items with text beyond ASCII (two-, three- and four-byte UTF-8), as stored bodies have.
    const item = fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 12 }),
        fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), { nil: undefined }),
        (items, pageToken) => {
          const bytes = listBytes(
            items.map((i) => JSON.stringify(i)),
            pageToken,
          );
          const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
          expect(JSON.parse(text)).toEqual(pageToken === undefined ? { data: items } : { data: items, pageToken });
        },
      ),
    );
  });
});
