import { emptySnapshot, ENTITIES, ParseStats, PARSERS, trimPerson, type EntityName, type Person, type RecordMap, type Snapshot } from './model.ts';

/** What the customer opted in to: persons are trimmed to it as they are read. */
export interface OptIn {
  address: boolean;
  civicNo: boolean;
}
import { SourceError, type QueryValue, type SourceClient } from './source.ts';

/** The list endpoint and first-request filters per entity. */
const ENDPOINTS: Record<EntityName, { path: string; params: Record<string, QueryValue>; deleted: string; endpoint: string }> = {
  // Only school units and the levels above them matter; a source that ignores the filter is filtered by the rules.
  organisations: { path: '/organisations', params: {}, deleted: 'organisations', endpoint: 'Organisation' },
  persons: { path: '/persons', params: {}, deleted: 'persons', endpoint: 'Person' },
  duties: { path: '/duties', params: {}, deleted: 'duties', endpoint: 'Duty' },
  groups: { path: '/groups', params: {}, deleted: 'groups', endpoint: 'Group' },
  activities: { path: '/activities', params: { expand: ['syllabus'] }, deleted: 'activitites', endpoint: 'Activity' },
  syllabuses: { path: '/syllabuses', params: {}, deleted: 'syllabuses', endpoint: 'Syllabus' },
};

async function readAll<K extends EntityName>(
  client: SourceClient,
  entity: K,
  stats: ParseStats,
  into: Snapshot[K],
  optIn: OptIn,
  extra: Record<string, QueryValue> = {},
): Promise<number> {
  const e = ENDPOINTS[entity];
  const parse = PARSERS[entity] as (raw: unknown, stats: ParseStats) => { id: string } | undefined;
  let n = 0;
  for await (const page of client.pages(e.path, { ...e.params, ...extra })) {
    for (const raw of page) {
      let rec = parse(raw, stats);
      if (rec && entity === 'persons') rec = trimPerson(rec as Person, optIn);
      if (rec) {
        (into as RecordMap<{ id: string }>).set(rec.id, rec);
        n++;
      }
    }
  }
  return n;
}

/** Reads every entity the rules need, in full. */
export async function fetchFull(client: SourceClient, stats: ParseStats, optIn: OptIn): Promise<Snapshot> {
  const snap = emptySnapshot();
  for (const entity of ENTITIES) await readAll(client, entity, stats, snap[entity], optIn);
  return snap;
}

export interface IncrementalResult {
  snapshot: Snapshot;
  changed: Record<EntityName, number>;
  deleted: Record<EntityName, number>;
}

/**
 * Applies what changed since `after` to the previous snapshot: `meta.modified.after` per entity,
 * then `/deletedEntities`. Returns undefined when the source does not support either (a 400 for
 * the filter, a 404/405/501 for the endpoint); the caller then reads everything and diffs.
 */
export async function fetchIncremental(
  client: SourceClient,
  stats: ParseStats,
  previous: Snapshot,
  after: Date,
  optIn: OptIn,
): Promise<IncrementalResult | undefined> {
  const afterIso = after.toISOString();
  const changed = {} as Record<EntityName, number>;
  const deleted = {} as Record<EntityName, number>;
  try {
    for (const entity of ENTITIES) changed[entity] = await readAll(client, entity, stats, previous[entity], optIn, { 'meta.modified.after': afterIso });
    const gone = await client.deletedSince(
      afterIso,
      ENTITIES.map((e) => ENDPOINTS[e].endpoint),
    );
    for (const entity of ENTITIES) {
      const ids = [...(gone.get(ENDPOINTS[entity].deleted) ?? []), ...(entity === 'activities' ? (gone.get('activities') ?? []) : [])];
      deleted[entity] = 0;
      for (const id of ids) if (previous[entity].delete(id)) deleted[entity]++;
    }
  } catch (e) {
    if (e instanceof SourceError && (e.code === 'source_filter_unsupported' || (e.code === 'source_http_error' && [404, 405, 501].includes(e.status ?? 0)))) {
      return undefined;
    }
    throw e;
  }
  return { snapshot: previous, changed, deleted };
}
