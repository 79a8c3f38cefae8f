import { z } from 'zod';
import { institutionNumber, languageSchema } from '../../http/common-schemas.ts';

/** Text that may reach the database: PostgreSQL text cannot hold NUL characters. */
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

const appStatus = z.enum(['draft', 'submitted', 'approved', 'rejected', 'suspended', 'archived']);

export const invitationQuery = z.object({
  invitation: text(200).min(1).optional().describe("The token of the partner's invitation link, for an app without access to your schools yet"),
});

export const schoolAppsQuery = z.object({
  status: appStatus.optional(),
  api: z.string().max(50).optional().describe('API code: only apps with grants for this API'),
  partner: z.string().max(200).optional().describe('Partner id, or part of its name'),
  q: z.string().max(200).optional().describe('Part of the app or partner name'),
  sort: z.enum(['name', 'created', 'modified']).default('name'),
  order: z.enum(['asc', 'desc']).default('asc'),
});

/** Why the app needs an API's data, per language the partner wrote it in (at least one). */
export const purposesSchema = z.partialRecord(languageSchema, z.string()).describe('The purpose per language (en, nl, fr, sv) as the partner wrote it');

/** An API as the app was approved for it: the data categories and the purpose. */
export const approvedApi = z.object({
  code: z.string(),
  name: z.string(),
  dataCategories: z.array(z.string()).describe('The data categories the app was approved for'),
  purposes: purposesSchema,
  purpose: z.string().describe("The purpose in your account's language, else in another language the partner gave"),
});

const switchState = z
  .enum(['on', 'off', 'partly_off', 'not_granted'])
  .describe(
    'The on/off switch over your institutions (where you hold the right to grant): on, off (every grant there switched off), partly_off, or not_granted',
  );

export const switchInfo = z
  .object({
    state: switchState,
    lastChange: z
      .object({ on: z.boolean(), at: z.date(), by: z.string(), reason: z.string().nullable() })
      .nullable()
      .describe('The latest switch that touched your institutions'),
  })
  .meta({ id: 'SchoolAppSwitch' });

export const schoolAppRow = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: appStatus,
    partner: z.object({ id: z.uuid(), name: z.string() }),
    clientId: z.uuid(),
    active: z.boolean().describe('The app is approved and may get tokens'),
    apis: z.array(z.object({ code: z.string(), name: z.string() })).describe('APIs with grants in your institutions'),
    createdAt: z.date(),
    modifiedAt: z.date(),
    switch: switchInfo,
  })
  .meta({ id: 'SchoolAppRow' });

export const accreditedAppsQuery = z.object({
  q: text(200).optional().describe('Part of the app or partner name, of a purpose, or a data category'),
  api: text(50).optional().describe('API code: only apps approved for this API'),
});

export const accreditedAppRow = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    partner: z.object({ id: z.uuid(), name: z.string() }),
    approvedAt: z.date().nullable().describe('The accreditation date'),
    apis: z.array(approvedApi),
    switch: switchInfo,
  })
  .meta({ id: 'AccreditedApp' });

export const switchBody = z
  .object({
    on: z.boolean().describe('true: switch the app on again (restores exactly what was switched off); false: switch it off'),
    reason: text(2000).trim().optional(),
  })
  .meta({ id: 'SwitchApp' });

export const apiAccessRow = z
  .object({
    api: z.object({ code: z.string(), name: z.string() }),
    institution: z.object({ number: z.string(), name: z.string(), label: z.string().describe('"number - name"') }).nullable(),
    accessGroup: z.object({ id: z.uuid(), name: z.string() }).nullable(),
    client: z.object({ id: z.uuid(), name: z.string() }),
    app: z.object({ id: z.uuid(), name: z.string() }).nullable().describe('Empty for a legacy client not linked to an app'),
    status: appStatus.nullable(),
    partner: z.object({ id: z.uuid(), name: z.string() }).nullable(),
    grantedAt: z.date(),
  })
  .meta({ id: 'ApiAccessRow' });

