import { Agent, request as httpRequest } from 'node:http';
import { cpus } from 'node:os';
import { sql } from 'kysely';
import { openBenchWorld } from './_world.ts';
import { ingestBatch } from '../src/modules/ss12000/ingest.ts';
import { insertApp, insertClient, insertGrant, insertPartner, insertUser } from '../src/seed/builders.ts';
import { spawnServer, waitUntilReady } from '../test/pg/server-process.ts';

/**
 * Soak (issue 12): one Schoolgate process on the local PostgreSQL under a steady mix for a long time,
 * reported per window so that a leak or a slow drift shows:
 *  - SS 12000 reads (three of every four requests): pages of /persons, /groups?expand=assignmentRoles
 *    and /duties of an app granted half the schools;
 *  - client-credentials token requests (one in eight);
 *  - management writes (one in eight): a partner member creates a draft app through /api/v1.
 * Per window: requests, errors (anything but the expected 2xx; a transport error counts too),
 * p50/p99. Per minute: the server's RSS. Goals: 0 errors, p99 stable across windows, RSS growth at
 * most 5 % after the first window.
 *
 * Env: SOAK_MINUTES (30), SOAK_WINDOW_MINUTES (5), BENCH_CONNECTIONS (64), BENCH_SCHOOLS (40) and
 * BENCH_STUDENTS (12,000) for the world (smaller than the api bench's: the soak is about time, not
 * size), BENCH_DATABASE_URL.
 */
