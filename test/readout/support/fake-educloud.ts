import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestClock } from '../../../src/lib/clock.ts';

/**
 * A recorded-EduCloud-shaped SS 12000 source served over real HTTP for the readout tests, with
 * EduCloud's quirks: optional fields simply absent, array parameters only as `expand[]=`, a
 * `source_unavailable` error body, tokens that expire after an hour, opaque page tokens that may
 * not be combined with filters. Failures are injected per request by the test.
 */
export type Entity = 'organisations' | 'persons' | 'duties' | 'groups' | 'activities' | 'syllabuses';
type Rec = Record<string, unknown> & { id: string; meta: { created: string; modified: string } };

export interface Injection {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface FakeOptions {
  clientId?: string;
  clientSecret?: string;
  tokenAuth?: 'basic' | 'post';
  /** EduCloud supports these; set false to make the readout fall back to a full read and diff. */
  supportsModifiedAfter?: boolean;
  supportsDeletedEntities?: boolean;
  tokenTtlSeconds?: number;
}

export class FakeEduCloud {
  readonly data: Record<Entity, Map<string, Rec>> = {
    organisations: new Map(),
    persons: new Map(),
    duties: new Map(),
    groups: new Map(),
    activities: new Map(),
    syllabuses: new Map(),
  };
  readonly deletions: { entity: Entity; id: string; at: string }[] = [];
  readonly log: { method: string; url: string; status: number }[] = [];
  private tokens = new Map<string, number>();
  private server?: Server;
  url = '';
  /** Called for every data request (not the token endpoint); return an injection to fail it. */
  inject?: (req: { path: string; query: URLSearchParams; n: number }) => Injection | undefined;
  /** Runs after every request; tests use it to move the clock (an hour passes during a run). */
  afterRequest?: () => void;
  private dataRequests = 0;
  opts: Required<FakeOptions>;

  constructor(
    readonly clock: TestClock,
    opts: FakeOptions = {},
  ) {
    this.opts = {
      clientId: 'eventful',
      clientSecret: 's3cret',
      tokenAuth: 'basic',
      supportsModifiedAfter: true,
      supportsDeletedEntities: true,
      tokenTtlSeconds: 3600,
      ...opts,
    };
  }

