import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { workScope, type WorkScope } from '../lib/work-scope.ts';

/**
 * Why a read meant for the replica was answered by the primary: `down` the process had marked the
 * replica down (or an earlier read of the same request fell back, for the reason it did);
 * `unreachable` connecting to it or a statement on it failed with a connection-class error;
 * `conflict` a statement on it was cancelled by a recovery conflict; `busy` no replica connection
 * came free within the connect timeout.
 */
export type FallbackReason = NonNullable<WorkScope['primaryReads']>;

/** What the router logs through (the process logger: inside a request, its lines carry the request's id). */
export interface ReplicaLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/** This process's view of its replica, for the metrics. */
export interface ReplicaHealth {
  /** Whether page reads go to the replica now (false from a connection-class failure until a probe answers). */
  readonly up: boolean;
  /** Statements meant for the replica that the primary answered, by reason, since the process started. */
  readonly fallbacks: Readonly<Record<FallbackReason, number>>;
  /** The replica's connection pool. */
  readonly pool: pg.Pool;
}

/** How long to wait for a connection to the replica (a new one, or a free one of the pool) before the primary answers instead. */
export const REPLICA_CONNECT_TIMEOUT_MS = 3000;
/** First and longest wait before the replica is asked again after it was marked down (doubling in between). */
export const REPLICA_PROBE_MIN_MS = 1000;
export const REPLICA_PROBE_MAX_MS = 10_000;

/** Errors of the network itself (connect, reset, name resolution). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * SQLSTATEs that say the server cannot serve now, whatever the statement: admin_shutdown,
 * crash_shutdown, cannot_connect_now (starting up, shutting down, not yet consistent),
 * too_many_connections, system_error, io_error; and class 08 (connection exception).
 */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '58000', '58030']);
/** node-postgres's own messages for a connection that is gone (they have no code). */
const LOST_CONNECTION = /^(Connection terminated|Client has encountered a connection error|Client was closed|Connection closed)/;
/** pg-pool's message when no connection came free within `connectionTimeoutMillis`. */
const POOL_WAIT_TIMEOUT = 'timeout exceeded when trying to connect';

/**
 * Whether a statement's failure on the replica is the replica's and not the statement's: then the
 * primary is asked instead. `unreachable` also marks the replica down; `conflict` (serialization
 * failure or deadlock on a standby: the startup process cancelled the statement to replay WAL,
 * "canceling statement due to conflict with recovery") does not. Any other error (a bad statement,
 * a value out of range, a statement timeout) is the same on the primary and is not retried.
 */
export function replicaFailure(error: unknown): 'unreachable' | 'conflict' | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return 'unreachable';
    if (code === '40001' || code === '40P01') return 'conflict';
    return undefined;
  }
  return LOST_CONNECTION.test(error.message) ? 'unreachable' : undefined;
}

const isTransactionStart = (text: string) => /^\s*(begin|start\s+transaction)\b/i.test(text);
const isTransactionEnd = (text: string) => /^\s*(commit|rollback|end|abort)\b/i.test(text);

/**
 * The pool behind `AppContext.readDb` (Kysely's PostgresDialect takes it as its pool): each statement
 * goes to the streaming replica while this process judges it up, else to the primary's pool.
 *
 * - A connection-class failure (refused, reset, terminated, the server shutting down or starting,
 *   too many connections, a connect timeout) marks the replica down: reads go to the primary, and
 *   the replica is asked again (`SELECT 1` on its pool) after 1 s, then after doubling waits up to
 *   10 s, until it answers; then reads go back to it.
 * - A statement that failed on the replica that way, or was cancelled by a recovery conflict, is run
 *   again on the primary, once, in the same request (never inside a transaction: its earlier
 *   statements were on the replica). Only reads come here, and a standby writes nothing, so nothing
 *   ran twice. The request's later reads then stay on the primary.
 * - Each such failure is one warning line (with the request's id); the metrics read `health`.
 *
 * Per process and in memory: each process judges its own connection to the replica.
 */
export class ReplicaRouter implements PostgresPool, ReplicaHealth {
  readonly options = {};
  readonly fallbacks: Record<FallbackReason, number> = { down: 0, unreachable: 0, conflict: 0, busy: 0 };
  #up = true;
  #downSince = 0;
  #wait = REPLICA_PROBE_MIN_MS;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #checking = false;

  constructor(
    readonly pool: pg.Pool,
    readonly primary: pg.Pool,
    private readonly log: ReplicaLog,
  ) {}

  get up(): boolean {
    return this.#up;
  }

  /** Kysely's connection: the real one is taken at its first statement. */
  async connect(): Promise<PostgresPoolClient> {
    return new RoutedClient(this) as unknown as PostgresPoolClient;
  }

  /** Closes the replica's pool (the primary's belongs to the primary's Kysely) and stops probing. */
  async end(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.pool.end();
  }

