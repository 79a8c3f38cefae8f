import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { InvoiceInput } from '../modules/invoices/schemas.ts';
import type { Organisation, Person } from '../modules/ss12000/schemas.ts';

/**
 * Generated invoices (Rekeningen) for a generated school world: per access group, an invoice per
 * pupil per term at the group's member institutions, to the pupil's first guardian (or to the pupil
 * when adult), with lines, VAT, due and paid dates, payment status and reminders as they would stand
 * on `today`. Deterministic for a seed (the same options give the same invoices, so loading them
 * again changes nothing). Pupils and debtors are the world's persons: their names, markings and
 * addresses, and their SS 12000 person ids as references.
 */
export interface InvoiceWorld {
  seed: number;
  /** The school year invoiced (the calendar year it starts in). */
  schoolYear: number;
  /** The access groups to invoice in, with their member institutions. */
  accessGroups: { id: string; institutionNumbers: string[] }[];
  /** The school data: school units (organisation codes are institution numbers) and persons. */
  world: { organisations: Organisation[]; persons: Person[] };
  /** Terms invoiced per pupil, 1–3 (September, January, April); default 3. */
  terms?: number;
  /** The day the statuses stand on, YYYY-MM-DD: later due dates are open, earlier ones mostly paid. */
  today: string;
}

/** What a school charges, with the price of one in cents and its VAT rate (Belgian rates). */
const ITEMS: { description: string; unitPrice: number; vatRate: number; quantity: [number, number] }[] = [
  { description: 'Warme maaltijden', unitPrice: 450, vatRate: 0, quantity: [8, 40] },
  { description: 'Middagtoezicht', unitPrice: 60, vatRate: 0, quantity: [10, 50] },
  { description: 'Schooluitstap', unitPrice: 1250, vatRate: 0, quantity: [1, 1] },
  { description: 'Zwemmen', unitPrice: 200, vatRate: 0, quantity: [1, 8] },
  { description: 'Kopieën', unitPrice: 5, vatRate: 0, quantity: [50, 400] },
  { description: 'Werkboeken', unitPrice: 1490, vatRate: 6, quantity: [1, 3] },
  { description: 'Turnkledij', unitPrice: 1850, vatRate: 21, quantity: [1, 1] },
  { description: 'Meerdaagse studiereis (voorschot)', unitPrice: 9500, vatRate: 0, quantity: [1, 1] },
];

/** A small deterministic PRNG (mulberry32). */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)) };
}

