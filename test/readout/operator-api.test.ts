import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseReadoutConfig } from '../../src/readout/config.ts';
import { runReadout } from '../../src/readout/run.ts';
import { insertUser } from '../../src/seed/builders.ts';
import { useHarness } from '../support/harness.ts';

/** Each readout run is recorded and visible to the operator in the API. */
const harness = useHarness();
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  const { ctx } = harness();
  await insertUser(ctx.db, { email: 'op@schoolgate.test', password: PASSWORD, displayName: 'Operator', kind: 'operator', emailVerified: true });
  await insertUser(ctx.db, { email: 'partner@example.test', password: PASSWORD, displayName: 'Partner', kind: 'partner', emailVerified: true });
  // One failed run (nothing listens at the token URL) recorded through the readout itself.
  const customer = parseReadoutConfig({
    customers: [
      {
        key: 'exempel',
        source: { baseUrl: 'http://127.0.0.1:9/source/v2.0', tokenUrl: 'http://127.0.0.1:9/token', clientId: 'x', clientSecret: 'y', maxRetries: 0 },
        outputDir: mkdtempSync(join(tmpdir(), 'readout-op-')),
      },
    ],
  }).customers[0]!;
  const r = await runReadout(customer, { db: ctx.db, clock: harness().clock, sleep: async () => {} });
  expect(r.status).toBe('failed');
}, 60_000);

describe('GET /api/v1/operator/readout/runs', () => {
  it('shows the operator start, end, status and error of each run', async () => {
    const op = harness().client();
    expect((await op.login('op@schoolgate.test', PASSWORD)).status).toBe(200);
    const res = await op.get('/api/v1/operator/readout/runs?customer=exempel');
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0]).toMatchObject({
      customer: 'exempel',
      trigger: 'cli',
      status: 'failed',
      mode: null,
      startedAt: '2026-11-22T10:00:00.000Z',
      finishedAt: '2026-11-22T10:00:00.000Z',
      outputPath: null,
    });
    expect(res.body.data[0].error).toMatch(
      /^source_unavailable: token: source unavailable at http:\/\/127\.0\.0\.1:9\/token after 1 attempts \(last: network error/,
    );
  });

  it('refuses others and bad filters', async () => {
    expect((await harness().client().get('/api/v1/operator/readout/runs')).status).toBe(401);
    const partner = harness().client();
    expect((await partner.login('partner@example.test', PASSWORD)).status).toBe(200);
    expect((await partner.get('/api/v1/operator/readout/runs')).status).toBe(403);
    const op = harness().client();
    await op.login('op@schoolgate.test', PASSWORD);
    const bad = await op.get('/api/v1/operator/readout/runs?limit=0');
    expect(bad.status).toBe(400);
  });
});