  /** A connection for a new statement: the replica's while it is up and the request has not fallen back, else the primary's. */
  async acquire(): Promise<{ client: pg.PoolClient; replica: boolean }> {
    const earlier = workScope.getStore()?.primaryReads;
    if (!this.#up || earlier) {
      this.fallbacks[this.#up ? earlier! : 'down']++;
      return { client: await this.primary.connect(), replica: false };
    }
    try {
      return { client: await this.pool.connect(), replica: true };
    } catch (error) {
      // Connecting fails for reasons of the replica or its configuration, never of the statement.
      this.failed((error as Error).message === POOL_WAIT_TIMEOUT ? 'busy' : 'unreachable', error, 'connecting');
      return { client: await this.primary.connect(), replica: false };
    }
  }

  /** A statement meant for the replica goes to the primary instead: counted, logged, and the replica marked down when it is gone. */
  failed(reason: Exclude<FallbackReason, 'down'>, error: unknown, during: 'connecting' | 'a statement'): void {
    this.fallbacks[reason]++;
    const scope = workScope.getStore();
    if (scope) scope.primaryReads = reason;
    const wasUp = this.#up;
    if (reason === 'unreachable') this.markDown();
    const what =
      reason === 'conflict'
        ? 'a read on the replica was cancelled by a recovery conflict'
        : reason === 'busy'
          ? `no read replica connection came free within ${REPLICA_CONNECT_TIMEOUT_MS} ms`
          : `the read replica failed ${during === 'connecting' ? 'while connecting' : 'during a read'}`;
    this.log.warn(
      { err: error, reason, replicaUp: this.#up },
      wasUp && !this.#up
        ? `${what}: page reads go to the primary until it answers again (asked in ${this.#wait} ms)`
        : `${what}: the primary answered the read`,
    );
  }

  /**
   * An idle replica connection was closed by the server (a shutdown or restart, an operator's
   * pg_terminate_backend): the replica is asked at once, and marked down if it does not answer, so
   * that the next reads need not find out one by one.
   */
  idleConnectionLost(error: Error): void {
    workScope.exit(() => {
      if (!this.#up || this.#checking || this.#closed) return;
      this.#checking = true;
      this.pool.query('SELECT 1').then(
        () => {
          this.#checking = false;
          this.log.info({ err: error }, 'an idle read replica connection was closed by the server; the replica answers, the connection will be replaced');
        },
        (failure: unknown) => {
          this.#checking = false;
          if (!this.#up) return;
          this.markDown();
          this.log.warn(
            { err: failure, closed: error.message, replicaUp: false },
            `the read replica closed its connections and does not answer: page reads go to the primary until it answers again (asked in ${this.#wait} ms)`,
          );
        },
      );
    });
  }

  markDown(): void {
    if (!this.#up || this.#closed) return;
    this.#up = false;
    this.#downSince = Date.now();
    this.#wait = REPLICA_PROBE_MIN_MS;
    this.#scheduleProbe();
  }

  #scheduleProbe(): void {
    if (this.#closed) return;
    // Outside any request's scope: the probe's lines must not carry the id of the request that failed.
    workScope.exit(() => {
      this.#timer = setTimeout(() => void this.#probe(), this.#wait);
      this.#timer.unref();
    });
  }

  async #probe(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch {
      this.#wait = Math.min(this.#wait * 2, REPLICA_PROBE_MAX_MS);
      this.#scheduleProbe();
      return;
    }
    if (this.#closed) return;
    this.#up = true;
    this.log.info({ downForMs: Date.now() - this.#downSince }, 'the read replica answers again: page reads go back to it');
  }
}

/**
 * One Kysely connection of `readDb`: it takes a replica connection (or the primary's, see
 * `ReplicaRouter.acquire`) at its first statement, and moves to the primary when a statement fails
 * on the replica for the replica's reasons.
 */
class RoutedClient {
  #client: pg.PoolClient | undefined;
  #replica = false;
  #transaction = false;

  constructor(private readonly router: ReplicaRouter) {}

  /** Kysely reads it to cancel a statement; the connection's process id once there is one. */
  get processID(): number | undefined {
    return (this.#client as { processID?: number } | undefined)?.processID;
  }

  async query(text: string, values: readonly unknown[]): Promise<pg.QueryResult> {
    if (typeof text !== 'string') throw new Error('readDb does not stream (no cursors)');
    if (!this.#client) ({ client: this.#client, replica: this.#replica } = await this.router.acquire());
    let result: pg.QueryResult;
    if (!this.#replica) result = await this.#client.query(text, values as unknown[]);
    else {
      try {
        result = await this.#client.query(text, values as unknown[]);
      } catch (error) {
        const reason = this.#transaction ? undefined : replicaFailure(error);
        if (!reason) throw error;
        // The connection is not given back to the pool: it is gone, or its session was cancelled.
        const lost = this.#client;
        this.#client = undefined;
        lost.release(true);
        this.router.failed(reason, error, 'a statement');
        this.#client = await this.router.primary.connect();
        this.#replica = false;
        result = await this.#client.query(text, values as unknown[]);
      }
    }
    if (isTransactionStart(text)) this.#transaction = true;
    else if (isTransactionEnd(text)) this.#transaction = false;
    return result;
  }

  release(destroy?: boolean): void {
    const client = this.#client;
    this.#client = undefined;
    this.#transaction = false;
    client?.release(destroy);
  }
}