/** A stable UUID (v4 layout) from a name. */
function uuidOf(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const countryCodeOf = (country: string | undefined) => (/belg/i.test(country ?? '') ? 'BE' : /sver|swed/i.test(country ?? '') ? 'SE' : undefined);

/** The invoice address of a person: their first address, and a private e-mail address where they have one. */
function invoiceAddressOf(p: Person): NonNullable<InvoiceInput['debtor']['invoiceAddress']> | undefined {
  const a = p.addresses?.[0];
  const email = p.emails?.find((e) => e.type === 'Privat')?.value;
  if (!a && !email) return undefined;
  const countryCode = countryCodeOf(a?.country);
  return {
    ...(a ? { streetAddress: a.streetAddress, postalCode: a.postalCode, locality: a.locality } : {}),
    ...(countryCode ? { countryCode } : {}),
    // Only an address the invoices schema takes (a generated one may carry letters it refuses).
    ...(email && z.email().max(200).safeParse(email).success ? { email } : {}),
  };
}

/** The invoices of `w`: per access group, per pupil of its institutions, per term. */
export function generateInvoices(w: InvoiceWorld): InvoiceInput[] {
  const rnd = random(w.seed);
  const terms = Math.max(1, Math.min(3, w.terms ?? 3));
  const today = Date.parse(`${w.today}T00:00:00Z`);
  const persons = new Map(w.world.persons.map((p) => [p.id, p]));
  const unitCode = new Map(
    w.world.organisations.filter((o) => o.organisationType === 'Skolenhet' && o.organisationCode).map((o) => [o.id, o.organisationCode!]),
  );
  const out: InvoiceInput[] = [];
  w.accessGroups.forEach((group, g) => {
    const members = new Set(group.institutionNumbers);
    let counter = 0;
    for (const pupil of w.world.persons) {
      const enrolment = (pupil.enrolments ?? []).find((e) => members.has(unitCode.get(e.enroledAt.id) ?? ''));
      if (!enrolment) continue;
      const institutionNumber = unitCode.get(enrolment.enroledAt.id)!;
      const adult = pupil.birthDate !== undefined && pupil.birthDate <= `${w.schoolYear - 18}-09-01`;
      const guardian = (pupil.responsibles ?? []).map((r) => persons.get(r.person.id)).find((p) => p !== undefined);
      const payer = adult || !guardian ? pupil : guardian;
      const address = invoiceAddressOf(payer);
      const debtor: InvoiceInput['debtor'] = {
        id: uuidOf(`debtor/${w.seed}/${group.id}/${payer.id}`),
        kind: payer === pupil ? 'student' : 'guardian',
        personId: payer.id,
        givenName: payer.givenName,
        familyName: payer.familyName,
        securityMarking: payer.securityMarking ?? 'Ingen',
        ...(address ? { invoiceAddress: address } : {}),
      };
      for (let term = 0; term < terms; term++) {
        // Invoices go out mid-September, mid-January and mid-April, due thirty days later.
        const issued = Date.UTC(term === 0 ? w.schoolYear : w.schoolYear + 1, [8, 0, 3][term]!, 15);
        const due = issued + 30 * DAY;
        const lines = Array.from({ length: rnd.int(1, 4) }, () => {
          const item = ITEMS[rnd.int(0, ITEMS.length - 1)]!;
          const quantity = rnd.int(item.quantity[0], item.quantity[1]);
          const net = quantity * item.unitPrice;
          return {
            description: item.description,
            quantity,
            unitPrice: item.unitPrice,
            vatRate: item.vatRate,
            net,
            vat: Math.round((net * item.vatRate) / 100),
          };
        });
        const totalNet = lines.reduce((n, l) => n + l.net, 0);
        const totalVat = lines.reduce((n, l) => n + l.vat, 0);
        const totalGross = totalNet + totalVat;
        const roll = rnd.next();
        let status: InvoiceInput['status'];
        let amountPaid = 0;
        let paidDate: string | undefined;
        const reminders: InvoiceInput['reminders'] = [];
        if (issued > today) continue; // not issued yet
        if (roll < 0.01) status = 'cancelled';
        else if (due > today ? roll < 0.5 : roll < 0.85) {
          status = 'paid';
          amountPaid = totalGross;
          paidDate = iso(Math.min(today, issued + rnd.int(2, 45) * DAY));
        } else if (roll < 0.9 && totalGross > 100) {
          status = 'partially_paid';
          amountPaid = Math.floor(totalGross / 2);
        } else status = 'open';
        if ((status === 'open' || status === 'partially_paid') && due < today) {
          for (let level = 1; level <= 3 && due + level * 14 * DAY <= today; level++) {
            reminders.push({ sentDate: iso(due + level * 14 * DAY), level, channel: level === 3 || !address?.email ? 'post' : 'email' });
          }
        }
        counter++;
        out.push({
          id: uuidOf(`invoice/${w.seed}/${group.id}/${pupil.id}/${w.schoolYear}/${term}`),
          invoiceNumber: `${w.schoolYear}-${g + 1}-${String(counter).padStart(6, '0')}`,
          accessGroup: { id: group.id },
          institution: { institutionNumber },
          schoolYear: w.schoolYear,
          student: { personId: pupil.id, givenName: pupil.givenName, familyName: pupil.familyName, securityMarking: pupil.securityMarking ?? 'Ingen' },
          debtor,
          status,
          issueDate: iso(issued),
          dueDate: iso(due),
          ...(paidDate ? { paidDate } : {}),
          currency: 'EUR',
          totalNet,
          totalVat,
          totalGross,
          amountPaid,
          lines,
          reminders,
        });
      }
    }
  });
  return out;
}
