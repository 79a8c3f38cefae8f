import { z } from 'zod';

/**
 * Schoolgate's own zod description of the SS 12000 v2.1 entities it stores and serves. Written from
 * the standard's data model (the OpenAPI file in shared/ is reference only). The same schemas
 * validate ingestion and generate the facade's OpenAPI.
 */

const id = z.guid();
const date = z.iso.date();
const str = z.string().min(1);

export const schoolTypes = [
  'FS',
  'FKLASS',
  'FTH',
  'OPPFTH',
  'GR',
  'GRS',
  'TR',
  'SP',
  'SAM',
  'GY',
  'GYS',
  'VUX',
  'VUXSFI',
  'VUXGR',
  'VUXGY',
  'VUXSARGR',
  'VUXSARTR',
  'VUXSARGY',
  'SFI',
  'SARVUX',
  'SARVUXGR',
  'SARVUXGY',
  'KU',
  'YH',
  'FHS',
  'STF',
  'KKU',
  'HS',
  'ABU',
  'AU',
] as const;
export const SchoolType = z.enum(schoolTypes);
export const organisationTypes = [
  'Huvudman',
  'Verksamhetsområde',
  'Förvaltning',
  'Rektorsområde',
  'Skola',
  'Skolenhet',
  'Varumärke',
  'Bolag',
  'Övrigt',
] as const;
export const OrganisationType = z.enum(organisationTypes);
export const securityMarkings = ['Ingen', 'Sekretessmarkering', 'Skyddad folkbokföring'] as const;
export const SecurityMarking = z.enum(securityMarkings);
export const groupTypes = ['Undervisning', 'Klass', 'Mentor', 'Provgrupp', 'Schema', 'Avdelning', 'Personalgrupp', 'Övrigt'] as const;
export const GroupType = z.enum(groupTypes);
export const dutyRoles = [
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
] as const;
export const DutyRole = z.enum(dutyRoles);
export const assignmentRoleTypes = [
  'Mentor',
  'Förskollärare',
  'Barnskötare',
  'Fritidspedagog',
  'Specialpedagog',
  'Elevhälsopersonal',
  'Pedagogisk ledare',
  'Schemaläggare',
  'Lärarassistent',
  'Administrativ personal',
] as const;
export const relationTypes = ['Vårdnadshavare', 'Annan ansvarig', 'God man', 'Utsedd behörig'] as const;
export const curricula = [
  'Lgy70',
  'Lgr80',
  'Lpo94',
  'Lpf94',
  'Lpfö98',
  'GR2000',
  'GY2000',
  'GYSÄR2000',
  'GYVUX2000',
  'GYVUX2001',
  'GYVUX2002',
  'GR2011',
  'GRSÄR2011',
  'SPEC2011',
  'SAM2011',
  'Lvux12',
  'GY2011',
  'GYSÄR2013',
  'VU2013',
] as const;

export const Meta = z.object({ created: z.string().describe('date-time'), modified: z.string().describe('date-time') }).meta({ id: 'Meta' });
export const Reference = z.object({ id, displayName: z.string().optional() }).meta({ id: 'ObjectReference' });
export const PersonReference = z
  .object({ id, displayName: z.string().optional(), securityMarking: SecurityMarking.optional() })
  .meta({ id: 'PersonReference' });

const dated = { startDate: date.optional(), endDate: date.optional() };

export const OrganisationInput = z.object({
  id,
  displayName: str,
  organisationCode: z.string().optional(),
  organisationType: OrganisationType,
  organisationNumber: z.string().optional(),
  parentOrganisation: Reference.optional(),
  schoolUnitCode: z.string().optional(),
  schoolTypes: z.array(SchoolType).optional(),
  address: z
    .object({
      type: z.enum(['Besöksadress', 'Leveransadress', 'Postadress', 'Fakturaadress']).optional(),
      streetAddress: z.string(),
      locality: z.string(),
      postalCode: z.string(),
      countyCode: z.number().int().optional(),
      municipalityCode: z.number().int().optional(),
      realEstateDesignation: z.string().optional(),
      country: z.string().optional(),
    })
    .optional(),
  municipalityCode: z.string().optional(),
  url: z.string().optional(),
  email: z.string().optional(),
  phoneNumber: z.string().optional(),
  contactInfo: z.array(z.object({ infoType: z.enum(['Support', 'Publik']).optional(), info: z.string().optional() })).optional(),
  ...dated,
});

export const Enrolment = z.object({
  enroledAt: Reference,
  schoolYear: z.number().int().optional(),
  schoolType: SchoolType,
  startDate: date,
  endDate: date.optional(),
  cancelled: z.boolean().optional(),
  educationCode: z.string().optional(),
  programme: Reference.optional(),
  specification: z.string().optional(),
});

