import type { Activity, Duty, Grade, Group } from '../modules/ss12000/schemas.ts';
import type { Draws } from './timetable.ts';

/**
 * The grades of a generated world (issue 17): one grade per pupil, per teaching activity with a
 * syllabus, per term of the school year that has begun — the autumn term (HT) always, the spring
 * term (VT) once it has started. A term's grade is registered on its last day, or today while the
 * term runs (the grade so far), by the activity's grading teacher. Only where grades are given:
 * upper secondary (GY) and compulsory school from year 6 (GR). The final grade of a course is the
 * one of its last term.
 */

export interface GradeOptions {
  /** Today (YYYY-MM-DD): no grade is registered after it. */
  today: string;
  /** The school year's first and last day (YYYY-MM-DD). */
  termStart: string;
  termEnd: string;
  /** Flemish worlds grade out of 20; Swedish ones A–F. */
  scale: 'se' | 'be';
}

/** Swedish grades, the passing ones more often than F. */
const SE_GRADES = ['A', 'B', 'B', 'C', 'C', 'C', 'D', 'D', 'E', 'E', 'F'] as const;

/** The grades of `world`'s teaching activities, drawn from `rnd` (a PRNG of their own). */
export function generateGrades(world: { activities: Activity[]; groups: Group[]; duties: Duty[] }, options: GradeOptions, rnd: Draws): Grade[] {
  const { today, termStart, termEnd } = options;
  const year = Number(termStart.slice(0, 4));
  const springStart = `${year + 1}-01-07`;
  const terms: { semester: 'HT' | 'VT'; year: number; last: string; final: boolean }[] = [];
  if (today >= termStart) terms.push({ semester: 'HT', year, last: `${year}-12-20`, final: false });
  if (today >= springStart) terms.push({ semester: 'VT', year: year + 1, last: termEnd, final: true });
  if (!terms.length) return [];
  const groupById = new Map(world.groups.map((g) => [g.id, g]));
  const personOfDuty = new Map(world.duties.map((d) => [d.id, d.person?.id]));
  const grades: Grade[] = [];
  for (const a of world.activities) {
    if (a.activityType !== 'Undervisning' || !a.syllabus) continue;
    const teacher = a.teachers?.map((t) => personOfDuty.get(t.duty.id)).find(Boolean);
    if (!teacher) continue;
    for (const groupRef of a.groups) {
      const g = groupById.get(groupRef.id);
      if (!g || !gradedGroup(g, options.scale)) continue;
      for (const term of terms) {
        const registeredDate = term.last < today ? term.last : today;
        for (const m of g.groupMemberships ?? []) {
          // A pupil who left the group before the term's grading date is not graded in it.
          if (m.endDate && m.endDate < registeredDate) continue;
          const value = options.scale === 'be' ? `${rnd.int(8, 19)}/20` : rnd.pick(SE_GRADES);
          grades.push({
            id: rnd.uuid(),
            student: { id: m.person.id },
            organisation: { id: a.organisation.id },
            registeredBy: { id: teacher },
            gradingTeacher: { id: teacher },
            group: { id: g.id },
            registeredDate,
            gradeValue: value,
            // The course's grade: final once its last term is graded and the term is over.
            finalGrade: term.final && term.last < today,
            trial: false,
            adaptedStudyPlan: options.scale === 'be' ? 'Geen' : 'Ingen',
            ...(rnd.chance(0.03) ? { remark: options.scale === 'be' ? 'Inhaalexamen afgelegd.' : 'Kompletterad uppgift.' } : {}),
            semester: term.semester,
            year: term.year,
            syllabus: { id: a.syllabus.id },
          });
        }
      }
    }
  }
  return grades;
}

/** Groups whose pupils are graded: upper secondary, and compulsory school (in Sweden from year 6). */
function gradedGroup(g: Group, scale: GradeOptions['scale']): boolean {
  if (g.schoolType === 'GY') return true;
  if (g.schoolType !== 'GR') return false;
  if (scale === 'be') return true;
  const year = Number.parseInt(g.displayName, 10);
  return Number.isInteger(year) && year >= 6;
}
