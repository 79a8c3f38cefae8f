/**
 * The readout's own view of SS 12000 v2.1 records: only the fields the rules and writers use,
 * parsed tolerantly. Optional fields may be absent; enum values we do not know are kept as-is and
 * counted in {@link ParseStats} (reported, never fatal); a record without an id is skipped with a
 * warning. A page that is not `{ data: [...] }` is a malformed page and fails the run (see source.ts).
 */

export interface ExtensionFlags {
  /** Extens/IST "Aktiv enhet"; undefined when the source does not carry it. */
  activeUnit?: boolean;
  /** Extens/IST "Till LMS"; undefined when the source does not carry it. */
  toLms?: boolean;
}

export interface Organisation {
  id: string;
  displayName: string;
  organisationType: string;
  organisationCode?: string;
  schoolUnitCode?: string;
  schoolTypes: string[];
  municipalityCode?: string;
  parentId?: string;
  startDate?: string;
  endDate?: string;
  flags: ExtensionFlags;
}

export interface Enrolment {
  schoolUnitId?: string;
  schoolType?: string;
  schoolYear?: number;
  startDate?: string;
  endDate?: string;
  cancelled: boolean;
}

export interface Responsible {
  personId: string;
  relationType?: string;
  startDate?: string;
  endDate?: string;
}

export interface Address {
  type?: string;
  streetAddress?: string;
  postalCode?: string;
  locality?: string;
  country?: string;
}

export interface Person {
  id: string;
  givenName: string;
  familyName: string;
  middleName?: string;
  eppn?: string;
  civicNo?: string;
  civicNoNationality?: string;
  securityMarking: string;
  personStatus?: string;
  emails: { value: string; type?: string }[];
  phones: { value: string; mobile: boolean }[];
  addresses: Address[];
  enrolments: Enrolment[];
  responsibles: Responsible[];
}

export interface Duty {
  id: string;
  personId?: string;
  dutyAt?: string;
  dutyRole?: string;
  signature?: string;
  startDate?: string;
  endDate?: string;
}

export interface GroupMembership {
  personId: string;
  startDate?: string;
  endDate?: string;
}

export interface Group {
  id: string;
  displayName: string;
  groupType: string;
  organisationId?: string;
  startDate?: string;
  endDate?: string;
  memberships: GroupMembership[];
  flags: ExtensionFlags;
}

export interface Activity {
  id: string;
  displayName: string;
  organisationId?: string;
  groupIds: string[];
  /** The course: the spec's `syllabus`, or the configured non-spec field (then prefixed by the field's name). */
  syllabusId?: string;
  /** Title and code of a course read from a non-spec field (a spec syllabus has its own record). */
  courseName?: string;
  courseCode?: string;
  teachers: { dutyId: string; startDate?: string; endDate?: string }[];
  startDate?: string;
  endDate?: string;
}

export interface Syllabus {
  id: string;
  subjectName?: string;
  subjectCode?: string;
  courseName?: string;
  courseCode?: string;
  schoolType?: string;
}

/**
 * The records of one entity by id. A run keeps them in a table of its SQLite store (store.ts); in the
 * heap a {@link PackedMap} (each record as its JSON text) or a plain Map works too (tests, small worlds).
 */
export interface RecordMap<T extends { id: string }> {
  readonly size: number;
  get(id: string): T | undefined;
  has(id: string): boolean;
  set(id: string, rec: T): unknown;
  delete(id: string): boolean;
  clear(): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<T>;
}

/**
 * A record map that holds each record as its JSON text and parses it when it is read. A person
 * as text takes about a third of the memory of the same person as objects (no per-object and
 * per-array headers, one-byte strings), and the readout reads each record only a few times; on a
 * 60,000-student world this is the difference between ~150 MB and ~60 MB of live heap. The text is
 * also exactly the state line the next run starts from, so encoding and decoding the state copies
 * strings instead of building and walking objects.
 */