export const Email = z.object({ value: z.string().min(3), type: z.enum(['Privat', 'Skola elev', 'Skola personal', 'Arbete övrigt']) });
export const PhoneNumber = z.object({ value: z.string().min(1), type: z.enum(['Hem', 'Arbete']), mobile: z.boolean() });
export const PersonAddress = z.object({
  type: z.enum(['Folkbokföring', 'Särskild postadress', 'Tillfällig adress', 'Postadress']).optional(),
  streetAddress: z.string(),
  locality: z.string(),
  postalCode: z.string(),
  countyCode: z.number().int().optional(),
  municipalityCode: z.number().int().optional(),
  realEstateDesignation: z.string().optional(),
  country: z.string(),
});

export const PersonInput = z.object({
  id,
  givenName: str,
  middleName: z.string().optional(),
  familyName: str,
  eduPersonPrincipalNames: z.array(z.string()).optional(),
  externalIdentifiers: z.array(z.object({ value: z.string(), context: z.string(), globallyUnique: z.boolean() })).optional(),
  civicNo: z.object({ value: z.string().min(1), nationality: z.string().optional() }).optional(),
  birthDate: date.optional(),
  sex: z.enum(['Man', 'Kvinna', 'Okänt']).optional(),
  securityMarking: SecurityMarking.optional(),
  personStatus: z.enum(['Aktiv', 'Utvandrad', 'Avliden']).optional(),
  emails: z.array(Email).optional(),
  phoneNumbers: z.array(PhoneNumber).optional(),
  addresses: z.array(PersonAddress).optional(),
  photo: z.string().optional(),
  enrolments: z.array(Enrolment).optional(),
  responsibles: z.array(z.object({ person: PersonReference, relationType: z.enum(relationTypes) })).optional(),
});

export const PlacementInput = z.object({
  id,
  placedAt: Reference,
  group: Reference.optional(),
  child: PersonReference,
  owners: z.array(PersonReference).optional(),
  schoolType: z.enum(['FS', 'FTH', 'OPPFTH']),
  startDate: date,
  endDate: date.optional(),
  reason: z.enum(['Omsorgsbehov', 'Erbjuden tid', 'Eget behov']).optional(),
  maxWeeklyScheduleHours: z.number().int().optional(),
});

export const DutyInput = z.object({
  id,
  person: PersonReference.optional(),
  assignmentRole: z.array(z.object({ group: Reference, assignmentRoleType: z.enum(assignmentRoleTypes), ...dated })).optional(),
  dutyAt: Reference,
  dutyRole: DutyRole,
  description: z.string().optional(),
  signature: z.string().optional(),
  dutyPercent: z.number().int().optional(),
  hoursPerYear: z.number().int().optional(),
  startDate: date,
  endDate: date.optional(),
});

export const GroupMembership = z.object({ person: PersonReference, ...dated });
export const GroupInput = z.object({
  id,
  displayName: str,
  startDate: date,
  endDate: date.optional(),
  groupType: GroupType,
  schoolType: SchoolType.optional(),
  organisation: Reference,
  groupMemberships: z.array(GroupMembership).optional(),
});

export const DutyAssignment = z.object({
  duty: Reference,
  ...dated,
  minutesPlanned: z.number().int().optional(),
  grader: z.boolean().optional(),
});
export const ActivityInput = z.object({
  id,
  displayName: str,
  calendarEventsRequired: z.boolean(),
  startDate: date,
  endDate: date.optional(),
  activityType: z.enum(['Undervisning', 'Elevaktivitet', 'Provaktivitet', 'Läraraktivitet', 'Övrigt']).optional(),
  comment: z.string().optional(),
  minutesPlanned: z.number().int().optional(),
  groups: z.array(Reference),
  teachers: z.array(DutyAssignment).optional(),
  syllabus: Reference.optional(),
  organisation: Reference,
  parentActivity: Reference.optional(),
});

export const SyllabusInput = z.object({
  id,
  schoolType: SchoolType,
  subjectCode: z.string().optional(),
  subjectName: str,
  subjectDesignation: z.string().optional(),
  courseCode: z.string().optional(),
  courseName: z.string().optional(),
  startSchoolYear: z.number().int().optional(),
  endSchoolYear: z.number().int().optional(),
  points: z.number().int().optional(),
  curriculum: z.enum(curricula).optional(),
  languageCode: z.string().optional(),
  specialisationCourseContent: z
    .object({ title: z.string(), description: z.string(), titleEnglish: z.string().optional(), descriptionEnglish: z.string().optional() })
    .optional(),
  official: z.boolean(),
});

