/**
 * Leniency where the spec allows it, strictness where it protects (issue 17, point 1), as the
 * third-party clients that tried Schoolgate send their requests:
 * - the token request as multipart/form-data (IST's EduCloud samples), and a token response that
 *   names the granted scope;
 * - the natural paging loop — the same parameters plus `pageToken` on every page, `expand`,
 *   `expandReferenceNames=True` and a padded `limit` included — through every list endpoint that
 *   has an `expand`;
 * - a property: any casing of true/false and any whitespace around an integer parse as the canonical
 *   value, the very filter a page token encodes is accepted in another notation, and a different
 *   filter with a page token stays a 400 `page_token_with_filters`.
 */
import fc from 'fast-check';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { endpoints } from '../../src/modules/ss12000/endpoints.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { ApiError } from '../../src/http/errors.ts';
import { encodeToken, parseListRequest } from '../../src/modules/ss12000/query.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

const harness = useHarness();
const NUMBERS = ['370001', '370002'];
let world: World;
let app: { clientId: string; secret: string; appId: string };
let c: Ss12000Client;

beforeAll(async () => {
  const { ctx, url } = harness();
  world = generateWorld({ seed: 23, schools: 2, students: 40, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'test loader', kind: 'system' });
  const all = ['identity', 'civic_number', 'birth_date', 'sex', 'addresses', 'phone_numbers', 'private_email', 'photo', 'guardians'];
  app = await createApp(ctx, { students: all, staff: all });
  await grantAll(ctx, app.clientId, 'students', NUMBERS);
  await grantAll(ctx, app.clientId, 'staff', NUMBERS);
  await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: app.appId, requests_per_minute: 1_000_000 }).execute();
  c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
}, 120_000);

/** POST /oidc/token with a FormData body: fetch writes it as multipart/form-data with its boundary. */
async function multipartToken(fields: Record<string, string | Blob>, headers: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await fetch(`${harness().url}/oidc/token`, { method: 'POST', body: form, headers });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: JSON.parse(text) as Record<string, any> };
}

describe('the token endpoint', () => {
  it('takes multipart/form-data as IST EduCloud samples send it (secret in the body or as HTTP Basic), and the token reads the data API', async () => {
    const inBody = await multipartToken({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.secret });
    expect(inBody.status, JSON.stringify(inBody.body)).toBe(200);
    expect(inBody.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'data' });
    expect(decodeJwt(inBody.body.access_token).scope).toBe('data');
    const basic = `Basic ${Buffer.from(`${app.clientId}:${app.secret}`).toString('base64')}`;
    const viaBasic = await multipartToken({ grant_type: 'client_credentials', scope: 'data' }, { authorization: basic });
    expect(viaBasic.status).toBe(200);
    for (const token of [inBody.body.access_token, viaBasic.body.access_token]) {
      const res = await fetch(`${c.baseUrl}/organisations?limit=1`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    }
  });

  it('names the granted scope for a form-urlencoded request without one too', async () => {
    const res = await fetch(`${harness().url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.secret }),
    });
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.scope).toBe('data');
    expect(decodeJwt(body.access_token).scope).toBe('data');
  });

  it('refuses what it cannot use as OAuth errors: a wrong secret, a file part, a broken multipart body, another content type', async () => {
    const wrong = await multipartToken({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: `${app.secret}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    const file = await multipartToken({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: new Blob([app.secret]) });
    expect(file.status).toBe(400);
    expect(file.body.error).toBe('invalid_request');
    expect(file.body.error_description).toContain('client_secret');
    const broken = await fetch(`${harness().url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_cred',
    });
    expect(broken.status).toBe(400);
    expect((await broken.json()).error).toBe('invalid_request');
    const huge = await multipartToken({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: 'x'.repeat(100_000) });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toBe('invalid_request');
    const json = await fetch(`${harness().url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.secret }),
    });
    expect(json.status).toBe(400);
    expect((await json.json()).error).toBe('invalid_request');
  });
});

describe('the natural paging loop', () => {
  it('re-sends every parameter plus pageToken through each list endpoint with expand, and gets the pages a bare token gets', async () => {
    // /calendarEvents (it needs its startTime window, and this world has no timetable): test/ss12000/timetable.test.ts;
    // /attendanceEvents (this world has no attendance): test/ss12000/attendance.test.ts and the conformance crawl.
    const withExpand = endpoints.filter((d) => d.expand.length > 0 && d.path !== 'calendarEvents' && d.path !== 'attendanceEvents');
    expect(withExpand.map((d) => d.path).sort()).toEqual(['activities', 'duties', 'groups', 'persons', 'placements']);
    let embedded = 0;
    for (const def of withExpand) {
      // What a generated client sends on every page: its whole query, the token added from page 2 on.
      const query = `expand=${def.expand.join(',')}&expandReferenceNames=True&limit=${encodeURIComponent(' 7 ')}&meta.modified.after=2000-01-01T00:00:00Z`;
      const natural: unknown[][] = [];
      const bare: unknown[][] = [];
      let res = await c.get(`/${def.path}?${query}`);
      let bareRes = res;
      for (;;) {
        expect(res.status, `${def.path} page ${natural.length + 1}: ${JSON.stringify(res.body)}`).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(7);
        natural.push(res.body.data);
        bare.push(bareRes.body.data);
        if (!res.body.pageToken) break;
        expect(bareRes.body.pageToken).toBeTruthy();
        const token = encodeURIComponent(res.body.pageToken);
        res = await c.get(`/${def.path}?${query}&pageToken=${token}`);
        bareRes = await c.get(`/${def.path}?pageToken=${encodeURIComponent(bareRes.body.pageToken)}`);
      }
      expect(natural.length, `${def.path}: more than one page`).toBeGreaterThan(1);
      expect(natural, def.path).toEqual(bare);
      const ids = natural.flat().map((i) => (i as { id: string }).id);
      expect(new Set(ids).size, `${def.path}: no entity twice`).toBe(ids.length);
      // Every entity the client may see, read without expand in pages of 50.
      const all = await c.crawl(`/${def.path}`, 50);
      expect(ids.sort()).toEqual(all.items.map((i: { id: string }) => i.id).sort());
      embedded += natural.flat().filter((i) => (i as { _embedded?: object })._embedded).length;
    }
    // The expansions came along on the pages (not only on the first).
    expect(embedded).toBeGreaterThan(0);
  });
});