export async function run(): Promise<void> {
  const minutes = Number(process.env.SOAK_MINUTES ?? 30);
  const windowMinutes = Number(process.env.SOAK_WINDOW_MINUTES ?? 5);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
  if (!(minutes > 0) || !(windowMinutes > 0)) throw new Error('SOAK_MINUTES and SOAK_WINDOW_MINUTES: positive numbers');
  process.env.BENCH_SCHOOLS ??= '40';
  process.env.BENCH_STUDENTS ??= '12000';
  const bench = await openBenchWorld('schoolgate_bench_soak');
  const { ctx } = bench;
  try {
    await ingestBatch(ctx, { upsert: bench.world as never }, { id: null, label: 'bench', kind: 'system' });
    await sql`VACUUM ANALYZE`.execute(ctx.db);
    const password = 'soak password 1';
    const member = await insertUser(ctx.db, { email: 'soak@partner.example', password, displayName: 'Soak', kind: 'partner' });
    const partnerId = await insertPartner(ctx.db, { name: 'Soak partner', contactEmail: 'soak@partner.example', memberUserIds: [member] });
    const appId = await insertApp(ctx.db, {
      partnerId,
      name: 'Soak app',
      status: 'approved',
      apis: [
        { apiCode: 'students', dataCategories: ['identity', 'birth_date', 'guardians'], purpose: 'soak' },
        { apiCode: 'staff', dataCategories: ['identity'], purpose: 'soak' },
      ],
    });
    const client = await insertClient(ctx.db, { appId, name: 'Soak app' });
    for (const n of bench.institutionNumbers.filter((_, i) => i % 2 === 0)) {
      await insertGrant(ctx.db, { clientId: client.clientId, apiCode: 'students', institutionNumber: n });
      await insertGrant(ctx.db, { clientId: client.clientId, apiCode: 'staff', institutionNumber: n });
    }
    await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: appId, requests_per_minute: 1_000_000_000 }).execute();

    const server = await spawnServer({ DATABASE_URL: bench.databaseUrl, NODE_ENV: 'production', LOG_LEVEL: 'warn' });
    try {
      await waitUntilReady(server);
      const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
      const tokenOf = async () => {
        const res = await fetch(`${server.url}/oidc/token`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        });
        return ((await res.json()) as { access_token: string }).access_token;
      };
      let bearer = `Bearer ${await tokenOf()}`;
      // The partner member's session (cookie and CSRF token) for the writes.
      const login = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'soak@partner.example', password }),
      });
      if (login.status !== 200) throw new Error(`partner sign-in: ${login.status}`);
      const cookie = login.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const csrf = ((await login.json()) as { csrfToken: string }).csrfToken;

      const agent = new Agent({ keepAlive: true, maxSockets: connections });
      const target = new URL(server.url);
      const reads = ['/ss12000/v2.0/persons?limit=100', '/ss12000/v2.0/groups?limit=100&expand=assignmentRoles', '/ss12000/v2.0/duties?limit=100'];
      type Kind = 'read' | 'token' | 'write';
      type Sample = { at: number; ms: number; ok: boolean; kind: Kind };
      const samples: Sample[] = [];
      const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
        new Promise<{ status: number; body: string }>((ok) => {
          const req = httpRequest({ host: target.hostname, port: target.port, method, path, headers, agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
            res.on('error', () => ok({ status: 0, body: '' }));
          });
          req.on('error', () => ok({ status: 0, body: '' }));
          req.end(body);
        });
      let n = 0;
      const one = async () => {
        const i = n++;
        const t = performance.now();
        let ok: boolean;
        const kind: Kind = i % 8 === 7 ? 'token' : i % 8 === 3 ? 'write' : 'read';
        if (kind === 'token') {
          const r = await send(
            'POST',
            '/oidc/token',
            { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
            'grant_type=client_credentials',
          );
          ok = r.status === 200;
          // Readers move to the newest token now and then, as clients do before theirs expires.
          if (ok && i % 64 === 63) bearer = `Bearer ${(JSON.parse(r.body) as { access_token: string }).access_token}`;
        } else if (kind === 'write') {
          const r = await send(
            'POST',
            '/api/v1/partner/apps',
            { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
            JSON.stringify({ name: `Soak draft ${i}`, contactEmail: 'apps@partner.example' }),
          );
          ok = r.status === 201 || r.status === 200;
        } else {
          const r = await send('GET', reads[i % reads.length]!, { authorization: bearer });
          ok = r.status === 200;
        }
        samples.push({ at: t, ms: performance.now() - t, ok, kind });
      };
      const start = performance.now();
      const end = start + minutes * 60_000;
      const rss: { minute: number; mib: number }[] = [];
      const rssTimer = setInterval(
        () => rss.push({ minute: Math.round((performance.now() - start) / 60_000), mib: Math.round((server.rss() ?? 0) / 1048576) }),
        60_000,
      );
      // A closed loop of `connections` workers, each sending its next request when the last is answered.
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (performance.now() < end) await one();
        }),
      );
      clearInterval(rssTimer);
      rss.push({ minute: minutes, mib: Math.round((server.rss() ?? 0) / 1048576) });
      agent.destroy();

      const windows = Math.ceil(minutes / windowMinutes);
      console.log(
        `\nSoak on PostgreSQL: ${minutes} min at ${connections} connections (3/4 SS 12000 reads, 1/8 tokens, 1/8 partner writes); ` +
          `world ${bench.schools} schools / ${bench.students} students; ${cpus().length} CPUs shared by server, PostgreSQL and load generator`,
      );
      console.log(
        `${'window'.padEnd(14)} ${'requests'.padStart(9)} ${'req/s'.padStart(7)} ${'errors'.padStart(7)} ${'p50'.padStart(7)} ${'p99'.padStart(8)}   p50 / p99 by kind: reads, tokens, writes`,
      );
      const p99s: number[] = [];
      for (let w = 0; w < windows; w++) {
        const from = start + w * windowMinutes * 60_000;
        const to = Math.min(end, from + windowMinutes * 60_000);
        const inWindow = samples.filter((s) => s.at >= from && s.at < to);
        const quantiles = (list: Sample[]) => {
          const ms = list.map((s) => s.ms).sort((a, b) => a - b);
          return (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0);
        };
        const at = quantiles(inWindow);
        // Per kind, so that a drift shows where it is (a table that grows under one of them).
        const byKind = (['read', 'token', 'write'] as const)
          .map((k) => {
            const q = quantiles(inWindow.filter((s) => s.kind === k));
            return `${q(0.5)} / ${q(0.99)}`;
          })
          .join(', ');
        p99s.push(at(0.99));
        console.log(
          `${`${w * windowMinutes}–${Math.min(minutes, (w + 1) * windowMinutes)} min`.padEnd(14)} ${String(inWindow.length).padStart(9)} ${String(Math.round(inWindow.length / ((to - from) / 1000))).padStart(7)} ${String(inWindow.filter((s) => !s.ok).length).padStart(7)} ${`${at(0.5)} ms`.padStart(7)} ${`${at(0.99)} ms`.padStart(8)}   ${byKind} ms`,
        );
      }
      console.log(`server RSS per minute (MiB): ${rss.map((r) => `${r.minute}: ${r.mib}`).join(', ')}`);
      const afterFirst = rss.find((r) => r.minute >= windowMinutes)?.mib;
      const last = rss.at(-1)!.mib;
      if (afterFirst) console.log(`RSS growth after the first window: ${(((last - afterFirst) / afterFirst) * 100).toFixed(1)} % (goal ≤ 5 %)`);
      console.log(`errors in all: ${samples.filter((s) => !s.ok).length} of ${samples.length} (goal 0); p99 per window: ${p99s.join(', ')} ms`);
    } finally {
      await server.stop();
    }
  } finally {
    await bench.close();
  }
}
