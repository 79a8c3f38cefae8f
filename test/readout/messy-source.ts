import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TestClock } from '../../src/lib/clock.ts';
import { FakeEduCloud, seedWorld, type FakeOptions } from './support/fake-educloud.ts';

/**
 * An SS 12000 source with the habits of sources met in the wild, each switchable, served over real
 * HTTP on an ephemeral port. It is the recorded-EduCloud fake (support/fake-educloud.ts) with each
 * quirk applied to the requests it takes and the answers it gives, or to the world it is seeded with.
 */
export const QUIRKS = [
  /** Served under `/v2` instead of `/source/<org>/v2.0`. */
  'v2BasePath',
  /** The token endpoint takes form fields only: `422` on client_secret_basic; no discovery document. */
  'formOnlyToken',
  /** A discovery document listing only client_secret_post (and a form-only token endpoint). */
  'discoveryPostOnly',
  /** Page tokens are offsets ("4", "8") that forget the first request's filters (meta.modified.after). */
  'offsetPageTokens',
  /** `meta.modified` without a zone (UTC wall time), and `meta.modified.after` read as Stockholm wall time. */
  'zonelessTimestamps',
  /** Every duty on the parent `Skola` organisation rather than on its school unit. */
  'dutiesOnSkola',
  /** Activities carry a non-spec `subject` (a string) instead of `syllabus`. */
  'subjectNotSyllabus',
  /** `/syllabuses` and `/placements` answer 404, `/programmes` and `/studyplans` 501. */
  'missingEndpoints',
  /** `/deletedEntities` answers `{"data": []}` instead of the spec's object. */
  'deletedEntitiesArray',
  /** Each follow-up page starts with the last record of the page before. */
  'duplicatesAcrossPages',
  /** Every 7th data request: 429 with `Retry-After: 2`. */
  'rateLimited',
  /** Every 9th data request: 503, mid-crawl. */
  'serverErrorMidCrawl',
  /** Every 8th data request: the JSON body cut off half-way. */
  'truncatedBody',
  /** The last page of every listing still has a page token, and so does every page after it. */
  'endlessPageToken',
  /** A staff title no table knows ("Vaktmästare"). */
  'unknownStaffTitle',
  /** Two guardians share one e-mail address (and so, one username). */
  'sharedGuardianEmail',
] as const;
export type Quirk = (typeof QUIRKS)[number];

const SS_PREFIX = '/source/SE00100/v2.0';
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const unb64 = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString()) as { after?: string; offset: number };

