import { z } from 'zod';
import { institutionNumber } from '../../http/common-schemas.ts';

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
  })
  .meta({ id: 'SchoolAppRow' });

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
    apis: z.array(z.object({ code: z.string(), name: z.string() })).describe('APIs the app asked for'),
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
    available: z.array(targetItem).describe('Left list: where you hold the right this school year and the app has no access'),
    granted: z.array(targetItem.extend({ changeable: z.boolean().describe('You may remove this one') })).describe('Right list: with access, within your scope'),
  })
  .meta({ id: 'ApiAccessEntry' });

export const replaceGrantsBody = z
  .object({
    institutionNumbers: z.array(institutionNumber).max(2000).optional(),
    accessGroupIds: z.array(z.uuid()).max(2000).optional(),
    reason: text(2000).trim().optional(),
    confirmRemoval: z.boolean().optional().describe('Required (true) when the change removes access somewhere'),
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
