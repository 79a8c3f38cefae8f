import { z } from 'zod';

/** Text that may reach the database: PostgreSQL text cannot hold NUL characters. */
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

export const personClaimSchema = z
  .enum(['eppn', 'email', 'civic_no'])
  .describe(
    "The claim that names the person: eppn → the person's eduPersonPrincipalNames, email → an e-mail address of the person, civic_no → the civic number",
  )
  .meta({ id: 'UpstreamPersonClaim' });

const fields = {
  boardId: z.uuid().describe('The school board: an SS 12000 organisation of type Huvudman (see GET /operator/school-boards)'),
  displayName: text(100).describe('Shown on the sign-in button: "Sign in with <displayName>"'),
  issuer: text(500).describe('The upstream OpenID Connect issuer; its metadata is discovered at <issuer>/.well-known/openid-configuration'),
  clientId: text(500).describe("Schoolgate's client id at the upstream"),
  clientSecret: text(2000).describe("Schoolgate's client secret at the upstream. Write-only: never returned"),
  personClaim: personClaimSchema,
  passwordAllowed: z.boolean().describe("Whether people of this board's schools may still sign in with a Schoolgate password"),
};

export const createIdentityProviderBody = z.object({ ...fields, passwordAllowed: fields.passwordAllowed.default(true) }).meta({ id: 'CreateIdentityProvider' });

export const updateIdentityProviderBody = z
  .object(fields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'name at least one field to change')
  .meta({ id: 'UpdateIdentityProvider' });

export const identityProviderSchema = z
  .object({
    id: z.uuid(),
    board: z.object({ id: z.uuid(), name: z.string() }),
    displayName: z.string(),
    issuer: z.string(),
    clientId: z.string(),
    hasSecret: z.literal(true).describe('The secret is kept to call the upstream and is never returned'),
    personClaim: personClaimSchema,
    passwordAllowed: z.boolean(),
    redirectUri: z.string().describe('The redirect URI to register at the upstream for this client'),
    institutionNumbers: z.array(z.string()).describe('The school units under the board: where the sign-in button appears'),
    createdAt: z.date(),
    updatedAt: z.date(),
  })
  .meta({ id: 'IdentityProvider' });

export const schoolBoardSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    institutionNumbers: z.array(z.string()),
    identityProviderId: z.uuid().nullable(),
  })
  .meta({ id: 'SchoolBoard' });

export const providerIdParams = z.object({ providerId: z.uuid() });

export type CreateIdentityProviderInput = z.infer<typeof createIdentityProviderBody>;
export type UpdateIdentityProviderInput = z.infer<typeof updateIdentityProviderBody>;
