/**
 * Refusals that Fastify or Node would answer in their own shapes (a bad escape in the path, a URL
 * or header block over the parser's limit, an unknown path) come back in the surface's error shape
 * with a stable code: problem+json on /api/v1 and the rest of the site, `{code, message}` on /ss12000.
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.ts';

const harness = useHarness();

/** Sends a request line exactly as given (no URL normalisation), and reads the answer. */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; requestId: string; body: any }> {
  const { port } = new URL(harness().url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON: the test says so */
        }
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), requestId: String(res.headers['x-request-id']), body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('refusals in the surface’s own error shape', () => {
  it.each([
    ['an invalid escape in the path', '/api/v1/%ud800', 400],
    ['a lone surrogate escape in the path', '/api/v1/partners/%ED%A0%80', 400],
    ['an over-long path parameter', `/api/v1/operator/apps/${'a'.repeat(5000)}`, 414],
    ['a request line over the limit', `/api/v1/catalog/apis?q=${'x'.repeat(20_000)}`, 431],
  ])('/api/v1: %s → problem+json with a stable code', async (_what, path, status) => {
    const res = await raw(path);
    expect(res.status).toBe(status);
    expect(res.type).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status, code: expect.stringMatching(/^[a-z_]+$/), requestId: res.requestId });
  });

  it.each([
    ['an unimplemented SS 12000 endpoint', '/ss12000/v2.0/courses', 404],
    ['an invalid escape', '/ss12000/v2.0/persons/%ud800', 400],
    ['an over-long id', `/ss12000/v2.0/persons/${'a'.repeat(5000)}`, 414],
    ['a request line over the limit', `/ss12000/v2.0/persons?nameContains=${'x'.repeat(20_000)}`, 431],
  ])('/ss12000: %s → {code, message}', async (_what, path, status) => {
    const res = await raw(path);
    expect(res.status).toBe(status);
    expect(res.type).toContain('application/json');
    // The request id (also in X-Request-Id) is an extra member; the spec's Error allows it.
    expect(res.body).toEqual({ code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String), requestId: res.requestId });
  });
});
