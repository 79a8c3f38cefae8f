import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { insertUser } from '../../seed/builders.ts';
import { endUserAuditActor, pairwiseSub } from '../end-users/pairwise.ts';
import { buildWorld, PASSWORD, SCHOOLS, sessionsOf, type World } from '../school/test-world.ts';
import { recordAudit } from './record.ts';

const harness = useHarness();
let world: World;
const as = sessionsOf(harness);

const OP = 'op@informat.example';
const ANNA = 'anna@school.example';
const OTTO = 'otto@school.example';
const PAULA = 'paula@partner-a.example';
const BERT = 'bert@partner-b.example';
// A reason a spreadsheet would run as a formula, with a comma, quotes and a line break besides.
const EVIL_REASON = '=HYPERLINK("http://evil.example","Klim Op"), second line\nthird';
const PERSON = '7d1c3c4e-5b7a-4f5e-9a51-0c2b1d8e9f10';

/** A CSV parser written from RFC 4180 for this test (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') endCell();
    else if (ch === '\r' && text[i + 1] === '\n') {
      endCell();
      rows.push(row);
      row = [];
      i++;
    } else cell += ch;
  }
  if (cell || row.length) {
    endCell();
    rows.push(row);
  }
  return rows;
}

beforeAll(async () => {
  world = await buildWorld(harness().ctx.db);
  const clock = harness().clock;
  clock.set('2026-11-22T09:00:00Z');
  const anna = await as(ANNA);
  const put = await anna.put(`/api/v1/school/apps/${world.apps.planner}/api-access/students`, {
    institutionNumbers: [SCHOOLS.nassau, SCHOOLS.klimop],
    reason: EVIL_REASON,
  });
  expect(put.status).toBe(200);
  clock.advance(60_000);
  expect((await (await as(OP)).post(`/api/v1/operator/apps/${world.apps.submitted}/approve`, { notes: 'fine' })).status).toBe(200);
  clock.advance(60_000);
  // An end user withdraws consent for partner A's app: the row names them by partner A's pairwise sub.
  const db = harness().ctx.db;
  await db.transaction().execute(async (trx) =>
    recordAudit(trx, clock.now(), await endUserAuditActor(trx, world.partners.partnerA, PERSON), {
      action: 'consent.withdrawn',
      subjectType: 'end_user_consent',
      subjectId: 'c0a1e7b2-3d4f-4a5b-8c6d-7e8f9a0b1c2d',
      partnerId: world.partners.partnerA,
      appId: world.apps.planner,
      institutionNumbers: [SCHOOLS.nassau],
      before: { withdrawnAt: null },
      after: { withdrawnAt: clock.now().toISOString() },
    }),
  );
});

describe('the audit log in words', () => {
  it('words each entry in the language asked for, with a field diff instead of JSON', async () => {
    const op = await as(OP);
    const fr = (await op.get(`/api/v1/audit-log?lang=fr&appId=${world.apps.planner}&action=grants.replaced`)).body.data[0];
    expect(fr.sentence).toBe(
      `Anna Admin a modifié l’accès à l’API Élèves de l’application StudyPlanner pour Basisschool Klim Op (${SCHOOLS.klimop}). Motif\u202f: ${EVIL_REASON}`,
    );
    expect(fr.changes).toEqual([
      {
        field: 'institutionNumbers',
        label: 'Établissements',
        before: `Hof van Nassau (${SCHOOLS.nassau})`,
        after: `Hof van Nassau (${SCHOOLS.nassau}), Basisschool Klim Op (${SCHOOLS.klimop})`,
      },
    ]);
    expect(fr.appName).toBe('StudyPlanner');
    expect(fr.partnerName).toBe('CampusWise');
    // Accept-Language decides when lang is absent.
    const nl = (await op.get(`/api/v1/audit-log?action=app.approved`, { 'accept-language': 'de;q=1, nl-BE;q=0.8' })).body.data[0];
    expect(nl.sentence).toBe('Olga Operator heeft de app NewThing van DriesTech goedgekeurd. Reden: fine');
    expect(nl.changes).toContainEqual({ field: 'status', label: 'Status', before: 'Ingediend', after: 'Goedgekeurd' });
    // The reader's own language otherwise.
    await insertUser(harness().ctx.db, { email: 'olle@informat.example', password: PASSWORD, displayName: 'Olle', kind: 'operator', language: 'sv' });
    const olle = await as('olle@informat.example');
    const sv = (await olle.get('/api/v1/audit-log?action=app.approved', { 'accept-language': '*' })).body.data[0];
    expect(sv.sentence).toMatch(/^Olga Operator godkände appen NewThing från DriesTech\./);
    expect((await op.get('/api/v1/audit-log?lang=de')).body).toMatchObject({ status: 400, field: 'querystring.lang' });
  });

  it('names an end user to the partner only by its pairwise sub, never to another partner', async () => {
    const sub = await pairwiseSub(harness().ctx.db, world.partners.partnerA, PERSON);
    const paula = (await (await as(PAULA)).get('/api/v1/audit-log?lang=en&action=consent.withdrawn')).body.data;
    expect(paula.map((e: { sentence: string }) => e.sentence)).toEqual([
      `End user ${sub} withdrew their consent for the app StudyPlanner at Hof van Nassau (${SCHOOLS.nassau}).`,
    ]);
    expect(JSON.stringify(paula)).not.toContain(PERSON);
    expect((await (await as(BERT)).get('/api/v1/audit-log?action=consent.withdrawn')).body.data).toEqual([]);
    // The autocomplete offers partner A the end user by that sub, and partner B nothing of it.
    const actors = (await (await as(PAULA)).get('/api/v1/audit-log/suggestions?field=actor&q=end%20user')).body.data;
    expect(actors).toEqual([{ value: `End user ${sub}`, label: `End user ${sub}` }]);
    expect((await (await as(BERT)).get('/api/v1/audit-log/suggestions?field=actor&q=end%20user')).body.data).toEqual([]);
  });

  it('completes filters by name from what the reader may see, and the value filters the log', async () => {
    const op = await as(OP);
    const apps = (await op.get('/api/v1/audit-log/suggestions?field=app&q=planner')).body.data;
    expect(apps).toEqual([{ value: world.apps.planner, label: 'StudyPlanner (CampusWise)' }]);
    const byApp = (await op.get(`/api/v1/audit-log?appId=${apps[0].value}`)).body.data.map((e: { action: string }) => e.action);
    expect(byApp).toEqual(['consent.withdrawn', 'grants.replaced']);
    expect((await op.get('/api/v1/audit-log/suggestions?field=partner&q=dries')).body.data).toEqual([{ value: world.partners.partnerB, label: 'DriesTech' }]);
    const actor = (await op.get('/api/v1/audit-log/suggestions?field=actor&q=anna')).body.data;
    expect(actor).toEqual([{ value: world.users.anna, label: 'Anna Admin <anna@school.example>' }]);
    expect((await op.get(`/api/v1/audit-log?actor=${actor[0].value}`)).body.data.map((e: { action: string }) => e.action)).toEqual(['grants.replaced']);
    const schools = (await op.get('/api/v1/audit-log/suggestions?field=institution&q=klim')).body.data;
    expect(schools).toEqual([{ value: SCHOOLS.klimop, label: `Basisschool Klim Op (${SCHOOLS.klimop})` }]);
    // By number too; a school without entries is not offered.
    expect((await op.get(`/api/v1/audit-log/suggestions?field=institution&q=${SCHOOLS.klimop}`)).body.data).toEqual(schools);
    expect((await op.get('/api/v1/audit-log/suggestions?field=institution&q=regenboog')).body.data).toEqual([]);
    // LIKE wildcards are text, not patterns.
    expect((await op.get('/api/v1/audit-log/suggestions?field=app&q=%25')).body.data).toEqual([]);
  });

  it("never offers a partner another partner's apps, nor a school admin another school", async () => {
    const bert = await as(BERT);
    expect((await bert.get('/api/v1/audit-log/suggestions?field=app&q=')).body.data.map((s: { label: string }) => s.label)).toEqual(['NewThing (DriesTech)']);
    expect((await bert.get('/api/v1/audit-log/suggestions?field=partner&q=')).body.data.map((s: { label: string }) => s.label)).toEqual(['DriesTech']);
    expect((await bert.get('/api/v1/audit-log/suggestions?field=actor&q=anna')).body.data).toEqual([]);
    // Otto (Vlinder) sees none of these entries, so none of their names.
    const otto = await as(OTTO);
    for (const field of ['app', 'partner', 'institution', 'actor']) {
      expect((await otto.get(`/api/v1/audit-log/suggestions?field=${field}&q=`)).body.data, field).toEqual([]);
    }
    // Anna sees her change, but only her schools are offered.
    const anna = (await (await as(ANNA)).get('/api/v1/audit-log/suggestions?field=institution&q=')).body.data.map((s: { value: string }) => s.value);
    expect(anna.sort()).toEqual([SCHOOLS.nassau, SCHOOLS.klimop].sort());
    const bad = await bert.get('/api/v1/audit-log/suggestions?field=secret&q=x');
    expect(bad.body).toMatchObject({ status: 400, field: 'querystring.field' });
    expect((await bert.get('/api/v1/audit-log/suggestions?field=app&q=%00')).body).toMatchObject({ status: 400, field: 'querystring.q' });
    expect((await harness().client().get('/api/v1/audit-log/suggestions?field=app')).status).toBe(401);
  });

  it('exports the filtered entries as CSV with the sentence, formula cells defused', async () => {
    const op = await as(OP);
    const res = await op.get(`/api/v1/audit-log/export?lang=nl&appId=${world.apps.planner}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain('attachment');
    // (fetch's text() drops the byte order mark the server sends for spreadsheets.)
    const rows = parseCsv((res.body as string).replace(/^\uFEFF/, ''));
    expect(rows[0]).toEqual(['Wanneer (UTC)', 'Wie', 'Actie', 'Wat er gebeurde', 'App', 'Partner', 'Instellingen', 'Reden', 'Wijzigingen']);
    expect(rows.map((r) => r[2])).toEqual(['Actie', 'consent.withdrawn', 'grants.replaced']);
    const grant = rows[2]!;
    expect(grant[0]).toBe('2026-11-22T09:00:00.000Z');
    // The reason and the sentence holding it start as text would: the formula cell gets a leading quote.
    expect(grant[7]).toBe(`'${EVIL_REASON}`);
    expect(grant[3]).toBe(
      `Anna Admin heeft de toegang tot de API Leerlingen van de app StudyPlanner gewijzigd bij Basisschool Klim Op (${SCHOOLS.klimop}). Reden: ${EVIL_REASON}`,
    );
    expect(grant[6]).toBe(`Basisschool Klim Op (${SCHOOLS.klimop})`);
    expect(grant[8]).toBe(`Instellingen: Hof van Nassau (${SCHOOLS.nassau}) → Hof van Nassau (${SCHOOLS.nassau}), Basisschool Klim Op (${SCHOOLS.klimop})`);
    for (const r of rows) expect(r).toHaveLength(9);
    // No cell a spreadsheet would evaluate.
    for (const r of rows) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@]/);
  });

  it("exports for a partner only its own apps' entries, and refuses what the list refuses", async () => {
    const bert = (await (await as(BERT)).get('/api/v1/audit-log/export?lang=en')).body as string;
    const rows = parseCsv(bert.replace(/^\uFEFF/, ''));
    expect(rows.slice(1).map((r) => r[2])).toEqual(['app.approved']);
    expect(bert).not.toContain('StudyPlanner');
    const paula = parseCsv(
      ((await (await as(PAULA)).get(`/api/v1/audit-log/export?partnerId=${world.partners.partnerB}`)).body as string).replace(/^\uFEFF/, ''),
    );
    expect(paula).toHaveLength(1);
    const op = await as(OP);
    expect((await op.get('/api/v1/audit-log/export?from=yesterday')).body).toMatchObject({ status: 400, field: 'querystring.from' });
    expect((await harness().client().get('/api/v1/audit-log/export')).status).toBe(401);
    expect((await (await as('tom@school.example')).get('/api/v1/audit-log/export')).status).toBe(403);
    // Date range: only what lies inside.
    const ranged = parseCsv(
      ((await op.get('/api/v1/audit-log/export?from=2026-11-22T09:01:00Z&to=2026-11-22T09:02:00Z')).body as string).replace(/^\uFEFF/, ''),
    );
    expect(ranged.slice(1).map((r) => r[2])).toEqual(['app.approved']);
  });
});
