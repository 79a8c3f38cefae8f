/**
 * The SS 12000 data API's query parameters: the zod schemas generated from the endpoint table
 * (unit tests), what real clients send (leniency where the spec allows it, strictness where it
 * protects), a property that nothing a client can send is a 5xx, and an OpenAPI that lists every
 * parameter of every endpoint (the oracle walks the endpoint table, not openapi.ts).
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { endpoints, type EndpointDef } from '../../src/modules/ss12000/endpoints.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { ApiError } from '../../src/http/errors.ts';
import {
  decodeQuery,
  listParams,
  MAX_QUERY_LENGTH,
  MAX_VALUES,
  parseDeletedRequest,
  parseListRequest,
  parseLookupBody,
  parseOptions,
} from '../../src/modules/ss12000/query.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

const harness = useHarness();
const NUMBERS = ['340001', '340002'];
const SYSTEM = { id: null, label: 'test loader', kind: 'system' as const };
const UUID = '6f1c1d8e-2a0b-4c59-9b0e-7d3c2a1b0f9e';
const def = (path: string) => endpoints.find((e) => e.path === path)!;

/** The error a parser throws, as the client sees it. */
function refusal(f: () => unknown): { status: number; code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return { status: e.status, code: e.code, message: e.message };
    throw e;
  }
  throw new Error('accepted');
}

