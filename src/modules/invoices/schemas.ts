import { z } from 'zod';
import { securityMarkings } from '../ss12000/schemas.ts';

/**
 * The invoices API's own schemas (Informat: Rekeningen; written for Schoolgate, no vendor's document
 * copied): the invoice as ingestion takes it, and as a reader gets it (what the release declaration,
 * release.ts, lets through: gated members are optional). Amounts are whole cents (minor units of
 * `currency`), so that no reader has to round.
 */

export const INVOICE_STATUSES = ['open', 'partially_paid', 'paid', 'cancelled'] as const;
export const DEBTOR_KINDS = ['guardian', 'student'] as const;
export const REMINDER_CHANNELS = ['email', 'post'] as const;

const date = z.iso.date().describe('A date, YYYY-MM-DD');
const name = (what: string) => z.string().trim().min(1).max(200).describe(what);
const cents = (what: string) => z.number().int().min(-100_000_000).max(100_000_000).describe(`${what}, in cents`);
const marking = z
  .enum(securityMarkings)
  .describe('Protected identity as the population register marks it (SS 12000 securityMarking): a marked person’s invoice address is never released');

export const invoiceAddressSchema = z
  .object({
    streetAddress: z.string().trim().max(200).optional(),
    postalCode: z.string().trim().max(20).optional(),
    locality: z.string().trim().max(100).optional(),
    countryCode: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
      .optional(),
    email: z.email().max(200).optional().describe('The e-mail address invoices are sent to'),
  })
  .meta({
    id: 'InvoiceAddress',
    description: 'Where the debtor’s invoices go, by post or e-mail (the addresses category; never under a marking of the debtor or the pupil)',
  });

const lineInput = z.object({
  description: z.string().trim().min(1).max(300).describe('What is charged (e.g. a school trip, meals, a course book)'),
  quantity: z.number().min(-10_000).max(10_000).describe('How many'),
  unitPrice: cents('Price of one, VAT excluded'),
  vatRate: z.number().min(0).max(100).describe('VAT rate in percent (0, 6, 12, 21 in Belgium)'),
  net: cents('The line’s amount, VAT excluded'),
  vat: cents('The line’s VAT'),
});

const reminderInput = z.object({
  sentDate: date.describe('When the reminder was sent'),
  level: z.number().int().min(1).max(9).describe('1 for the first reminder, 2 for the second, …'),
  channel: z.enum(REMINDER_CHANNELS).describe('How it was sent'),
});

/** An invoice as ingestion takes it. Members it does not name are dropped and reported. */
export const invoiceInput = z
  .object({
    id: z.guid().describe('Stable id of the invoice (UUID)'),
    invoiceNumber: z.string().trim().min(1).max(40).describe('The invoice number the school gave it'),
    accessGroup: z.object({ id: z.guid() }).describe('The access group (toegangsgroep) it was issued in: the grant target'),
    institution: z
      .object({ institutionNumber: z.string().regex(/^\d{6}$/, 'must be a six-digit institution number') })
      .describe('The institution of the pupil invoiced; a member of the access group'),
    schoolYear: z.number().int().min(2000).max(2100).describe('The school year invoiced, by the calendar year it starts in (2026: 2026–2027)'),
    student: z.object({
      personId: z.guid().optional().describe('The pupil’s SS 12000 person id, where known'),
      givenName: name('Given name of the pupil'),
      familyName: name('Family name of the pupil'),
      securityMarking: marking.default('Ingen').describe('The pupil’s marking: withholds the debtor’s invoice address (never served itself)'),
    }),
    debtor: z.object({
      id: z.guid().describe('Stable id of the debtor, the same on each of their invoices'),
      kind: z.enum(DEBTOR_KINDS).describe('guardian, or student (an adult pupil who pays their own invoices)'),
      personId: z.guid().optional().describe('The debtor’s SS 12000 person id, where known'),
      givenName: name('Given name of the debtor'),
      familyName: name('Family name of the debtor'),
      securityMarking: marking.default('Ingen'),
      invoiceAddress: invoiceAddressSchema.optional(),
    }),
    status: z.enum(INVOICE_STATUSES).describe('Payment status: open, partially_paid, paid or cancelled'),
    issueDate: date.describe('When the invoice was issued'),
    dueDate: date.describe('When it is due'),
    paidDate: date.optional().describe('When it was paid in full'),
    currency: z.literal('EUR').default('EUR').describe('Currency of every amount (ISO 4217)'),
    totalNet: cents('Total, VAT excluded (the sum of the lines’ net)'),
    totalVat: cents('Total VAT (the sum of the lines’ VAT)'),
    totalGross: cents('Total to pay, VAT included (totalNet + totalVat)'),
    amountPaid: cents('Paid so far').default(0),
    lines: z.array(lineInput).min(1).max(200),
    reminders: z.array(reminderInput).max(20).default([]),
  })
  .superRefine((inv, ctx) => {
    // An invoice whose totals disagree with its lines would tell the reader two amounts.
    const net = inv.lines.reduce((n, l) => n + l.net, 0);
    const vat = inv.lines.reduce((n, l) => n + l.vat, 0);
    if (inv.totalNet !== net) ctx.addIssue({ code: 'custom', path: ['totalNet'], message: `must be the sum of the lines’ net (${net})` });
    if (inv.totalVat !== vat) ctx.addIssue({ code: 'custom', path: ['totalVat'], message: `must be the sum of the lines’ VAT (${vat})` });
    if (inv.totalGross !== inv.totalNet + inv.totalVat)
      ctx.addIssue({ code: 'custom', path: ['totalGross'], message: `must be totalNet + totalVat (${inv.totalNet + inv.totalVat})` });
    if (inv.dueDate < inv.issueDate) ctx.addIssue({ code: 'custom', path: ['dueDate'], message: 'must not be before issueDate' });
    if (inv.status === 'paid' && !inv.paidDate) ctx.addIssue({ code: 'custom', path: ['paidDate'], message: 'is required when status is paid' });
    if (inv.status !== 'paid' && inv.paidDate) ctx.addIssue({ code: 'custom', path: ['paidDate'], message: 'is only given when status is paid' });
  });
