import type { Activity, Duty, Grade, Group, Organisation, Person, Placement, Programme, StudyPlan, Syllabus } from '../modules/ss12000/schemas.ts';
import { makeCivicNo } from './personnummer.ts';
import { FAMILY, GIVEN_FEMALE, GIVEN_MALE, GR_SUBJECTS, GY_COURSES, GY_PROGRAMMES, MUNICIPALITIES, SCHOOL_NAME_PARTS, STREETS } from './names.ts';
import { generateTimetable, type Timetable } from './timetable.ts';
import { generateAttendance, type AttendanceRecords } from './attendance.ts';
import { generateGrades } from './grades.ts';
import { FLEMISH_FAMILY, FLEMISH_GIVEN_FEMALE, FLEMISH_GIVEN_MALE, FLEMISH_STREETS, FLEMISH_SUBJECTS, makeNationalNumber } from './flemish.ts';

/**
 * A deterministic, Swedish-realistic SS 12000 world: one municipal huvudman with schools and school
 * units, students with valid personnummer (and some samordningsnummer, protected identities, secrecy
 * markings, people registered abroad), guardians shared by siblings, staff with duties and mentor
 * roles, classes, teaching groups, activities with syllabuses, preschool placements, study plans, and
 * dates around `today` (started tomorrow, ended yesterday, ends in ten days, open-ended).
 */
export interface World {
  organisations: Organisation[];
  persons: Person[];
  placements: Placement[];
  duties: Duty[];
  groups: Group[];
  activities: Activity[];
  syllabuses: Syllabus[];
  programmes: Programme[];
  studyplans: StudyPlan[];
  /** The timetable (rooms, resources, offerings, lessons): only when `GenerateOptions.timetable` asks for it. */
  rooms?: Timetable['rooms'];
  resources?: Timetable['resources'];
  schoolUnitOfferings?: Timetable['schoolUnitOfferings'];
  calendarEvents?: Timetable['calendarEvents'];
  /** Attendance of the lessons before today, absences and check-ins: only when `GenerateOptions.attendance` asks for it. */
  attendances?: AttendanceRecords['attendances'];
  absences?: AttendanceRecords['absences'];
  attendanceEvents?: AttendanceRecords['attendanceEvents'];
  attendanceSchedules?: AttendanceRecords['attendanceSchedules'];
  /** Grades per pupil, course and term (src/generator/grades.ts): only when `GenerateOptions.grades` asks for them. */
  grades?: Grade[];
}

export interface GenerateOptions {
  /** PRNG seed: the same seed and options give the same world, byte for byte. */
  seed: number;
  /** Number of school units. */
  schools: number;
  /** Number of students (children in preschool included). */
  students: number;
  /**
   * Institution numbers (six digits) to give the first school units as `organisationCode`, so that
   * grants on these institutions reach them. Further units get generated numbers.
   */
  institutionNumbers?: string[];
  /** The day the date edge cases are built around, YYYY-MM-DD (or a Date, read in UTC). */
  today: string | Date;
  /**
   * A Flemish world instead of the Swedish one: the board and the first school units carry these
   * names and places (the institutions of a back-office), people have Flemish names, addresses and
   * national register numbers. Without it the world is Swedish and byte for byte as before.
   */
  place?: FlemishPlace | undefined;
  /**
   * Also a timetable (src/generator/timetable.ts): lessons in the wall-clock times of `timeZone`
   * (the deployment's `TZ`), for `weeks` weeks from the Monday of today's week, or without `weeks`
   * for the whole school year running today. Drawn from a PRNG of its own, so the rest of the world
   * is the same with it or without it.
   */
  timetable?: { timeZone: string; weeks?: number } | undefined;
  /**
   * Also attendance (src/generator/attendance.ts), with the timetable: every lesson before today
   * reported per pupil, absences with their reasons and preschool check-ins — for the lessons of
   * the `weeks` weeks before today, or without `weeks` for every lesson of the timetable before
   * today. Drawn from a PRNG of its own, so the rest of the world is the same with it or without it.
   */
  attendance?: { weeks?: number } | undefined;
  /**
   * Also grades (src/generator/grades.ts): per pupil, teaching activity and term of the school year
   * begun by today. From a PRNG of its own, so the rest of the world is the same with or without them.
   */
  grades?: boolean | undefined;
}

