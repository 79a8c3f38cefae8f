import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * Deployment configuration, read from the environment once at start and validated so that a bad
 * variable stops the process with a message naming it instead of failing later at random.
 */
const monthDay = z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be MM-DD, e.g. 09-01');

/** One trusted proxy: an IPv4/IPv6 address, a CIDR range, or one of proxy-addr's names. */
const proxyEntry = z
  .string()
  .refine(
    (v) => ['loopback', 'linklocal', 'uniquelocal'].includes(v) || /^[0-9a-f:.]+(\/\d{1,3})?$/i.test(v),
    'must be "off" or a comma-separated list of addresses, CIDR ranges, loopback, linklocal or uniquelocal',
  );

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Listen address; by default 127.0.0.1 while the demo world may be seeded (see loadConfig), else every interface. */
  HOST: z.string().optional(),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /**
   * A streaming replica of DATABASE_URL's server (hot standby): SS 12000 page reads may go there.
   * Every authorization decision and every write stays on DATABASE_URL (README, "Deployment").
   */
  DATABASE_REPLICA_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().default('Schoolgate <no-reply@schoolgate.local>'),
  SCHOOL_YEAR_START: monthDay.default('09-01'),
  TZ: z
    .string()
    .default('Europe/Brussels')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone, e.g. Europe/Brussels'),
  INVITATION_TTL_DAYS: z.coerce.number().int().min(1).max(31, 'may be at most 31 (one month)').default(31),
  SECRET_OVERLAP_DAYS: z.coerce.number().int().min(0).max(90).default(7),
  LEGACY_CUTOVER: z.iso.date('must be a date, YYYY-MM-DD').optional(),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  DEMO: z.enum(['auto', 'on', 'off']).default('auto'),
  /**
   * The developer sandbox (an institution with generated data every approved app reads at once):
   * created at start unless the operator removed it. `off`: never created at start.
   */
  SANDBOX: z.enum(['on', 'off']).default('on'),
  /**
   * The proxies whose X-Forwarded-For is believed (a client's address decides its sign-in throttle):
   * off by default, so a client cannot choose its own address by sending the header.
   */
  TRUST_PROXY: z
    .string()
    .default('off')
    .transform((v) =>
      v.trim() === 'off'
        ? []
        : v
            .split(',')
            .map((e) => e.trim())
            .filter(Boolean),
    )
    .pipe(z.array(proxyEntry)),
  /**
   * The bearer token a Prometheus scraper sends to read GET /metrics. Unset: /metrics is off (404),
   * so nothing about the process is public by default. At least 32 characters (e.g. `openssl rand -hex 32`).
   */
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  /**
   * OTLP/HTTP collector base URL (e.g. http://otel-collector:4318): traces are exported to
   * `<url>/v1/traces`. Unset: no tracing code is even loaded.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** The `service.name` traces carry. */
  OTEL_SERVICE_NAME: z.string().min(1).default('schoolgate'),
  /**
   * The API catalog file (YAML, or JSON by its .json name): the data APIs, their data categories and
   * where their data is served. Validated and synchronised into the database at start
   * (src/modules/catalog/); Informat's catalog is the default. Format: docs/catalog.md.
   */
  CATALOG_FILE: z
    .string()
    .min(1)
    .default(resolve(import.meta.dirname, '..', 'catalog', 'informat.yaml')),
  /**
   * The deployment key(s) that seal webhook signing secrets at rest (AES-256-GCM): base64 of 32 bytes
   * (`openssl rand -base64 32`), comma-separated for a rotation — the first seals, every one opens.
   * Unset: a key file DATA_DIR/secrets.key is made on first start (src/modules/webhooks/secrets.ts).
   */
  SECRETS_KEY: z
    .string()
    .refine(
      (v) =>
        v.split(',').every((k) => {
          const s = k.trim();
          return /^[A-Za-z0-9+/_-]+={0,2}$/.test(s) && Buffer.from(s, /[-_]/.test(s) ? 'base64url' : 'base64').length === 32;
        }),
      'must be base64 keys of 32 bytes, comma-separated (e.g. openssl rand -base64 32)',
    )
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof envSchema> & { PUBLIC_URL: string; HOST: string };

/** Thrown when the environment is invalid; its message lists every bad variable. */
export class ConfigError extends Error {}

/** Reads and validates the configuration from `env` (default `process.env`). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  // A replica of the embedded database does not exist: the setting would be silently ignored.
  if (c.DATABASE_REPLICA_URL && !c.DATABASE_URL) {
    throw new ConfigError(
      'Invalid configuration:\n  DATABASE_REPLICA_URL: needs DATABASE_URL (a replica of a PostgreSQL server; the embedded database has none)',
    );
  }
  // The demo world has documented passwords and a documented client secret: a demo listens on this
  // machine only, unless HOST says otherwise.
  const demo = c.DEMO === 'on' || (c.DEMO === 'auto' && c.NODE_ENV !== 'production');
  return { ...c, HOST: c.HOST ?? (demo ? '127.0.0.1' : '0.0.0.0'), PUBLIC_URL: (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, '') };
}

/** A configuration for tests: defaults plus overrides, never read from the real environment. */
export function testConfig(overrides: Partial<Record<keyof z.input<typeof envSchema>, string>> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DEMO: 'off', ...overrides });
}
