/**
 * The one HTTP client of the web app. Cookies carry the session (httpOnly, never readable here);
 * the CSRF token from the session answer goes in `x-csrf-token` on every state-changing request.
 * Errors arrive as problem+json and become {@link ApiProblem}s whose stable `code` the UI translates.
 */

/** A problem document (RFC 9457) with the API's stable `code`. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail?: string;
  field?: string;
  errors?: { field: string; code: string; message: string }[];
  [extra: string]: unknown;
}

/** Thrown for every non-2xx answer. */
export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? problem.code);
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
}

let csrfToken: string | undefined;

/** Remembers the CSRF token of the current session (from login or GET /auth/session). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const BASE = '/api/v1';

/**
 * Sends one JSON request to `url`; every non-2xx answer becomes an {@link ApiProblem} with the
 * server's stable code. The CSRF token is the caller's: staff and end-user sessions each have their own.
 */
export async function callJson<T>(method: string, url: string, body?: unknown, csrf?: string | null): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiProblem({ status: 0, code: 'network_error' });
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) {
    const p = parsed && typeof parsed === 'object' && 'code' in parsed ? (parsed as Problem) : { status: res.status, code: `http_${res.status}` };
    throw new ApiProblem({ ...p, status: res.status });
  }
  return parsed as T;
}

function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  return callJson<T>(method, BASE + path, body, csrfToken);
}

/** Query-string helper that drops empty values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  if (!entries.length) return '';
  return '?' + new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString();
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  put: <T>(path: string, body: unknown = {}) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown = {}) => request<T>('PATCH', path, body),
  delete: <T>(path: string, body?: unknown) => request<T>('DELETE', path, body),
};
