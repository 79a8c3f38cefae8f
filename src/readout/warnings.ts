/**
 * Named warnings of a run: what the source lacked or sent in an unexpected shape, and which rules
 * could not be applied because of it. A run degrades on these and says so in its report; it never
 * aborts on them (see README, "Readout": what degrades and what still fails a run).
 */
export interface NamedWarning {
  /** Stable name, e.g. `source.endpoint_missing`. */
  code: string;
  /** How many times it happened (records, requests, pages). */
  count: number;
  message: string;
  /** The rules or outputs that could not be applied (fully) because of it. */
  affects: string[];
  /** A few ids or paths where it happened, for the operator to look at. */
  examples: string[];
}

const MAX_EXAMPLES = 5;

/** Collects warnings by code and message; the same warning again only raises its count. */
export class Warnings {
  private readonly m = new Map<string, NamedWarning>();

  add(code: string, message: string, affects: string[] = [], example?: string, n = 1): void {
    const key = `${code}\u0000${message}`;
    let w = this.m.get(key);
    if (!w) this.m.set(key, (w = { code, count: 0, message, affects, examples: [] }));
    w.count += n;
    if (example !== undefined && w.examples.length < MAX_EXAMPLES && !w.examples.includes(example)) w.examples.push(example);
  }

  has(code: string): boolean {
    for (const w of this.m.values()) if (w.code === code) return true;
    return false;
  }

  list(): NamedWarning[] {
    return [...this.m.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  }
}
