import type { AppContext } from '../../src/context.ts';
import type { World } from '../../src/generator/index.ts';
import { insertApp, insertClient, insertGrant, insertInstitution, insertPartner } from '../../src/seed/builders.ts';

/**
 * A small SS 12000 client written the way IST EduCloud's examples call the API: a token with client
 * credentials (form post or HTTP Basic), then `limit`/`pageToken` paging until no token is returned.
 */
export class Ss12000Client {
  private token: string | undefined;
  constructor(
    readonly baseUrl: string,
    readonly tokenUrl: string,
    readonly clientId: string,
    readonly clientSecret: string,
    readonly auth: 'basic' | 'post' = 'post',
  ) {}

  async fetchToken(): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (this.auth === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(this.clientId)}:${encodeURIComponent(this.clientSecret)}`).toString('base64')}`;
    } else {
      body.set('client_id', this.clientId);
      body.set('client_secret', this.clientSecret);
    }
    const res = await fetch(this.tokenUrl, { method: 'POST', headers, body });
    const json = (await res.json()) as { access_token?: string };
    if (res.status !== 200 || !json.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(json)}`);
    this.token = json.access_token;
    return this.token;
  }

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
    if (!this.token) await this.fetchToken();
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  get = (path: string) => this.request('GET', path);

  /** Follows pageToken until the end; returns every item and the number of pages. */
  async crawl(path: string, limit = 100): Promise<{ items: any[]; pages: number }> {
    const items: any[] = [];
    let pages = 0;
    const sep = path.includes('?') ? '&' : '?';
    let res = await this.get(`${path}${sep}limit=${limit}`);
    for (;;) {
      if (res.status !== 200) throw new Error(`GET ${path} → ${res.status} ${JSON.stringify(res.body)}`);
      pages++;
      items.push(...res.body.data);
      if (!res.body.pageToken) break;
      const base = path.split('?')[0];
      res = await this.get(`${base}?limit=${limit}&pageToken=${encodeURIComponent(res.body.pageToken)}`);
    }
    return { items, pages };
  }
}

/** An approved app of a new partner with one client, asking for these categories per API. */
export async function createApp(ctx: AppContext, categories: Record<string, string[]>) {
  const partnerId = await insertPartner(ctx.db, { name: `Partner ${Math.random().toString(36).slice(2, 8)}`, contactEmail: 'p@example.test' });
  const appId = await insertApp(ctx.db, {
    partnerId,
    name: 'Läxhjälpen',
    status: 'approved',
    apis: Object.entries(categories).map(([apiCode, dataCategories]) => ({ apiCode, dataCategories, purpose: 'Homework planning' })),
  });
  const { clientId, secret } = await insertClient(ctx.db, { appId, name: 'Läxhjälpen client' });
  return { partnerId, appId, clientId, secret };
}

export async function ensureInstitutions(ctx: AppContext, numbers: string[]) {
  for (const n of numbers) {
    const exists = await ctx.db.selectFrom('institutions').select('number').where('number', '=', n).executeTakeFirst();
    if (!exists) await insertInstitution(ctx.db, { number: n, name: `Skola ${n}` });
  }
}

export async function grantAll(ctx: AppContext, clientId: string, apiCode: string, numbers: string[]) {
  for (const n of numbers) await insertGrant(ctx.db, { clientId, apiCode, institutionNumber: n });
}

/** What the consent policy allows, computed independently of the server from the world itself. */
export function allowed(world: World, grants: { students: string[]; staff: string[] }, guardians: boolean) {
  const unitByCode = new Map(world.organisations.filter((o) => o.organisationType === 'Skolenhet').map((o) => [o.organisationCode, o.id]));
  const S = new Set(grants.students.map((n) => unitByCode.get(n)).filter(Boolean) as string[]);
  const T = new Set(grants.staff.map((n) => unitByCode.get(n)).filter(Boolean) as string[]);
  const all = new Set([...S, ...T]);
  const students = new Set<string>();
  const guardianIds = new Set<string>();
  for (const p of world.persons) {
    if ((p.enrolments ?? []).some((e) => S.has(e.enroledAt.id))) {
      students.add(p.id);
      if (guardians) for (const r of p.responsibles ?? []) guardianIds.add(r.person.id);
    }
  }
  for (const pl of world.placements) {
    if (!S.has(pl.placedAt.id)) continue;
    students.add(pl.child.id);
    if (guardians) for (const o of pl.owners ?? []) guardianIds.add(o.id);
  }
  const staff = new Set(world.duties.filter((d) => T.has(d.dutyAt.id) && d.person).map((d) => d.person!.id));
  return {
    S,
    T,
    studentIds: students,
    staffIds: staff,
    guardianIds,
    organisations: new Set([...all]),
    persons: new Set([...students, ...staff, ...guardianIds]),
    placements: new Set(world.placements.filter((p) => S.has(p.placedAt.id)).map((p) => p.id)),
    duties: new Set(world.duties.filter((d) => T.has(d.dutyAt.id)).map((d) => d.id)),
    groups: new Set(world.groups.filter((g) => all.has(g.organisation.id)).map((g) => g.id)),
    activities: new Set(world.activities.filter((a) => all.has(a.organisation.id)).map((a) => a.id)),
    syllabuses: new Set(all.size ? world.syllabuses.map((s) => s.id) : []),
    programmes: new Set(all.size ? world.programmes.map((s) => s.id) : []),
    studyplans: new Set(world.studyplans.filter((s) => students.has(s.student.id)).map((s) => s.id)),
  };
}

/** Every object in a response tree that looks like a person with protected identity. */
export function protectedLeaks(value: unknown, protectedIds: Set<string>): string[] {
  const leaks: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.id === 'string' && protectedIds.has(o.id)) {
      for (const f of ['civicNo', 'addresses', 'phoneNumbers', 'emails']) if (f in o) leaks.push(`${o.id}.${f}`);
    }
    Object.values(o).forEach(walk);
  };
  walk(value);
  return leaks;
}

/** The ids of `twoSchools`: school units A and B, class 7A at A and 8B at B, a lesson-bearing activity of each. */
export interface TwoSchoolIds {
  A: string;
  B: string;
  unitA: string;
  unitB: string;
  group7A: string;
  group8B: string;
  act7A: string;
  act8B: string;
}

/**
 * The school-life tests' common world (attendance, writes): two school units, a class at each with
 * its members, and an activity of each class that requires lessons. Persons, lessons and records
 * are each test's own.
 */
export function twoSchools(ids: TwoSchoolIds, members: { '7A': string[]; '8B': string[] }) {
  const klass = (id: string, displayName: string, unit: string, persons: string[]) => ({
    id,
    displayName,
    startDate: '2026-08-18',
    groupType: 'Klass',
    organisation: { id: unit },
    groupMemberships: persons.map((p) => ({ person: { id: p } })),
  });
  const activity = (id: string, displayName: string, group: string, unit: string) => ({
    id,
    displayName,
    calendarEventsRequired: true,
    startDate: '2026-08-18',
    groups: [{ id: group }],
    organisation: { id: unit },
  });
  return {
    organisations: [
      { id: ids.unitA, displayName: 'Skola A', organisationType: 'Skolenhet', organisationCode: ids.A },
      { id: ids.unitB, displayName: 'Skola B', organisationType: 'Skolenhet', organisationCode: ids.B },
    ],
    groups: [klass(ids.group7A, '7A', ids.unitA, members['7A']), klass(ids.group8B, '8B', ids.unitB, members['8B'])],
    activities: [activity(ids.act7A, 'Matematik 7A', ids.group7A, ids.unitA), activity(ids.act8B, 'Svenska 8B', ids.group8B, ids.unitB)],
  };
}