const programmeContentTypes = ['Gymnasiegemensamma', 'Programgemensamma', 'Inriktning', 'Programfördjupning', 'Gymnasiearbete', 'Individuellt val'] as const;
export const ProgrammeInput = z.object({
  id,
  name: str,
  type: z.enum([
    'Yrkesprogram',
    'Högskoleförberedande program',
    'Intruduktionsprogram',
    'Nationellt yrkespaket',
    'Regionalt yrkespaket',
    'Fjärde tekniskt år',
    'Programinriktning',
    'Utgång',
  ]),
  parentProgramme: Reference.optional(),
  schoolType: SchoolType,
  code: z.string().optional(),
  content: z.array(z.object({ type: z.enum(programmeContentTypes), points: z.number().int().optional(), content: z.array(Reference).optional() })).optional(),
});

export const StudyPlanInput = z.object({
  id,
  student: PersonReference,
  content: z
    .array(
      z.object({
        title: z.string().optional(),
        type: z.enum([...programmeContentTypes, 'Borttagna', 'Utökade']).optional(),
        points: z.number().int().optional(),
        syllabuses: z.array(z.object({ syllabus: Reference, note: z.string().optional(), ...dated, hours: z.number().int().optional() })),
      }),
    )
    .optional(),
  notes: z
    .array(
      z.object({
        type: z.enum([
          'Anteckningar',
          'Andra insatser som är gynnsamma för elevens kunskapsutveckling',
          'Elevens tidigare arbetslivserfarenhet och studier',
          'Validering av kunskaper och kompetenser',
          'Elevens mål med studierna',
        ]),
        note: z.string(),
      }),
    )
    .optional(),
  startDate: date,
  endDate: date.optional(),
});

export const RoomInput = z.object({ id, displayName: str, seats: z.number().int().optional(), owner: Reference });
export const ResourceInput = z.object({ id, displayName: str, description: z.string().optional(), owner: Reference });
export const SchoolUnitOfferingInput = z.object({
  id,
  ...dated,
  offeredAt: Reference,
  offeredSyllabuses: z.array(Reference),
  offeredProgrammes: z.array(Reference).optional(),
});
/** An RFC 3339 moment with its offset, as the spec writes them ("2015-12-12T10:30:00+01:00"). */
const moment = z.iso.datetime({ offset: true });
const exceptionTimes = { startTime: moment.optional(), endTime: moment.optional(), teachingLength: z.number().int().optional() };
export const CalendarEventInput = z.object({
  id,
  activity: Reference,
  startTime: moment,
  endTime: moment,
  cancelled: z.boolean().optional(),
  teachingLengthTeacher: z.number().int().optional(),
  teachingLengthStudent: z.number().int().optional(),
  comment: z.string().optional(),
  studentExceptions: z.array(z.object({ student: PersonReference, participates: z.boolean(), ...exceptionTimes })).optional(),
  teacherExceptions: z.array(z.object({ duty: Reference, participates: z.boolean(), ...exceptionTimes })).optional(),
  rooms: z.array(Reference).optional(),
  resources: z.array(Reference).optional(),
});

// Attendance (issue 17). The spec writes every moment with its offset (`moment`).
export const absenceTypes = ['Beviljad ledighet', 'Anmäld frånvaro'] as const;
export const AttendanceInput = z.object({
  id,
  calendarEvent: Reference,
  student: PersonReference,
  reporter: PersonReference.optional(),
  isReported: z.boolean(),
  attendanceMinutes: z.number().int().min(0).optional(),
  validAbsenceMinutes: z.number().int().min(0).optional(),
  invalidAbsenceMinutes: z.number().int().min(0).optional(),
  otherAttendanceMinutes: z.number().int().min(0).optional(),
  absenceReason: z.string().optional(),
  reportedTimestamp: moment.optional(),
});
export const AbsenceInput = z.object({
  id,
  startTime: moment,
  endTime: moment,
  type: z.enum(absenceTypes),
  student: PersonReference,
  organisation: Reference.optional(),
  registeredBy: PersonReference.optional(),
});
export const attendanceEventTypes = ['In', 'Ut'] as const;
export const AttendanceEventInput = z.object({
  id,
  time: moment,
  eventType: z.enum(attendanceEventTypes),
  person: PersonReference,
  registeredBy: PersonReference.optional(),
  group: Reference,
});

export const attendanceScheduleStates = ['Godkänt', 'Begärt', 'Nekat'] as const;
export const weekdays = ['Måndag', 'Tisdag', 'Onsdag', 'Torsdag', 'Fredag', 'Lördag', 'Söndag'] as const;
/** A wall-clock time of day, as the spec writes them ("08:30"). */
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM');
export const AttendanceScheduleInput = z.object({
  id,
  placement: Reference,
  numberOfWeeks: z.number().int().min(1),
  startDate: date,
  endDate: date.optional(),
  temporary: z.boolean().optional(),
  state: z.array(
    z.object({ state: z.enum(attendanceScheduleStates), registeredAt: moment, comment: z.string().optional(), registeredBy: PersonReference.optional() }),
  ),
  scheduleEntries: z.array(z.object({ weekOffset: z.number().int().min(0), dayOfWeek: z.enum(weekdays), startTime: clockTime, endTime: clockTime })).optional(),
});

