import {
  emptySnapshot,
  ENTITIES,
  ParseStats,
  PARSERS,
  trimPerson,
  type EntityName,
  type MapFactory,
  type ParseOptions,
  type Person,
  type RecordMap,
  type Snapshot,
} from './model.ts';
import { SourceError, type QueryValue, type SourceClient } from './source.ts';
import type { Warnings } from './warnings.ts';

/** What the customer opted in to: persons are trimmed to it as they are read. */
export interface OptIn {
  address: boolean;
  civicNo: boolean;
  /** Not an opt-in, but like one it shapes what is stored: a state read with another course field is read again. */
  courseField?: string;
}

/** Everything a read needs besides the source: tolerant-parse counters, opt-ins, parse choices, warnings. */
export interface FetchContext {
  client: SourceClient;
  stats: ParseStats;
  optIn: OptIn;
  parse: ParseOptions;
  warnings: Warnings;
  /** Where records are kept as they are read (a run's store on disk); default: the heap. */
  store?: MapFactory;
}

/** The read context of one customer's run. */
export function fetchContext(
  c: { exportAddress: boolean; exportCivicNo: boolean; mapping: { courseField: string } },
  client: SourceClient,
  stats: ParseStats,
  store?: MapFactory,
): FetchContext {
  return {
    store,
    client,
    stats,
    optIn: { address: c.exportAddress, civicNo: c.exportCivicNo, courseField: c.mapping.courseField },
    parse: { courseField: c.mapping.courseField },
    warnings: client.warnings,
  };
}

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

/**
 * What a run can do without an entity whose endpoint the source does not have (404/405/501). Schools
 * and persons are not optional: without them every file would be empty and the target systems would
 * delete everyone, so a missing /organisations or /persons still fails the run.
 */
const WITHOUT: Partial<Record<EntityName, string[]>> = {
  duties: ['staff (no duties: no staff kept)', 'teachers of teaching groups'],
  groups: ['classes and teaching groups (none written)', 'enrollments'],
  activities: ['group.no_syllabus (teaching groups need an activity with a course)', 'teachers of teaching groups'],
  syllabuses: ['course titles and codes (taken from the activity instead)'],
};

const MISSING = [404, 405, 501];
const ZONED = /(?:Z|[+-]\d{2}:?\d{2})$/i;
/** A source whose timestamps carry no zone may be up to this far off UTC. */
export const ZONELESS_SLACK_MS = 14 * 3600_000;

/** The source did not honour an incremental read; the run falls back to a full read with this reason. */
class DeltaUnusable extends Error {}

interface ReadOutcome {
  n: number;
  missing: boolean;
}

async function readAll<K extends EntityName>(ctx: FetchContext, entity: K, into: Snapshot[K], after?: Date, ids?: Set<string>): Promise<ReadOutcome> {
  const e = ENDPOINTS[entity];
  const parse = PARSERS[entity] as (raw: unknown, stats: ParseStats, opts?: ParseOptions) => { id: string } | undefined;
  const extra: Record<string, QueryValue> = after ? { 'meta.modified.after': after.toISOString() } : {};
  let n = 0;
  let stale = 0;
  try {
    for await (const page of ctx.client.pages(e.path, { ...e.params, ...extra })) {
      for (const raw of page) {
        const modified = (raw as { meta?: { modified?: unknown } } | null)?.meta?.modified;
        if (typeof modified === 'string') {
          const zoned = ZONED.test(modified);
          if (!zoned) ctx.stats.zonelessTimestamps++;
          // A record modified well before `after` means the filter was ignored (or lost on a later page).
          if (after) {
            const t = Date.parse(zoned ? modified : `${modified}Z`);
            if (Number.isFinite(t) && t < after.getTime() - (zoned ? 1000 : ZONELESS_SLACK_MS)) stale++;
          }
        }
        let rec = parse(raw, ctx.stats, ctx.parse);
        if (rec && entity === 'persons') rec = trimPerson(rec as Person, ctx.optIn);
        if (rec) {
          (into as RecordMap<{ id: string }>).set(rec.id, rec);
          ids?.add(rec.id);
          n++;
        }
      }
    }
  } catch (err) {
    if (err instanceof SourceError && err.code === 'source_http_error' && MISSING.includes(err.status ?? 0) && WITHOUT[entity]) {
      ctx.warnings.add('source.endpoint_missing', `the source has no ${e.path} (HTTP ${err.status}); read as empty`, WITHOUT[entity], e.path);
      return { n: 0, missing: true };
    }
    throw err;
  }
  if (stale) throw new DeltaUnusable(`the source did not honour meta.modified.after on ${e.path} (${stale} records last modified before the watermark)`);
  return { n, missing: false };
}

/** Reads every entity the rules need, in full. */
export async function fetchFull(ctx: FetchContext): Promise<Snapshot> {
  const snap = emptySnapshot(ctx.store);
  for (const entity of ENTITIES) await readAll(ctx, entity, snap[entity]);
  return snap;
}

export interface IncrementalResult {
  snapshot: Snapshot;
  changed: Record<EntityName, number>;
  deleted: Record<EntityName, number>;
  /** The ids of the records read (changed) or deleted, per entity: what the rules look at again. */
  touched: Record<EntityName, Set<string>>;
}

/**
 * Applies what changed since `after` to the previous snapshot: `meta.modified.after` per entity,
 * then `/deletedEntities`. Returns the reason instead when the delta feed is unusable — the filter
 * refused (400) or not honoured (old records in the answer), `/deletedEntities` missing or not the
 * spec's shape, a listing that is malformed — and the caller then reads everything and diffs. A
 * source that is down or refuses the credentials still fails the run: a full read would too.
 */
export async function fetchIncremental(ctx: FetchContext, previous: Snapshot, after: Date): Promise<IncrementalResult | { fallback: string }> {
  const changed = {} as Record<EntityName, number>;
  const deleted = {} as Record<EntityName, number>;
  const touched = Object.fromEntries(ENTITIES.map((e) => [e, new Set<string>()])) as Record<EntityName, Set<string>>;
  try {
    for (const entity of ENTITIES) changed[entity] = (await readAll(ctx, entity, previous[entity], after, touched[entity])).n;
    const gone = await ctx.client.deletedSince(
      after.toISOString(),
      ENTITIES.map((e) => ENDPOINTS[e].endpoint),
    );
    for (const entity of ENTITIES) {
      const ids = [...(gone.get(ENDPOINTS[entity].deleted) ?? []), ...(entity === 'activities' ? (gone.get('activities') ?? []) : [])];
      deleted[entity] = 0;
      for (const id of ids) {
        if (previous[entity].delete(id)) deleted[entity]++;
        touched[entity].add(id);
      }
    }
  } catch (e) {
    if (e instanceof DeltaUnusable) return { fallback: e.message };
    if (e instanceof SourceError) {
      if (e.code === 'source_filter_unsupported') return { fallback: `the source refused the incremental read: ${e.message}` };
      if (e.code === 'source_http_error' && MISSING.includes(e.status ?? 0)) return { fallback: `the source has no usable /deletedEntities: ${e.message}` };
      if (e.code === 'source_malformed') return { fallback: `the delta feed is unusable: ${e.message}` };
    }
    throw e;
  }
  return { snapshot: previous, changed, deleted, touched };
}