export class PackedMap<T extends { id: string }> implements RecordMap<T> {
  private readonly m = new Map<string, string>();
  /** A record's JSON form; the default is the record itself. */
  constructor(private readonly codec?: Codec<T>) {}
  get size(): number {
    return this.m.size;
  }
  get(id: string): T | undefined {
    const s = this.m.get(id);
    return s === undefined ? undefined : this.decode(s);
  }
  has(id: string): boolean {
    return this.m.has(id);
  }
  set(id: string, rec: T): this {
    this.m.set(id, JSON.stringify(this.codec ? this.codec.encode(rec) : rec));
    return this;
  }
  /** Stores a record already in its JSON form (a state line). */
  setText(id: string, json: string): void {
    this.m.set(id, json);
  }
  delete(id: string): boolean {
    return this.m.delete(id);
  }
  clear(): void {
    this.m.clear();
  }
  keys(): IterableIterator<string> {
    return this.m.keys();
  }
  /** The records' JSON texts, in insertion order. */
  texts(): IterableIterator<string> {
    return this.m.values();
  }
  *values(): IterableIterator<T> {
    for (const s of this.m.values()) yield this.decode(s);
  }
  private decode(s: string): T {
    return this.codec ? this.codec.decode(JSON.parse(s)) : (JSON.parse(s) as T);
  }
}

/** How a {@link PackedMap} turns a record into JSON and back; the id must come first. */
export interface Codec<T> {
  encode(rec: T): unknown;
  decode(json: unknown): T;
}

const orNull = <V>(v: V | undefined): V | null => (v === undefined ? null : v);
const orUndef = <V>(v: V | null | undefined): V | undefined => (v === null ? undefined : v);
/**
 * Persons, the bulk of a snapshot, as flat arrays: no property names, null for absent fields, no
 * "Ingen" security marking (the default), and a student's e-mail that repeats the eppn as 0. About
 * 40 % less text than the object form, and faster to parse.
 */
export const personCodec: Codec<Person> = {
  encode(p) {
    const emails: (string | number | null)[] = [];
    for (const e of p.emails) emails.push(e.value === p.eppn ? 0 : e.value, orNull(e.type));
    const phones: (string | number)[] = [];
    for (const x of p.phones) phones.push(x.value, x.mobile ? 1 : 0);
    const addresses: (string | null)[] = [];
    for (const a of p.addresses) addresses.push(orNull(a.type), orNull(a.streetAddress), orNull(a.postalCode), orNull(a.locality), orNull(a.country));
    const enrolments: (string | number | null)[] = [];
    for (const e of p.enrolments)
      enrolments.push(orNull(e.schoolUnitId), orNull(e.schoolType), orNull(e.schoolYear), orNull(e.startDate), orNull(e.endDate), e.cancelled ? 1 : 0);
    const responsibles: (string | null)[] = [];
    for (const r of p.responsibles) responsibles.push(r.personId, orNull(r.relationType), orNull(r.startDate), orNull(r.endDate));
    return [
      p.id,
      p.givenName,
      p.familyName,
      orNull(p.middleName),
      orNull(p.eppn),
      orNull(p.civicNo),
      orNull(p.civicNoNationality),
      p.securityMarking === 'Ingen' ? null : p.securityMarking,
      orNull(p.personStatus),
      emails,
      phones,
      addresses,
      enrolments,
      responsibles,
    ];
  },
  decode(json) {
    const [id, givenName, familyName, middleName, eppn, civicNo, civicNoNationality, marking, personStatus, em, ph, ad, en, re] = json as [
      string,
      string,
      string,
      string | null,
      string | null,
      string | null,
      string | null,
      string | null,
      string | null,
      (string | number | null)[],
      (string | number)[],
      (string | null)[],
      (string | number | null)[],
      (string | null)[],
    ];
    const p: Person = {
      id,
      givenName,
      familyName,
      middleName: orUndef(middleName),
      eppn: orUndef(eppn),
      civicNo: orUndef(civicNo),
      civicNoNationality: orUndef(civicNoNationality),
      securityMarking: marking ?? 'Ingen',
      personStatus: orUndef(personStatus),
      emails: [],
      phones: [],
      addresses: [],
      enrolments: [],
      responsibles: [],
    };
    for (let i = 0; i < em.length; i += 2) p.emails.push({ value: em[i] === 0 ? eppn! : (em[i] as string), type: orUndef(em[i + 1] as string | null) });
    for (let i = 0; i < ph.length; i += 2) p.phones.push({ value: ph[i] as string, mobile: ph[i + 1] === 1 });
    for (let i = 0; i < ad.length; i += 5)
      p.addresses.push({
        type: orUndef(ad[i]),
        streetAddress: orUndef(ad[i + 1]),
        postalCode: orUndef(ad[i + 2]),
        locality: orUndef(ad[i + 3]),
        country: orUndef(ad[i + 4]),
      });
    for (let i = 0; i < en.length; i += 6) {
      p.enrolments.push({
        schoolUnitId: orUndef(en[i] as string | null),
        schoolType: orUndef(en[i + 1] as string | null),
        schoolYear: orUndef(en[i + 2] as number | null),
        startDate: orUndef(en[i + 3] as string | null),
        endDate: orUndef(en[i + 4] as string | null),
        cancelled: en[i + 5] === 1,
      });
    }
    for (let i = 0; i < re.length; i += 4)
      p.responsibles.push({ personId: re[i]!, relationType: orUndef(re[i + 1]), startDate: orUndef(re[i + 2]), endDate: orUndef(re[i + 3]) });
    return p;
  },
};

