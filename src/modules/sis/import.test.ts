import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../../../test/support/harness.ts';
import { ImportError, importInstitutions, importRights, importUsers, readRecords } from './import.ts';

const harness = useHarness();
const dir = mkdtempSync(join(tmpdir(), 'sg-import-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('SIS imports', () => {
  it('imports institutions, users and rights from CSV and JSON; users can sign in and re-import updates', async () => {
    const ctx = harness().ctx;
    await importInstitutions(
      ctx,
      readRecords(file('inst.csv', 'number,name,town,activeFromYear,activeUntilYear\n123456,Sint-Jozef,Gent,2010,\n234567,De Linde,Aalst,2010,2024\n')),
    );
    const users = await importUsers(
      ctx,
      readRecords(
        file(
          'users.json',
          JSON.stringify([{ sisUserId: 's1', email: 'Els@School.example', displayName: 'Els', userManagementAccess: 'true', password: 'els password 1' }]),
        ),
      ),
    );
    expect(users).toEqual({ created: 1, updated: 0 });
    await importRights(
      ctx,
      readRecords(
        file('rights.csv', 'sisUserId,moduleRight,institutionNumber,accessGroupId,schoolYear\ns1,iLeerlingen,123456,,2026\ns1,iPersoneel,234567,,2026\n'),
      ),
    );
    expect(await ctx.db.selectFrom('admin_rights').select('module_right').execute()).toHaveLength(2);

    // A right removed in the SIS disappears on the next import of that user's school year.
    await importRights(
      ctx,
      readRecords(file('rights2.csv', 'sisUserId,moduleRight,institutionNumber,accessGroupId,schoolYear\ns1,iLeerlingen,123456,,2026\n')),
    );
    expect((await ctx.db.selectFrom('admin_rights').select('module_right').execute()).map((r) => r.module_right)).toEqual(['iLeerlingen']);

    expect(await importUsers(ctx, [{ sisUserId: 's1', email: 'els@school.example', displayName: 'Els Renamed', userManagementAccess: true }])).toEqual({
      created: 0,
      updated: 1,
    });
    const login = await harness().client().login('els@school.example', 'els password 1');
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ displayName: 'Els Renamed', kind: 'school', userManagementAccess: true });
  });

  it('rejects a file with a bad row whole, naming row and field', async () => {
    const ctx = harness().ctx;
    const before = await ctx.db.selectFrom('users').select('id').execute();
    const attempt = importUsers(ctx, [
      { sisUserId: 's9', email: 'ok@school.example', displayName: 'Ok' },
      { sisUserId: 's10', email: 'not an email', displayName: 'Bad' },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(ImportError);
    await expect(attempt).rejects.toMatchObject({ problems: [{ row: 2, field: 'email' }] });
    expect(await ctx.db.selectFrom('users').select('id').execute()).toHaveLength(before.length);

    await expect(importRights(ctx, [{ sisUserId: 'nobody', moduleRight: 'iBasis', institutionNumber: '999999', schoolYear: 2026 }])).rejects.toMatchObject({
      problems: [
        { row: 1, field: 'sisUserId' },
        { row: 1, field: 'institutionNumber' },
      ],
    });
    await expect(importRights(ctx, [{ sisUserId: 's1', moduleRight: 'invoicing_admin', institutionNumber: '123456', schoolYear: 2026 }])).rejects.toMatchObject(
      {
        problems: [{ row: 1, field: 'moduleRight' }],
      },
    );
  });
});