export const schoolAppDetail = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    status: appStatus,
    active: z.boolean(),
    partner: z.object({ id: z.uuid(), name: z.string() }),
    client: z.object({ id: z.uuid(), name: z.string() }).nullable(),
    apis: z.array(approvedApi).describe('APIs the app asked for, with the data categories and purposes it was approved for'),
    accreditation: z.object({ approvedAt: z.date().nullable(), notes: z.string().nullable().describe("The reviewer's notes") }),
    switch: switchInfo,
    contactEmail: z.string(),
    createdAt: z.date(),
    modifiedAt: z.date(),
    consents: z
      .array(
        z.object({
          institutionNumber: z.string(),
          count: z.number().int().describe('Students with a live sign-in consent for this app'),
          byRole: z.object({ student: z.number().int(), guardian: z.number().int(), staff: z.number().int() }),
        }),
      )
      .describe('Live sign-in consents per institution of yours (students in `count`); institutions without any are left out'),
  })
  .meta({ id: 'SchoolAppDetail' });

const targetItem = z.object({
  institutionNumber: z.string().nullable(),
  accessGroupId: z.string().nullable(),
  name: z.string(),
});

export const apiAccessEntry = z
  .object({
    apiCode: z.string(),
    apiName: z.string(),
    grantTarget: z.enum(['institution', 'access_group']),
    requiredRights: z.array(z.string()).describe('Any one of these rights lets you edit this API'),
    editable: z.boolean(),
    notEditableReason: z.enum(['app_not_approved', 'client_without_app', 'insufficient_rights', 'api_not_requested']).nullable(),
    dataCategories: z.array(z.string()).describe('The data categories the app was approved for under this API'),
    purposes: purposesSchema,
    purpose: z
      .string()
      .nullable()
      .describe("The approved purpose in your account's language (else another given one); null for an API the app did not ask for"),
    suspended: z
      .array(targetItem.extend({ suspendedAt: z.date(), reason: z.string().nullable() }))
      .describe('Switched off in your institutions: back when the app is switched on'),
    available: z.array(targetItem).describe('Left list: where you hold the right this school year and the app has no access'),
    granted: z
      .array(
        targetItem.extend({
          changeable: z.boolean().describe('You may remove this one'),
          accessLevel: z.enum(['read', 'read_write']).describe('What this grant allows: read, or read_write (the app also writes there)'),
        }),
      )
      .describe('Right list: with access, within your scope'),
    requestedAccessLevel: z
      .enum(['read', 'read_write'])
      .describe('What the app asked for and the operator approved under this API: read_write may be granted only then'),
  })
  .meta({ id: 'ApiAccessEntry' });

export const replaceGrantsBody = z
  .object({
    institutionNumbers: z.array(institutionNumber).max(2000).optional(),
    accessGroupIds: z.array(z.uuid()).max(2000).optional(),
    reason: text(2000).trim().optional(),
    confirmRemoval: z.boolean().optional().describe('Required (true) when the change removes access somewhere'),
    accessLevel: z
      .enum(['read', 'read_write'])
      .optional()
      .describe(
        'The level of every target you grant with this change: read, or read_write (only where the app asked for it: else 409 access_level_not_requested). ' +
          'Absent: new grants are read and existing ones keep their level; read-write is never implied.',
      ),
  })
  .meta({ id: 'ReplaceGrants' });

export const replaceGrantsResult = z
  .object({
    apiCode: z.string(),
    changed: z.boolean(),
    added: z.array(targetItem),
    removed: z.array(targetItem),
    granted: z.array(targetItem).describe('The granted set within your scope after the change'),
  })
  .meta({ id: 'ReplaceGrantsResult' });

export const switchResult = z
  .object({
    on: z.boolean(),
    grants: z.array(targetItem.extend({ apiCode: z.string() })).describe('The grants switched off, or back on'),
  })
  .meta({ id: 'SwitchAppResult' });

export const logEntry = z
  .object({
    id: z.string(),
    at: z.date(),
    actor: z.string().describe('Who made the change'),
    action: z.string(),
    changes: z
      .array(
        z.object({
          change: z.enum(['added', 'removed']),
          apiCode: z.string(),
          institutionNumber: z.string().nullable(),
          accessGroupId: z.string().nullable(),
        }),
      )
      .describe('What changed, within your scope'),
    reason: z.string().nullable(),
  })
  .meta({ id: 'SchoolLogEntry' });

export const apiCodeParams = z.object({ appId: z.uuid(), apiCode: text(50).min(1) });
export const clientApiCodeParams = z.object({ clientId: z.uuid(), apiCode: text(50).min(1) });
