/**
 * Statements sent on one connection (a transaction's) while Node prepares the next one.
 *
 * A load alternates Node work (digests, JSON rows) and PostgreSQL work (the insert). Awaiting each
 * statement before building the next runs the two one after the other, though the machine has a
 * core for each: measured on the bench world, a fresh load's wall time was the sum of Node's CPU and
 * PostgreSQL's (issue 16). With one statement queued behind the running one, PostgreSQL runs the
 * current statement while Node builds the next, and the queued one is sent the moment the running
 * one ends (the caller is awaiting by then, so nothing delays the send).
 *
 * The connection still runs one statement at a time, in the order pushed (Kysely's single
 * connection provider queues them), so a transaction's semantics are unchanged. A failed statement
 * rejects `push` or `drain`, but only once every statement queued behind it has run (and failed in
 * the aborted transaction): the caller's error then makes Kysely send ROLLBACK, and a statement still
 * in Kysely's queue at that moment would reach PostgreSQL after it, outside the transaction.
 */
export class Overlap<T> {
  #pending: Promise<T>[] = [];
  readonly #done: T[] = [];

  /** Queues `statement` (already started) and waits until at most one statement waits behind the running one. */
  async push(statement: Promise<T>): Promise<void> {
    // Observed in `push` or `drain`; a rejection meanwhile is not unhandled.
    statement.catch(() => {});
    this.#pending.push(statement);
    while (this.#pending.length > 1) this.#done.push(await this.#settledOnFailure(this.#pending.shift()!));
    // The statement reaches the socket only after a few promise hops (Kysely's executor and its
    // connection queue); letting every pending hop run first keeps the caller's next stretch of
    // synchronous work from holding it back.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Waits for every statement pushed; their results in the order pushed. */
  async drain(): Promise<T[]> {
    while (this.#pending.length) this.#done.push(await this.#settledOnFailure(this.#pending.shift()!));
    return this.#done.splice(0);
  }

  /** What `statement` returned; if it failed, its error, after every statement behind it has finished. */
  async #settledOnFailure(statement: Promise<T>): Promise<T> {
    try {
      return await statement;
    } catch (error) {
      await Promise.allSettled(this.#pending.splice(0));
      throw error;
    }
  }
}
