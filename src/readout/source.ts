import type { Clock } from '../lib/clock.ts';

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
  tokenAuth: 'basic' | 'post';
  arrayParams: 'repeat' | 'brackets';
  pageSize: number;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  modifiedOverlapSeconds?: number;
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
}

/** Refresh this long before the announced expiry so that a page never starts with a dying token. */
const REFRESH_MARGIN_MS = 60_000;

export class SourceClient {
  readonly stats: SourceStats = { requests: 0, retries: 0, tokenFetches: 0, pages: 0, records: 0 };
  private token?: { value: string; expiresAt: number };
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly doFetch: typeof fetch;

  constructor(private readonly o: SourceOptions) {
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.doFetch = o.fetch ?? fetch;
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
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.o.scope) body.set('scope', this.o.scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.o.tokenAuth === 'basic') {
      const enc = (s: string) => encodeURIComponent(s);
      headers.authorization = `Basic ${Buffer.from(`${enc(this.o.clientId)}:${enc(this.o.clientSecret)}`).toString('base64')}`;
    } else {
      body.set('client_id', this.o.clientId);
      body.set('client_secret', this.o.clientSecret);
    }
    // Expiry counts from before the request: the source's clock started when it issued the token.
    const requestedAt = this.o.clock.now().getTime();
    const res = await this.send(this.o.tokenUrl, { method: 'POST', headers, body: body.toString() }, 'token');
    const json = (await this.json(res, 'token')) as { access_token?: unknown; expires_in?: unknown };
    if (typeof json.access_token !== 'string') throw new SourceError('source_malformed', `Token response from ${this.o.tokenUrl} has no access_token`);
    this.stats.tokenFetches++;
    const ttl = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600;
    this.token = { value: json.access_token, expiresAt: requestedAt + ttl * 1000 };
    return this.token.value;
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
      const retryAfter = Number(res?.headers.get('retry-after'));
      const backoff = this.o.retryBaseMs * 2 ** (attempt - 1);
      await this.sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 60_000) : backoff);
    }
  }

  private async json(res: Response, what: string): Promise<unknown> {
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new SourceError('source_malformed', `${what}: the source sent a response that is not JSON (${text.slice(0, 60).replace(/\s+/g, ' ')}…)`);
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
        const res = await this.send(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, what);
        return await this.json(res, what);
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
   * Every page of a list endpoint. The first request carries the filters; follow-ups carry only
   * `limit` and `pageToken`, which SS 12000 says may not be combined with other filters.
   */
  async *pages(path: string, params: Record<string, QueryValue> = {}): AsyncGenerator<unknown[]> {
    let url = this.url(path, { ...params, limit: this.o.pageSize });
    const seen = new Set<string>();
    for (;;) {
      const body = await this.getUrl(url, path);
      const page = body && typeof body === 'object' ? (body as { data?: unknown; pageToken?: unknown }) : undefined;
      if (!page || !Array.isArray(page.data)) {
        throw new SourceError('source_malformed', `${path}: malformed page from the source (expected { data: [...] }, page ${this.stats.pages + 1})`);
      }
      this.stats.pages++;
      this.stats.records += page.data.length;
      yield page.data;
      const next = typeof page.pageToken === 'string' && page.pageToken !== '' ? page.pageToken : undefined;
      if (!next) return;
      if (seen.has(next)) throw new SourceError('source_malformed', `${path}: the source repeated pageToken ${next.slice(0, 20)}; stopping to avoid a loop`);
      seen.add(next);
      url = this.url(path, { limit: this.o.pageSize, pageToken: next });
    }
  }

  /** `/deletedEntities?after=…` as a map of entity list name → ids. */
  async deletedSince(after: string, entities: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    let url = this.url('/deletedEntities', { after, entities, limit: this.o.pageSize });
    for (;;) {
      const body = (await this.getUrl(url, '/deletedEntities')) as { data?: unknown; pageToken?: unknown } | null;
      const data = body?.data;
      if (!data || typeof data !== 'object' || Array.isArray(data)) {
        throw new SourceError('source_malformed', '/deletedEntities: malformed page from the source (expected { data: { persons: [...] … } })');
      }
      for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
        if (Array.isArray(v)) out.set(k, [...(out.get(k) ?? []), ...v.filter((x): x is string => typeof x === 'string')]);
      }
      const next = typeof body?.pageToken === 'string' && body.pageToken ? body.pageToken : undefined;
      if (!next) return out;
      url = this.url('/deletedEntities', { limit: this.o.pageSize, pageToken: next });
    }
  }
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
