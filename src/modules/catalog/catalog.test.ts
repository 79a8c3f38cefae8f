import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';

const harness = useHarness();

describe('API catalog', () => {
  it('lists the default catalog with the right each API needs, to anyone', async () => {
    const res = await harness().client().get('/api/v1/catalog/apis');
    expect(res.status).toBe(200);
    expect(res.body.data.map((a: { code: string }) => a.code)).toEqual(['students', 'staff', 'boarders', 'invoices', 'pre_enrolments']);
    expect(res.body.data[0]).toMatchObject({ grantTarget: 'institution', requiredRights: ['iBasis', 'iLeerlingen'] });
    expect(res.body.data[3]).toMatchObject({ code: 'invoices', grantTarget: 'access_group' });
  });

  it('answers unknown routes with a problem document', async () => {
    const res = await harness().client().get('/api/v1/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('route_not_found');
  });

  it('serves the OpenAPI document', async () => {
    const res = await harness().client().get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toContain('/api/v1/catalog/apis');
  });
});
