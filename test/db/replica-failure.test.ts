/**
 * Which failures of a read on the replica are the replica's (the primary is asked instead) and which
 * are the statement's own (the same on the primary: not retried). Real errors where this machine can
 * make them (a refused connection, a server that hangs up, a bad statement); the SQLSTATEs a standby
 * sends while shutting down, starting or in a recovery conflict from PostgreSQL's error-code table.
 * The replica itself, stopped and restarted under readers: test/pg/read-replica.test.ts.
 */
import { createServer, type AddressInfo } from 'node:net';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.ts';
import { replicaFailure } from '../../src/db/replica.ts';
import { openTestDatabase } from '../support/harness.ts';
import { freePort } from '../pg/server-process.ts';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
}, 120_000);
afterAll(async () => database?.close());

const failureOf = async (run: () => Promise<unknown>) => {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
};

const withCode = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('replicaFailure', () => {
  it('says unreachable for a refused connection and for a server that hangs up', async () => {
    const port = await freePort();
    const refused = await failureOf(() => new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/x` }).connect());
    expect(replicaFailure(refused)).toBe('unreachable');

    const hangUp = createServer((socket) => socket.destroy());
    await new Promise<void>((ok) => hangUp.listen(0, '127.0.0.1', ok));
    try {
      const { port: p } = hangUp.address() as AddressInfo;
      const ended = await failureOf(() => new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${p}/x` }).connect());
      expect(replicaFailure(ended), String(ended)).toBe('unreachable');
    } finally {
      hangUp.close();
    }
  });

  it('says unreachable for a server shutting down, starting, out of connections or losing the connection', () => {
    for (const [code, message] of [
      ['57P01', 'terminating connection due to administrator command'],
      ['57P02', 'terminating connection because of crash of another server process'],
      ['57P03', 'the database system is not yet accepting connections'],
      ['53300', 'sorry, too many clients already'],
      ['08006', 'connection failure'],
      ['08P01', 'protocol violation'],
    ]) {
      expect(replicaFailure(withCode(code!, message!)), code).toBe('unreachable');
    }
  });

  it('says conflict for a statement cancelled to replay WAL', () => {
    expect(replicaFailure(withCode('40001', 'canceling statement due to conflict with recovery'))).toBe('conflict');
    expect(replicaFailure(withCode('40P01', 'canceling statement due to conflict with recovery'))).toBe('conflict');
  });

  it("leaves the statement's own errors alone: they would fail on the primary too", async () => {
    const syntax = await failureOf(() => sql`SELEC 1`.execute(database.db));
    expect(replicaFailure(syntax)).toBeUndefined();
    const division = await failureOf(() => sql`SELECT 1 / 0`.execute(database.db));
    expect(replicaFailure(division)).toBeUndefined();
    expect(replicaFailure(withCode('57014', 'canceling statement due to statement timeout'))).toBeUndefined();
    expect(replicaFailure(withCode('25006', 'cannot execute INSERT in a read-only transaction'))).toBeUndefined();
    expect(replicaFailure(new Error('something else'))).toBeUndefined();
    expect(replicaFailure('not an error')).toBeUndefined();
  });
});
