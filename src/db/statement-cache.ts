import { randomBytes } from 'node:crypto';
import { createQueryId, type CompiledQuery, type RawBuilder } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Queryable } from '../context.ts';

/**
 * Compiled statements of a hot read path, kept per shape so that a request neither builds nor
 * compiles its statement again (issue 17: in a profile of a week of lessons under load, building a
 * page's SQL, compiling it with the query builder and hashing the new text again to find its
 * `PREPARED` name were some 8 % of the server's CPU; kept, the server spent 4 % less per read).
 *
 * The caller says what shapes the text (`owner`, the object it is built from, and `key`) and passes what only varies per request
 * (`values`: a keyset's last sort value and id, the arguments of the authorization call) to
 * `build`. A statement is compiled once per key, with sentinels in place of the values; the
 * sentinels must come out as whole parameters (or not at all) and nowhere else, and only then is
 * the statement kept: later requests of the key get the same text (the same string, so its
 * prepared name is found without hashing it again) with their values put where the sentinels came
 * out. A value that went into the text, or was changed on its way in, leaves its sentinel (or what
 * was made of it) in the text or in another parameter: that statement is compiled per request, as
 * before, and never kept.
 *
 * What this cannot see is a `build` that chooses its SQL by a value's content: everything that
 * decides the text (including whether a value is given at all) belongs in `key`, and the values in
 * `values` are only ever passed through as parameters. A kept statement serves every database
 * handle it is asked with: they all compile PostgreSQL alike.
 */
export class StatementCache {
  readonly #kept: LRUCache<string, Kept>;
  /** Per instance and process: no client value can be a sentinel. Of both cases, so that changing either changes it (see `keep`). */
  readonly #mark = `\u0000Sg-slot:${randomBytes(12).toString('hex')}:`;

  /** @param maxChars how many characters of statement text and keys to keep at most, least recently used first out. */
  constructor(maxChars: number) {
    this.#kept = new LRUCache<string, Kept>({ maxSize: maxChars, sizeCalculation: (kept, key) => kept.sql.length + key.length });
  }

  /** Each owner object's number in the keys: an owner rebuilt (a scope at a new version) is a new one, and its statements age out. */
  readonly #owners = new WeakMap<object, number>();
  #owned = 0;

  /**
   * The compiled statement of `build(values)`, reusing the one compiled for `key` of `owner` (the
   * object whose state the text is built from, e.g. a client's scope) when there is one.
   */
  compile(db: Queryable, owner: object, key: string, values: readonly unknown[], build: (values: readonly unknown[]) => RawBuilder<unknown>): CompiledQuery {
    let n = this.#owners.get(owner);
    if (n === undefined) this.#owners.set(owner, (n = ++this.#owned));
    key = `${n}\n${key}`;
    const kept = this.#kept.get(key);
    if (kept) return kept.with(values);
    const sentinels = values.map((_, i) => `${this.#mark}${i}`);
    const compiled = build(sentinels).compile(db);
    const made = keep(compiled, sentinels, this.#mark);
    if (!made) return build(values).compile(db);
    this.#kept.set(key, made);
    return made.with(values);
  }

  /** How many statements are kept (for tests). */
  get size(): number {
    return this.#kept.size;
  }
}

interface Kept {
  sql: string;
  with(values: readonly unknown[]): CompiledQuery;
}

/**
 * A statement compiled with `sentinels`, to be filled with values; undefined when one went astray:
 * into the text, or into a parameter other than itself (changed, or inside an array or object). A
 * sentinel the statement did not use at all is no harm: its value would not be used either.
 */
function keep(compiled: CompiledQuery, sentinels: readonly string[], mark: string): Kept | undefined {
  const slots: [parameter: number, value: number][] = [];
  // Without the NUL (JSON escapes it), case-insensitively: a value lower- or upper-cased on its way in went astray too.
  const probe = mark.slice(1).toLowerCase();
  const astray = (text: string) => text.toLowerCase().includes(probe);
  for (const [i, p] of compiled.parameters.entries()) {
    const at = typeof p === 'string' ? sentinels.indexOf(p) : -1;
    if (at >= 0) slots.push([i, at]);
    else if (typeof p === 'string' ? astray(p) : typeof p === 'object' && p !== null && astray(JSON.stringify(p))) return undefined;
  }
  if (astray(compiled.sql)) return undefined;
  const { sql: text, parameters, query } = compiled;
  return {
    sql: text,
    with(values) {
      const filled = parameters.slice();
      for (const [i, v] of slots) filled[i] = values[v];
      // A query id per execution, as Kysely gives one per compile (plugins key their state by it).
      return { sql: text, parameters: filled, query, queryId: createQueryId() };
    },
  };
}