/** A UTC instant as Stockholm wall time without a zone, the way a naive server reads a `…Z` parameter. */
function stockholmWallTime(iso: string): string {
  const d = new Date(iso);
  const parts = new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Stockholm',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

export class MessySource extends FakeEduCloud {
  readonly quirks: ReadonlySet<Quirk>;
  /** Data requests seen (not the token endpoint), for the periodic failures. */
  private n = 0;
  private truncateNext = false;

  constructor(clock: TestClock, quirks: Quirk[], opts: FakeOptions = {}) {
    const form = quirks.includes('formOnlyToken') || quirks.includes('discoveryPostOnly');
    super(clock, { ...opts, tokenAuth: form ? 'post' : (opts.tokenAuth ?? 'basic') });
    this.quirks = new Set(quirks);
  }

  override get baseUrl(): string {
    return this.quirks.has('v2BasePath') ? `${this.url}/v2` : super.baseUrl;
  }

  /** The seed world with the data quirks applied. */
  seed(): void {
    seedWorld(this);
    const ref = (id: string) => ({ id });
    if (this.quirks.has('dutiesOnSkola')) {
      this.put('organisations', {
        id: 'SKOLA-N',
        displayName: 'Norrskolan',
        organisationType: 'Skola',
        startDate: '2010-07-01',
        parentOrganisation: ref('HM'),
      });
      this.put('organisations', {
        id: 'SKOLA-S',
        displayName: 'Söderskolan',
        organisationType: 'Skola',
        startDate: '2010-07-01',
        parentOrganisation: ref('HM'),
      });
      this.update('organisations', 'S-NORTH', (o) => (o.parentOrganisation = ref('SKOLA-N')));
      this.update('organisations', 'S-SOUTH', (o) => (o.parentOrganisation = ref('SKOLA-S')));
      for (const d of this.data.duties.values()) {
        const at = (d.dutyAt as { id: string }).id;
        if (at === 'S-NORTH' || at === 'S-SOUTH') this.update('duties', d.id, (x) => (x.dutyAt = ref(at === 'S-NORTH' ? 'SKOLA-N' : 'SKOLA-S')));
      }
    }
    if (this.quirks.has('subjectNotSyllabus')) {
      for (const a of this.data.activities.values()) {
        const syl = (a.syllabus as { id: string } | undefined)?.id;
        if (!syl) continue;
        const name = this.data.syllabuses.get(syl)!.subjectName as string;
        this.update('activities', a.id, (x) => {
          delete x.syllabus;
          x.subject = name;
        });
      }
    }
    if (this.quirks.has('unknownStaffTitle')) this.update('duties', 'D-T2', (d) => (d.dutyRole = 'Vaktmästare'));
    if (this.quirks.has('sharedGuardianEmail')) {
      for (const g of ['G-ST3', 'G-ST4']) this.update('persons', g, (p) => (p.emails = [{ value: 'familjen@example.se', type: 'Privat' }]));
    }
  }

  protected override async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url!, 'http://x');
    const q = this.quirks;
    const method = req.method!;
    if (u.pathname === '/.well-known/openid-configuration' && q.has('discoveryPostOnly')) {
      return this.send(
        res,
        200,
        { issuer: this.url, token_endpoint: this.tokenUrl, token_endpoint_auth_methods_supported: ['client_secret_post'] },
        method,
        u.pathname,
      );
    }
    if (u.pathname === '/oauth2/token') {
      if ((q.has('formOnlyToken') || q.has('discoveryPostOnly')) && (req.headers.authorization ?? '').startsWith('Basic ')) {
        req.resume(); // the form is not read
        return this.send(res, 422, { error: 'invalid_request', error_description: 'client_id and client_secret must be form fields' }, method, u.pathname);
      }
      return super.handle(req, res);
    }
    let path: string;
    if (q.has('v2BasePath')) {
      if (!u.pathname.startsWith('/v2/')) return this.send(res, 404, { code: 'not_found', message: 'no such path' }, method, u.pathname);
      path = u.pathname.slice(3);
    } else {
      if (!u.pathname.startsWith(SS_PREFIX)) return super.handle(req, res);
      path = u.pathname.slice(SS_PREFIX.length);
    }
    const authorised = (req.headers.authorization ?? '').startsWith('Bearer ');
    if (authorised) {
      if (q.has('missingEndpoints')) {
        if (path === '/syllabuses' || path === '/placements') return this.send(res, 404, { code: 'not_found', message: 'no such endpoint' }, method, path);
        if (path === '/programmes' || path === '/studyplans') return this.send(res, 501, { code: 'not_implemented', message: 'not implemented' }, method, path);
      }
      const n = ++this.n;
      if (q.has('rateLimited') && n % 7 === 3) return this.send(res, 429, { code: 'too_many_requests' }, method, path, { 'retry-after': '2' });
      if (q.has('serverErrorMidCrawl') && n % 9 === 5) return this.send(res, 503, { code: 'unavailable', message: 'SIS restarting' }, method, path);
      if (q.has('truncatedBody') && n % 8 === 4) this.truncateNext = true;
      if (q.has('deletedEntitiesArray') && path === '/deletedEntities') return this.send(res, 200, { data: [] }, method, path);
    }
    const params = new URLSearchParams(u.searchParams);
    const token = params.get('pageToken');
    if (token && q.has('offsetPageTokens') && /^\d+$/.test(token)) params.set('pageToken', b64({ offset: Number(token) }));
    if (token && q.has('duplicatesAcrossPages') && !/^\d+$/.test(token)) {
      const t = unb64(token);
      params.set('pageToken', b64({ ...t, offset: Math.max(0, t.offset - 1) }));
    }
    const after = params.get('meta.modified.after');
    if (after && q.has('zonelessTimestamps')) params.set('meta.modified.after', stockholmWallTime(after));
    const search = params.toString();
    req.url = `${SS_PREFIX}${path}${search ? `?${search}` : ''}`;
    return super.handle(req, res);
  }

  protected override send(res: ServerResponse, status: number, body: unknown, method: string, url: string, headers: Record<string, string> = {}): void {
    const q = this.quirks;
    if (status === 200 && body && typeof body === 'object' && Array.isArray((body as { data?: unknown }).data) && !url.includes('deletedEntities')) {
      const page = { ...(body as { data: Record<string, unknown>[]; pageToken?: string }) };
      if (q.has('zonelessTimestamps')) {
        page.data = page.data.map((r) => {
          const meta = r.meta as { created: string; modified: string } | undefined;
          return meta ? { ...r, meta: { created: meta.created.slice(0, 19), modified: meta.modified.slice(0, 19) } } : r;
        });
      }
      if (page.pageToken && q.has('offsetPageTokens')) page.pageToken = String(unb64(page.pageToken).offset);
      if (q.has('endlessPageToken')) {
        const t = page.pageToken ? undefined : new URL(url, 'http://x').searchParams.get('pageToken');
        const offset = t ? unb64(t).offset : 0;
        // Past the end the pages are empty, and each still points at one more.
        if (!page.pageToken) page.pageToken = b64({ offset: Math.max(offset, 10_000) + 4 });
      }
      body = page;
    }
    if (this.truncateNext && status === 200) {
      this.truncateNext = false;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      body = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    }
    super.send(res, status, body, method, url, headers);
  }
}