/** Everything read from one source: the input of the rules. */
export interface Snapshot {
  organisations: RecordMap<Organisation>;
  persons: RecordMap<Person>;
  duties: RecordMap<Duty>;
  groups: RecordMap<Group>;
  activities: RecordMap<Activity>;
  syllabuses: RecordMap<Syllabus>;
}

export type EntityName = keyof Snapshot;
export const ENTITIES: EntityName[] = ['organisations', 'persons', 'duties', 'groups', 'activities', 'syllabuses'];

/** Where a snapshot's records are kept: the run's SQLite store on disk (a run; see store.ts), else packed maps in the heap. */
export interface MapFactory {
  map<T extends { id: string }>(name: string, codec?: Codec<T>): RecordMap<T> & { setText(id: string, json: string): void; texts(): IterableIterator<string> };
}

/** An empty snapshot: packed maps (see {@link PackedMap}), or maps of a store on disk. */
export function emptySnapshot(store?: MapFactory): Snapshot {
  const m = <T extends { id: string }>(name: string, codec?: Codec<T>) => (store ? store.map<T>(name, codec) : new PackedMap<T>(codec));
  return {
    organisations: m('organisations'),
    persons: m('persons', personCodec),
    duties: m('duties'),
    groups: m('groups'),
    activities: m('activities'),
    syllabuses: m('syllabuses'),
  };
}

/** What tolerant parsing put up with, for the report. */
export class ParseStats {
  unknownEnums = new Map<string, number>();
  skipped = new Map<string, number>();
  /** Non-spec fields that look like they carry what the rules need (e.g. `Activity.subject` where `syllabus` is absent). */
  nonSpec = new Map<string, number>();
  /** Records whose `meta.modified` has no time zone. */
  zonelessTimestamps = 0;
  countUnknown(field: string, value: string): void {
    const k = `${field}=${value}`;
    this.unknownEnums.set(k, (this.unknownEnums.get(k) ?? 0) + 1);
  }
  countSkipped(reason: string): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
  }
}

