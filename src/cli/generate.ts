import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { generateWorld, worldCounts } from '../generator/index.ts';
import { ingestBatch } from '../modules/ss12000/ingest.ts';
import { closeContext, createContext } from '../runtime.ts';

const USAGE = `Usage: schoolgate generate [--schools 200] [--students 60000] [--seed 42] [--today YYYY-MM-DD]
                          [--institutions 001057,001058] [--timetable-weeks N | --timetable-year]
                          [--attendance] [--grades] [--out world.json] [--load]

Makes a deterministic, Swedish-realistic SS 12000 world. Writes it as JSON to --out (or stdout), and
with --load also loads it into the database (idempotent). --timetable-weeks N adds N weeks of lessons
from this week's Monday (--timetable-year: the whole school year), with rooms, resources and offers,
at the wall-clock times of the configured time zone (TZ). --attendance (with a timetable) adds the
attendance of every lesson before --today, absences with their reasons, preschool check-ins and
attendance schedules. --grades adds grades per pupil, course and term of the school year begun by
--today.`;

/** `schoolgate generate`: the realistic SS 12000 world generator. */
export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        schools: { type: 'string', default: '200' },
        students: { type: 'string', default: '60000' },
        seed: { type: 'string', default: '42' },
        today: { type: 'string' },
        institutions: { type: 'string' },
        out: { type: 'string' },
        load: { type: 'boolean', default: false },
        'timetable-weeks': { type: 'string' },
        'timetable-year': { type: 'boolean', default: false },
        attendance: { type: 'boolean', default: false },
        grades: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const schools = Number(values.schools);
  const students = Number(values.students);
  const seed = Number(values.seed);
  const institutionNumbers = values.institutions ? values.institutions.split(',').map((s) => s.trim()) : undefined;
  if (!Number.isInteger(schools) || schools < 1 || !Number.isInteger(students) || students < 0 || !Number.isInteger(seed)) {
    console.error(`--schools, --students and --seed must be whole numbers.\n\n${USAGE}`);
    return 2;
  }
  if (values.today && !/^\d{4}-\d{2}-\d{2}$/.test(values.today)) {
    console.error('--today must be YYYY-MM-DD.');
    return 2;
  }
  if (institutionNumbers?.some((n) => !/^\d{6}$/.test(n))) {
    console.error('--institutions must be six-digit institution numbers, comma-separated.');
    return 2;
  }
  const weeks = values['timetable-weeks'] === undefined ? undefined : Number(values['timetable-weeks']);
  if (weeks !== undefined && (!Number.isInteger(weeks) || weeks < 1 || weeks > 60)) {
    console.error('--timetable-weeks must be a whole number of weeks from 1 to 60.');
    return 2;
  }
  if (values.attendance && weeks === undefined && !values['timetable-year']) {
    console.error('--attendance needs a timetable: add --timetable-weeks N or --timetable-year.');
    return 2;
  }
  const config = loadConfig();
  const timetable = weeks !== undefined || values['timetable-year'] ? { timetable: { timeZone: config.TZ, ...(weeks !== undefined ? { weeks } : {}) } } : {};
  const attendance = values.attendance ? { attendance: {} } : {};
  const world = generateWorld({
    seed,
    schools,
    students,
    institutionNumbers,
    today: values.today ?? new Date().toISOString().slice(0, 10),
    ...timetable,
    ...attendance,
    ...(values.grades ? { grades: true } : {}),
  });
  const counts = Object.entries(worldCounts(world))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  if (values.out) {
    writeFileSync(values.out, JSON.stringify(world));
    console.error(`Wrote ${values.out}: ${counts}`);
  } else if (!values.load) {
    process.stdout.write(JSON.stringify(world));
  }
  if (values.load) {
    const ctx = await createContext(config, { workers: false });
    try {
      const started = Date.now();
      const result = await ingestBatch(ctx, { upsert: world as never }, { id: null, label: 'schoolgate generate', kind: 'system' });
      console.error(`Loaded ${counts} in ${((Date.now() - started) / 1000).toFixed(1)} s${result.noChange ? ' (nothing changed)' : ''}.`);
    } finally {
      await closeContext(ctx);
    }
  }
  return 0;
}
