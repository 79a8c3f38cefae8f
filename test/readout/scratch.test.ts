import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryScratch, storeScratch } from '../../src/readout/scratch.ts';
import { StoreDir } from '../../src/readout/store.ts';

const dir = () => join(mkdtempSync(join(tmpdir(), 'readout-scratch-')), 'store');

/**
 * What the rules build is kept in the run's SQLite store instead of the heap. The store's keyed
 * values, grouped values and sorted lists must behave exactly as the Maps and sorted arrays they
 * replace — also in their order, which the published files follow: insertion order, groups in order
 * of their first value, and sorted walks in JavaScript's string order (UTF-16 code units, where
 * U+E000–U+FFFF sort before astral characters, unlike in UTF-8 bytes).
 */
const key = fc.constantFrom('a', 'b', 'B', 'ab', 'a b', 'é', '\uFFFD', '\u{1F600}', '\uE000x', 'z', '', '0');
/** The JavaScript reference: what a Map and Array.prototype.sort give. */
const jsCompare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('readout scratch: the store behaves as the heap', () => {
  it('keyed values: last value, first position, sorted walk in JavaScript string order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.integer()), { maxLength: 30 }), (sets) => {
        const store = new StoreDir(dir());
        try {
          const disk = storeScratch(store).kv<{ n: number }>('x');
          const ref = new Map<string, { n: number }>();
          for (const [k, n] of sets) {
            disk.set(k, { n });
            ref.set(k, { n });
          }
          expect([...disk.values()]).toEqual([...ref.values()]);
          expect([...disk.sorted()]).toEqual([...ref.entries()].sort((a, b) => jsCompare(a[0], b[0])).map((e) => e[1]));
          expect(disk.size).toBe(ref.size);
          for (const k of ['a', 'b', 'nope', '\u{1F600}']) {
            expect(disk.get(k)).toEqual(ref.get(k));
            expect(disk.has(k)).toBe(ref.has(k));
          }
          // The heap implementation is the same reference.
          const mem = memoryScratch().kv<{ n: number }>('x');
          for (const [k, n] of sets) mem.set(k, { n });
          expect([...mem.sorted()]).toEqual([...disk.sorted()]);
        } finally {
          store.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('grouped values: groups in order of their first value, values in order added', () => {
    fc.assert(
      // Past APPEND_BATCH (32) values too: added in batches, then the rest one by one.
      fc.property(fc.array(fc.tuple(key, fc.integer()), { maxLength: 100 }), (adds) => {
        const store = new StoreDir(dir());
        try {
          const disk = storeScratch(store).multi<number>('x');
          const mem = memoryScratch().multi<number>('x');
          for (const [k, n] of adds) {
            disk.add(k, n);
            mem.add(k, n);
          }
          expect([...disk.groups()]).toEqual([...mem.groups()]);
          for (const k of ['a', 'b', 'nope']) expect(disk.get(k)).toEqual(mem.get(k));
        } finally {
          store.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('sorted lists: by two keys in JavaScript string order, ties in order added', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, key, fc.integer()), { maxLength: 100 }), (adds) => {
        const store = new StoreDir(dir());
        try {
          const disk = storeScratch(store).list<number>('x');
          for (const [k1, k2, n] of adds) disk.add(n, k1, k2);
          const ref = adds
            .map(([k1, k2, n], i) => ({ k1, k2, n, i }))
            .sort((a, b) => jsCompare(a.k1, b.k1) || jsCompare(a.k2, b.k2) || a.i - b.i)
            .map((x) => x.n);
          expect([...disk.sorted()]).toEqual(ref);
          // Walked twice (the writers do): the same both times.
          expect([...disk.sorted()]).toEqual(ref);
          expect(disk.size).toBe(adds.length);
          const mem = memoryScratch().list<number>('x');
          for (const [k1, k2, n] of adds) mem.add(n, k1, k2);
          expect([...mem.sorted()]).toEqual(ref);
        } finally {
          store.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