describe('the generated query schemas', () => {
  it('parse every parameter of the endpoint table by its kind', () => {
    const sample: Record<string, string> = {
      uuid: UUID.toUpperCase(),
      'uuid[]': `${UUID},${UUID.toUpperCase()}`,
      string: 'x',
      'string[]': 'a,b',
      date: '2026-02-28',
      datetime: '2026-02-28T10:00:00+01:00',
      boolean: 'TRUE',
    };
    for (const e of endpoints) {
      for (const [name, p] of Object.entries(e.params)) {
        const raw = p.kind.startsWith('enum') ? p.values![0]! : sample[p.kind]!;
        const { query } = parseListRequest(e, `${encodeURIComponent(name)}=${encodeURIComponent(raw)}`);
        const value = query.filters[name];
        if (p.kind === 'uuid') expect(value).toBe(UUID);
        if (p.kind === 'uuid[]') expect(value).toEqual([UUID]);
        if (p.kind === 'string[]') expect(value).toEqual(['a', 'b']);
        if (p.kind === 'datetime') expect(value).toBe('2026-02-28T09:00:00.000Z');
        if (p.kind === 'enum[]') expect(value).toEqual([raw]);
      }
    }
  });

  it('read booleans in any case and as 1/0, trim integers, cap limit, and read a date-time without offset as UTC', () => {
    const persons = def('persons');
    for (const [raw, want] of [
      ['true', true],
      ['True', true],
      ['TRUE', true],
      ['1', true],
      ['false', false],
      ['False', false],
      ['0', false],
      [' true ', true],
    ] as const)
      expect(parseOptions(persons, `expandReferenceNames=${encodeURIComponent(raw)}`).expandReferenceNames, raw).toBe(want);
    expect(refusal(() => parseOptions(persons, 'expandReferenceNames=yes')).code).toBe('invalid_parameter');
    expect(parseListRequest(persons, 'limit=50%20').limit).toBe(50);
    expect(parseListRequest(persons, 'limit=%2050').limit).toBe(50);
    expect(parseListRequest(persons, 'limit=5000').limit).toBe(1000);
    expect(refusal(() => parseListRequest(persons, 'limit=0')).code).toBe('invalid_parameter');
    expect(refusal(() => parseListRequest(persons, 'limit=1.5')).code).toBe('invalid_parameter');
    expect(parseListRequest(persons, 'meta.modified.after=2026-01-01T10:00:00').query.filters['meta.modified.after']).toBe('2026-01-01T10:00:00.000Z');
    expect(parseListRequest(persons, 'meta.modified.after=2026-01-01t10:00:00%2B0100').query.filters['meta.modified.after']).toBe('2026-01-01T09:00:00.000Z');
    // Any moment, however written (UTC with or without milliseconds, an offset), is the same filter.
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1, 0, 1) + 86_400_000, max: Date.UTC(9999, 11, 30) }), fc.integer({ min: -14, max: 14 }), (ms, hours) => {
        const moment = new Date(ms);
        const pad = (n: number, w = 2) => String(n).padStart(w, '0');
        const local = new Date(ms + hours * 3_600_000);
        const wall = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}`;
        const offset = `${hours < 0 ? '-' : '+'}${pad(Math.abs(hours))}:00`;
        const iso = `${pad(moment.getUTCFullYear(), 4)}-${pad(moment.getUTCMonth() + 1)}-${pad(moment.getUTCDate())}T${pad(moment.getUTCHours())}:${pad(moment.getUTCMinutes())}:${pad(moment.getUTCSeconds())}.${pad(moment.getUTCMilliseconds(), 3)}Z`;
        for (const written of [iso, `${wall}${offset}`, iso.toLowerCase(), iso.replace(/Z$/, '000Z')]) {
          expect(parseListRequest(persons, `meta.modified.after=${encodeURIComponent(written)}`).query.filters['meta.modified.after'], written).toBe(iso);
        }
      }),
    );
    expect(refusal(() => parseListRequest(persons, 'meta.modified.after=2026-02-30T10:00:00.000Z')).code).toBe('invalid_parameter');
    // Valid ISO 8601, but not dates PostgreSQL takes: a 400, not a 500.
    expect(refusal(() => parseListRequest(def('groups'), 'startDate.onOrAfter=0000-01-01')).code).toBe('invalid_parameter');
    expect(refusal(() => parseListRequest(persons, 'meta.created.after=9999-12-31T23:00:00-05:00')).code).toBe('invalid_parameter');
  });

  it('refuse NUL, lone surrogates and malformed percent-encoding in any parameter, naming it', () => {
    for (const e of endpoints) {
      for (const name of Object.keys(e.params)) {
        for (const bad of ['%00', 'a%00b', '%ED%A0%80', '%ud800', '%', '%zz', '%C3']) {
          const r = refusal(() => parseListRequest(e, `${encodeURIComponent(name)}=${bad}`));
          expect(r.status, `${e.path} ${name}=${bad}`).toBe(400);
          expect(r.code).toBe('invalid_parameter');
          expect(r.message, `${e.path} ${name}=${bad}`).toContain(name);
        }
      }
    }
    expect(refusal(() => parseListRequest(def('persons'), 'pageToken=%00')).message).toContain('pageToken');
    expect(refusal(() => parseOptions(def('persons'), 'expand%ED%A0%80=duties')).code).toBe('invalid_parameter');
    expect(decodeQuery('a=x+y&a[]=%C3%A5&b')).toEqual(
      new Map([
        ['a', ['x y', 'å']],
        ['b', ['']],
      ]),
    );
  });

  it('property: a percent-encoded value is its bytes read as UTF-8, and refused when they are not UTF-8', () => {
    // The oracle: the bytes behind the escapes, read by a strict UTF-8 decoder that keeps a byte order mark.
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), fc.boolean(), (bytes, upper) => {
        const escaped = [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
        let expected: string | undefined;
        try {
          expected = strict.decode(bytes);
        } catch {
          expected = undefined;
        }
        const query = `v=${upper ? escaped.toUpperCase() : escaped}`;
        if (expected === undefined) expect(() => decodeQuery(query)).toThrow(ApiError);
        else expect(decodeQuery(query).get('v')).toEqual([expected]);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (text) => {
        expect(decodeQuery(`v=${encodeURIComponent(text)}`).get('v')).toEqual([text]);
        // '+' is a space, '%2B' a plus.
        expect(decodeQuery(`v=${encodeURIComponent(text).replaceAll('%20', '+')}`).get('v')).toEqual([text]);
      }),
    );
    expect(decodeQuery('v=%EF%BB%BFa').get('v')).toEqual(['\ufeffa']);
  });

  it('bound values, lists and the query itself with stable codes', () => {
    const persons = def('persons');
    expect(refusal(() => parseListRequest(persons, `civicNo=${'1'.repeat(201)}`))).toMatchObject({
      code: 'invalid_parameter',
      message: expect.stringContaining('civicNo'),
    });
    expect(refusal(() => parseListRequest(persons, 'civicNo=1&civicNo=2'))).toMatchObject({
      code: 'invalid_parameter',
      message: expect.stringContaining('only once'),
    });
    expect(refusal(() => parseListRequest(persons, 'civicNo='))).toMatchObject({ code: 'invalid_parameter', message: expect.stringContaining('civicNo') });
    const many = Array.from({ length: MAX_VALUES + 1 }, (_, i) => `n${i}`).join(',');
    expect(refusal(() => parseListRequest(persons, `nameContains=${many}`))).toMatchObject({
      code: 'invalid_parameter',
      message: expect.stringContaining('nameContains'),
    });
    expect(refusal(() => parseListRequest(persons, `nameContains=${'a'.repeat(MAX_QUERY_LENGTH)}`)).code).toBe('query_too_long');
    expect(refusal(() => parseListRequest(persons, 'colour=blue'))).toMatchObject({ code: 'unknown_parameter', message: expect.stringContaining('colour') });
    expect(refusal(() => parseOptions(def('syllabuses'), 'expand=x')).code).toBe('unknown_parameter');
  });

  it('accept a pageToken with limit, expand, expandReferenceNames and its own filters; refuse other filters or values', () => {
    const persons = def('persons');
    const token = Buffer.from(
      JSON.stringify({
        v: 1,
        e: 'persons',
        q: { filters: { nameContains: ['an', 'e'] }, sortkey: 'FamilyNameAsc', expand: [], expandReferenceNames: false },
        l: 5,
        k: ['Berg', UUID],
      }),
    ).toString('base64url');
    const same = parseListRequest(persons, `pageToken=${token}&nameContains=e,an&sortkey=FamilyNameAsc&limit=7&expand=duties&expandReferenceNames=1`);
    expect(same).toEqual({
      query: { filters: { nameContains: ['an', 'e'] }, sortkey: 'FamilyNameAsc', expand: ['duties'], expandReferenceNames: true },
      limit: 7,
      after: ['Berg', UUID],
    });
    expect(parseListRequest(persons, `pageToken=${token}`).limit).toBe(5);
    for (const q of ['nameContains=an', 'nameContains=an,e,o', 'civicNo=1', 'sortkey=GivenNameAsc'])
      expect(refusal(() => parseListRequest(persons, `pageToken=${token}&${q}`)).code, q).toBe('page_token_with_filters');
  });

  it('refuse forged page tokens whose values PostgreSQL would refuse', () => {
    const persons = def('persons');
    const forge = (t: object) => Buffer.from(JSON.stringify(t)).toString('base64url');
    const base = { v: 1, e: 'persons', q: { filters: {}, sortkey: 'FamilyNameAsc', expand: [], expandReferenceNames: false }, l: 5, k: ['Berg', UUID] };
    for (const t of [
      { ...base, k: ['a\u0000b', UUID] },
      { ...base, k: ['\ud800', UUID] },
      { ...base, l: 1.5 },
      { ...base, q: { ...base.q, filters: { nameContains: ['\u0000'] } } },
      { ...base, q: { ...base.q, filters: { civicNo: 'x'.repeat(300) } } },
      { ...base, q: { ...base.q, sortkey: 'ModifiedDesc' }, k: ['2026-99-99 10:00:00+00', UUID] },
      { ...base, e: 'groups', q: { ...base.q, sortkey: 'StartDateAsc' }, k: ['0000-01-01', UUID] },
    ]) {
      const endpoint = t.e === 'groups' ? def('groups') : persons;
      expect(refusal(() => parseListRequest(endpoint, `pageToken=${forge(t)}`)).code, JSON.stringify(t)).toBe('invalid_page_token');
    }
    const names = ['Person', 'Group'];
    expect(refusal(() => parseDeletedRequest(`pageToken=${forge({ e: 'deletedEntities', k: '9'.repeat(19) })}`, names)).code).toBe('invalid_page_token');
    const deleted = forge({ e: 'deletedEntities', k: '42', a: '2026-01-01T00:00:00.000Z', n: ['Person'] });
    expect(parseDeletedRequest(`pageToken=${deleted}&after=2026-01-01T01:00:00%2B01:00&entities=Person&limit=3`, names)).toEqual({
      after: '2026-01-01T00:00:00.000Z',
      entities: ['Person'],
      fromId: '42',
      limit: 3,
    });
    expect(refusal(() => parseDeletedRequest(`pageToken=${deleted}&entities=Group`, names)).code).toBe('page_token_with_filters');
  });

  it('parse lookup bodies: arrays of strings PostgreSQL can hold, at most 1000 keys', () => {
    const persons = def('persons');
    expect(parseLookupBody(persons, { ids: [UUID.toUpperCase()], civicNos: ['19990101-1234'] })).toEqual({
      ids: [UUID],
      keys: { civicNos: ['19990101-1234'] },
    });
    for (const [body, name] of [
      [{ civicNos: ['a\u0000'] }, 'civicNos'],
      [{ civicNos: ['\udc00'] }, 'civicNos'],
      [{ ids: ['x'] }, 'ids'],
      [{ ids: 'x' }, 'ids'],
      [{ colour: [] }, 'colour'],
    ] as const) {
      expect(
        refusal(() => parseLookupBody(persons, body)),
        JSON.stringify(body),
      ).toMatchObject({ code: 'invalid_body', message: expect.stringContaining(name) });
    }
    expect(refusal(() => parseLookupBody(persons, { ids: Array(1001).fill(UUID) })).code).toBe('lookup_too_large');
    expect(refusal(() => parseLookupBody(def('organisations'), [])).code).toBe('invalid_body');
  });
});

// ---------------------------------------------------------------------------------------------
// Through the real HTTP server

let world: World;
let token: string;
let c: Ss12000Client;

/** A GET with the path sent exactly as given: malformed percent-encoding and all. */
function rawGet(path: string, headers: Record<string, string> = { authorization: `Bearer ${token}` }): Promise<{ status: number; text: string }> {
  const url = new URL(harness().url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method: 'GET', path: `/ss12000/v2.0${path}`, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A 4xx body is the spec's `{code, message}`; a 5xx is a failure. */
function expectClientAnswer(res: { status: number; text: string }, what: string) {
  expect(res.status, `${what} → ${res.status} ${res.text}`).toBeLessThan(500);
  if (res.status >= 400) {
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(typeof body.code, `${what} → ${res.text}`).toBe('string');
    expect(typeof body.message, `${what} → ${res.text}`).toBe('string');
  }
}

beforeAll(async () => {
  const { ctx, url } = harness();
  world = generateWorld({ seed: 11, schools: 2, students: 40, institutionNumbers: NUMBERS, today: '2026-11-22' });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, SYSTEM);
  const all = ['identity', 'civic_number', 'birth_date', 'sex', 'addresses', 'phone_numbers', 'private_email', 'photo', 'guardians'];
  const app = await createApp(ctx, { students: all, staff: all });
  await grantAll(ctx, app.clientId, 'students', NUMBERS);
  await grantAll(ctx, app.clientId, 'staff', NUMBERS);
  // The property tests send thousands of requests; the rate limit is tested in api.test.ts.
  await ctx.db.insertInto('ss12000_rate_limits').values({ app_id: app.appId, requests_per_minute: 1_000_000 }).execute();
  c = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
  token = await c.fetchToken();
}, 60_000);

describe('the data API, as clients send their queries', () => {
  it('answers 400 invalid_parameter, naming the parameter, for NUL and invalid code points in every string parameter', async () => {
    const strings = endpoints.flatMap((e) =>
      Object.entries(e.params)
        .filter(([, p]) => p.kind === 'string' || p.kind === 'string[]')
        .map(([name]) => [e.path, name] as const),
    );
    expect(strings.map(([, n]) => n)).toEqual(
      expect.arrayContaining([
        'nameContains',
        'schoolUnitCode',
        'organisationCode',
        'municipalityCode',
        'civicNo',
        'eduPersonPrincipalName',
        'identifier.value',
        'identifier.context',
        'code',
      ]),
    );
    for (const [path, name] of strings) {
      for (const bad of ['%00', 'Berg%00', '%ED%A0%80', '%ud800']) {
        const res = await rawGet(`/${path}?${encodeURIComponent(name)}=${bad}`);
        expect(res.status, `${path}?${name}=${bad} → ${res.text}`).toBe(400);
        const body = JSON.parse(res.text);
        expect(body.code).toBe('invalid_parameter');
        expect(body.message).toContain(name);
      }
    }
  });

  it('reads booleans in any case, trimmed integers, and a pageToken resent with its own query', async () => {
    for (const v of ['True', 'TRUE', '1', 'False', '0']) expect((await c.get(`/organisations?expandReferenceNames=${v}`)).status, v).toBe(200);
    expect((await c.get('/organisations?limit=50%20')).status).toBe(200);
    const huge = await rawGet(`/persons?nameContains=${'a'.repeat(MAX_QUERY_LENGTH)}`);
    expect(huge.status).toBe(400);
    expect(JSON.parse(huge.text).code).toBe('query_too_long');
    // Beyond what Node reads at all, the refusal before routing has the same shape.
    const beyond = await rawGet(`/persons?nameContains=${'a'.repeat(20_000)}`);
    expect(beyond.status).toBe(431);
    expect(Object.keys(JSON.parse(beyond.text)).sort()).toEqual(['code', 'message', 'requestId']);
    const q = 'groupType=Klass,Undervisning&sortkey=DisplayNameAsc';
    const first = await c.get(`/groups?${q}&limit=3`);
    expect(first.body.pageToken).toBeTruthy();
    const bare = await c.get(`/groups?pageToken=${first.body.pageToken}`);
    const resent = await c.get(`/groups?${q}&limit=3&expandReferenceNames=true&pageToken=${first.body.pageToken}`);
    expect(resent.status).toBe(200);
    expect(resent.body.data.map((g: { id: string }) => g.id)).toEqual(bare.body.data.map((g: { id: string }) => g.id));
    for (const other of ['groupType=Klass', 'groupType=Klass,Undervisning,Mentor', 'organisation=' + UUID, 'sortkey=ModifiedDesc']) {
      const res = await c.get(`/groups?${other}&pageToken=${first.body.pageToken}`);
      expect(res.status, other).toBe(400);
      expect(res.body.code, other).toBe('page_token_with_filters');
    }
    // The same for /deletedEntities: its token carries `after` and `entities`.
    await ingestBatch(harness().ctx, { delete: { syllabuses: world.syllabuses.slice(0, 3).map((s) => s.id) } }, SYSTEM);
    const since = 'after=2000-01-01T00:00:00Z&entities=Syllabus';
    const page1 = await c.get(`/deletedEntities?${since}&limit=2`);
    expect(page1.body.data.syllabuses).toHaveLength(2);
    const page2 = await c.get(`/deletedEntities?${since}&limit=2&pageToken=${page1.body.pageToken}`);
    expect(page2.status).toBe(200);
    expect(page2.body.data.syllabuses).toHaveLength(1);
    const moved = await c.get(`/deletedEntities?after=2001-01-01T00:00:00Z&pageToken=${page1.body.pageToken}`);
    expect(moved.body.code).toBe('page_token_with_filters');
  });

  it('answers path ids it cannot use with {code, message}, never a 5xx', async () => {
    for (const id of ['%00', '%ED%A0%80', '%ud800', '%', 'x'.repeat(300), `${UUID}%00`]) {
      for (const path of [`/persons/${id}`, `/groups/${id}?expand=assignmentRoles`]) {
        const res = await rawGet(path);
        expectClientAnswer(res, path);
        expect(res.status, path).toBeGreaterThanOrEqual(400);
      }
    }
  });

  /**
   * What a fuzzer sends as one value: text, any bytes percent-encoded, or pieces of the syntax, some
   * not ASCII (refused before routing, in the same error shape).
   */
  const valueArb = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }).map((s) => encodeURIComponent(s.replace(/\p{Cs}/gu, '\ufffd'))),
    fc.uint8Array({ maxLength: 24 }).map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')),
    fc.string({
      unit: fc.constantFrom('%', '0', 'd', '8', 'u', 'E', 'D', 'A', '+', ',', '=', '&', '[', ']', '-', ':', 'T', 'Z', '#', '?', '/', '\\', 'é', 'ÿ', '\u0080'),
      maxLength: 16,
    }),
    fc.constantFrom(
      UUID,
      '2026-01-01',
      '2026-01-01T00:00:00Z',
      'true',
      'True',
      '1',
      '50%20',
      '0000-01-01',
      '9999-12-31T23:59:59-05:00',
      'Klass',
      encodeURIComponent('Lärare'),
      '',
      '%00',
      '%ED%A0%80',
      '%ud800',
    ),
    fc.tuple(fc.constantFrom(UUID, 'Klass', '2026-01-01'), fc.constantFrom('%00', '%ED%A0%80', '%20', ',', 'x')).map(([a, b]) => a + b),
  );

  it('property: no value of any parameter of any endpoint is a 5xx, and every 4xx is {code, message}', async () => {
    const token = (await c.get('/persons?limit=2&sortkey=FamilyNameAsc')).body.pageToken as string;
    const targets = endpoints.flatMap((e: EndpointDef) => {
      const list = listParams(e).map((p) => p.name);
      return [
        ...list.map((p) => ({ path: `/${e.path}`, param: p })),
        { path: `/${e.path}/${world.persons[0]!.id}`, param: 'expandReferenceNames' },
        { path: `/${e.path}/${UUID}`, param: e.expand.length ? 'expand' : 'expandReferenceNames' },
      ];
    });
    targets.push(...['after', 'entities', 'limit', 'pageToken'].map((param) => ({ path: '/deletedEntities', param })));
    // Free-text parameters go to PostgreSQL as text: they get a third of the runs.
    const texts = endpoints.flatMap((e) =>
      Object.entries(e.params)
        .filter(([, p]) => p.kind.startsWith('string'))
        .map(([param]) => ({ path: `/${e.path}`, param })),
    );
    const arb = fc.record({
      target: fc.oneof({ arbitrary: fc.constantFrom(...targets), weight: 2 }, { arbitrary: fc.constantFrom(...texts), weight: 1 }),
      values: fc.array(valueArb, { minLength: 1, maxLength: 3 }),
      brackets: fc.boolean(),
      extra: fc.option(fc.constantFrom(`pageToken=${token}`, 'limit=2', 'colour=x', '%00=1', '&&', 'expand'), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ target, values, brackets, extra }) => {
        const key = encodeURIComponent(target.param) + (brackets ? '[]' : '');
        const query = [...values.map((v) => `${key}=${v}`), ...(extra ? [extra] : [])].join('&');
        const res = await rawGet(`${target.path}?${query}`);
        expectClientAnswer(res, `${target.path}?${query}`);
        expect(res.status).not.toBe(429);
      }),
      { numRuns: 500 },
    );
  });

  it('property: no page token a client can forge is a 5xx', async () => {
    // Mostly well-formed tokens with one odd value, so that the odd value reaches the checks behind the shape.
    const often = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: usual, weight: 5 }, { arbitrary: odd, weight: 1 });
    const sorted: [string, string | undefined][] = [
      ['persons', 'FamilyNameAsc'],
      ['persons', 'ModifiedDesc'],
      ['groups', 'StartDateAsc'],
      ['organisations', 'DisplayNameAsc'],
      ['persons', undefined],
      ['persons', 'Nope'],
    ];
    const forged = fc
      .record({
        v: often(fc.constant(1), fc.jsonValue({ maxDepth: 1 })),
        es: fc.constantFrom(...sorted),
        filters: often(
          fc.constant({}),
          fc.dictionary(fc.constantFrom('nameContains', 'civicNo', 'parent', 'meta.created.after', 'groupType', 'x'), fc.jsonValue({ maxDepth: 2 })),
        ),
        expand: often(fc.constant([]), fc.constantFrom(['duties'], ['x'], 'x')),
        expandReferenceNames: often(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
        l: often(fc.integer({ min: 1, max: 1000 }), fc.oneof(fc.integer({ min: -1, max: 2000 }), fc.double())),
        k0: fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.constantFrom('2026-99-99 99:00:00', '0000-01-01', '2026-01-01 10:00:00+00', '\u0000', 'a\u0000', UUID),
        ),
        k1: often(fc.constant(UUID), fc.constant('x')),
      })
      .map(({ v, es: [e, sortkey], filters, expand, expandReferenceNames, l, k0, k1 }) => ({
        v,
        e,
        q: { filters, sortkey, expand, expandReferenceNames },
        l,
        k: [k0, k1],
      }));
    await fc.assert(
      fc.asyncProperty(forged, async (t) => {
        const raw = Buffer.from(JSON.stringify(t)).toString('base64url');
        const res = await rawGet(`/${t.e}?pageToken=${raw}`);
        expectClientAnswer(res, JSON.stringify(t));
      }),
      { numRuns: 300 },
    );
  });

  it('property: no lookup body is a 5xx, and every 4xx is {code, message}', async () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('\u0000', 'a\u0000', '\ud800', UUID, ''));
    const bodies = endpoints.map((e) => ({ e, keys: ['ids', ...Object.keys(e.lookup), 'colour'] }));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodies),
        fc.dictionary(fc.string(), fc.anything()),
        fc.array(text, { maxLength: 4 }),
        fc.nat(),
        async ({ e, keys }, junk, values, i) => {
          const body = i % 3 === 0 ? junk : { [keys[i % keys.length]!]: values };
          const res = await c.request('POST', `/${e.path}/lookup`, body);
          expect(res.status, `${e.path} ${JSON.stringify(body)}`).toBeLessThan(500);
          if (res.status >= 400) expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'requestId']);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("the data API's OpenAPI", () => {
  /** What each operation must document, worked out from the endpoint table alone. */
  function expectedParams(e: EndpointDef): Record<string, { enum?: readonly string[]; list: boolean }> {
    const out: Record<string, { enum?: readonly string[]; list: boolean }> = {};
    for (const [name, p] of Object.entries(e.params)) out[name] = { enum: p.values, list: p.kind.endsWith('[]') };
    for (const name of ['meta.created.before', 'meta.created.after', 'meta.modified.before', 'meta.modified.after']) out[name] = { list: false };
    if (e.dated) for (const name of ['startDate.onOrBefore', 'startDate.onOrAfter', 'endDate.onOrBefore', 'endDate.onOrAfter']) out[name] = { list: false };
    if (e.expand.length) out.expand = { enum: e.expand, list: true };
    out.expandReferenceNames = { list: false };
    out.sortkey = { enum: Object.keys(e.sortkeys), list: false };
    out.limit = { list: false };
    out.pageToken = { list: false };
    return out;
  }

  it('lists every parameter of every endpoint with its type, enum values, description and gating categories', async () => {
    const doc = (await (await fetch(`${harness().url}/ss12000/v2.0/openapi.json`)).json()) as any;
    const checkParams = (where: string, documented: any[], expected: Record<string, { enum?: readonly string[]; list: boolean }>) => {
      expect(
        documented
          .filter((p) => p.in === 'query')
          .map((p) => p.name)
          .sort(),
        where,
      ).toEqual(Object.keys(expected).sort());
      for (const p of documented.filter((x) => x.in === 'query')) {
        const want = expected[p.name]!;
        const schema = want.list ? p.schema.items : p.schema;
        if (want.list) expect(p, `${where} ${p.name}`).toMatchObject({ schema: { type: 'array' }, style: 'form', explode: true });
        expect(typeof schema.type, `${where} ${p.name}`).toBe('string');
        if (want.enum) expect(schema.enum, `${where} ${p.name}`).toEqual([...want.enum]);
        expect(p.description.length, `${where} ${p.name}`).toBeGreaterThan(10);
        expect(Array.isArray(p['x-data-categories']), `${where} ${p.name}`).toBe(true);
      }
    };
    const errorRef = (op: any, status: number) => op.responses[status]?.content?.['application/json']?.schema?.$ref;
    expect(doc.components.schemas.Error).toMatchObject({
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    });
    for (const e of endpoints) {
      const list = doc.paths[`/${e.path}`]?.get;
      const one = doc.paths[`/${e.path}/{id}`]?.get;
      const lookup = doc.paths[`/${e.path}/lookup`]?.post;
      expect(list && one && lookup, e.path).toBeTruthy();
      checkParams(`GET /${e.path}`, list.parameters, expectedParams(e));
      const options = { ...(e.expand.length ? { expand: { enum: e.expand, list: true } } : {}), expandReferenceNames: { list: false } };
      checkParams(`GET /${e.path}/{id}`, one.parameters, options);
      checkParams(`POST /${e.path}/lookup`, lookup.parameters, options);
      expect(one.parameters.find((p: any) => p.in === 'path')).toMatchObject({ name: 'id', required: true, schema: { format: 'uuid' } });
      const body = lookup.requestBody.content['application/json'].schema;
      expect(Object.keys(body.properties).sort(), e.path).toEqual(['ids', ...Object.keys(e.lookup)].sort());
      for (const [key, prop] of Object.entries(body.properties as Record<string, any>)) {
        expect(prop.type, `${e.path} lookup ${key}`).toBe('array');
        expect(prop.description.length).toBeGreaterThan(3);
        expect(Array.isArray(prop['x-data-categories'])).toBe(true);
      }
      for (const [op, statuses] of [
        [list, [400, 401, 403, 429]],
        [one, [400, 401, 403, 404, 429]],
        [lookup, [400, 401, 403, 429]],
      ] as const)
        for (const status of statuses) expect(errorRef(op, status), `${e.path} ${status}`).toBe('#/components/schemas/Error');
      const sortkey = list.parameters.find((p: any) => p.name === 'sortkey');
      expect(Object.keys(sortkey['x-data-categories-per-value']).sort()).toEqual(Object.keys(e.sortkeys).sort());
    }
    const deleted = doc.paths['/deletedEntities'].get;
    expect(deleted.parameters.map((p: any) => p.name).sort()).toEqual(['after', 'entities', 'limit', 'pageToken']);
    expect(deleted.parameters.find((p: any) => p.name === 'entities').schema.items.enum).toEqual(
      expect.arrayContaining(['Person', 'Organisation', 'StudyPlan']),
    );
    // What reaches a civic number is gated by the civic_number category, wherever it is searched or sorted.
    const persons = doc.paths['/persons'].get.parameters;
    expect(persons.find((p: any) => p.name === 'civicNo')['x-data-categories']).toContain('civic_number');
    expect(persons.find((p: any) => p.name === 'sortkey')['x-data-categories-per-value'].CivicNoAsc).toContain('civic_number');
    expect(doc.paths['/persons/lookup'].post.requestBody.content['application/json'].schema.properties.civicNos['x-data-categories']).toContain('civic_number');
    // Identifiers that reach a person outside the school never find a person with protected identity (DOMAIN §4).
    for (const name of ['civicNo', 'eduPersonPrincipalName', 'identifier.value'])
      expect(persons.find((p: any) => p.name === name)['x-withheld-under'], name).toContain('Skyddad folkbokföring');
  });
});
