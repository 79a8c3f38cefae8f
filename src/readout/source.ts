import type { Clock } from '../lib/clock.ts';
import { IdSet } from './id-set.ts';
import { Warnings } from './warnings.ts';

/**
 * The readout's HTTP client for an SS 12000 v2.x API (ours or IST EduCloud): OAuth2 client
 * credentials, `{ data, pageToken }` paging, retries with exponential backoff on 429/5xx/timeouts,
 * and a token refreshed shortly before it expires (and once more if the source says 401 anyway).
 */
export interface SourceOptions {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  tokenAuth: 'auto' | 'basic' | 'post';
  discoveryUrl?: string;
  arrayParams: 'repeat' | 'brackets';
  pageSize: number;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  maxRetryAfterSeconds?: number;
  maxPages?: number;
  modifiedOverlapSeconds?: number;
  /** Where degraded reads are reported (pages cut by the loop guard, duplicates, auth fallback). */
  warnings?: Warnings;
  /** Called after each page of a listing with the endpoint and the records it brought (progress). */
  onPage?: (path: string, records: number) => void;
  clock: Clock;
  /** Waits between retries; tests pass a no-op so that no test depends on wall time. */
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

export type SourceErrorCode = 'source_auth_failed' | 'source_unavailable' | 'source_malformed' | 'source_http_error' | 'source_filter_unsupported';

/** A source failure with a stable code and a message an operator can act on. */
export class SourceError extends Error {
  constructor(
    readonly code: SourceErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

export type QueryValue = string | number | boolean | string[] | undefined;

export interface SourceStats {
  requests: number;
  retries: number;
  tokenFetches: number;
  pages: number;
  records: number;
  /** Responses that were not complete JSON and were asked again. */
  unreadableBodies: number;
  /** Records a listing sent more than once (the later copy wins). */
  duplicates: number;
  /** How the client authenticated at the token endpoint, and why. */
  tokenAuth?: { used: 'basic' | 'post'; how: string };
}

/** Refresh this long before the announced expiry so that a page never starts with a dying token. */
const REFRESH_MARGIN_MS = 60_000;

export class SourceClient {
  readonly stats: SourceStats = { requests: 0, retries: 0, tokenFetches: 0, pages: 0, records: 0, unreadableBodies: 0, duplicates: 0 };
  readonly warnings: Warnings;
  private token?: { value: string; expiresAt: number };
  /** The client authentication settled on (auto decides once per run). */
  private auth?: 'basic' | 'post';
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly doFetch: typeof fetch;

  constructor(private readonly o: SourceOptions) {
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.doFetch = o.fetch ?? fetch;
    this.warnings = o.warnings ?? new Warnings();
    if (o.tokenAuth !== 'auto') {
      this.auth = o.tokenAuth;
      this.stats.tokenAuth = { used: o.tokenAuth, how: 'configured' };
    }
  }

  /** Builds `{base}{path}?…`, arrays as repeated keys or `key[]=` depending on the source. */
  url(path: string, params: Record<string, QueryValue> = {}): string {
    const u = new URL(this.o.baseUrl.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const x of v) u.searchParams.append(this.o.arrayParams === 'brackets' ? `${k}[]` : k, x);
      else u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  private async accessToken(): Promise<string> {
    const now = this.o.clock.now().getTime();
    if (this.token && now < this.token.expiresAt - REFRESH_MARGIN_MS) return this.token.value;
    if (!this.auth) return this.autoToken();
    return this.requestToken(this.auth);
  }

  /**
   * `tokenAuth: auto`: the discovery document's `token_endpoint_auth_methods_supported` decides
   * where there is one; else basic, and post when the endpoint refuses basic with 400/401/422 (some
   * take form fields only). Either way the report says what was used and why.
   */
  private async autoToken(): Promise<string> {
    const advertised = await this.discoveredAuthMethods();
    if (advertised) {
      const pick = advertised.includes('client_secret_basic') ? 'basic' : advertised.includes('client_secret_post') ? 'post' : undefined;
      if (pick) {
        this.auth = pick;
        this.stats.tokenAuth = { used: pick, how: `the discovery document lists client_secret_${pick}` };
        return this.requestToken(pick);
      }
    }
    try {
      const token = await this.requestToken('basic');
      this.auth = 'basic';
      this.stats.tokenAuth = { used: 'basic', how: advertised ? 'the discovery document lists neither; basic worked' : 'no discovery document; basic worked' };
      return token;
    } catch (e) {
      if (!(e instanceof SourceError) || ![400, 401, 422].includes(e.status ?? 0)) throw e;
      let token: string;
      try {
        token = await this.requestToken('post');
      } catch (e2) {
        if (e2 instanceof SourceError) {
          throw new SourceError(e2.code, `${e2.message}; client_secret_basic was refused too (HTTP ${e.status})`, e2.status);
        }
        throw e2;
      }
      this.auth = 'post';
      const how = `the token endpoint refused client_secret_basic (HTTP ${e.status}); client_secret_post worked: set source.tokenAuth: post`;
      this.stats.tokenAuth = { used: 'post', how };
      this.warnings.add('source.token_auth_fallback', how, [], stripQuery(this.o.tokenUrl));
      return token;
    }
  }

  /** The methods a discovery document advertises, or undefined when there is none (any failure counts as none). */
  private async discoveredAuthMethods(): Promise<string[] | undefined> {
    const url = this.o.discoveryUrl ?? new URL('/.well-known/openid-configuration', this.o.tokenUrl).toString();
    try {
      this.stats.requests++;
      const res = await this.doFetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.o.timeoutMs) });
      if (!res.ok) return undefined;
      const doc = (await res.json()) as { token_endpoint_auth_methods_supported?: unknown };
      const m = doc?.token_endpoint_auth_methods_supported;
      return Array.isArray(m) ? m.filter((x): x is string => typeof x === 'string') : undefined;
    } catch {
      return undefined;
    }
  }