const ORG_TYPES = new Set(['Huvudman', 'Verksamhetsområde', 'Förvaltning', 'Rektorsområde', 'Skola', 'Skolenhet', 'Varumärke', 'Bolag', 'Övrigt']);
const SCHOOL_TYPES = new Set(
  'FS,FKLASS,FTH,OPPFTH,GR,GRS,TR,SP,SAM,GY,GYS,VUX,VUXSFI,VUXGR,VUXGY,VUXSARGR,VUXSARTR,VUXSARGY,SFI,SARVUX,SARVUXGR,SARVUXGY,KU,YH,FHS,STF,KKU,HS,ABU,AU'.split(
    ',',
  ),
);
const SECURITY_MARKINGS = new Set(['Ingen', 'Sekretessmarkering', 'Skyddad folkbokföring']);
const PERSON_STATUS = new Set(['Aktiv', 'Utvandrad', 'Avliden']);
const GROUP_TYPES = new Set(['Undervisning', 'Klass', 'Mentor', 'Provgrupp', 'Schema', 'Avdelning', 'Personalgrupp', 'Övrigt']);
const DUTY_ROLES = new Set([
  'Rektor',
  'Lärare',
  'Förskollärare',
  'Barnskötare',
  'Bibliotekarie',
  'Lärarassistent',
  'Fritidspedagog',
  'Annan personal',
  'Studie- och yrkesvägledare',
  'Förstelärare',
  'Kurator',
  'Skolsköterska',
  'Skolläkare',
  'Skolpsykolog',
  'Speciallärare/specialpedagog',
  'Skoladministratör',
  'Övrig arbetsledning',
  'Övrig pedagogisk personal',
  'Förskolechef',
]);
const RELATION_TYPES = new Set(['Vårdnadshavare', 'Annan ansvarig', 'God man', 'Utsedd behörig']);

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
/** Dates arrive as `2026-08-15` or, from some sources, as a full timestamp; the rules compare days. */
const date = (v: unknown): string | undefined => {
  const s = str(v);
  return s && /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : undefined;
};
const refId = (v: unknown): string | undefined => str(obj(v)?.id) ?? str(v);

function enumValue(stats: ParseStats, field: string, known: Set<string>, v: unknown): string | undefined {
  const s = str(v);
  if (s !== undefined && !known.has(s)) stats.countUnknown(field, s);
  return s;
}

const norm = (k: string) => k.toLowerCase().replace(/[^a-z]/g, '');
/**
 * Extens-era flags travel as extension fields; their spelling differs per source, so keys are
 * compared without case or punctuation ("activeUnit", "aktiv_enhet", "Till LMS" all match).
 */
function flags(rec: Json): ExtensionFlags {
  const out: ExtensionFlags = {};
  const bags = [rec.extension, rec.extensions, rec._extension, rec._extensions, rec.extraFields].map(obj).filter(Boolean) as Json[];
  for (const bag of bags) {
    for (const [k, v] of Object.entries(bag)) {
      const n = norm(k);
      const s = typeof v === 'string' ? v.trim().toUpperCase() : v;
      if (n === 'activeunit' || n === 'aktivenhet') out.activeUnit = s === 1 || s === '1' || s === true || s === 'TRUE';
      if (n === 'tolms' || n === 'tilllms') out.toLms = s === 'Y' || s === 'J' || s === true || s === 1 || s === '1' || s === 'TRUE';
    }
  }
  return out;
}

function withId(stats: ParseStats, entity: string, raw: unknown): [Json, string] | undefined {
  const rec = obj(raw);
  const id = rec && str(rec.id);
  if (!rec || !id) {
    stats.countSkipped(`${entity}: record without id`);
    return undefined;
  }
  return [rec, id];
}

export function parseOrganisation(raw: unknown, stats: ParseStats): Organisation | undefined {
  const r = withId(stats, 'organisation', raw);
  if (!r) return undefined;
  const [o, id] = r;
  return {
    id,
    displayName: str(o.displayName) ?? id,
    organisationType: enumValue(stats, 'Organisation.organisationType', ORG_TYPES, o.organisationType) ?? '',
    organisationCode: str(o.organisationCode),
    schoolUnitCode: str(o.schoolUnitCode),
    schoolTypes: arr(o.schoolTypes)
      .map((t) => enumValue(stats, 'Organisation.schoolTypes', SCHOOL_TYPES, t))
      .filter((t): t is string => !!t),
    municipalityCode: str(o.municipalityCode),
    parentId: refId(o.parentOrganisation),
    startDate: date(o.startDate),
    endDate: date(o.endDate),
    flags: flags(o),
  };
}

