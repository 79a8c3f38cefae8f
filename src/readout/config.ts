import { readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve, dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { STAFF_ROLE_CHOICES } from './roles.ts';

/**
 * The integrator's customers file (YAML or JSON). One entry per customer; secrets are either inline
 * or, better, `{ env: NAME }` so the file can live in version control.
 */
const secretSchema = z.union([
  z.string().min(1, 'must not be empty'),
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }).strict(),
]);

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone, e.g. Europe/Stockholm');

/** Mapping decisions that differ between sources; every one has a default that is safe on a spec-conforming source. */
const mappingSchema = z
  .object({
    /**
     * A duty on an organisation above school units (a `Skola`, a `Rektorsområde`) counts for every kept
     * school unit below it. On by default: SS 12000 allows duties there, and some sources put all of them there.
     */
    dutiesOnParentOrganisations: z.boolean().default(true),
    /**
     * Where an activity's course comes from: `syllabus` (the spec's field) or the name of a non-spec
     * field of the activity (e.g. `subject`), holding a string or an object with id/code/name.
     */
    courseField: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a field name, e.g. syllabus or subject')
      .default('syllabus'),
    /** Staff title (`dutyRole`) → role, over the built-in table; a role is one of the readout's roles or `exclude`. */
    staffRoles: z.record(z.string().min(1), z.enum(STAFF_ROLE_CHOICES)).default({}),
    /** What a title the table does not know (or a duty without a title) becomes; each such title is reported. */
    unknownStaffRole: z.enum(STAFF_ROLE_CHOICES).default('staff'),
  })
  .strict();

const customerSchema = z
  .object({
    key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, - or _ (max 63)'),
    name: z.string().min(1).optional(),
    source: z
      .object({
        baseUrl: z.url('must be a URL, e.g. https://api.example.se/source/SE00100/v2.0'),
        tokenUrl: z.url('must be a URL'),
        clientId: z.string().min(1, 'must not be empty'),
        clientSecret: secretSchema,
        scope: z.string().optional(),
        /**
         * How the client authenticates at the token URL (RFC 6749 §2.3.1): `basic` (client_secret_basic),
         * `post` (client_secret_post), or `auto`: from the discovery document where there is one, else
         * basic first and post when the token endpoint answers 400/401/422 (the report says which won).
         */
        tokenAuth: z.enum(['auto', 'basic', 'post']).default('auto'),
        /** The OAuth/OpenID discovery document for `auto`; default: `/.well-known/openid-configuration` at the token URL's origin. */
        discoveryUrl: z.url('must be a URL').optional(),
        /** How array query parameters are sent: `expand=a&expand=b` or EduCloud's `expand[]=a`. */
        arrayParams: z.enum(['repeat', 'brackets']).default('repeat'),
        pageSize: z.number().int().min(1).max(10_000).default(500),
        timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
        maxRetries: z.number().int().min(0).max(20).default(5),
        /** Base backoff; doubles per attempt (tests set it low; production keeps the default). */
        retryBaseMs: z.number().int().min(0).max(60_000).default(500),
        /** A `Retry-After` longer than this is cut to it: a source cannot park the run for hours. */
        maxRetryAfterSeconds: z.number().int().min(0).max(3600).default(60),
        /** Loop guard: at most this many pages per list; a listing that goes on is cut and reported. */
        maxPages: z.number().int().min(1).max(10_000_000).default(100_000),
        /** Incremental reads start this long before the previous read began: covers clock skew with the source. */
        modifiedOverlapSeconds: z.number().int().min(0).max(86_400).default(300),
      })
      .strict(),
    municipalityCode: z
      .string()
      .regex(/^\d{4}$/, 'must be a four-digit municipality code')
      .optional(),
    schoolTypes: z.array(z.string().min(1)).min(1, 'list at least one school type or leave it out').optional(),
    toleranceDays: z.number().int().min(0).max(365).default(14),
    exportAddress: z.boolean().default(false),
    exportCivicNo: z.boolean().default(false),
    timeZone: timeZone.default('Europe/Stockholm'),
    /** Five-field cron in the customer's time zone; default daily 18:00. */
    schedule: z
      .string()
      .regex(/^\S+ \S+ \S+ \S+ \S+$/, 'must be a five-field cron expression, e.g. "0 18 * * *"')
      .default('0 18 * * *'),
    outputDir: z.string().min(1),
    formats: z
      .array(z.enum(['sds', 'oneroster']))
      .min(1)
      .default(['sds', 'oneroster']),
    mapping: mappingSchema.prefault({}),
  })
  .strict();

const fileSchema = z
  .object({ customers: z.array(customerSchema).min(1, 'must list at least one customer') })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.customers.forEach((c, i) => {
      if (seen.has(c.key)) ctx.addIssue({ code: 'custom', path: ['customers', i, 'key'], message: `duplicate key "${c.key}"` });
      seen.add(c.key);
    });
  });

export type CustomerConfig = z.output<typeof customerSchema>;
export type CustomerConfigInput = z.input<typeof customerSchema>;
export type ReadoutConfig = z.output<typeof fileSchema>;

/** A customers file that cannot be used; the message lists every problem with its path. */
export class ReadoutConfigError extends Error {}

/** Validates an already-parsed customers document. Relative output directories resolve against `baseDir`. */
export function parseReadoutConfig(doc: unknown, baseDir = process.cwd()): ReadoutConfig {
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ReadoutConfigError(`Invalid readout configuration:\n${lines.join('\n')}`);
  }
  for (const c of parsed.data.customers) {
    if (!isAbsolute(c.outputDir)) c.outputDir = resolve(baseDir, c.outputDir);
  }
  return parsed.data;
}

/** Reads a `.yaml`/`.yml`/`.json` customers file. */
export function loadReadoutConfig(path: string): ReadoutConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ReadoutConfigError(`Cannot read readout configuration ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ReadoutConfigError(`Readout configuration ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
  return parseReadoutConfig(doc, dirname(resolve(path)));
}

/** Resolves a secret, failing with the variable's name (never its value) when it is unset. */
export function resolveSecret(secret: CustomerConfig['source']['clientSecret'], env: NodeJS.ProcessEnv = process.env): string {
  if (typeof secret === 'string') return secret;
  const value = env[secret.env];
  if (!value) throw new ReadoutConfigError(`Environment variable ${secret.env} (client secret) is not set`);
  return value;
}

/** Finds one customer by key, with a message listing the known keys. */
export function findCustomer(config: ReadoutConfig, key: string): CustomerConfig {
  const c = config.customers.find((x) => x.key === key);
  if (!c) throw new ReadoutConfigError(`Unknown customer "${key}"; known: ${config.customers.map((x) => x.key).join(', ')}`);
  return c;
}
