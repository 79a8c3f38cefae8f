import { describe, expect, it } from 'vitest';
import { DigestCollector, RowDigests, StateFormatError } from '../../src/readout/run.ts';

/** The sorted row digests a kept store holds: sorted by key, one per key (the last added), found by key. */
describe('row digests', () => {
  it('sorts by key (first lane, then second), keeps the last of a key and finds each key', () => {
    const c = new DigestCollector();
    const rows: [number, number, number, number][] = [
      [7, 1, 10, 11],
      [0xffffffff, 0, 12, 13],
      [3, 0xfffffffe, 14, 15],
      [7, 1, 20, 21], // the same key again: this one wins
      [3, 2, 16, 17],
      [0, 0, 18, 19],
    ];
    for (const r of rows) c.add(...r);
    const d = c.finish();
    expect(d.size).toBe(5);
    expect(d.all()).toEqual([0, 0, 18, 19, 3, 2, 16, 17, 3, 0xfffffffe, 14, 15, 7, 1, 20, 21, 0xffffffff, 0, 12, 13]);
    expect(d.find(7, 1)).toBe(3);
    expect(d.find(0, 0)).toBe(0);
    expect(d.find(0xffffffff, 0)).toBe(4);
    expect(d.find(3, 3)).toBe(-1);
    expect(d.find(8, 0)).toBe(-1);
    // Stored little-endian, 16 bytes a row.
    const [stored, ...more] = [...d.parts()];
    expect(more).toEqual([]);
    expect(stored!.length).toBe(5 * 16);
    expect(stored!.readUInt32LE(3 * 16 + 8)).toBe(20);
  });

  it('grows past its first block and stays sorted', () => {
    const c = new DigestCollector();
    const n = 200_000;
    // A permutation of 0..n-1 (multiplication by an odd constant mod 2^32 is one), as the first lane.
    for (let i = 0; i < n; i++) c.add(Math.imul(i, 2654435761) >>> 0, i, i, 0);
    const d = c.finish();
    expect(d.size).toBe(n);
    let sorted = true;
    for (let i = 1; i < n; i++) sorted &&= d.lane(i, 0) > d.lane(i - 1, 0);
    expect(sorted).toBe(true);
    expect(d.find(Math.imul(12345, 2654435761) >>> 0, 12345)).toBeGreaterThanOrEqual(0);
  });

  it('across blocks, with repeated keys: what a sort of copies gives, the last of a key kept', () => {
    const c = new DigestCollector();
    const added: [number, number, number, number][] = [];
    let x = 12345;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    // Keys from small pools of full 32-bit values, so that keys repeat (within and across the
    // 65,536-row blocks) and both halves of each lane decide the order.
    const firsts = Array.from({ length: 5000 }, next);
    const seconds = [...Array.from({ length: 5 }, next), 0x00020001, 0x00010002];
    for (let i = 0; i < 150_000; i++) {
      const r: [number, number, number, number] = [firsts[next() % 5000]!, seconds[next() % 7]!, i, next()];
      added.push(r);
      c.add(...r);
    }
    const last = new Map<string, [number, number, number, number]>();
    for (const r of added) last.set(`${r[0]}:${r[1]}`, r);
    const want = [...last.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]).flat();
    expect(c.finish().all()).toEqual(want);
  });

  it('reads back from stored parts of any size, as they were, and refuses a part row', () => {
    const c = new DigestCollector();
    const n = 140_000;
    for (let i = 0; i < n; i++) c.add(i, 7, Math.imul(i, 31) >>> 0, n - i);
    const d = c.finish();
    const stored = Buffer.concat([...d.parts()]);
    expect(stored.length).toBe(n * 16);
    expect(stored.readUInt32LE((n - 1) * 16)).toBe(n - 1);
    // As stored: a part per block; as an earlier version stored them: 16 MB parts (here one); and cut anywhere.
    const cuts = [[...d.parts()], [stored], [stored.subarray(0, 5), stored.subarray(5, 1_048_583), stored.subarray(1_048_583)]];
    for (const parts of cuts) {
      const back = RowDigests.fromParts(parts);
      expect(back.size).toBe(n);
      expect(back.lane(n - 1, 3)).toBe(1);
      expect(back.lane(70_000, 2)).toBe(Math.imul(70_000, 31) >>> 0);
      expect(back.find(123_456, 7)).toBe(123_456);
      expect(back.find(123_456, 8)).toBe(-1);
    }
    expect(RowDigests.fromParts([]).size).toBe(0);
    expect(() => RowDigests.fromParts([stored.subarray(0, 24)])).toThrow(StateFormatError);
  });
});
