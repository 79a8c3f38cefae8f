/**
 * A page of /persons in id order for a small scope is found from the granted units' side (issue 16,
 * `visiblePersonIdsSql` in src/modules/ss12000/present.ts) rather than by walking every person. A
 * relation can outlive its person (a stored placement or duty still naming a deleted person); such
 * a relation must neither cut a page short nor hide anyone behind it.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { useHarness } from '../support/harness.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

const harness = useHarness();
const NUMBERS = ['380001', '380002', '380003', '380004'];
let world: World;

beforeAll(async () => {
  const { ctx } = harness();
  world = generateWorld({ seed: 41, schools: 4, students: 60, institutionNumbers: NUMBERS, today: new Date().toISOString().slice(0, 10) });
  await ensureInstitutions(ctx, NUMBERS);
  await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'test loader', kind: 'system' });
}, 120_000);

describe('persons pages of a small scope', () => {
  it('are the visible persons in id order, also beside relations that outlived their person', async () => {
    const { ctx } = harness();
    const app = await createApp(ctx, { students: ['identity', 'guardians'], staff: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', [NUMBERS[0]!]);
    await grantAll(ctx, app.clientId, 'staff', [NUMBERS[0]!]);
    const c = new Ss12000Client(`${harness().url}/ss12000/v2.0`, `${harness().url}/oidc/token`, app.clientId, app.secret);
    const ids = async () => (await c.crawl('/persons', 7)).items.map((p: { id: string }) => p.id);
    const before = await ids();
    expect(before.length).toBeGreaterThan(14);
    expect([...before].sort()).toEqual(before);

    // Relations of persons that do not exist, at the granted unit: one before every visible person,
    // one inside the first page and one on the edge of the second.
    const unit = world.organisations.find((o) => o.organisationCode === NUMBERS[0])!.id;
    const known = new Set(world.persons.map((p) => p.id));
    const beside = (id: string) => {
      for (const d of '0123456789abcdef') {
        const ghost = `${id.slice(0, -1)}${d}`;
        if (!known.has(ghost)) return ghost;
      }
      throw new Error('no free id');
    };
    const ghosts = ['00000000-0000-4000-8000-000000000000', beside(before[2]!), beside(before[7]!)];
    const source = randomUUID();
    for (const ghost of ghosts) {
      await sql`INSERT INTO ss12000_person_relations (person_id, kind, organisation_id, source_type, source_id)
                VALUES (${ghost}::uuid, 'enrolment', ${unit}::uuid, 'placements', ${source}::uuid)`.execute(ctx.db);
    }
    expect(await ids()).toEqual(before);
  });
});