  private async requestToken(auth: 'basic' | 'post'): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.o.scope) body.set('scope', this.o.scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (auth === 'basic') {
      const enc = (s: string) => encodeURIComponent(s);
      headers.authorization = `Basic ${Buffer.from(`${enc(this.o.clientId)}:${enc(this.o.clientSecret)}`).toString('base64')}`;
    } else {
      body.set('client_id', this.o.clientId);
      body.set('client_secret', this.o.clientSecret);
    }
    // Expiry counts from before the request: the source's clock started when it issued the token.
    const requestedAt = this.o.clock.now().getTime();
    const json = (await this.exchange(this.o.tokenUrl, { method: 'POST', headers, body: body.toString() }, 'token')) as {
      access_token?: unknown;
      expires_in?: unknown;
    };
    if (typeof json?.access_token !== 'string') throw new SourceError('source_malformed', `Token response from ${this.o.tokenUrl} has no access_token`);
    this.stats.tokenFetches++;
    const ttl = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600;
    this.token = { value: json.access_token, expiresAt: requestedAt + ttl * 1000 };
    return this.token.value;
  }

  /**
   * One request and its JSON body. A body that does not parse (cut off mid-way by a proxy or a
   * dying source) is asked for again like a 5xx, within the same retry budget.
   */
  private async exchange(url: string, init: RequestInit, what: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.send(url, init, what);
      const text = await res.text();
      try {
        return JSON.parse(text);
      } catch {
        this.stats.unreadableBodies++;
        if (attempt >= this.o.maxRetries) {
          throw new SourceError(
            'source_malformed',
            `${what}: the source sent a response that is not JSON (${text.slice(0, 60).replace(/\s+/g, ' ')}…), ${attempt + 1} times`,
          );
        }
        this.stats.retries++;
        this.warnings.add('source.unreadable_body', 'a response was not complete JSON (cut off or not JSON) and was asked for again', [], what);
        await this.sleep(this.o.retryBaseMs * 2 ** attempt);
      }
    }
  }

  /** One HTTP exchange with retries on 429, 5xx, timeouts and network errors. */
  private async send(url: string, init: RequestInit, what: string): Promise<Response> {
    let attempt = 0;
    for (;;) {
      this.stats.requests++;
      let res: Response | undefined;
      let failure: string;
      try {
        res = await this.doFetch(url, { ...init, signal: AbortSignal.timeout(this.o.timeoutMs) });
        if (res.ok) return res;
        const text = await res.text().catch(() => '');
        const code = safeCode(text);
        if (res.status === 401 || res.status === 403) {
          throw new SourceError(
            'source_auth_failed',
            `${what}: the source refused our credentials (HTTP ${res.status}${code ? ` ${code}` : ''}) at ${stripQuery(url)}`,
            res.status,
          );
        }
        if (res.status === 400) {
          throw new SourceError(
            'source_filter_unsupported',
            `${what}: the source rejected the request (HTTP 400${code ? ` ${code}` : ''}) at ${stripQuery(url)}`,
            400,
          );
        }
        if (res.status !== 429 && res.status < 500) {
          throw new SourceError('source_http_error', `${what}: HTTP ${res.status}${code ? ` ${code}` : ''} at ${stripQuery(url)}`, res.status);
        }
        failure = `HTTP ${res.status}${code ? ` ${code}` : ''}`;
      } catch (e) {
        if (e instanceof SourceError) throw e;
        failure = (e as Error).name === 'TimeoutError' ? `timeout after ${this.o.timeoutMs} ms` : `network error: ${(e as Error).message}`;
      }
      if (attempt >= this.o.maxRetries) {
        throw new SourceError(
          'source_unavailable',
          `${what}: source unavailable at ${stripQuery(url)} after ${attempt + 1} attempts (last: ${failure})`,
          res?.status,
        );
      }
      attempt++;
      this.stats.retries++;
      const backoff = this.o.retryBaseMs * 2 ** (attempt - 1);
      const wait = retryAfterMs(res?.headers.get('retry-after') ?? null, this.o.clock.now().getTime());
      await this.sleep(wait !== undefined ? Math.min(wait, (this.o.maxRetryAfterSeconds ?? 60) * 1000) : backoff);
    }
  }

  /** GET one resource, with the bearer token; a 401 gets one fresh token, then fails. */
  async get(path: string, params: Record<string, QueryValue> = {}): Promise<unknown> {
    return this.getUrl(this.url(path, params), path);
  }

  private async getUrl(url: string, what: string): Promise<unknown> {
    for (let fresh = 0; ; fresh++) {
      const token = await this.accessToken();
      try {
        return await this.exchange(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, what);
      } catch (e) {
        // The source may end a token earlier than announced: one retry with a new token.
        if (e instanceof SourceError && e.code === 'source_auth_failed' && e.status === 401 && fresh === 0) {
          this.token = undefined;
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * Every page of a list endpoint, each record once. The first request carries the filters;
   * follow-ups carry only `limit` and `pageToken`, which SS 12000 says may not be combined with
   * other filters. A bare array is read as one page. The loop guard ends a listing whose page token
   * repeats, that goes on for `maxPages`, or whose pages bring nothing new three times running (a
   * token that never ends): what was read is kept and the cut is reported.
   */
  async *pages(path: string, params: Record<string, QueryValue> = {}): AsyncGenerator<unknown[]> {
    let url = this.url(path, { ...params, limit: this.o.pageSize });
    const seenTokens = new Set<string>();
    const ids = new IdSet();
    let stale = 0;
    const maxPages = this.o.maxPages ?? 100_000;
    for (let n = 1; ; n++) {
      const body = await this.getUrl(url, path);
      const page = Array.isArray(body) ? { data: body } : body && typeof body === 'object' ? (body as { data?: unknown; pageToken?: unknown }) : undefined;
      if (!page || !Array.isArray(page.data)) {
        throw new SourceError('source_malformed', `${path}: malformed page from the source (expected { data: [...] }, page ${n})`);
      }
      this.stats.pages++;
      this.stats.records += page.data.length;
      const fresh: unknown[] = [];
      for (const raw of page.data) {
        const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
        if (typeof id === 'string' || typeof id === 'number') {
          const key = String(id);
          if (!ids.add(key)) {
            this.stats.duplicates++;
            this.warnings.add('source.duplicate_records', 'a listing sent the same record more than once (e.g. on two pages); read once', [], `${path} ${key}`);
            continue;
          }
        }
        fresh.push(raw);
      }
      stale = fresh.length ? 0 : stale + 1;
      this.o.onPage?.(path, page.data.length);
      if (fresh.length) yield fresh;
      const next =
        typeof page.pageToken === 'string' && page.pageToken !== '' ? page.pageToken : typeof page.pageToken === 'number' ? String(page.pageToken) : undefined;
      if (!next) return;
      const loop = seenTokens.has(next)
        ? 'repeated a page token'
        : stale >= 3
          ? 'sent 3 pages in a row with nothing new'
          : n >= maxPages
            ? `went on for ${maxPages} pages (maxPages)`
            : undefined;
      if (loop) {
        this.warnings.add('source.page_loop', `a listing ${loop}; stopped there and kept what was read`, [], path);
        return;
      }
      seenTokens.add(next);
      url = this.url(path, { limit: this.o.pageSize, pageToken: next });
    }
  }

  /** `/deletedEntities?after=…` as a map of entity list name → ids. */
  async deletedSince(after: string, entities: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    let url = this.url('/deletedEntities', { after, entities, limit: this.o.pageSize });
    const seenTokens = new Set<string>();
    for (;;) {
      const body = (await this.getUrl(url, '/deletedEntities')) as { data?: unknown; pageToken?: unknown } | null;
      const data = body?.data;
      if (!data || typeof data !== 'object' || Array.isArray(data)) {
        const got = Array.isArray(data) ? `an array (${JSON.stringify(data).slice(0, 20)})` : typeof data;
        throw new SourceError('source_malformed', `/deletedEntities: the source answered data as ${got}, not the spec's object { persons: [...], … }`);
      }
      for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
        if (Array.isArray(v)) out.set(k, [...(out.get(k) ?? []), ...v.filter((x): x is string => typeof x === 'string')]);
      }
      const next = typeof body?.pageToken === 'string' && body.pageToken ? body.pageToken : undefined;
      if (!next) return out;
      if (seenTokens.has(next)) throw new SourceError('source_malformed', '/deletedEntities: the source repeated a page token');
      seenTokens.add(next);
      url = this.url('/deletedEntities', { limit: this.o.pageSize, pageToken: next });
    }
  }
}

/** `Retry-After` as seconds or as an HTTP date (RFC 9110 §10.2.3), in milliseconds from now. */
function retryAfterMs(v: string | null, now: number): number | undefined {
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return secs > 0 ? secs * 1000 : undefined;
  const at = Date.parse(v);
  return Number.isFinite(at) && at > now ? at - now : undefined;
}

function safeCode(text: string): string | undefined {
  try {
    const j = JSON.parse(text) as { code?: unknown };
    return typeof j.code === 'string' ? j.code.slice(0, 80) : undefined;
  } catch {
    return undefined;
  }
}

function stripQuery(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
