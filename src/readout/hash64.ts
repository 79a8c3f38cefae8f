/**
 * A 64-bit string hash as two 32-bit lanes (cyrb53's mixing), left in H1/H2 rather than returned
 * so that hashing ~800,000 rows allocates nothing. It tells a changed row from an unchanged one;
 * it is no defence against a source crafting collisions, which would only hide its own change.
 */
export let H1 = 0;
export let H2 = 0;
/** {@link hash64} of the bytes `b[from, to)`; for ASCII text the same value as of the string. */
export function hash64Bytes(b: Uint8Array, from: number, to: number): void {
  let h1 = 0xdeadbeef ^ (to - from);
  let h2 = 0x41c6ce57 ^ (to - from);
  for (let i = from; i < to; i++) {
    const ch = b[i]!;
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  settle(h1, h2);
}

/** {@link hash64Bytes} of a string's UTF-16 code units (the same loop over another kind of input: kept apart so each stays monomorphic). */
export function hash64(s: string): void {
  let h1 = 0xdeadbeef ^ s.length;
  let h2 = 0x41c6ce57 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  settle(h1, h2);
}

/** The final avalanche of both lanes, into H1/H2. */
function settle(h1: number, h2: number): void {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  H1 = h1 >>> 0;
  H2 = h2 >>> 0;
}
