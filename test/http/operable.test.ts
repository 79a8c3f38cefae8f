/**
 * What an operator and a load balancer see: /healthz says the process is alive at once, /readyz only
 * once migrations, keys and the demo world are in place; a demo listens on this machine only.
 */
import { describe, expect, it } from 'vitest';
import { testConfig, loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';
import { openTestDatabase } from '../support/harness.ts';

describe('health and readiness', () => {
  it('answers /healthz at once and /readyz only once the server is declared ready', async () => {
    const database = await openTestDatabase();
    const server = await startServer(testConfig({ PORT: '0', HOST: '127.0.0.1' }), { database, workers: false, deferReady: true });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const before = await fetch(`${url}/readyz`);
      expect(before.status).toBe(503);
      expect(await before.json()).toEqual({ ready: false });
      server.markReady();
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      await server.stop();
      await database.close();
    }
  });
});

describe('listen address', () => {
  it('is this machine only while the demo world (documented passwords) may be seeded, unless HOST says otherwise', () => {
    expect(loadConfig({ DEMO: 'auto', NODE_ENV: 'development' }).HOST).toBe('127.0.0.1');
    expect(loadConfig({ DEMO: 'on', NODE_ENV: 'production' }).HOST).toBe('127.0.0.1');
    expect(loadConfig({ DEMO: 'auto', NODE_ENV: 'production' }).HOST).toBe('0.0.0.0');
    expect(loadConfig({ DEMO: 'auto', HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
  });
});
