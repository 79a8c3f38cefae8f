import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import type { Database } from '../../src/db/index.ts';
import { migrate } from '../../src/db/migrate.ts';
import { generateWorld, type World } from '../../src/generator/index.ts';
import { TestClock } from '../../src/lib/clock.ts';
import { ingestBatch } from '../../src/modules/ss12000/ingest.ts';
import { openTestDatabase, useHarness } from '../support/harness.ts';
import { createApp, ensureInstitutions, grantAll, Ss12000Client } from './support.ts';

/**
 * References are stored as ids: a name the SIS copied into a reference is never shown (it may be
 * stale, or name a person the app may not see); `expandReferenceNames` names them from the store.
 */
const NUMBERS = ['330001', '330002'];
const who = { id: null, label: 'test', kind: 'system' as const };

/** A group of the world whose references carry names the SIS made up. */
function namedGroup(world: World) {
  const group = world.groups.find((g) => g.groupMemberships?.length)!;
  return {
    ...group,
    organisation: { id: group.organisation.id, displayName: 'Name from the SIS' },
    groupMemberships: group.groupMemberships!.map((m) => ({ ...m, person: { ...m.person, displayName: 'Leaked Name' } })),
  };
}

describe('reference names over the API', () => {
  const harness = useHarness();
  let world: World;
  let reader: Ss12000Client;
  beforeAll(async () => {
    const { ctx, url } = harness();
    world = generateWorld({ seed: 5, schools: 2, students: 30, institutionNumbers: NUMBERS, today: '2026-11-22' });
    await ensureInstitutions(ctx, NUMBERS);
    await ingestBatch(ctx, { upsert: world as never }, who);
    const app = await createApp(ctx, { students: ['identity'], staff: ['identity'] });
    await grantAll(ctx, app.clientId, 'students', NUMBERS);
    await grantAll(ctx, app.clientId, 'staff', NUMBERS);
    reader = new Ss12000Client(`${url}/ss12000/v2.0`, `${url}/oidc/token`, app.clientId, app.secret);
  }, 120_000);

  it('are not stored, not shown by default, and come from the store with expandReferenceNames', async () => {
    const group = namedGroup(world);
    const res = await ingestBatch(harness().ctx, { upsert: { groups: [group] } as never }, who);
    expect(res.noChange).toBe(true);
    const stored = await harness().ctx.db.selectFrom('ss12000_groups').select('body').where('id', '=', group.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.body)).not.toContain('Name from the SIS');
    expect(JSON.stringify(stored.body)).not.toContain('Leaked Name');

    const plain = await reader.get(`/groups/${group.id}`);
    expect(plain.status).toBe(200);
    expect(plain.body.organisation).toEqual({ id: group.organisation.id });
    expect(plain.body.groupMemberships.every((m: { person: object }) => !('displayName' in m.person))).toBe(true);

    const named = await reader.get(`/groups/${group.id}?expandReferenceNames=true`);
    const unit = world.organisations.find((o) => o.id === group.organisation.id)!;
    expect(named.body.organisation).toEqual({ id: unit.id, displayName: unit.displayName });
    const first = world.persons.find((p) => p.id === group.groupMemberships[0]!.person.id)!;
    expect(named.body.groupMemberships[0].person.displayName).toBe(`${first.givenName} ${first.familyName}`);
  });
});

describe('migration 0044 on data stored with named references', () => {
  let database: Database;
  let ctx: AppContext;
  beforeAll(async () => {
    database = await openTestDatabase();
    await migrate(database);
    ctx = { db: database.db, clock: new TestClock(new Date('2026-11-22T10:00:00Z')) } as unknown as AppContext;
  }, 120_000);
  afterAll(async () => database?.close());

  it('strips the names without touching meta, and re-loading the named input afterwards changes nothing', async () => {
    const world = generateWorld({ seed: 6, schools: 1, students: 12, today: '2026-11-22' });
    await ingestBatch(ctx, { upsert: world as never }, who);
    const group = namedGroup(world);
    // As an older version stored it: names in the references, the digest of that named input.
    await sql`UPDATE ss12000_groups SET body = ${JSON.stringify(group)}::jsonb, hash = 'digest-of-the-named-input' WHERE id = ${group.id}`.execute(ctx.db);
    const before = await ctx.db.selectFrom('ss12000_groups').select(['modified_at']).where('id', '=', group.id).executeTakeFirstOrThrow();

    await database.exec(readFileSync(join(import.meta.dirname, '../../src/db/migrations/0044_ss12000_reference_names.sql'), 'utf8'));
    const after = await ctx.db.selectFrom('ss12000_groups').select(['body', 'modified_at']).where('id', '=', group.id).executeTakeFirstOrThrow();
    expect(after.body.organisation).toEqual({ id: group.organisation.id });
    expect(after.body.groupMemberships).toEqual(world.groups.find((g) => g.id === group.id)!.groupMemberships);
    expect(after.body.displayName).toBe(group.displayName);
    expect(after.modified_at).toEqual(before.modified_at);

    const again = await ingestBatch(ctx, { upsert: { groups: [group] } as never }, who);
    expect(again).toMatchObject({ noChange: true, updated: { groups: 0 }, unchanged: { groups: 1 } });
  });
});
