/**
 * The release policy (src/modules/ss12000/release.ts) is the one place that says what each field of
 * the data API releases. These checks keep everything derived from it in step: every field of the
 * entity schemas is declared (so none is served by accident or silently dropped), every filter, sort
 * key and lookup of the endpoint table is named by the policy (so a new one cannot go ungated), the
 * stored parts it derives exist as columns, ingestion drops and reports what the schemas do not know,
 * and a changed policy recomputes the stored parts at start.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { useHarness } from '../support/harness.ts';
import { endpoints } from '../../src/modules/ss12000/endpoints.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { tableOf } from '../../src/modules/ss12000/model.ts';
import { fieldsOfCategory, paramGate, partsOf, releasePolicy, sortGate } from '../../src/modules/ss12000/release.ts';
import { applyReleasePolicy } from '../../src/modules/ss12000/release-store.ts';
import { entityTypes, inputSchemas } from '../../src/modules/ss12000/schemas.ts';

const harness = useHarness();
const COMMON = ['meta.created.before', 'meta.created.after', 'meta.modified.before', 'meta.modified.after'];

describe('the release policy', () => {
  it('declares every field of every entity schema, and nothing else', () => {
    for (const type of entityTypes) {
      const schemaFields = Object.keys((inputSchemas[type] as unknown as z.ZodObject).shape).sort();
      expect(Object.keys(releasePolicy[type].fields).sort(), type).toEqual(schemaFields);
    }
  });

  it('names every filter, sort key and lookup of every endpoint', () => {
    for (const def of endpoints) {
      const policy = releasePolicy[def.type];
      const named = (kind: 'params' | 'sortkeys' | 'lookups') =>
        new Set([...Object.values(policy.fields).flatMap((f) => f.reads?.[kind] ?? []), ...(policy.scoped?.[kind] ?? [])]);
      const params = named('params');
      for (const p of Object.keys(def.params)) expect(params.has(p) || COMMON.includes(p), `${def.path} filter ${p}`).toBe(true);
      const sorts = named('sortkeys');
      for (const k of Object.keys(def.sortkeys)) expect(sorts.has(k), `${def.path} sort key ${k}`).toBe(true);
      const lookups = named('lookups');
      for (const k of Object.keys(def.lookup)) expect(lookups.has(k), `${def.path} lookup ${k}`).toBe(true);
      // … and names nothing the endpoint does not have (a typo would leave the real one ungated).
      for (const p of params) expect(p in def.params || p.startsWith('startDate') || p.startsWith('endDate'), `${def.path} names filter ${p}`).toBe(true);
      // The date fields name their sort keys once for every dated entity; not every endpoint has them all.
      for (const k of sorts) expect(k in def.sortkeys || /^(Start|End)Date(Asc|Desc)$/.test(k), `${def.path} names sort key ${k}`).toBe(true);
      for (const k of lookups) expect(k in def.lookup, `${def.path} names lookup ${k}`).toBe(true);
    }
  });

  it('gates the filters and sorts on category data by their category', () => {
    expect(paramGate('persons', 'civicNo')).toEqual(['civic_number']);
    expect(paramGate('persons', 'civicNos')).toEqual(['civic_number']);
    expect(sortGate('persons', 'CivicNoAsc')).toEqual(['civic_number']);
    expect(paramGate('placements', 'owner')).toEqual(['guardians']);
    expect(paramGate('persons', 'nameContains')).toEqual([]);
    expect(fieldsOfCategory('civic_number')).toEqual([{ entity: 'persons', field: 'civicNo' }]);
    expect(fieldsOfCategory('private_email')).toEqual([{ entity: 'persons', field: 'emails' }]);
  });

  it('tells partners and DPOs over the catalog what each category releases and what a marking withholds', async () => {
    const res = await harness().client().get('/api/v1/catalog/data-categories');
    expect(res.status).toBe(200);
    const byCode = Object.fromEntries(res.body.data.map((c: { code: string; fields: unknown[] }) => [c.code, c.fields]));
    expect(byCode.civic_number).toEqual([{ entity: 'persons', field: 'civicNo', withheldUnder: ['Skyddad folkbokföring', 'Sekretessmarkering'] }]);
    expect(byCode.private_email).toEqual([{ entity: 'persons', field: 'emails', withheldUnder: ['Skyddad folkbokföring', 'Sekretessmarkering'] }]);
    expect(byCode.identity).toEqual(
      expect.arrayContaining([{ entity: 'persons', field: 'eduPersonPrincipalNames', withheldUnder: ['Skyddad folkbokföring'] }]),
    );
  });

  it('says in the data API’s OpenAPI what releases each member', async () => {
    const res = await harness().client().get('/ss12000/v2.0/openapi.json');
    expect(res.status).toBe(200);
    const person = res.body.components.schemas.Person.properties;
    expect(person.civicNo['x-release']).toEqual({ by: 'category', category: 'civic_number', withheldUnder: ['Skyddad folkbokföring', 'Sekretessmarkering'] });
    expect(person.eduPersonPrincipalNames['x-release']).toEqual({ by: 'always', withheldUnder: ['Skyddad folkbokföring'] });
    expect(person.givenName['x-release']).toEqual({ by: 'always' });
    expect(person.civicNo.description).toContain('civic_number');
  });

  it('has a stored column for every part it derives', async () => {
    const { ctx } = harness();
    for (const type of entityTypes) {
      const rows = await sql<{ column_name: string }>`
        SELECT column_name FROM information_schema.columns WHERE table_name = ${tableOf[type]} AND column_name LIKE 'json\\_%'`.execute(ctx.db);
      expect(rows.rows.map((r) => r.column_name).sort(), type).toEqual(
        partsOf(type)
          .map((p) => p.column)
          .sort(),
      );
    }
  });

  it('ingestion drops members the schemas do not know and says which to the loader', async () => {
    const { ctx } = harness();
    const org = { id: randomUUID(), displayName: 'Okänd', organisationType: 'Skolenhet', organisationCode: '491234', roomCount: 12 };
    const person = {
      id: randomUUID(),
      givenName: 'Ada',
      familyName: 'Lind',
      healthNote: 'allergy',
      enrolments: [{ enroledAt: { id: org.id }, schoolType: 'GR', startDate: '2026-08-18', lockerCode: '1234' }],
    };
    const result = await ingestBatch(ctx, { upsert: { organisations: [org], persons: [person] } }, { id: null, label: 'test', kind: 'system' });
    expect(result.unknownMembers).toEqual({ organisations: { roomCount: 1 }, persons: { healthNote: 1, 'enrolments[].lockerCode': 1 } });
    const stored = await sql<{ body: Record<string, unknown>; json_core: string }>`SELECT body, json_core FROM ss12000_persons WHERE id = ${person.id}`.execute(
      ctx.db,
    );
    expect(stored.rows[0]!.body).not.toHaveProperty('healthNote');
    expect(stored.rows[0]!.json_core).not.toContain('healthNote');
  });

  it('recomputes every stored part at start when the policy changed, and not otherwise', async () => {
    const { ctx } = harness();
    const id = randomUUID();
    await ingestBatch(
      ctx,
      { upsert: { syllabuses: [{ id, schoolType: 'GR', subjectName: 'Slöjd', official: true }] } },
      { id: null, label: 'test', kind: 'system' },
    );
    await sql`UPDATE ss12000_syllabuses SET json_core = '{"id":"stale"}' WHERE id = ${id}`.execute(ctx.db);
    expect(await applyReleasePolicy(ctx.database)).toBe(0);
    await sql`UPDATE ss12000_release_state SET policy_digest = 'an older policy'`.execute(ctx.db);
    expect(await applyReleasePolicy(ctx.database)).toBeGreaterThan(0);
    const row = await sql<{ json_core: string }>`SELECT json_core FROM ss12000_syllabuses WHERE id = ${id}`.execute(ctx.db);
    expect(JSON.parse(row.rows[0]!.json_core)).toMatchObject({ id, subjectName: 'Slöjd' });
  });
});
