import { join } from 'node:path';
import type { CustomerConfig } from './config.ts';
import { fetchContext, fetchFull } from './fetch.ts';
import { ParseStats, type Snapshot } from './model.ts';
import { applyRulesInto, decodeSnapshot, sourceClientFor, stateChunks, StateFormatError, type ReadoutDeps } from './run.ts';
import { storeScratch } from './scratch.ts';
import { StoreDir } from './store.ts';

/**
 * `readout explain`: for one person or group, every rule that applied and its outcome. Uses the
 * source state of the last succeeded run (what the published files were built from) and reads the
 * source live only when there has been no run yet.
 */
export async function explain(c: CustomerConfig, deps: ReadoutDeps, id: string): Promise<{ found: boolean; text: string; basis: 'last run' | 'live source' }> {
  const state = await deps.db.selectFrom('readout_state').select(['source_watermark']).where('customer_key', '=', c.key).executeTakeFirst();
  let snapshot: Snapshot;
  let basis: 'last run' | 'live source';
  let stored: Snapshot | undefined;
  // The source's records on disk, as in a run (store.ts): explaining one id on a big source needs no more memory than a run.
  const store = new StoreDir(join(c.outputDir, 'runs', `.store-explain-${process.pid}-${Date.now()}`));
  try {
    try {
      if (state) stored = await decodeSnapshot(stateChunks(deps.db, c.key, 'source_snapshot'), undefined, store);
    } catch (e) {
      // Stored by an older version: explain from the live source until the next run stores it anew.
      if (!(e instanceof StateFormatError)) throw e;
    }
    if (stored) {
      snapshot = stored;
      basis = 'last run';
    } else {
      snapshot = await fetchFull(fetchContext(c, sourceClientFor(c, deps), new ParseStats(), store));
      basis = 'live source';
    }
    return explainFrom(c, deps, id, snapshot, store, basis, stored && state ? new Date(state.source_watermark) : undefined);
  } finally {
    store.close();
  }
}

function explainFrom(
  c: CustomerConfig,
  deps: ReadoutDeps,
  id: string,
  snapshot: Snapshot,
  store: StoreDir,
  basis: 'last run' | 'live source',
  readAt: Date | undefined,
): { found: boolean; text: string; basis: 'last run' | 'live source' } {
  // The rules as a run applies them (what they build in the store), keeping only this id's verdicts.
  const r = applyRulesInto(c, snapshot, deps.clock.now(), storeScratch(store), undefined, id);
  const d = r.decisions.get(id);
  const head = `Customer ${c.key}, rules as of ${r.today} (tolerance ${c.toleranceDays} days), data from the ${basis}${readAt ? ` read at ${readAt.toISOString()}` : ''}.`;
  if (!d) {
    const known = snapshot.persons.has(id) || snapshot.groups.has(id) || snapshot.organisations.has(id);
    return {
      found: false,
      basis,
      text: `${head}\n${id}: ${known ? 'in the source, but no rule applies to it (not a student, staff member, guardian, group or school unit).' : 'not found in the source.'}\n`,
    };
  }
  const lines = [head, `${d.kind} ${d.id} (${d.name})`];
  for (const { as, verdict } of d.verdicts) {
    lines.push(`  as ${as}: ${verdict.kept ? 'KEPT' : `EXCLUDED by ${verdict.excludedBy}`}`);
    for (const c of verdict.checks) lines.push(`    ${c.ok ? '✓' : '✗'} ${c.rule}: ${c.detail}`);
  }
  if (d.kind === 'group') lines.push(d.teams?.length ? `  teams: ${d.teams.join(', ')}` : '  teams: none');
  if (d.kind === 'person') {
    const teams: string[] = [];
    for (const m of r.selection.memberships) if (m.personId === id) teams.push(`${m.teamId} (${m.role})`);
    lines.push(teams.length ? `  member of: ${teams.join(', ')}` : '  member of: no team');
  }
  return { found: true, basis, text: lines.join('\n') + '\n' };
}