  get baseUrl(): string {
    return `${this.url}/source/SE00100/v2.0`;
  }
  get tokenUrl(): string {
    return `${this.url}/oauth2/token`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((e) => {
        res.writeHead(500).end(String(e));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  /** Adds or replaces a record, stamping meta.modified with the clock. */
  put(entity: Entity, rec: Record<string, unknown> & { id: string }): void {
    const now = this.clock.now().toISOString();
    const old = this.data[entity].get(rec.id);
    this.data[entity].set(rec.id, { ...rec, meta: { created: old?.meta.created ?? now, modified: now } } as Rec);
  }

  /** Changes a record in place (meta.modified moves). */
  update(entity: Entity, id: string, change: (r: Rec) => void): void {
    const rec = this.data[entity].get(id);
    if (!rec) throw new Error(`no ${entity} ${id}`);
    change(rec);
    rec.meta = { ...rec.meta, modified: this.clock.now().toISOString() };
  }

  remove(entity: Entity, id: string): void {
    this.data[entity].delete(id);
    this.deletions.push({ entity, id, at: this.clock.now().toISOString() });
  }

  protected send(res: ServerResponse, status: number, body: unknown, method: string, url: string, headers: Record<string, string> = {}): void {
    this.log.push({ method, url, status });
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
    this.afterRequest?.();
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url!, 'http://x');
    const method = req.method!;
    if (u.pathname === '/oauth2/token' && method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      let id: string | null, secret: string | null;
      if (this.opts.tokenAuth === 'basic') {
        const [, b64] = (req.headers.authorization ?? '').split(' ');
        const [a, s] = Buffer.from(b64 ?? '', 'base64')
          .toString()
          .split(':');
        id = decodeURIComponent(a ?? '');
        secret = decodeURIComponent(s ?? '');
      } else {
        id = form.get('client_id');
        secret = form.get('client_secret');
      }
      if (form.get('grant_type') !== 'client_credentials') return this.send(res, 400, { error: 'unsupported_grant_type' }, method, u.pathname);
      if (id !== this.opts.clientId || secret !== this.opts.clientSecret) return this.send(res, 401, { error: 'invalid_client' }, method, u.pathname);
      const token = `tok-${Math.random().toString(36).slice(2)}`;
      this.tokens.set(token, this.clock.now().getTime() + this.opts.tokenTtlSeconds * 1000);
      return this.send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: this.opts.tokenTtlSeconds }, method, u.pathname);
    }
    const prefix = '/source/SE00100/v2.0';
    if (!u.pathname.startsWith(prefix)) return this.send(res, 404, { code: 'not_found', message: 'no such path' }, method, u.pathname);
    const path = u.pathname.slice(prefix.length);
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const exp = this.tokens.get(token);
    if (!exp || exp <= this.clock.now().getTime())
      return this.send(res, 401, { code: 'unauthorized', message: 'token expired or invalid' }, method, u.pathname + u.search);
    const n = ++this.dataRequests;
    const injected = this.inject?.({ path, query: u.searchParams, n });
    if (injected) return this.send(res, injected.status, injected.body, method, u.pathname + u.search, injected.headers);
    // EduCloud's array style: `expand[]=x`; the bare `expand=x` is refused.
    for (const key of ['expand', 'entities', 'type', 'schoolTypes']) {
      if (u.searchParams.has(key)) return this.send(res, 400, { code: 'invalid_parameter', message: `use ${key}[]=` }, method, u.pathname + u.search);
    }
    const pageToken = u.searchParams.get('pageToken');
    const limit = Number(u.searchParams.get('limit') ?? '1000');
    if (pageToken && [...u.searchParams.keys()].some((k) => k !== 'pageToken' && k !== 'limit')) {
      return this.send(res, 400, { code: 'invalid_filter', message: 'pageToken cannot be combined with filters' }, method, u.pathname + u.search);
    }
    if (path === '/deletedEntities') {
      if (!this.opts.supportsDeletedEntities) return this.send(res, 404, { code: 'not_found', message: 'not supported' }, method, u.pathname + u.search);
      const after = u.searchParams.get('after') ?? '';
      const data: Record<string, string[]> = {};
      for (const d of this.deletions) if (d.at > after) (data[d.entity === 'activities' ? 'activitites' : d.entity] ??= []).push(d.id);
      return this.send(res, 200, { data }, method, u.pathname + u.search);
    }
    const entity = path.slice(1) as Entity;
    if (!(entity in this.data)) return this.send(res, 404, { code: 'not_found', message: 'no such endpoint' }, method, u.pathname + u.search);
    let state: { after?: string; offset: number };
    if (pageToken) state = JSON.parse(Buffer.from(pageToken, 'base64url').toString()) as { after?: string; offset: number };
    else {
      const after = u.searchParams.get('meta.modified.after') ?? undefined;
      if (after && !this.opts.supportsModifiedAfter)
        return this.send(res, 400, { code: 'invalid_filter', message: 'meta.modified.after is not supported' }, method, u.pathname + u.search);
      state = { after, offset: 0 };
    }
    const all = [...this.data[entity].values()].filter((r) => !state.after || r.meta.modified > state.after).sort((a, b) => (a.id < b.id ? -1 : 1));
    const page = all.slice(state.offset, state.offset + limit);
    const next = state.offset + limit < all.length ? Buffer.from(JSON.stringify({ ...state, offset: state.offset + limit })).toString('base64url') : undefined;
    return this.send(res, 200, next ? { data: page, pageToken: next } : { data: page }, method, u.pathname + u.search);
  }
}

/**
 * A small world with one of everything the rules care about. Ids say what they are, so a failing
 * assertion reads on its own.
 */
export function seedWorld(src: FakeEduCloud): void {
  const ref = (id: string) => ({ id });
  src.put('organisations', { id: 'HM', displayName: 'Exempel kommun', organisationType: 'Huvudman', startDate: '2000-01-01' });
  src.put('organisations', {
    id: 'S-NORTH',
    displayName: 'Norrskolan',
    organisationType: 'Skolenhet',
    schoolUnitCode: '12345678',
    schoolTypes: ['GR'],
    municipalityCode: '0180',
    startDate: '2010-07-01',
    parentOrganisation: ref('HM'),
  });
  src.put('organisations', {
    id: 'S-SOUTH',
    displayName: 'Söderskolan',
    organisationType: 'Skolenhet',
    schoolUnitCode: '23456789',
    schoolTypes: ['GY'],
    municipalityCode: '0180',
    startDate: '2012-07-01',
    parentOrganisation: ref('HM'),
  });
  src.put('organisations', {
    id: 'S-CLOSED',
    displayName: 'Gamla skolan',
    organisationType: 'Skolenhet',
    schoolTypes: ['GR'],
    municipalityCode: '0180',
    startDate: '1990-07-01',
    endDate: '2020-06-30',
  });
  src.put('organisations', {
    id: 'S-OTHERTOWN',
    displayName: 'Annanstad skola',
    organisationType: 'Skolenhet',
    schoolTypes: ['GR'],
    municipalityCode: '1480',
    startDate: '2010-07-01',
  });
  src.put('organisations', {
    id: 'S-NOTLMS',
    displayName: 'Ej LMS',
    organisationType: 'Skolenhet',
    schoolTypes: ['GR'],
    municipalityCode: '0180',
    startDate: '2010-07-01',
    extension: { activeUnit: 1, toLMS: 'N' },
  });
  src.put('syllabuses', { id: 'SYL-MA', subjectName: 'Matematik', subjectCode: 'MA', schoolType: 'GR', official: true });
  src.put('syllabuses', { id: 'SYL-SV', subjectName: 'Svenska', subjectCode: 'SV', schoolType: 'GR', official: true });
  src.put('syllabuses', {
    id: 'SYL-MA2',
    subjectName: 'Matematik 2c',
    subjectCode: 'MAT',
    courseCode: 'MATMAT02c',
    courseName: 'Matematik 2c',
    schoolType: 'GY',
    official: true,
  });

  const student = (id: string, school: string, extra: Record<string, unknown> = {}) =>
    src.put('persons', {
      id,
      givenName: `Elev ${id}`,
      familyName: 'Andersson',
      emails: [{ value: `${id.toLowerCase()}@elev.exempel.se`, type: 'Skola elev' }],
      civicNo: { value: `2012${id.replace(/\D/g, '').padStart(4, '0')}1234`.slice(0, 12) },
      addresses: [{ type: 'Folkbokföring', streetAddress: `Skolvägen ${id}`, postalCode: '11122', locality: 'Stockholm', country: 'Sverige' }],
      enrolments: [{ enroledAt: ref(school), schoolType: 'GR', schoolYear: 7, startDate: '2026-08-15' }],
      responsibles: [{ person: ref(`G-${id}`), relationType: 'Vårdnadshavare' }],
      ...extra,
    });
  const guardian = (id: string, extra: Record<string, unknown> = {}) =>
    src.put('persons', {
      id,
      givenName: `Förälder ${id}`,
      familyName: 'Andersson',
      emails: [{ value: `${id.toLowerCase()}@example.se`, type: 'Privat' }],
      ...extra,
    });
  for (let i = 1; i <= 6; i++) {
    student(`ST${i}`, 'S-NORTH');
    guardian(`G-ST${i}`);
  }
  // Missing optional fields: no e-mail, no civic number, no addresses, no responsibles, no security marking.
  src.put('persons', {
    id: 'ST-BARE',
    givenName: 'Bar',
    familyName: 'Elev',
    enrolments: [{ enroledAt: ref('S-SOUTH'), schoolType: 'GY', startDate: '2026-08-15' }],
  });
  student('ST-PROT', 'S-NORTH', { securityMarking: 'Skyddad folkbokföring' });
  guardian('G-ST-PROT');
  student('ST-ABROAD', 'S-NORTH', { personStatus: 'Utvandrad' });
  guardian('G-ST-ABROAD');
  student('ST-LEFT', 'S-NORTH', {
    enrolments: [{ enroledAt: ref('S-NORTH'), schoolType: 'GR', schoolYear: 7, startDate: '2024-08-15', endDate: '2026-06-10' }],
  });
  guardian('G-ST-LEFT');
  student('ST-OLDSCHOOL', 'S-CLOSED');
  guardian('G-ST-OLDSCHOOL');
  // A protected guardian of a kept student stays out; an unknown enum value is counted, not fatal.
  guardian('G-ST1', { securityMarking: 'Skyddad folkbokföring' });
  src.update('persons', 'ST2', (r) => {
    r.personStatus = 'Okänd';
  });

  const teacher = (id: string, school: string, role = 'Lärare', extra: Record<string, unknown> = {}) => {
    src.put('persons', {
      id,
      givenName: `Lärare ${id}`,
      familyName: 'Berg',
      emails: [{ value: `${id.toLowerCase()}@personal.exempel.se`, type: 'Skola personal' }],
    });
    src.put('duties', { id: `D-${id}`, person: ref(id), dutyAt: ref(school), dutyRole: role, startDate: '2020-08-01', ...extra });
  };
  teacher('T1', 'S-NORTH');
  teacher('T2', 'S-NORTH', 'Rektor');
  teacher('T3', 'S-SOUTH');
  teacher('T-GONE', 'S-NORTH', 'Lärare', { endDate: '2025-06-30' });
  src.put('persons', { id: 'T-PROT', givenName: 'Skyddad', familyName: 'Lärare', securityMarking: 'Skyddad folkbokföring' });
  src.put('duties', { id: 'D-T-PROT', person: ref('T-PROT'), dutyAt: ref('S-NORTH'), dutyRole: 'Lärare', startDate: '2020-08-01' });

  const members = (ids: string[]) => ids.map((p) => ({ person: ref(p) }));
  src.put('groups', {
    id: 'GR-7A',
    displayName: '7A',
    groupType: 'Klass',
    organisation: ref('S-NORTH'),
    startDate: '2026-08-15',
    groupMemberships: members(['ST1', 'ST2', 'ST3', 'ST-PROT']),
  });
  src.put('groups', {
    id: 'GR-7B',
    displayName: '7B',
    groupType: 'Klass',
    organisation: ref('S-NORTH'),
    startDate: '2026-08-15',
    groupMemberships: members(['ST4', 'ST5', 'ST6']),
  });
  src.put('groups', {
    id: 'GR-MA7',
    displayName: 'Ma 7',
    groupType: 'Undervisning',
    organisation: ref('S-NORTH'),
    startDate: '2026-08-15',
    groupMemberships: members(['ST1', 'ST2', 'ST3', 'ST4']),
  });
  src.put('groups', {
    id: 'GR-SV7',
    displayName: 'Sv 7',
    groupType: 'Undervisning',
    organisation: ref('S-NORTH'),
    startDate: '2026-08-15',
    groupMemberships: members(['ST5', 'ST6']),
  });
  src.put('groups', {
    id: 'GR-NOSYL',
    displayName: 'Utan kurs',
    groupType: 'Undervisning',
    organisation: ref('S-NORTH'),
    startDate: '2026-08-15',
    groupMemberships: members(['ST1']),
  });
  src.put('groups', { id: 'GR-PROV', displayName: 'Prov', groupType: 'Provgrupp', organisation: ref('S-NORTH'), startDate: '2026-08-15' });
  src.put('groups', {
    id: 'GR-MA2',
    displayName: 'Ma2c GY',
    groupType: 'Undervisning',
    organisation: ref('S-SOUTH'),
    startDate: '2026-08-15',
    groupMemberships: members(['ST-BARE']),
  });
  src.put('groups', {
    id: 'GR-STAFF',
    displayName: 'Lärarlaget',
    groupType: 'Personalgrupp',
    organisation: ref('S-NORTH'),
    startDate: '2026-08-15',
    groupMemberships: members(['T1', 'T2']),
  });
  src.put('groups', { id: 'GR-CLOSED', displayName: 'Gammal klass', groupType: 'Klass', organisation: ref('S-CLOSED'), startDate: '2019-08-15' });
  const activity = (id: string, group: string, syllabus: string | undefined, teachers: string[]) =>
    src.put('activities', {
      id,
      displayName: id,
      calendarEventsRequired: false,
      startDate: '2026-08-15',
      organisation: ref('S-NORTH'),
      groups: [ref(group)],
      ...(syllabus ? { syllabus: ref(syllabus) } : {}),
      teachers: teachers.map((t) => ({ duty: ref(`D-${t}`) })),
    });
  activity('A-MA7', 'GR-MA7', 'SYL-MA', ['T1']);
  activity('A-SV7', 'GR-SV7', 'SYL-SV', ['T1', 'T-PROT']);
  activity('A-NOSYL', 'GR-NOSYL', undefined, ['T1']);
  activity('A-MA2', 'GR-MA2', 'SYL-MA2', ['T3']);
  activity('A-7A', 'GR-7A', undefined, ['T2']);
}
