import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { runReadout, storeBlob, type StateBlob } from '../../src/readout/run.ts';
import { openWorld, storedBlob, type ReadoutWorld } from './support/setup.ts';

/**
 * The publish stores the state's blobs part after part (~2 MB a statement): a blob of several parts
 * must be stored whole and in order, after what the column holds (a change log follows the stored
 * snapshot), in the publish transaction, for each column. The readout's worlds in the other tests
 * fit in one part.
 */
describe('storing a state blob', () => {
  const worlds: ReadoutWorld[] = [];
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.close();
  });

  it('appends parts larger than a statement, in order, to each column, in one transaction', async () => {
    const w = await openWorld();
    worlds.push(w);
    w.clock.advance(3600_000);
    expect((await runReadout(w.customer, w.deps)).error).toBeUndefined();
    const db = w.database.db;
    const read = (column: StateBlob) => storedBlob(w, column);
    // Distinct bytes per part (1.5 MB each: each starts a statement of its own), so any reordering shows.
    const part = (n: number) => Buffer.alloc(1_500_000, n);
    const before = await read('source_snapshot');
    await db.transaction().execute(async (trx) => {
      await storeBlob(trx, w.customer.key, 'source_snapshot', [part(1), part(2), part(3)]);
      await sql`update readout_state set published_rows = ''::bytea where customer_key = ${w.customer.key}`.execute(trx);
      await storeBlob(trx, w.customer.key, 'published_rows', [part(4), Buffer.from('tail')]);
    });
    expect((await read('source_snapshot')).equals(Buffer.concat([before, part(1), part(2), part(3)]))).toBe(true);
    expect((await read('published_rows')).equals(Buffer.concat([part(4), Buffer.from('tail')]))).toBe(true);
  });
});
