import { describe, expect, it } from 'vitest';
import { IdSet } from '../../src/readout/id-set.ts';

describe('the id set of a listing', () => {
  it('tells a new id from one seen before, past many growths', () => {
    const s = new IdSet();
    const n = 200_000;
    const id = (i: number) => `${i.toString(16).padStart(8, '0')}-7d2c-4b1e-9a3f-0c5e8b${(i * 7).toString(16).padStart(6, '0')}`;
    for (let i = 0; i < n; i++) expect(s.add(id(i))).toBe(true);
    expect(s.size).toBe(n);
    for (let i = 0; i < n; i += 997) expect(s.add(id(i))).toBe(false);
    expect(s.size).toBe(n);
    for (let i = 0; i < n; i += 991) expect(s.has(id(i))).toBe(true);
    for (let i = n; i < n + 1000; i++) expect(s.has(id(i))).toBe(false);
    // Short and empty ids, and numbers as their text, are ids like any other.
    expect(s.add('')).toBe(true);
    expect(s.add('')).toBe(false);
    expect(s.add('42')).toBe(true);
    expect(s.has('4')).toBe(false);
  });
});
