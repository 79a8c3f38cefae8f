import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runReadout } from '../../src/readout/run.ts';
import { openWorld, readCsv, type ReadoutWorld } from './support/setup.ts';

/**
 * A broken source (401, 5xx storm, malformed page, failure mid-way) fails the run with a clear
 * message, leaves the previous output and state untouched, and the next run starts clean.
 */
describe('readout with a broken source', () => {
  let w: ReadoutWorld;
  let goodLink: string;
  let goodState: { last_run_id: string; updated_at: Date };

  const state = () =>
    w.database.db.selectFrom('readout_state').select(['last_run_id', 'updated_at']).where('customer_key', '=', 'exempel').executeTakeFirstOrThrow();
  const expectUntouched = async () => {
    expect(readlinkSync(join(w.outputDir, 'current'))).toBe(goodLink);
    expect(await state()).toEqual(goodState);
    expect(readdirSync(join(w.outputDir, 'runs')).filter((n) => n.startsWith('.staging'))).toEqual([]);
    expect(readCsv(join(w.outputDir, 'current', 'sds', 'users.csv')).rows.map((r) => r.sourcedId)).toContain('ST6');
  };

  beforeAll(async () => {
    w = await openWorld();
    const r = await runReadout(w.customer, w.deps);
    expect(r.status).toBe('succeeded');
    goodLink = readlinkSync(join(w.outputDir, 'current'));
    goodState = await state();
    // Something changed at the source that the failed runs must not lose.
    w.clock.advance(24 * 3600_000);
    w.source.remove('persons', 'ST6');
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });
  beforeEach(() => {
    w.source.inject = undefined;
  });

  it('401: wrong client secret fails with the reason', async () => {
    const r = await runReadout(w.customer, { ...w.deps, env: { EXEMPEL_SECRET: 'wrong' } });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/^source_auth_failed: token: the source refused our credentials \(HTTP 401\)/);
    await expectUntouched();
    const run = await w.database.db.selectFrom('readout_runs').selectAll().where('id', '=', r.runId).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'failed', error: r.error });
    expect(run.finished_at).not.toBeNull();
  });

  it('a secret taken from an unset environment variable fails before any request', async () => {
    const before = w.source.log.length;
    const r = await runReadout(w.customer, { ...w.deps, env: {} });
    expect(r.error).toBe('Environment variable EXEMPEL_SECRET (client secret) is not set');
    expect(w.source.log.length).toBe(before);
    await expectUntouched();
  });

  it('5xx storm: source_unavailable after the retries', async () => {
    w.source.inject = () => ({ status: 503, body: JSON.stringify({ code: 'source_unavailable', message: 'EduCloud could not reach the SIS' }) });
    const r = await runReadout(w.customer, w.deps);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/^source_unavailable: .* after 4 attempts \(last: HTTP 503 source_unavailable\)/);
    await expectUntouched();
  });

  it('malformed page: fails naming the endpoint', async () => {
    w.source.inject = ({ path, query }) => (path === '/persons' && query.has('pageToken') ? { status: 200, body: '{"dat":[]}' } : undefined);
    const r = await runReadout(w.customer, w.deps, { full: true });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/^source_malformed: \/persons: malformed page/);
    await expectUntouched();
  });

  it('a page that is not JSON at all', async () => {
    w.source.inject = ({ path }) => (path === '/groups' ? { status: 200, body: '<html>Bad gateway</html>' } : undefined);
    const r = await runReadout(w.customer, w.deps, { full: true });
    expect(r.error).toMatch(/^source_malformed: \/groups: the source sent a response that is not JSON/);
    await expectUntouched();
  });

  it('fails mid-way after several good pages', async () => {
    w.source.inject = ({ n }) => (n > 6 ? { status: 500, body: JSON.stringify({ code: 'internal', message: 'boom' }) } : undefined);
    const r = await runReadout(w.customer, w.deps, { full: true });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/source_unavailable/);
    await expectUntouched();
  });

  it('rides out short trouble: 429 with Retry-After and a few 503s', async () => {
    let trouble = 0;
    w.source.inject = ({ n }) => {
      if (n % 5 === 0 && trouble < 4) {
        trouble++;
        return trouble % 2
          ? { status: 429, body: '{}', headers: { 'retry-after': '1' } }
          : { status: 503, body: JSON.stringify({ code: 'source_unavailable', message: 'x' }) };
      }
      return undefined;
    };
    const r = await runReadout(w.customer, w.deps);
    expect(r.status).toBe('succeeded');
    expect(r.report!.source.retries).toBe(4);
    // The next run started clean from the last good state: its delta holds the change since then.
    expect(r.report!.mode).toBe('incremental');
    expect(r.report!.delta.people).toEqual({ added: 0, updated: 0, removed: 2 });
    expect(readlinkSync(join(w.outputDir, 'current'))).not.toBe(goodLink);
    expect(existsSync(join(w.outputDir, 'current', 'oneroster-delta', 'users.csv'))).toBe(true);
  });

  it('tokenAuth auto: when both client authentication methods are refused, says so for both', async () => {
    const c = { ...w.customer, source: { ...w.customer.source, tokenAuth: 'auto' as const } };
    const r = await runReadout(c, { ...w.deps, env: { EXEMPEL_SECRET: 'wrong' } });
    expect(r.error).toMatch(/^source_auth_failed: token: the source refused our credentials \(HTTP 401\).*; client_secret_basic was refused too \(HTTP 401\)$/);
  });

  it('Retry-After as an HTTP date is honoured, and bounded by maxRetryAfterSeconds', async () => {
    let sent = 0;
    w.source.inject = () => {
      if (sent++ > 1) return undefined;
      // The first asks for 3 seconds, the second for two hours.
      const at = new Date(w.clock.now().getTime() + (sent === 1 ? 3000 : 7_200_000)).toUTCString();
      return { status: 429, body: '{}', headers: { 'retry-after': at } };
    };
    w.sleeps.length = 0;
    const r = await runReadout(w.customer, w.deps, { full: true });
    expect(r.status).toBe('succeeded');
    expect(w.sleeps.slice(0, 2)).toEqual([3000, 60_000]);
  });

  it('refuses a second concurrent run of the same customer', async () => {
    await w.database.db
      .insertInto('readout_runs')
      .values({ customer_key: 'exempel', trigger: 'schedule', status: 'running', started_at: w.clock.now() })
      .execute();
    await expect(runReadout(w.customer, w.deps)).rejects.toThrow(/already in progress/);
    // A run left "running" by a dead process for hours is marked abandoned and no longer blocks.
    w.clock.advance(7 * 3600_000);
    const r = await runReadout(w.customer, w.deps);
    expect(r.status).toBe('succeeded');
    const abandoned = await w.database.db.selectFrom('readout_runs').select(['error']).where('trigger', '=', 'schedule').executeTakeFirstOrThrow();
    expect(abandoned.error).toMatch(/abandoned/);
  });
});
