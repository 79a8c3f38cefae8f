import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { testConfig } from '../../src/config.ts';
import { closeContext, createContext } from '../../src/runtime.ts';
import { bossSchemaFor, createJobQueue, type PgBossQueue } from '../../src/jobs/pgboss.ts';
import { MAIL_DELIVERY_JOB } from '../../src/mail/delivery.ts';
import { TestClock } from '../../src/lib/clock.ts';
import type { Database } from '../../src/db/index.ts';
import type { AppContext } from '../../src/context.ts';
import { openTestDatabase } from '../support/harness.ts';
import { startSmtpPeer } from '../mail/smtp-peer.ts';
import { openDatabase } from '../../src/db/index.ts';

let database: Database;
let peer: Awaited<ReturnType<typeof startSmtpPeer>>;
const contexts: AppContext[] = [];

beforeAll(async () => {
  peer = await startSmtpPeer();
  database = await openTestDatabase();
}, 60_000);

afterAll(async () => {
  const schema = (contexts[0]?.jobs as PgBossQueue | undefined)?.schema;
  for (const ctx of contexts) await closeContext(ctx, { keepDatabase: true });
  await database?.close();
  await peer?.close();
  const url = process.env.TEST_DATABASE_URL;
  if (url && schema && schema !== 'pgboss') {
    const admin = await openDatabase({ databaseUrl: url, poolSize: 1 });
    await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
  }
});

async function context(workers: boolean): Promise<AppContext> {
  const config = testConfig({ SMTP_URL: peer.url });
  const ctx = await createContext(config, { database, workers, clock: new TestClock(new Date('2026-11-22T10:00:00Z')) });
  contexts.push(ctx);
  return ctx;
}

describe('job queue', () => {
  it('keeps pg-boss in a schema of its own, derived from the database schema', async () => {
    expect(bossSchemaFor('public')).toBe('pgboss');
    expect(bossSchemaFor('t_123_abc')).toBe('t_123_abc_boss');
    const ctx = await context(false);
    const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(ctx.db);
    expect((ctx.jobs as PgBossQueue).schema).toBe(bossSchemaFor(rows[0]!.schema));
    const installed = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = ${(ctx.jobs as PgBossQueue).schema}`.execute(ctx.db);
    expect(installed.rows[0]!.n).toBe(1);
  });

  it('lets a process without workers queue jobs that a worker process then runs', async () => {
    const producer = contexts[0]!;
    const id = await producer.db.transaction().execute((trx) =>
      producer.mail.enqueue(trx, {
        to: 'later@school.example',
        language: 'en',
        template: 'email_confirmation',
        params: { displayName: 'Later', confirmUrl: 'https://sg.example/c?t=1' },
      }),
    );
    const [job] = await (producer.jobs as PgBossQueue).jobsWithData(MAIL_DELIVERY_JOB, { id });
    expect(job?.state).toBe('created');
    expect(peer.received).toEqual([]);

    const worker = await context(true);
    await vi.waitFor(
      async () => {
        const row = await worker.db.selectFrom('mail_outbox').select('status').where('id', '=', id).executeTakeFirstOrThrow();
        expect(row.status).toBe('sent');
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(peer.received.map((m) => m.to)).toEqual([['later@school.example']]);
  }, 60_000);

  it('starts once and stops idempotently', async () => {
    const queue = createJobQueue(database, contexts[0]!.log);
    await queue.stop(); // never started: nothing to do
    await Promise.all([queue.start(contexts[1]!, { workers: true }), queue.start(contexts[1]!, { workers: true })]);
    expect(queue.schema).toBe((contexts[0]!.jobs as PgBossQueue).schema);
    await queue.stop();
    await queue.stop();
    await expect(queue.sendInTransaction(database.db, MAIL_DELIVERY_JOB, { id: 'x' })).rejects.toThrow('not started');
  });

  it('leaves nothing behind that keeps a process alive after stop', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/start-stop.ts')], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    // The child never calls process.exit: it ends only when no timer or socket is left.
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(output).toContain('stopped ');
    expect(code).toBe(0);
  }, 60_000);
});
