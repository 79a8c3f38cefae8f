import { describe, expect, it } from 'vitest';
import { H1, H2, hash64, hash64Bytes } from './hash64.ts';

const of = (run: () => void) => {
  run();
  return [H1, H2];
};

describe('hash64', () => {
  // The readout's kept store holds these hashes from one run to the next: a change of the function
  // would make every row of the next delta look changed (or, worse, collide differently).
  it('gives the values the kept stores of earlier versions hold', () => {
    expect(of(() => hash64(''))).toEqual([451841411, 1217125560]);
    expect(of(() => hash64('abc'))).toEqual([2406421812, 2614139224]);
    expect(of(() => hash64('Schoolgate,2026-12-07,500000'))).toEqual([1329002452, 3179723777]);
  });

  it('hashes ASCII bytes as it hashes the same text, over any slice', () => {
    const text = 'x,Schoolgate,2026-12-07,500000,y';
    const bytes = Buffer.from(text);
    expect(of(() => hash64Bytes(bytes, 2, 30))).toEqual(of(() => hash64(text.slice(2, 30))));
    expect(of(() => hash64Bytes(bytes, 5, 5))).toEqual(of(() => hash64('')));
  });
});
