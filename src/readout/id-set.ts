import { H1, H2, hash64 } from './hash64.ts';

/**
 * A set of ids held as 64-bit hashes in one typed array (open addressing), not as strings: a listing
 * of 721,484 persons (300,000 students) kept ~50 MB of id strings in a `Set` until its last page, 16 MB
 * here. Two ids with the same hash count as one; at 64 bits that takes billions of ids to happen by
 * chance, and what it would cost is one record read as a duplicate.
 */
export class IdSet {
  /** Two u32 lanes per slot; (0, 0) is an empty slot. */
  private slots = new Uint32Array(2 * 1024);
  private n = 0;
  get size(): number {
    return this.n;
  }
  /** Adds `id`; false when it was there already. */
  add(id: string): boolean {
    hash64(id);
    if (2 * (this.n + 1) > this.slots.length / 2) this.grow();
    // (0, 0) marks an empty slot: a hash of both lanes zero is stored as (0, 1).
    if (!place(this.slots, H1, H2 || 1)) return false;
    this.n++;
    return true;
  }
  has(id: string): boolean {
    hash64(id);
    const h1 = H1;
    const h2 = H2 || 1;
    const s = this.slots;
    const mask = s.length / 2 - 1;
    for (let i = h1 & mask; ; i = (i + 1) & mask) {
      const a = s[2 * i]!;
      const b = s[2 * i + 1]!;
      if (a === 0 && b === 0) return false;
      if (a === h1 && b === h2) return true;
    }
  }
  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) place(this.slots, old[i]!, old[i + 1]!);
  }
}

/** Puts the hash in its slot (linear probing); false when it is there already. */
function place(s: Uint32Array, h1: number, h2: number): boolean {
  const mask = s.length / 2 - 1;
  for (let i = h1 & mask; ; i = (i + 1) & mask) {
    const a = s[2 * i]!;
    const b = s[2 * i + 1]!;
    if (a === 0 && b === 0) {
      s[2 * i] = h1;
      s[2 * i + 1] = h2;
      return true;
    }
    if (a === h1 && b === h2) return false;
  }
}