/**
 * A registered grade of a pupil in a subject or course (issue 17, `/grades`). The spec requires
 * `adaptedStudyPlan` (how an adapted study plan changed the course; the generator writes that none did).
 */
export const GradeInput = z.object({
  id,
  student: PersonReference,
  // Required: the spec's Grade requires `schoolUnit`, a member it does not define; the school unit
  // where the pupil was taught is `organisation`, which the scope reads.
  organisation: Reference,
  registeredBy: PersonReference,
  gradingTeacher: PersonReference.optional(),
  group: Reference.optional(),
  registeredDate: date,
  gradeValue: z.string(),
  finalGrade: z.boolean(),
  trial: z.boolean().optional(),
  adaptedStudyPlan: z.string(),
  remark: z.string().optional(),
  converted: z.boolean().optional(),
  correctionType: z.enum(['Ändring', 'Rättelse']).optional(),
  semester: z.enum(['HT', 'VT']).optional(),
  year: z.number().int().optional(),
  syllabus: Reference,
  diplomaProject: z
    .object({ title: z.string(), description: z.string(), titleEnglish: z.string().optional(), descriptionEnglish: z.string().optional() })
    .optional(),
});

export type Organisation = z.infer<typeof OrganisationInput>;
export type Person = z.infer<typeof PersonInput>;
export type Placement = z.infer<typeof PlacementInput>;
export type Duty = z.infer<typeof DutyInput>;
export type Group = z.infer<typeof GroupInput>;
export type Activity = z.infer<typeof ActivityInput>;
export type Syllabus = z.infer<typeof SyllabusInput>;
export type Programme = z.infer<typeof ProgrammeInput>;
export type StudyPlan = z.infer<typeof StudyPlanInput>;
export type Room = z.infer<typeof RoomInput>;
export type Resource = z.infer<typeof ResourceInput>;
export type SchoolUnitOffering = z.infer<typeof SchoolUnitOfferingInput>;
export type CalendarEvent = z.infer<typeof CalendarEventInput>;
export type Attendance = z.infer<typeof AttendanceInput>;
export type Absence = z.infer<typeof AbsenceInput>;
export type AttendanceEvent = z.infer<typeof AttendanceEventInput>;
export type AttendanceSchedule = z.infer<typeof AttendanceScheduleInput>;
export type Grade = z.infer<typeof GradeInput>;

/** The entity collections, in the order ingestion applies them (referenced before referencing). */
export const entityTypes = [
  'organisations',
  'syllabuses',
  'programmes',
  'persons',
  'groups',
  'duties',
  'placements',
  'activities',
  'studyplans',
  // The timetable (issue 17): after what its records refer to.
  'rooms',
  'resources',
  'schoolUnitOfferings',
  'calendarEvents',
  // Attendance (issue 17): after the lessons and groups they name.
  'attendances',
  'absences',
  'attendanceEvents',
  'attendanceSchedules',
  // Grades (issue 17): after the persons, groups and syllabuses they refer to.
  'grades',
] as const;
export type EntityType = (typeof entityTypes)[number];

export const inputSchemas = {
  organisations: OrganisationInput,
  persons: PersonInput,
  placements: PlacementInput,
  duties: DutyInput,
  groups: GroupInput,
  activities: ActivityInput,
  syllabuses: SyllabusInput,
  programmes: ProgrammeInput,
  studyplans: StudyPlanInput,
  rooms: RoomInput,
  resources: ResourceInput,
  schoolUnitOfferings: SchoolUnitOfferingInput,
  calendarEvents: CalendarEventInput,
  attendances: AttendanceInput,
  absences: AbsenceInput,
  attendanceEvents: AttendanceEventInput,
  attendanceSchedules: AttendanceScheduleInput,
  grades: GradeInput,
} satisfies Record<EntityType, z.ZodType>;

/** A batch of SS 12000 data as the SIS sends it: entities to upsert and ids to delete, per collection. */
export interface IngestionBatch {
  upsert?: Partial<{ [K in EntityType]: unknown[] }>;
  delete?: Partial<{ [K in EntityType]: string[] }>;
}

export const ingestionBatchSchema = z
  .object({
    upsert: z.partialRecord(z.enum(entityTypes), z.array(z.unknown())).optional(),
    delete: z.partialRecord(z.enum(entityTypes), z.array(z.guid())).optional(),
  })
  .meta({ id: 'Ss12000IngestionBatch' });