export function parsePerson(raw: unknown, stats: ParseStats): Person | undefined {
  const r = withId(stats, 'person', raw);
  if (!r) return undefined;
  const [p, id] = r;
  const civic = obj(p.civicNo);
  return {
    id,
    givenName: str(p.givenName) ?? '',
    familyName: str(p.familyName) ?? '',
    middleName: str(p.middleName),
    eppn: str(arr(p.eduPersonPrincipalNames)[0]),
    civicNo: str(civic?.value) ?? str(p.civicNo),
    civicNoNationality: str(civic?.nationality),
    // An absent marking is read as "Ingen": the source only sends it when set.
    securityMarking: enumValue(stats, 'Person.securityMarking', SECURITY_MARKINGS, p.securityMarking) ?? 'Ingen',
    personStatus: enumValue(stats, 'Person.personStatus', PERSON_STATUS, p.personStatus),
    emails: arr(p.emails)
      .map(obj)
      .filter((e): e is Json => !!e && !!str(e.value))
      .map((e) => ({ value: str(e.value)!, type: str(e.type) })),
    phones: arr(p.phoneNumbers)
      .map(obj)
      .filter((e): e is Json => !!e && !!str(e.value))
      .map((e) => ({ value: str(e.value)!, mobile: e.mobile === true })),
    addresses: arr(p.addresses)
      .map(obj)
      .filter((a): a is Json => !!a)
      .map((a) => ({
        type: str(a.type),
        streetAddress: str(a.streetAddress),
        postalCode: str(a.postalCode),
        locality: str(a.locality),
        country: str(a.country),
      })),
    enrolments: arr(p.enrolments)
      .map(obj)
      .filter((e): e is Json => !!e)
      .map((e) => ({
        schoolUnitId: refId(e.enroledAt),
        schoolType: enumValue(stats, 'Enrolment.schoolType', SCHOOL_TYPES, e.schoolType),
        schoolYear: typeof e.schoolYear === 'number' ? e.schoolYear : undefined,
        startDate: date(e.startDate),
        endDate: date(e.endDate),
        cancelled: e.cancelled === true,
      })),
    responsibles: arr(p.responsibles)
      .map(obj)
      .filter((x): x is Json => !!x && !!refId(x.person))
      .map((x) => ({
        personId: refId(x.person)!,
        relationType: enumValue(stats, 'Person.responsibles.relationType', RELATION_TYPES, x.relationType),
        startDate: date(x.startDate),
        endDate: date(x.endDate),
      })),
  };
}

export function parseDuty(raw: unknown, stats: ParseStats): Duty | undefined {
  const r = withId(stats, 'duty', raw);
  if (!r) return undefined;
  const [d, id] = r;
  return {
    id,
    personId: refId(d.person),
    dutyAt: refId(d.dutyAt),
    dutyRole: enumValue(stats, 'Duty.dutyRole', DUTY_ROLES, d.dutyRole),
    signature: str(d.signature),
    startDate: date(d.startDate),
    endDate: date(d.endDate),
  };
}

export function parseGroup(raw: unknown, stats: ParseStats): Group | undefined {
  const r = withId(stats, 'group', raw);
  if (!r) return undefined;
  const [g, id] = r;
  return {
    id,
    displayName: str(g.displayName) ?? id,
    groupType: enumValue(stats, 'Group.groupType', GROUP_TYPES, g.groupType) ?? '',
    organisationId: refId(g.organisation),
    startDate: date(g.startDate),
    endDate: date(g.endDate),
    memberships: arr(g.groupMemberships)
      .map(obj)
      .filter((m): m is Json => !!m && !!refId(m.person))
      .map((m) => ({ personId: refId(m.person)!, startDate: date(m.startDate), endDate: date(m.endDate) })),
    flags: flags(g),
  };
}

/** Choices that change how records are read (a snapshot read with other ones is read again). */
export interface ParseOptions {
  /** Where an activity's course comes from: `syllabus`, or a non-spec field's name. */
  courseField: string;
}
export const DEFAULT_PARSE_OPTIONS: ParseOptions = { courseField: 'syllabus' };
/** Non-spec fields some sources use for an activity's course, hinted at in the report when `syllabus` is absent. */
const COURSE_FIELD_HINTS = ['subject', 'course', 'subjectCode', 'courseCode'];

