import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openDatabase, type Database } from '../db/index.ts';
import { migrate } from '../db/migrate.ts';
import { systemClock } from '../lib/clock.ts';
import { findCustomer, loadReadoutConfig, ReadoutConfigError } from '../readout/config.ts';
import { explain } from '../readout/explain.ts';
import { progressPrinter } from '../readout/progress.ts';
import { READOUT_PROCESS } from '../readout/process.ts';
import { listRuns, ReadoutBusyError, runReadout, type ReadoutReport } from '../readout/run.ts';
import { startReadoutScheduler } from '../readout/serve.ts';
import type { ProcessOptions } from './_process.ts';

const USAGE = `Usage: schoolgate readout <command> [options]

Commands:
  run      --customer KEY [--full]     read the source, apply the rules, publish SDS/OneRoster files
  explain  --customer KEY --person ID  why one person (or --group ID) was kept or excluded, rule by rule
  runs     [--customer KEY]            the latest runs: start, end, status, counts, error
  serve                                run every customer on its schedule (pg-boss cron) until stopped

Options:
  --config FILE   customers file, YAML or JSON (default: $READOUT_CONFIG or ./readout.yaml)

The database is the deployment's (DATABASE_URL, or the embedded one in DATA_DIR).`;

function summary(r: ReadoutReport): string {
  const c = r.counts;
  const ex = (t: { excluded: Record<string, number> }) =>
    Object.entries(t.excluded)
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const d = r.delta;
  return [
    `Run ${r.runId} (${r.mode}${r.fallbackReason ? `: ${r.fallbackReason}` : ''}) in ${r.durationMs} ms (fetch ${r.fetchMs} ms, processing ${r.processMs} ms)`,
    `  schools   kept ${c.schools.kept}; excluded: ${ex(c.schools)}`,
    `  students  kept ${c.students.kept}; excluded: ${ex(c.students)}`,
    `  staff     kept ${c.staff.kept}; excluded: ${ex(c.staff)}`,
    `  guardians kept ${c.guardians.kept}; excluded: ${ex(c.guardians)}`,
    `  groups    kept ${c.groups.kept}; excluded: ${ex(c.groups)}`,
    `  teams ${r.output.teams}, memberships ${r.output.memberships}, people ${r.output.people}`,
    `  changes: teams +${d.teams.created} ~${d.teams.renamed} renamed -${d.teams.removed}; memberships +${d.memberships.added} -${d.memberships.removed}; people +${d.people.added} ~${d.people.updated} -${d.people.removed}`,
    ...(Object.keys(r.unknownEnums).length
      ? [
          `  unknown enum values: ${Object.entries(r.unknownEnums)
            .map(([k, v]) => `${k} (${v})`)
            .join(', ')}`,
        ]
      : []),
    ...r.namedWarnings.map((w) => `  warning ${w.code} (${w.count}): ${w.message}${w.affects.length ? `; affects ${w.affects.join(', ')}` : ''}`),
    ...(r.warnings.length ? [`  warnings: ${r.warnings.length} (see report.json)`] : []),
  ].join('\n');
}

/** `readout run` and `readout serve` run readouts, in a process started with the readout's options (src/readout/process.ts). */
export function processOptions(args: string[]): ProcessOptions | undefined {
  return args[0] === 'run' || args[0] === 'serve' ? READOUT_PROCESS : undefined;
}

/** `schoolgate readout …`. Exit codes: 0 done, 1 the run failed, 2 bad usage or configuration. */
export async function run(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  let values: { customer?: string; person?: string; group?: string; config?: string; full?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        customer: { type: 'string' },
        person: { type: 'string' },
        group: { type: 'string' },
        config: { type: 'string' },
        full: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const asksHelp = !command || values.help || ['help', '--help', '-h'].includes(command);
  if (asksHelp || !['run', 'explain', 'runs', 'serve'].includes(command!)) {
    if (!asksHelp) console.error(`Unknown readout command: ${command}\n`);
    console.log(USAGE);
    return asksHelp ? 0 : 2;
  }
  let database: Database | undefined;
  try {
    const file = values.config ?? process.env.READOUT_CONFIG ?? 'readout.yaml';
    const config = command === 'runs' ? undefined : loadReadoutConfig(file);
    const env = loadConfig();
    database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, poolSize: 4 });
    await migrate(database);
    const deps = { db: database.db, clock: systemClock };

    if (command === 'run') {
      if (!values.customer) throw new ReadoutConfigError('readout run needs --customer KEY');
      // Progress goes to stderr: a rewritten line on a terminal, plain lines in a log.
      const r = await runReadout(
        findCustomer(config!, values.customer),
        { ...deps, onProgress: progressPrinter(process.stderr) },
        { trigger: 'cli', full: values.full },
      );
      if (r.status === 'failed') {
        console.error(`Readout ${values.customer} failed (run ${r.runId}): ${r.error}\nThe previous output and state are unchanged.`);
        return 1;
      }
      console.log(summary(r.report!));
      console.log(`  published: ${r.outputPath}`);
      console.log(`  report:    ${join(r.outputPath!, 'report.html')}`);
      return 0;
    }
    if (command === 'explain') {
      const id = values.person ?? values.group;
      if (!values.customer || !id) throw new ReadoutConfigError('readout explain needs --customer KEY and --person ID (or --group ID)');
      const r = await explain(findCustomer(config!, values.customer), deps, id);
      process.stdout.write(r.text);
      return r.found ? 0 : 1;
    }
    if (command === 'runs') {
      for (const r of await listRuns(database.db, values.customer)) {
        const took = r.finished_at ? `${Math.round((new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()) / 1000)} s` : '…';
        console.log(
          `${r.id}\t${r.customer_key}\t${new Date(r.started_at).toISOString()}\t${took}\t${r.status}\t${r.mode ?? ''}\t${r.error ?? r.output_path ?? ''}`,
        );
      }
      return 0;
    }
    // serve
    const scheduler = await startReadoutScheduler(config!, database, deps, {
      onRun: (customer, r) =>
        console.log(r instanceof Error ? `${customer}: ${r.message}` : `${customer}: run ${r.runId} ${r.status}${r.error ? `: ${r.error}` : ''}`),
    });
    console.log(`Scheduling ${config!.customers.map((c) => `${c.key} (${c.schedule} ${c.timeZone})`).join(', ')}. Ctrl-C stops.`);
    await new Promise<void>((resolve) => {
      // `on`, not `once`: started by src/cli.ts, a terminal's Ctrl-C reaches this process twice (from
      // the terminal and passed on by its parent), and a second signal without a handler would end it mid-stop.
      process.on('SIGINT', resolve);
      process.on('SIGTERM', resolve);
    });
    await scheduler.stop();
    return 0;
  } catch (e) {
    if (e instanceof ReadoutConfigError || e instanceof ReadoutBusyError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  } finally {
    await database?.close();
  }
}