describe('query parameters, as a property', () => {
  const padding = fc.array(fc.constantFrom(' ', '\t'), { maxLength: 3 }).map((a) => a.join(''));
  const enc = (s: string) => encodeURIComponent(s);
  const lists = endpoints.filter((d) => Object.keys(d.sortkeys).length > 0);

  it('reads any casing of true/false (and 1/0) and whitespace around integers as the canonical value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...lists),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 5000 }),
        padding,
        padding,
        fc.boolean(),
        (def, value, asDigit, limit, before, after, plus) => {
          const word = asDigit ? (value ? '1' : '0') : value ? 'true' : 'false';
          // A random casing of the word, padded; spaces sometimes written as '+' (form encoding).
          const cased = [...word].map((ch, i) => ((limit >> i) & 1 ? ch.toUpperCase() : ch)).join('');
          const encode = (s: string) => (plus ? enc(s).replace(/%20/g, '+') : enc(s));
          const lenient = parseListRequest(def, `expandReferenceNames=${encode(before + cased + after)}&limit=${encode(after + String(limit) + before)}`);
          const canonical = parseListRequest(def, `expandReferenceNames=${value}&limit=${limit}`);
          expect(lenient).toEqual(canonical);
          expect(canonical.query.expandReferenceNames).toBe(value);
          expect(canonical.limit).toBe(Math.min(limit, 1000));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts the very filter a page token encodes in any notation of it, and refuses a different one with page_token_with_filters', () => {
    const persons = endpoints.find((d) => d.path === 'persons')!;
    const id = '6f1c1d8e-2a0b-4c59-9b0e-7d3c2a1b0f9e';
    const moment = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(moment, moment, fc.integer({ min: -12, max: 12 }), fc.boolean(), (a, b, offsetHours, lower) => {
        const first = parseListRequest(persons, `meta.modified.after=${a.toISOString()}&expand=duties`);
        const token = encodeToken({ v: 1, e: 'persons', q: first.query, l: 5, k: [id, id] });
        // The same moment written with another offset, maybe in lower case: the same filter.
        const local = new Date(a.getTime() + offsetHours * 3_600_000).toISOString().slice(0, 23);
        const sign = offsetHours < 0 ? '-' : '+';
        let other = `${local}${sign}${String(Math.abs(offsetHours)).padStart(2, '0')}:00`;
        if (lower) other = other.toLowerCase();
        const same = parseListRequest(
          persons,
          `meta.modified.after=${enc(other)}&expand=duties,placements&expandReferenceNames=TRUE&limit=%209&pageToken=${token}`,
        );
        expect(same.query.filters).toEqual(first.query.filters);
        expect(same).toMatchObject({ limit: 9, after: [id, id], query: { expand: ['duties', 'placements'], expandReferenceNames: true } });
        // A different moment, or a filter the token does not carry: 400.
        const refused = (q: string) => {
          try {
            parseListRequest(persons, `${q}&pageToken=${token}`);
          } catch (e) {
            return e instanceof ApiError ? `${e.status} ${e.code}` : String(e);
          }
          return 'accepted';
        };
        if (b.getTime() !== a.getTime()) expect(refused(`meta.modified.after=${b.toISOString()}`)).toBe('400 page_token_with_filters');
        expect(refused(`meta.modified.before=${b.toISOString()}`)).toBe('400 page_token_with_filters');
      }),
      { numRuns: 200 },
    );
  });

  it('over HTTP: a different filter with the token of a real page is a 400 in the {code, message, requestId} shape', async () => {
    const first = await c.get('/groups?groupType=Klass&expand=assignmentRoles&limit=2');
    expect(first.body.pageToken).toBeTruthy();
    const token = encodeURIComponent(first.body.pageToken);
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(['Undervisning', 'Mentor', 'Klass', 'Personalgrupp'], { minLength: 1 }),
        fc.constantFrom('true', 'True', 'FALSE', '1'),
        async (types, names) => {
          const res = await c.get(`/groups?groupType=${types.join(',')}&expand=assignmentRoles&expandReferenceNames=${names}&limit=2&pageToken=${token}`);
          if (types.length === 1 && types[0] === 'Klass') expect(res.status).toBe(200);
          else {
            expect(res.status).toBe(400);
            expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'requestId']);
            expect(res.body.code).toBe('page_token_with_filters');
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