/** A course from a non-spec field: a string, or an object with an id/code and a name. */
function courseFrom(field: string, v: unknown): { id: string; name?: string; code?: string } | undefined {
  const o = obj(v);
  if (o) {
    const code = str(o.code) ?? str(o.subjectCode) ?? str(o.courseCode);
    const name = str(o.name) ?? str(o.displayName) ?? str(o.subjectName) ?? str(o.courseName) ?? str(o.title);
    const key = str(o.id) ?? code ?? name;
    return key ? { id: `${field}:${key}`, name, code } : undefined;
  }
  const s = str(v);
  return s ? { id: `${field}:${s}`, name: s } : undefined;
}

export function parseActivity(raw: unknown, stats: ParseStats, opts: ParseOptions = DEFAULT_PARSE_OPTIONS): Activity | undefined {
  const r = withId(stats, 'activity', raw);
  if (!r) return undefined;
  const [a, id] = r;
  const course = opts.courseField === 'syllabus' ? undefined : courseFrom(opts.courseField, a[opts.courseField]);
  if (opts.courseField === 'syllabus' && a.syllabus === undefined) {
    for (const f of COURSE_FIELD_HINTS) if (a[f] !== undefined) stats.nonSpec.set(`Activity.${f}`, (stats.nonSpec.get(`Activity.${f}`) ?? 0) + 1);
  }
  return {
    id,
    displayName: str(a.displayName) ?? id,
    organisationId: refId(a.organisation),
    groupIds: arr(a.groups)
      .map(refId)
      .filter((x): x is string => !!x),
    syllabusId: course ? course.id : refId(a.syllabus),
    courseName: course?.name,
    courseCode: course?.code,
    teachers: arr(a.teachers)
      .map(obj)
      .filter((t): t is Json => !!t && !!refId(t.duty))
      .map((t) => ({ dutyId: refId(t.duty)!, startDate: date(t.startDate), endDate: date(t.endDate) })),
    startDate: date(a.startDate),
    endDate: date(a.endDate),
  };
}

export function parseSyllabus(raw: unknown, stats: ParseStats): Syllabus | undefined {
  const r = withId(stats, 'syllabus', raw);
  if (!r) return undefined;
  const [s, id] = r;
  return {
    id,
    subjectName: str(s.subjectName),
    subjectCode: str(s.subjectCode),
    courseName: str(s.courseName),
    courseCode: str(s.courseCode),
    schoolType: enumValue(stats, 'Syllabus.schoolType', SCHOOL_TYPES, s.schoolType),
  };
}

/**
 * Drops what the customer has not opted in to before a person is kept in memory or in the state:
 * civic numbers, and addresses except the country of the population-register address (which the
 * "registered abroad" rule needs). Less to hold, and nothing stored that could not be exported.
 */
export function trimPerson(p: Person, optIn: { address: boolean; civicNo: boolean }): Person {
  let addresses = p.addresses;
  if (!optIn.address) {
    const reg = p.addresses.find((a) => a.type === 'Folkbokföring');
    addresses = reg ? [{ type: 'Folkbokföring', country: reg.country }] : [];
  }
  // One literal rather than a copy with `delete`: a deleted property turns the object into a
  // dictionary, several times its size, and there is one per person for the whole run.
  return {
    id: p.id,
    givenName: p.givenName,
    familyName: p.familyName,
    middleName: p.middleName,
    eppn: p.eppn,
    civicNo: optIn.civicNo ? p.civicNo : undefined,
    securityMarking: p.securityMarking,
    personStatus: p.personStatus,
    emails: p.emails,
    phones: p.phones,
    addresses,
    enrolments: p.enrolments,
    responsibles: p.responsibles,
  };
}

export const PARSERS: {
  [K in EntityName]: (raw: unknown, stats: ParseStats, opts?: ParseOptions) => (Snapshot[K] extends RecordMap<infer V> ? V : never) | undefined;
} = {
  organisations: parseOrganisation,
  persons: parsePerson,
  duties: parseDuty,
  groups: parseGroup,
  activities: parseActivity,
  syllabuses: parseSyllabus,
};