/** The names and places of a Flemish world (see GenerateOptions.place). */
export interface FlemishPlace {
  /** The school board (the SS 12000 Huvudman). */
  board: string;
  /** The e-mail and web domain of the board's schools, e.g. `scholengroep-brugge.be`. */
  domain: string;
  /** The school units, in the order of `institutionNumbers`. */
  units: { name: string; town: string; postalCode: string; level: 'primary' | 'secondary' }[];
}

/** Small fast seeded PRNG (sfc32) so the world does not depend on Math.random. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  uuid(): string {
    // Four hex digits per draw: one draw has only 32 bits.
    const hex = (n: number) => {
      let out = '';
      while (out.length < n)
        out += Math.floor(this.next() * 65536)
          .toString(16)
          .padStart(4, '0');
      return out.slice(0, n);
    };
    const variant = (8 + Math.floor(this.next() * 4)).toString(16);
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
  }
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[åä]/g, 'a')
    .replace(/ö/g, 'o')
    .replace(/é/g, 'e')
    .replace(/[^a-z0-9]+/g, '');

type Kind = 'GR' | 'GY' | 'FS';
const kindOf = (i: number): Kind => (i % 10 === 6 || i % 10 === 7 ? 'GY' : i % 10 === 8 ? 'FS' : 'GR');

interface Pupil {
  person: Person;
  unit: Organisation;
  kind: Kind;
  grade: number;
  classGroup?: Group;
  programme?: Programme;
}

/** Builds the world. Pure and deterministic: no clock, no I/O, no Math.random. */
export function generateWorld(options: GenerateOptions): World {
  const rnd = new Random(options.seed);
  const todayMs = Date.parse(`${typeof options.today === 'string' ? options.today : iso(options.today.getTime())}T00:00:00Z`);
  const today = iso(todayMs);
  const year = Number(today.slice(0, 4));
  // The school year that is running today (autumn term starts mid-August in Sweden).
  const syStart = today.slice(5) >= '08-15' ? year : year - 1;
  const termStart = `${syStart}-08-18`;
  const termEnd = `${syStart + 1}-06-12`;
  const tomorrow = iso(todayMs + DAY);
  const yesterday = iso(todayMs - DAY);
  const inTenDays = iso(todayMs + 10 * DAY);

  const w: World = { organisations: [], persons: [], placements: [], duties: [], groups: [], activities: [], syllabuses: [], programmes: [], studyplans: [] };
  const muni = rnd.pick(MUNICIPALITIES);
  const place = options.place;
  const mail = slug(muni.name);
  const words = place
    ? { female: FLEMISH_GIVEN_FEMALE, male: FLEMISH_GIVEN_MALE, family: FLEMISH_FAMILY, streets: FLEMISH_STREETS }
    : { female: GIVEN_FEMALE, male: GIVEN_MALE, family: FAMILY, streets: STREETS };
  /** The domain of the schools' e-mail and web addresses ("<x>.se" in Sweden). */
  const domain = (prefix: string) => (place ? `${prefix ? `${prefix}.` : ''}${place.domain}` : `${prefix ? `${prefix}.` : ''}${mail}.se`);
  const ref = (o: { id: string; displayName?: string }) => ({ id: o.id });

  // Syllabuses and programmes shared by the whole world.
  const grSyllabus = new Map<string, Syllabus>();
  for (const [name, code] of GR_SUBJECTS) {
    const s: Syllabus = {
      id: rnd.uuid(),
      schoolType: 'GR',
      subjectCode: code,
      subjectName: place ? (FLEMISH_SUBJECTS[name] ?? name) : name,
      curriculum: 'GR2011',
      official: true,
    };
    if (code === 'M2' && !place) s.subjectDesignation = name.split(', ')[1];
    grSyllabus.set(name, s);
    w.syllabuses.push(s);
  }
  const gySyllabi = GY_COURSES.map(([subject, subjectCode, courseName, courseCode, points]) => {
    const s: Syllabus = {
      id: rnd.uuid(),
      schoolType: 'GY',
      subjectCode,
      subjectName: subject,
      courseName,
      courseCode,
      points,
      curriculum: 'GY2011',
      official: true,
    };
    w.syllabuses.push(s);
    return s;
  });
  const programmes = GY_PROGRAMMES.map(([code, name, type]) => {
    const p: Programme = {
      id: rnd.uuid(),
      name,
      type,
      schoolType: 'GY',
      code,
      content: [{ type: 'Gymnasiegemensamma', points: 1150, content: gySyllabi.slice(0, 8).map(ref) }],
    };
    w.programmes.push(p);
    return p;
  });

  const huvudman: Organisation = {
    id: rnd.uuid(),
    displayName: place ? place.board : `${muni.name} kommun`,
    organisationType: 'Huvudman',
    // A Belgian enterprise number (ten digits) in Flanders; a Swedish municipality's organisationsnummer otherwise.
    organisationNumber: place ? `0${String(rnd.int(200_000_000, 999_999_999))}` : `212000-${String(rnd.int(1000, 9999))}`,
    // Swedish municipality codes (kommunkod) only in Sweden.
    municipalityCode: place ? undefined : muni.code,
    startDate: '1971-01-01',
  };
  w.organisations.push(huvudman);

  const given = new Set(options.institutionNumbers ?? []);
  let nextCode = 100000 + rnd.int(0, 400000);
  const institutionNumber = (i: number) => {
    if (options.institutionNumbers?.[i]) return options.institutionNumbers[i]!;
    while (given.has(String(nextCode))) nextCode++;
    given.add(String(nextCode));
    return String(nextCode++);
  };

  const units: { unit: Organisation; kind: Kind; count: number }[] = [];
  const perSchool = Math.floor(options.students / Math.max(1, options.schools));
  for (let i = 0; i < options.schools; i++) {
    const placed = place?.units[i];
    const kind: Kind = placed ? (placed.level === 'primary' ? 'GR' : 'GY') : kindOf(i);
    const base = placed
      ? slug(placed.name.replace(/^GO!\s*/, ''))
      : `${SCHOOL_NAME_PARTS[i % SCHOOL_NAME_PARTS.length]}${i >= SCHOOL_NAME_PARTS.length ? ` ${Math.floor(i / SCHOOL_NAME_PARTS.length) + 1}` : ''}`;
    const name = placed ? placed.name : kind === 'GY' ? `${base}gymnasiet` : kind === 'FS' ? `${base} förskola` : `${base}skolan`;
    const school: Organisation = {
      id: rnd.uuid(),
      displayName: name,
      organisationType: 'Skola',
      parentOrganisation: ref(huvudman),
      municipalityCode: place ? undefined : muni.code,
      startDate: '1998-07-01',
    };
    const unit: Organisation = {
      id: rnd.uuid(),
      displayName: kind === 'GR' && !placed ? `${name} F-9` : name,
      organisationType: 'Skolenhet',
      organisationCode: institutionNumber(i),
      parentOrganisation: ref(school),
      schoolUnitCode: String(rnd.int(10_000_000, 99_999_999)),
      schoolTypes: placed ? [kind] : kind === 'GR' ? ['FKLASS', 'GR', 'FTH'] : kind === 'GY' ? ['GY'] : ['FS'],
      municipalityCode: place ? undefined : muni.code,
      address: {
        type: 'Besöksadress',
        streetAddress: `${rnd.pick(words.streets)} ${rnd.int(1, 80)}`,
        locality: placed ? placed.town : muni.name,
        postalCode: placed ? placed.postalCode : `${muni.postal}${rnd.int(100, 999)}`,
        country: placed ? 'België' : 'Sverige',
      },
      email: `${slug(base)}@${domain('')}`,
      url: placed ? `https://www.${domain('')}/${slug(base)}` : `https://${mail}.se/skolor/${slug(base)}`,
      startDate: '1998-07-01',
    };
    // Date edge cases on units too: one opens tomorrow, one closes in ten days.
    // (Not in a placed world: its schools are the back-office's institutions, open today.)
    if (i === 3 && options.schools > 4 && !placed) unit.endDate = inTenDays;
    if (i === 5 && options.schools > 6 && !placed) unit.startDate = tomorrow;
    w.organisations.push(school, unit);
    units.push({ unit, kind, count: perSchool + (i < options.students - perSchool * options.schools ? 1 : 0) });
  }

  let serial = 0;
  const newPerson = (p: { birthYear: number; female: boolean; family: string; coordination?: boolean }): Person => {
    const month = rnd.int(1, 12);
    const day = rnd.int(1, 28);
    const birthDate = `${p.birthYear}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    // Birth number: last digit even for women, odd for men.
    const birthNumber = rnd.int(0, 49) * 20 + (serial++ % 5) * 2 + (p.female ? 0 : 1);
    return {
      id: rnd.uuid(),
      givenName: rnd.pick(p.female ? words.female : words.male),
      familyName: p.family,
      civicNo: place
        ? // The day counter keeps the birth number's parity (odd for men) within 002–997.
          { value: makeNationalNumber(birthDate, ((birthNumber % 1000) % 996) + 2), nationality: 'BE' }
        : { value: makeCivicNo(birthDate, birthNumber % 1000, p.coordination), nationality: 'SE' },
      birthDate,
      sex: p.female ? 'Kvinna' : 'Man',
      securityMarking: 'Ingen',
      personStatus: 'Aktiv',
    };
  };
  let emailSerial = 0;
  const schoolEmail = (p: Person, domain: string) => `${slug(p.givenName)}.${slug(p.familyName)}${++emailSerial}@${domain}`;

  // Students, classes and preschool departments, unit by unit.
  const pupils: Pupil[] = [];
  for (const { unit, kind, count } of units) {
    // Flanders: primary school years 1–6, secondary 1–6; Sweden: F–9, upper secondary 1–3.
    const grades = place ? [1, 2, 3, 4, 5, 6] : kind === 'GR' ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] : kind === 'GY' ? [1, 2, 3] : [1, 2, 3, 4, 5];
    const perGrade = Math.ceil(count / grades.length);
    let made = 0;
    for (const grade of grades) {
      const n = Math.min(perGrade, count - made);
      if (n <= 0) break;
      const classes = Math.max(1, Math.ceil(n / (kind === 'FS' ? 18 : 25)));
      const classGroups: Group[] = [];
      const programme = kind === 'GY' && !place ? programmes[(grade + w.groups.length) % programmes.length] : undefined;
      for (let c = 0; c < classes; c++) {
        const letter = String.fromCharCode(65 + c);
        const g: Group = {
          id: rnd.uuid(),
          displayName:
            kind === 'GR' || place
              ? `${grade === 0 ? 'F' : grade}${letter}`
              : kind === 'GY'
                ? `${programme!.code}${grade}${letter}`
                : `Avdelning ${['Humlan', 'Myran', 'Nyckelpigan', 'Fjärilen', 'Ekorren'][grade - 1]} ${letter}`,
          startDate: termStart,
          endDate: termEnd,
          groupType: kind === 'FS' ? 'Avdelning' : 'Klass',
          schoolType: kind === 'FS' ? 'FS' : kind === 'GY' ? 'GY' : grade === 0 ? 'FKLASS' : 'GR',
          organisation: ref(unit),
          groupMemberships: [],
        };
        classGroups.push(g);
        w.groups.push(g);
      }
      for (let k = 0; k < n; k++) {
        const age = place ? (kind === 'GR' ? 5 : 11) + grade : kind === 'GR' ? 6 + grade : kind === 'GY' ? 15 + grade : grade;
        const person = newPerson({
          birthYear: syStart - age + (rnd.chance(0.7) ? 0 : 1),
          female: rnd.chance(0.5),
          family: rnd.pick(words.family),
          coordination: rnd.chance(0.01),
        });
        const classGroup = classGroups[k % classes]!;
        pupils.push({ person, unit, kind, grade, classGroup, programme });
        made++;
      }
    }
  }

  // Families: siblings share guardians (and usually a family name and an address).
  let i = 0;
  while (i < pupils.length) {
    const size = Math.min(pupils.length - i, rnd.chance(0.25) ? 2 : rnd.chance(0.08) ? 3 : 1);
    const kids = pupils.slice(i, i + size);
    i += size;
    const family = kids[0]!.person.familyName;
    const protectedFamily = rnd.chance(0.005);
    const secretFamily = !protectedFamily && rnd.chance(0.01);
    const abroad = !protectedFamily && rnd.chance(0.004);
    const home = place?.units[units.findIndex((u) => u.unit === kids[0]!.unit)];
    const address = home
      ? {
          type: 'Folkbokföring' as const,
          streetAddress: `${rnd.pick(words.streets)} ${rnd.int(1, 120)}${rnd.chance(0.3) ? ` bus ${rnd.int(1, 12)}` : ''}`,
          locality: abroad ? 'Lille' : home.town,
          postalCode: abroad ? '59000' : home.postalCode,
          country: abroad ? 'Frankrijk' : 'België',
        }
      : {
          type: 'Folkbokföring' as const,
          streetAddress: `${rnd.pick(STREETS)} ${rnd.int(1, 120)}${rnd.chance(0.3) ? ` lgh ${rnd.int(1001, 1404)}` : ''}`,
          locality: abroad ? 'Oslo' : muni.name,
          postalCode: abroad ? String(rnd.int(1000, 1299)) : `${muni.postal}${rnd.int(100, 999)}`,
          countyCode: abroad ? undefined : muni.county,
          municipalityCode: abroad ? undefined : Number(muni.code),
          country: abroad ? 'Norge' : 'Sverige',
        };
    const guardianCount = rnd.chance(0.2) ? 1 : 2;
    const guardians: Person[] = [];
    for (let g = 0; g < guardianCount; g++) {
      const female = g === 0 ? rnd.chance(0.6) : !guardians[0]!.sex || guardians[0]!.sex === 'Man';
      const gp = newPerson({
        birthYear: syStart - rnd.int(28, 55),
        female,
        family: g === 0 || rnd.chance(0.6) ? family : rnd.pick(words.family),
        coordination: rnd.chance(0.02),
      });
      gp.emails = [{ value: `${slug(gp.givenName)}.${slug(gp.familyName)}${++emailSerial}@example.${place ? 'be' : 'se'}`, type: 'Privat' }];
      gp.phoneNumbers = [{ value: `${place ? '+32470' : '+4670'}${rnd.int(1000000, 9999999)}`, type: 'Hem', mobile: true }];
      gp.addresses = [{ ...address }];
      if (protectedFamily) gp.securityMarking = 'Skyddad folkbokföring';
      else if (secretFamily) gp.securityMarking = 'Sekretessmarkering';
      guardians.push(gp);
      w.persons.push(gp);
    }
    for (const pupil of kids) {
      const p = pupil.person;
      p.familyName = rnd.chance(0.85) ? family : p.familyName;
      p.addresses = [{ ...address }];
      if (protectedFamily) p.securityMarking = 'Skyddad folkbokföring';
      else if (secretFamily) p.securityMarking = 'Sekretessmarkering';
      if (abroad) p.personStatus = 'Utvandrad';
      if (pupil.kind !== 'FS') {
        const email = schoolEmail(p, domain(place ? 'leerling' : 'elev'));
        p.emails = [{ value: email, type: 'Skola elev' }];
        p.eduPersonPrincipalNames = [email];
        if (pupil.kind === 'GY') p.phoneNumbers = [{ value: `${place ? '+32473' : '+4673'}${rnd.int(1000000, 9999999)}`, type: 'Hem', mobile: true }];
      }
      p.photo = `https://${domain('foto')}/${p.id}.jpg`;
      p.responsibles = guardians.map((g) => ({ person: ref(g), relationType: 'Vårdnadshavare' as const }));
      // Dates around today: most started at term start; some start tomorrow, ended yesterday, end in ten days.
      const roll = rnd.next();
      const start = roll < 0.01 ? tomorrow : termStart;
      const end =
        roll >= 0.01 && roll < 0.02
          ? yesterday
          : roll >= 0.02 && roll < 0.03
            ? inTenDays
            : pupil.kind === 'GY' && pupil.grade === (place ? 6 : 3)
              ? termEnd
              : undefined;
      if (pupil.kind === 'FS') {
        w.placements.push({
          id: rnd.uuid(),
          placedAt: ref(pupil.unit),
          group: ref(pupil.classGroup!),
          child: ref(p),
          owners: guardians.map(ref),
          schoolType: 'FS',
          startDate: start,
          ...(end ? { endDate: end } : {}),
          reason: 'Omsorgsbehov',
          maxWeeklyScheduleHours: rnd.pick([15, 30, 40, 45]),
        });
      } else {
        p.enrolments = [
          {
            enroledAt: ref(pupil.unit),
            schoolYear: pupil.grade,
            schoolType: pupil.kind === 'GY' ? 'GY' : pupil.grade === 0 ? 'FKLASS' : 'GR',
            startDate: start,
            ...(end ? { endDate: end } : {}),
            ...(pupil.programme ? { programme: ref(pupil.programme), educationCode: pupil.programme.code } : {}),
          },
        ];
        // Leisure-time centre for the youngest.
        if (pupil.kind === 'GR' && pupil.grade <= 3 && !place && rnd.chance(0.5)) {
          w.placements.push({
            id: rnd.uuid(),
            placedAt: ref(pupil.unit),
            child: ref(p),
            owners: guardians.map(ref),
            schoolType: 'FTH',
            startDate: start,
            ...(end ? { endDate: end } : {}),
            reason: 'Omsorgsbehov',
          });
        }
      }
      pupil.classGroup!.groupMemberships!.push({ person: ref(p), startDate: start, ...(end ? { endDate: end } : {}) });
      if (pupil.kind === 'GY' && !place && rnd.chance(0.3)) {
        w.studyplans.push({
          id: rnd.uuid(),
          student: ref(p),
          startDate: termStart,
          content: [{ type: 'Gymnasiegemensamma', points: 800, syllabuses: gySyllabi.slice(0, 6).map((s) => ({ syllabus: ref(s) })) }],
          notes: [{ type: 'Elevens mål med studierna', note: 'Vidare studier.' }],
        });
      }
    }
    w.persons.push(...kids.map((k) => k.person));
  }

  // Staff, their duties, mentors, and activities (teaching) per class.
  const groupsByUnit = new Map<string, Group[]>();
  for (const g of w.groups) {
    const list = groupsByUnit.get(g.organisation.id) ?? [];
    list.push(g);
    groupsByUnit.set(g.organisation.id, list);
  }
  for (const { unit, kind, count } of units) {
    const teachers = Math.max(2, Math.round(count / 12));
    const duties: Duty[] = [];
    const staff = (role: Duty['dutyRole'], percent: number) => {
      const person = newPerson({ birthYear: syStart - rnd.int(24, 64), female: rnd.chance(0.7), family: rnd.pick(words.family) });
      const email = schoolEmail(person, domain(''));
      person.emails = [{ value: email, type: 'Skola personal' }];
      person.eduPersonPrincipalNames = [email];
      person.phoneNumbers = [{ value: `${place ? '+3250' : '+468'}${rnd.int(1000000, 9999999)}`, type: 'Arbete', mobile: false }];
      if (rnd.chance(0.005)) person.securityMarking = 'Skyddad folkbokföring';
      w.persons.push(person);
      const roll = rnd.next();
      const duty: Duty = {
        id: rnd.uuid(),
        person: ref(person),
        dutyAt: ref(unit),
        dutyRole: role,
        signature: `${person.givenName[0]}${person.familyName.slice(0, 2)}`.toUpperCase(),
        dutyPercent: percent,
        startDate: roll < 0.02 ? tomorrow : iso(Date.parse(`${syStart - rnd.int(0, 15)}-08-01T00:00:00Z`)),
        ...(roll >= 0.02 && roll < 0.04 ? { endDate: yesterday } : roll >= 0.04 && roll < 0.05 ? { endDate: inTenDays } : {}),
      };
      duties.push(duty);
      w.duties.push(duty);
      return duty;
    };
    staff('Rektor', 100);
    staff('Skoladministratör', 80);
    if (kind !== 'FS') staff(rnd.chance(0.5) ? 'Kurator' : 'Skolsköterska', 50);
    const teacherDuties: Duty[] = [];
    for (let t = 0; t < teachers; t++) {
      teacherDuties.push(
        staff(kind === 'FS' ? (t % 2 ? 'Barnskötare' : 'Förskollärare') : t % 9 === 8 ? 'Förstelärare' : 'Lärare', rnd.pick([100, 100, 100, 80, 50])),
      );
    }
    const groups = groupsByUnit.get(unit.id) ?? [];
    let ti = 0;
    const nextTeacher = () => teacherDuties[ti++ % teacherDuties.length]!;
    for (const g of groups) {
      const mentor = nextTeacher();
      (mentor.assignmentRole ??= []).push({
        group: ref(g),
        assignmentRoleType: kind === 'FS' ? 'Förskollärare' : 'Mentor',
        startDate: g.startDate,
        ...(g.endDate ? { endDate: g.endDate } : {}),
      });
      if (kind === 'FS') continue;
      const subjects: Syllabus[] =
        kind === 'GY' && !place
          ? gySyllabi.slice(0, 6)
          : ['Svenska', 'Matematik', 'Engelska', 'Idrott och hälsa', 'Bild', 'Musik'].map((s) => grSyllabus.get(s)!);
      for (const s of subjects) {
        const t = nextTeacher();
        w.activities.push({
          id: rnd.uuid(),
          displayName: `${s.courseName ?? s.subjectName} ${g.displayName}`,
          calendarEventsRequired: false,
          startDate: g.startDate,
          endDate: g.endDate,
          activityType: 'Undervisning',
          minutesPlanned: rnd.pick([2400, 3600, 4800]),
          groups: [ref(g)],
          teachers: [{ duty: ref(t), grader: true }],
          syllabus: ref(s),
          organisation: ref(unit),
        });
      }
    }
    // Modern languages in grades 6–9: the grade is split into teaching groups across its classes.
    if (kind === 'GR' && !place) {
      for (const grade of [6, 7, 8, 9]) {
        const members = groups.filter((g) => g.displayName.startsWith(String(grade))).flatMap((g) => g.groupMemberships ?? []);
        if (!members.length) continue;
        const langs = ['Moderna språk, spanska', 'Moderna språk, tyska', 'Moderna språk, franska'];
        langs.forEach((lang, li) => {
          const tg: Group = {
            id: rnd.uuid(),
            displayName: `${grade} ${lang.split(', ')[1]!.slice(0, 3).toUpperCase()}`,
            startDate: termStart,
            endDate: termEnd,
            groupType: 'Undervisning',
            schoolType: 'GR',
            organisation: ref(unit),
            groupMemberships: members.filter((_, mi) => mi % langs.length === li),
          };
          w.groups.push(tg);
          w.activities.push({
            id: rnd.uuid(),
            displayName: `${lang.split(', ')[1]} åk ${grade}`,
            calendarEventsRequired: false,
            startDate: termStart,
            endDate: termEnd,
            activityType: 'Undervisning',
            groups: [ref(tg)],
            teachers: [{ duty: ref(nextTeacher()), grader: true }],
            syllabus: ref(grSyllabus.get(lang)!),
            organisation: ref(unit),
          });
        });
      }
    }
  }
  if (options.timetable) {
    const weekday = (new Date(todayMs).getUTCDay() + 6) % 7;
    const monday = iso(todayMs - weekday * DAY);
    const { weeks, timeZone } = options.timetable;
    const from = weeks === undefined ? termStart : monday;
    const to = weeks === undefined ? termEnd : iso(Date.parse(`${monday}T00:00:00Z`) + (weeks * 7 - 3) * DAY);
    Object.assign(w, generateTimetable(w, { timeZone, from, to, holidays: place ? 'be' : 'se' }, new Random(options.seed ^ 0x5c4ed)));
    if (options.attendance) {
      const today = iso(todayMs);
      const since = options.attendance.weeks === undefined ? from : iso(todayMs - options.attendance.weeks * 7 * DAY);
      const records = generateAttendance(
        { ...w, calendarEvents: w.calendarEvents ?? [] },
        { timeZone, from: since > from ? since : from, today, language: place ? 'be' : 'se' },
        new Random(options.seed ^ 0xa77e9d),
      );
      Object.assign(w, records);
    }
  }
  if (options.grades) w.grades = generateGrades(w, { today, termStart, termEnd, scale: place ? 'be' : 'se' }, new Random(options.seed ^ 0x6ade5));
  return w;
}

/** Summary counts of a world, for the CLI and benchmarks. */
export function worldCounts(w: World): Record<keyof World, number> {
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, (v as unknown[] | undefined)?.length ?? 0])) as Record<keyof World, number>;
}
