import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackedMap, personCodec, type Person } from '../../src/readout/model.ts';
import { StoreDir } from '../../src/readout/store.ts';

const dir = () => join(mkdtempSync(join(tmpdir(), 'readout-store-')), 'store');

/**
 * The run's store of source records on disk behaves as the in-memory map it replaced: a record set
 * again keeps its first position and takes the last value, deleted ones are gone, and records are read
 * back as they were written, also ones larger than the read window and ones not yet flushed.
 */
describe('readout store on disk', () => {
  it('reads back what a Map would hold, in the same order, for any sequence of sets and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('set' as const), id: fc.stringMatching(/^[a-e]$/), v: fc.string({ unit: 'grapheme', maxLength: 40 }) }),
            fc.record({ op: fc.constant('delete' as const), id: fc.stringMatching(/^[a-e]$/) }),
          ),
          { maxLength: 40 },
        ),
        (ops) => {
          const store = new StoreDir(dir());
          try {
            const disk = store.map<{ id: string; v: string }>('x');
            const mem = new Map<string, { id: string; v: string }>();
            for (const o of ops) {
              if (o.op === 'set') {
                disk.set(o.id, { id: o.id, v: o.v });
                mem.set(o.id, { id: o.id, v: o.v });
              } else expect(disk.delete(o.id)).toBe(mem.delete(o.id));
            }
            expect([...disk.values()]).toEqual([...mem.values()]);
            expect(disk.size).toBe(mem.size);
            for (const id of ['a', 'b', 'c', 'd', 'e']) expect(disk.get(id)).toEqual(mem.get(id));
          } finally {
            store.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('holds records larger than its 1 MB window and many small ones around them, with a codec', () => {
    const store = new StoreDir(dir());
    try {
      const persons = store.map<Person>('persons', personCodec);
      const packed = new PackedMap<Person>(personCodec);
      const person = (i: number, big = false): Person => ({
        id: `P${i}`,
        givenName: big ? 'Å'.repeat(700_000) : `Anna ${i} ö`,
        familyName: 'Svensson',
        securityMarking: 'Ingen',
        emails: [{ value: `p${i}@example.se`, type: 'Privat' }],
        phones: [],
        addresses: [],
        enrolments: [],
        responsibles: [],
      });
      for (let i = 0; i < 5000; i++) {
        const p = person(i, i === 2500);
        persons.set(p.id, p);
        packed.set(p.id, p);
      }
      // Not flushed yet: read from the pending buffer's file position after a flush.
      expect(persons.get('P4999')).toEqual(packed.get('P4999'));
      expect(persons.get('P2500')!.givenName).toHaveLength(700_000);
      expect([...persons.texts()]).toEqual([...packed.texts()]);
      persons.clear();
      expect([...persons.values()]).toEqual([]);
      expect(persons.size).toBe(0);
    } finally {
      store.close();
    }
  });

  it('removes its directory when closed', () => {
    const path = dir();
    const store = new StoreDir(path);
    store.map('x').set('a', { id: 'a' });
    expect(readdirSync(path)).toHaveLength(1);
    store.close();
    expect(existsSync(path)).toBe(false);
  });
});