export type InvoiceInput = z.output<typeof invoiceInput>;

const meta = z
  .object({ created: z.iso.datetime(), modified: z.iso.datetime() })
  .describe('When Schoolgate first stored the record and last saw it change (meta.modified.after filters on it)');

const withInvoices = (s: z.ZodType) => s.optional().describe('With the invoices category');

/** An invoice as the API serves it: gated members are absent when not released. */
export const invoiceSchema = z
  .object({
    id: z.guid(),
    invoiceNumber: z.string(),
    accessGroup: z.object({ id: z.guid() }),
    institution: z.object({ institutionNumber: z.string() }),
    schoolYear: z.number().int(),
    student: z.object({ personId: z.guid().optional(), givenName: z.string(), familyName: z.string() }),
    debtor: z.object({
      id: z.guid(),
      kind: z.enum(DEBTOR_KINDS),
      personId: z.guid().optional(),
      givenName: z.string(),
      familyName: z.string(),
      securityMarking: z.enum(securityMarkings),
      invoiceAddress: invoiceAddressSchema.optional().describe('With the addresses category; never under a marking of the debtor or the pupil'),
    }),
    status: withInvoices(z.enum(INVOICE_STATUSES)),
    issueDate: withInvoices(z.string()),
    dueDate: withInvoices(z.string()),
    paidDate: withInvoices(z.string()),
    currency: withInvoices(z.string()),
    totalNet: withInvoices(z.number().int()),
    totalVat: withInvoices(z.number().int()),
    totalGross: withInvoices(z.number().int()),
    amountPaid: withInvoices(z.number().int()),
    lines: withInvoices(
      z.array(
        z.object({
          description: z.string(),
          quantity: z.number(),
          unitPrice: z.number().int(),
          vatRate: z.number(),
          net: z.number().int(),
          vat: z.number().int(),
        }),
      ),
    ),
    reminders: withInvoices(z.array(z.object({ sentDate: z.string(), level: z.number().int(), channel: z.enum(REMINDER_CHANNELS) }))),
    meta,
  })
  .meta({
    id: 'Invoice',
    description:
      'A school invoice (Informat: rekening) issued in an access group for a pupil of one of its institutions, to a debtor (a guardian, or the adult pupil), with its lines, amounts in cents, VAT, dates, payment status and reminders.',
  });

/** The ingestion batch of invoices: all or nothing, idempotent. */
export const invoiceBatchSchema = z
  .strictObject({
    upsert: z.array(z.unknown()).max(100_000).optional().describe('Invoices to create or replace, by id'),
    delete: z.array(z.guid()).max(100_000).optional().describe('Ids of invoices to delete'),
  })
  .meta({ id: 'InvoiceBatch' });

export const invoiceBatchResult = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  deleted: z.number().int(),
  noChange: z.boolean(),
  unknownMembers: z
    .record(z.string(), z.number())
    .describe('Members the schema does not know, dropped (never stored, never served), per path, with how many records had them'),
});

/** The lookup body: up to 1000 ids. */
export const lookupBodySchema = z.strictObject({ ids: z.array(z.guid()).min(1).max(1000) });
